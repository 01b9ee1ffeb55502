"""Where the ndx-microscopy layout puts what only it has: rigs, indicators, spaces and channels under their
series, segmentation containers, static images (checked before writing: see :mod:`microscopy_builder.naming`)."""

from __future__ import annotations


import ndx_microscopy as ndx

from ..naming import Claim
from ..specs import ChannelSpec, ImagingSpaceSpec, IndicatorSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec, safe_name
from .claims import ClaimRules, segmentation_images
from .formats import MICROSCOPY_METADATA

SEGMENTATIONS_NAME = "SegmentationContainer"


NAMESPACE = "ndx-microscopy"
#: summary images that picture a channel best, by the names extractors give them
MEAN_IMAGES = ("mean", "meanimg", "mean_image")


def static_image_name(segmentation: str, image: str) -> str:
    """The static image carrying a movie-less segmentation's channel: ``PlaneSegmentation_mean``."""
    return f"{segmentation}_{image}"


def placeholder_indicator_key(rig: RigSpec, channel: ChannelSpec) -> str:
    """The key of the placeholder indicator written for a channel that names none."""
    return f"{rig.name}_{channel.name}_indicator"


def by_geometry(space: ImagingSpaceSpec, planar: type, volumetric: type) -> tuple[type, str]:
    """The planar or volumetric class for ``space`` and the name of its imaging-space field."""
    if space.is_volumetric:
        return volumetric, "volumetric_imaging_space"
    return planar, "planar_imaging_space"


class MicroscopyClaims(ClaimRules):
    """The names the ndx-microscopy emitter takes beside those both formats share."""

    def static_image_claims(self, image: StaticImageSpec) -> list[Claim]:
        image_class, _ = by_geometry(image.space, ndx.PlanarMicroscopyStaticImage, ndx.VolumetricMicroscopyStaticImage)
        parent, parent_type = f"static image {image.name!r}", (NAMESPACE, image_class.__name__)
        place = "acquisition" if image.location == "acquisition" else "processing/ophys"
        module = None if image.location == "acquisition" else ("core", "ProcessingModule")
        return [
            Claim(place, image.name, f"static image {image.name!r}", ("static image", image.key), module),
            Claim(parent, image.space.name, f"space {image.space.name!r}", ("space", image.space.key), parent_type),
            Claim(parent, image.channel, f"channel {image.channel!r} of rig {image.rig.name!r}",
                  ("channel", image.rig.key, image.channel), parent_type),
        ]

    # -- where each named object goes (checked before writing: see naming.py) ----------------------
    def rig_claims(self, rig: RigSpec) -> list[Claim]:
        """Rigs, indicators, viral vectors and injections share the one metadata group."""
        parent, parent_type = MICROSCOPY_METADATA, (NAMESPACE, "MicroscopyExperimentMetadata")
        claims = [Claim(parent, path.name, f"rig {rig.name!r}" + (f" (light path {path.name!r})" if path.name != rig.name
                                                                   else ""), ("rig", rig.key, path.name), parent_type)
                  for path in rig.light_paths()]
        for channel in rig.channels:
            indicator = channel.indicator
            known = isinstance(indicator, IndicatorSpec)  # not None, not mb.UNKNOWN
            key = indicator.key if known else placeholder_indicator_key(rig, channel)
            what = f"indicator of channel {channel.name!r} of rig {rig.name!r}"
            claims.append(Claim(parent, safe_name(key), what, ("indicator", key), parent_type))
            if known and indicator.injection is not None:
                for part in ("viral vector", "injection"):
                    claims.append(Claim(parent, safe_name(f"{key} {part}"), f"{part} of {what}", (part, key), parent_type))
        return claims

    def series_claims(self, series: SeriesSpec) -> list[Claim]:
        """A series holds (or links) its space and its channel."""
        series_class, _ = by_geometry(series.space, ndx.PlanarMicroscopySeries, ndx.VolumetricMicroscopySeries)
        parent, parent_type = f"series {series.name!r}", (NAMESPACE, series_class.__name__)
        return [
            Claim(parent, series.space.name, f"space {series.space.name!r}", ("space", series.space.key), parent_type),
            Claim(parent, series.channel, f"channel {series.channel!r} of rig {series.rig.name!r}",
                  ("channel", series.rig.key, series.channel), parent_type),
        ]

    def segmentation_container(self, segmentation: SegmentationSpec) -> tuple[str, tuple[str, str]]:
        table_class, _ = by_geometry(segmentation.space, ndx.PlanarSegmentation, ndx.VolumetricSegmentation)
        return SEGMENTATIONS_NAME, (NAMESPACE, table_class.__name__)

    def trace_parent(self, segmentation: SegmentationSpec, kind: str) -> tuple[str, tuple[str, str]]:
        return f"processing/ophys/{segmentation.name}ResponseSeries", (NAMESPACE, "MicroscopyResponseSeriesContainer")

    def image_claims(self, segmentation: SegmentationSpec, name: str, table: str, table_type: tuple) -> list[Claim]:
        return [Claim(table, name, f"summary image {name!r}", ("image", segmentation.key, name), table_type)]

    def segmentation_claims(self, segmentation: SegmentationSpec, table: str, table_type: tuple) -> list[Claim]:
        container = f"{segmentation.name}ResponseSeries"
        claims = [
            Claim(table, segmentation.space.name, f"space {segmentation.space.name!r}", ("space", segmentation.space.key),
                  table_type),
            Claim("processing/ophys", container, f"the trace container of segmentation {segmentation.name!r}",
                  ("container", container), ("core", "ProcessingModule")),
        ]
        images = segmentation_images(segmentation)
        if segmentation.series is None and segmentation.rig is not None and segmentation.channel is not None and images:
            chosen = next((i for i in images if i.lower() in MEAN_IMAGES), images[0])
            name = static_image_name(segmentation.name, segmentation.image_name(chosen))
            image_class, _ = by_geometry(segmentation.space, ndx.PlanarMicroscopyStaticImage, ndx.VolumetricMicroscopyStaticImage)
            parent, parent_type = f"static image {name!r}", (NAMESPACE, image_class.__name__)
            claims += [
                Claim("processing/ophys", name, f"the static image carrying segmentation {segmentation.name!r}'s channel",
                      ("static image", segmentation.key), ("core", "ProcessingModule")),
                Claim(parent, segmentation.space.name, f"space {segmentation.space.name!r}", ("space", segmentation.space.key),
                      parent_type),
                Claim(parent, segmentation.channel, f"channel {segmentation.channel!r} of rig {segmentation.rig.name!r}",
                      ("channel", segmentation.rig.key, segmentation.channel), parent_type),
            ]
        return claims
