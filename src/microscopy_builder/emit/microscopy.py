"""The ndx-microscopy emitter: Microscope, ndx-ophys-devices, MicroscopyRig, channels, spaces, series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import warnings

import ndx_microscopy as ndx
import ndx_ophys_devices as devices_ext

from ..io.streams import StreamedData
from ..specs import (
    ChannelSpec,
    DeviceModelSpec,
    DeviceSpec,
    ImagingSpaceSpec,
    IndicatorSpec,
    PositionSpec,
    RigSpec,
    SegmentationSpec,
    SeriesSpec,
    StaticImageSpec,
    safe_name,
)
from ..errors import CompatibilityWarning
from ..naming import Claim
from ..specs.rig import LightPath
from .adopt import add_or_reuse
from .formats import MICROSCOPY_METADATA
from .claims import segmentation_images
from .base import Emitter, model_text, refuse_taken_name, split_typed
from .fields import join_description
from .grouping import Group, Layout, plan_layout
from .rois import image_description, native_mask_type
from .text import channel_text, space_text
from .timing import Timing
from .traces import TRACES

SEGMENTATIONS_NAME = "SegmentationContainer"

# device kind -> (device class, model class, required typed model attributes)
_DEVICE_TYPES: dict[str, tuple[Any, Any, tuple[str, ...]]] = {
    "microscope": (ndx.Microscope, ndx.MicroscopeModel, ()),
    "excitation_source": (devices_ext.ExcitationSource, devices_ext.ExcitationSourceModel, ("source_type", "excitation_mode")),
    "band_filter": (devices_ext.BandOpticalFilter, devices_ext.BandOpticalFilterModel, ("filter_type",)),
    "edge_filter": (devices_ext.EdgeOpticalFilter, devices_ext.EdgeOpticalFilterModel, ("filter_type",)),
    "other_filter": (devices_ext.OpticalFilter, devices_ext.OpticalFilterModel, ("filter_type",)),
    "dichroic_mirror": (devices_ext.DichroicMirror, devices_ext.DichroicMirrorModel, ()),
    "photodetector": (devices_ext.Photodetector, devices_ext.PhotodetectorModel, ("detector_type",)),
    "objective_lens": (devices_ext.ObjectiveLens, devices_ext.ObjectiveLensModel, ("numerical_aperture",)),
}
_NUMERIC_ATTRIBUTES = frozenset({"numerical_aperture"})


class MicroscopyEmitter(Emitter):
    """Writes the ndx-microscopy layout."""

    swap_xy = False
    format_name = "ndx-microscopy"

    # -- devices ----------------------------------------------------------------------------------
    def _make_model(self, model: DeviceModelSpec, manufacturer: str) -> Any:
        _, model_class, required = _DEVICE_TYPES[model.device_kind]
        typed, untyped = split_typed(model.properties)
        for attribute in required:
            if attribute not in typed:
                where, fix = f"device model {model.name!r}", f"give {attribute} on the device"
                placeholder = self.report.number if attribute in _NUMERIC_ATTRIBUTES else self.report.text
                typed[attribute] = placeholder(where, attribute, fix)
        return model_class(
            name=model.name,
            manufacturer=manufacturer,
            model_number=model.model_number,
            description=model_text(model, untyped),
            **typed,
        )

    def model_kind_of(self, model: Any) -> str:
        kinds = {model_class.__name__: kind for kind, (_, model_class, _) in _DEVICE_TYPES.items()}
        return kinds.get(type(model).__name__, type(model).__name__)

    def _device_type(self, device: DeviceSpec) -> tuple[type, dict[str, Any], list[tuple[str, Any]]]:
        device_class = _DEVICE_TYPES[device.model_kind][0]
        if device.kind == "excitation_source" and device.is_pulsed:
            device_class = devices_ext.PulsedExcitationSource
        typed, untyped = split_typed(device.instance_values())
        if getattr(device, "lens_position", None) is not None:
            typed["lens_positioning"] = self._stereotactic(device.lens_position, "lens_positioning", device.name)
        return device_class, typed, untyped

    def _make_rig(self, rig: RigSpec, path: LightPath, devices: dict[str, Any]) -> Any:
        obj = ndx.MicroscopyRig(name=path.name, description=self.rig_description(rig, path),
                                optical_path_scheme=_scheme_image(rig.optical_path_scheme), **devices)
        metadata = self.metadata()
        return add_or_reuse("rig", metadata.microscopy_rigs, obj, metadata.add_microscopy_rigs)

    def metadata(self) -> Any:
        """The file's one ``MicroscopyExperimentMetadata``, created on first use."""
        existing = self.nwbfile.lab_meta_data.get(MICROSCOPY_METADATA)
        if existing is None:
            existing = ndx.MicroscopyExperimentMetadata()
            self.nwbfile.add_lab_meta_data(existing)
        return existing

    # -- indicators and channels --------------------------------------------------------------------
    def emit_indicator(self, indicator: IndicatorSpec | None, rig: RigSpec, channel: ChannelSpec) -> Any:
        if indicator is None:  # one visible placeholder indicator per channel that named none
            where = f"rig {rig.name!r} channel {channel.name!r}.indicator"
            label = self.report.text(where, "label", "give indicator=... on the rig's channel")
            indicator = IndicatorSpec(label=label, key=placeholder_indicator_key(rig, channel))

        def make() -> Any:
            injection = None if indicator.injection is None else self._make_injection(indicator)
            obj = devices_ext.Indicator(
                name=safe_name(indicator.key),
                label=indicator.label,
                description=indicator.description or f"Fluorescent indicator {indicator.label}.",
                manufacturer=indicator.manufacturer,
                viral_vector_injection=injection,
            )
            metadata = self.metadata()
            return add_or_reuse("indicator", metadata.indicators, obj, metadata.add_indicators)

        return self._once("indicator", indicator.key, make)

    def _make_injection(self, indicator: IndicatorSpec) -> Any:
        injection = indicator.injection
        where = f"viral vector of indicator {indicator.label!r}"
        vector = devices_ext.ViralVector(
            name=safe_name(f"{indicator.key} viral vector"),
            construct_name=injection.construct_name,
            description=injection.vector_description or f"Viral vector {injection.construct_name} delivering {indicator.label}.",
            manufacturer=injection.vector_manufacturer
            or self.report.text(where, "manufacturer", "give vector_manufacturer=... in mb.Injection"),
            titer_in_vg_per_ml=injection.titer_vg_per_ml
            if injection.titer_vg_per_ml is not None
            else self.report.number(where, "titer_in_vg_per_ml", "give titer_vg_per_ml=... in mb.Injection"),
        )
        position = injection.position
        obj = devices_ext.ViralVectorInjection(
            name=safe_name(f"{indicator.key} injection"),
            volume_in_uL=injection.volume_ul,
            viral_vector=vector,
            description=injection.description,
            injection_date=injection.date,
            viral_injection_coordinates=None
            if position is None
            else self._stereotactic(position, "viral_injection_coordinates", indicator.label),
        )
        metadata = self.metadata()
        add_or_reuse("viral vector", metadata.viral_vectors, vector, metadata.add_viral_vectors)
        return add_or_reuse("viral vector injection", metadata.viral_vector_injections, obj,
                            metadata.add_viral_vector_injections)

    def held(self, neurodata_types: tuple[str, ...]) -> dict[str, Any]:
        """Objects of these types the file already holds (children of earlier series), by name."""
        return {
            obj.name: obj
            for obj in self.nwbfile.objects.values()
            if type(obj).__name__ in neurodata_types and obj.container_source is not None
        }

    def emit_channel(self, rig: RigSpec, channel: ChannelSpec) -> Any:
        def make() -> Any:
            return self._reuse("channel", ("MicroscopyChannel",), self._new_channel(rig, channel))

        return self._once("channel", f"{rig.key}/{channel.name}", make)

    def _reuse(self, kind: str, neurodata_types: tuple[str, ...], candidate: Any) -> Any:
        """The file's own object of ``candidate``'s name when the same, else ``candidate``."""
        return add_or_reuse(kind, self.held(neurodata_types), candidate, lambda obj: None)

    def _new_channel(self, rig: RigSpec, channel: ChannelSpec) -> Any:
        return ndx.MicroscopyChannel(
            name=channel.name,
            description=channel.description or channel_text(channel),
            excitation_wavelength_in_nm=channel.excitation_wavelength_nm,
            emission_wavelength_in_nm=channel.emission_wavelength_nm,
            indicator=self.emit_indicator(channel.indicator, rig, channel),
        )

    def _stereotactic(self, position: PositionSpec, name: str, default_target: str) -> Any:
        orientation = position.orientation or self.report.text(
            f"{name} of {default_target!r}", "orientation", "give orientation='RAS' (or the letters of your axes)"
        )
        return devices_ext.StereotacticPosition(
            name=name,
            anatomical_target=position.anatomical_target or default_target,
            origin=position.origin,
            orientation=orientation,
            x_in_mm=position.x_mm,
            y_in_mm=position.y_mm,
            z_in_mm=position.z_mm,
            pitch_in_deg=position.pitch_deg,
            yaw_in_deg=position.yaw_deg,
            roll_in_deg=position.roll_deg,
        )

    # -- spaces and series --------------------------------------------------------------------------
    def emit_space(self, space: ImagingSpaceSpec, frame_shape: tuple[int, int]) -> Any:
        def make() -> Any:
            target = space.anatomical_target or self.report.text(
                f"imaging space {space.name!r}", "anatomical_target", "call .anatomical_target(...) on the space"
            )
            space_class, grid = ndx.PlanarImagingSpace, ("pixel_size_in_um", "dimensions_in_pixels")
            if space.is_volumetric:
                space_class, grid = ndx.VolumetricImagingSpace, ("voxel_size_in_um", "dimensions_in_voxels")
            candidate = space_class(
                name=space.name,
                description=space_text(space, origin_in_text=True),
                anatomical_target=target,
                illumination_pattern=self._illumination(space),
                fov_center_coordinates=None
                if space.fov_center is None
                else self._stereotactic(space.fov_center, "fov_center_coordinates", target),
                **dict(zip(grid, (list(space.pixel_size_um), list(space.dimensions or frame_shape)))),
            )
            return self._reuse("imaging space", ("PlanarImagingSpace", "VolumetricImagingSpace"), candidate)

        return self._once("space", space.key, make)

    def _illumination(self, space: ImagingSpaceSpec) -> Any:
        pattern = space.illumination
        if pattern is None:
            description = self.report.text(
                f"imaging space {space.name!r}",
                "illumination_pattern",
                "call .line_scan(...), .plane_acquisition(...) or .random_access_scan(...) on the space",
            )
            return ndx.IlluminationPattern(name="illumination_pattern", description=description)
        classes = {
            "line_scan": (ndx.LineScan, {"line_rate_hz": "line_rate_in_Hz", "dwell_time_s": "dwell_time_in_s", "scan_direction": "scan_direction"}),
            "plane_acquisition": (
                ndx.PlaneAcquisition,
                {
                    "plane_rate_hz": "plane_rate_in_Hz",
                    "illumination_angle_deg": "illumination_angle_in_degrees",
                    "point_spread_function": "point_spread_function",
                },
            ),
            "random_access_scan": (
                ndx.RandomAccessScan,
                {"max_scan_points": "max_scan_points", "dwell_time_s": "dwell_time_in_s", "scanning_pattern": "scanning_pattern"},
            ),
            "illumination_pattern": (ndx.IlluminationPattern, {}),
        }
        pattern_class, attributes = classes[pattern.kind]
        values = {ndx_name: getattr(pattern, field) for field, ndx_name in attributes.items()}
        facts = [(field, getattr(pattern, field)) for field in attributes if getattr(pattern, field) is not None]
        return pattern_class(
            name=pattern.kind,
            description=pattern.description or join_description(pattern.kind.replace("_", " ").capitalize(), extra=facts),
            **{k: v for k, v in values.items() if v is not None},
        )

    def _make_series(self, series: SeriesSpec, rig: Any, data: StreamedData, timing: Timing) -> Any:
        series_class, space_field = _by_geometry(series.space, ndx.PlanarMicroscopySeries, ndx.VolumetricMicroscopySeries)
        return series_class(
            **self.options_for(series.options, series_class, f"series {series.name!r}"),
            name=series.name,
            description=self.series_description(series),
            data=data,
            unit=series.unit,
            conversion=series.conversion,
            offset=series.offset,
            microscopy_rig=rig,
            microscopy_channel=self.emit_channel(series.rig, series.channel_spec()),
            **{space_field: self.emit_space(series.space, self.frame_shape(series))},
            **timing.series_kwargs(),
        )

    # -- static images -------------------------------------------------------------------------------
    def _make_static_image(self, image: StaticImageSpec) -> Any:
        image_class, space_field = _by_geometry(image.space, ndx.PlanarMicroscopyStaticImage,
                                                ndx.VolumetricMicroscopyStaticImage)
        data = image.data if image.data.ndim == 2 else image.data.transpose(2, 0, 1)  # (depth, height, width)
        shape = image.space.data_dimensions(tuple(image.data.shape))
        obj = image_class(
            name=image.name,
            description=image.description or f"Static image on channel {image.channel} of rig {image.rig.name}.",
            microscopy_channel=self.emit_channel(image.rig, image.rig.channel(image.channel)),
            microscopy_rig=self.rig_for(image.rig, image.channel),
            data=data,
            **{space_field: self.emit_space(image.space, shape)},
        )
        self._place(obj, image.location, ())
        return obj

    def static_image_claims(self, image: StaticImageSpec) -> list[Claim]:
        image_class, _ = _by_geometry(image.space, ndx.PlanarMicroscopyStaticImage, ndx.VolumetricMicroscopyStaticImage)
        parent, parent_type = f"static image {image.name!r}", (NAMESPACE, image_class.__name__)
        place = "acquisition" if image.location == "acquisition" else "processing/ophys"
        module = None if image.location == "acquisition" else ("core", "ProcessingModule")
        return [
            Claim(place, image.name, f"static image {image.name!r}", ("static image", image.key), module),
            Claim(parent, image.space.name, f"space {image.space.name!r}", ("space", image.space.key), parent_type),
            Claim(parent, image.channel, f"channel {image.channel!r} of rig {image.rig.name!r}",
                  ("channel", image.rig.key, image.channel), parent_type),
        ]

    # -- multi-plane and multi-channel containers ---------------------------------------------------
    def plan_layout(self, series: Sequence[SeriesSpec]) -> Layout:
        return plan_layout(series)

    def _make_group(self, group: Group) -> Any:
        if group.kind == "plane":
            return ndx.MultiPlaneMicroscopyContainer(name=group.name)
        return ndx.MultiChannelMicroscopyContainer(name=group.name)

    def _add_to_group(self, container: Any, obj: Any) -> None:
        if isinstance(container, ndx.MultiPlaneMicroscopyContainer):
            container.add_planar_microscopy_series(obj)
        elif isinstance(obj, ndx.MultiPlaneMicroscopyContainer):
            container.add_multi_plane_microscopy_containers(obj)
        else:
            container.add_microscopy_series(obj)


    # -- segmentations ------------------------------------------------------------------------------
    def default_mask_type(self, segmentation: SegmentationSpec) -> str:
        return native_mask_type(segmentation.source)

    def dense_mask_name(self, segmentation: SegmentationSpec) -> str:
        return "volume_mask" if segmentation.space.is_volumetric else "image_mask"

    def trace_name(self, segmentation: SegmentationSpec, kind: str) -> str:
        return TRACES[kind].microscopy_name

    def _make_roi_table(
        self, segmentation: SegmentationSpec, name: str, description: str, identifiers: Any, columns: list, images: list
    ) -> Any:
        module = self.ophys_module()
        if SEGMENTATIONS_NAME not in module.data_interfaces:
            module.add(ndx.SegmentationContainer(name=SEGMENTATIONS_NAME))
        table_class, space_field = _by_geometry(segmentation.space, ndx.PlanarSegmentation, ndx.VolumetricSegmentation)
        table = table_class(
            name=name,
            description=description,
            **{space_field: self.emit_space(segmentation.space, self.segmentation_frame_shape(segmentation))},
            summary_images=[
                # (height, width), or (depth, height, width) from roiextractors' (rows, columns, planes)
                ndx.SummaryImage(name=written, data=image if image.ndim == 2 else image.transpose(2, 0, 1),
                                 description=segmentation.image_description(original) or image_description(original))
                for original, written, image in images
            ],
            id=identifiers,
            columns=columns,
        )
        module.data_interfaces[SEGMENTATIONS_NAME].add_segmentation(table)
        if segmentation.series is None and not name.startswith("Background"):
            self._keep_channel_without_movie(segmentation, images)
        return table

    def _keep_channel_without_movie(self, segmentation: SegmentationSpec, images: list) -> None:
        """A segmentation without its movie (Suite2p, CaImAn output) keeps its channel, wavelengths, indicator and
        rig on a static image of its mean image (else its first summary image): ndx-microscopy holds a channel
        only in a series or a static image."""
        rig, channel = segmentation.rig, segmentation.channel
        if rig is None or channel is None:
            return
        if not images:
            warnings.warn(
                f"segmentation {segmentation.name!r}: the ndx-microscopy format keeps a channel (its wavelengths and "
                f"indicator) only with an imaging series or a static image; this segmentation has neither, so channel "
                f"{channel!r} of rig {rig.name!r} is not written (the rig is). Give it its movie with .series(...), or a "
                f"summary image", CompatibilityWarning, stacklevel=2)
            return
        original, written, image = next((i for i in images if i[0].lower() in MEAN_IMAGES), images[0])
        image_class, space_field = _by_geometry(segmentation.space, ndx.PlanarMicroscopyStaticImage,
                                                ndx.VolumetricMicroscopyStaticImage)
        static = image_class(
            name=static_image_name(segmentation.name, written),
            description=f"{image_description(original)} Of segmentation {segmentation.name}, whose movie is not in the "
                        f"file: it carries the channel and rig the segmented data was recorded with.",
            microscopy_channel=self.emit_channel(rig, rig.channel(channel)),
            microscopy_rig=self.rig_for(rig, channel),
            data=image if image.ndim == 2 else image.transpose(2, 0, 1),
            **{space_field: self.emit_space(segmentation.space, self.segmentation_frame_shape(segmentation))},
        )
        self.ophys_module().add(static)

    def _add_trace(self, segmentation: SegmentationSpec, kind: str, **fields: Any) -> Any:
        timing, source_series, options = fields.pop("timing"), fields.pop("source_series"), fields.pop("options")
        extra = self.options_for(options, ndx.MicroscopyResponseSeries, f"segmentation {segmentation.name!r} {kind!r} traces")
        series = ndx.MicroscopyResponseSeries(**fields, **extra, microscopy_series=source_series, **timing.series_kwargs())
        module = self.ophys_module()
        container_name = f"{segmentation.name}ResponseSeries"
        if container_name not in module.data_interfaces:
            # placed before it holds anything, so each series' ROI region finds its table in the file
            module.add(ndx.MicroscopyResponseSeriesContainer(name=container_name, microscopy_response_series=[]))
        container = module.data_interfaces[container_name]
        refuse_taken_name(series.name, container.microscopy_response_series, container_name, segmentation)
        container.add_microscopy_response_series(series)
        return series


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
        series_class, _ = _by_geometry(series.space, ndx.PlanarMicroscopySeries, ndx.VolumetricMicroscopySeries)
        parent, parent_type = f"series {series.name!r}", (NAMESPACE, series_class.__name__)
        return [
            Claim(parent, series.space.name, f"space {series.space.name!r}", ("space", series.space.key), parent_type),
            Claim(parent, series.channel, f"channel {series.channel!r} of rig {series.rig.name!r}",
                  ("channel", series.rig.key, series.channel), parent_type),
        ]

    def segmentation_container(self, segmentation: SegmentationSpec) -> tuple[str, tuple[str, str]]:
        table_class, _ = _by_geometry(segmentation.space, ndx.PlanarSegmentation, ndx.VolumetricSegmentation)
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
            image_class, _ = _by_geometry(segmentation.space, ndx.PlanarMicroscopyStaticImage, ndx.VolumetricMicroscopyStaticImage)
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


NAMESPACE = "ndx-microscopy"
#: summary images that picture a channel best, by the names extractors give them
MEAN_IMAGES = ("mean", "meanimg", "mean_image")


def static_image_name(segmentation: str, image: str) -> str:
    """The static image carrying a movie-less segmentation's channel: ``PlaneSegmentation_mean``."""
    return f"{segmentation}_{image}"


def placeholder_indicator_key(rig: RigSpec, channel: ChannelSpec) -> str:
    """The key of the placeholder indicator written for a channel that names none."""
    return f"{rig.name}_{channel.name}_indicator"


def _scheme_image(image: Any) -> Any:
    """A rig's light-path diagram as the NWB image type of its colours."""
    if image is None:
        return None
    from pynwb.image import GrayscaleImage, RGBAImage, RGBImage

    image_class = GrayscaleImage if image.ndim == 2 else RGBImage if image.shape[2] == 3 else RGBAImage
    return image_class(name="optical_path_scheme", data=image, description="Diagram of the rig's light path.")


def _by_geometry(space: ImagingSpaceSpec, planar: type, volumetric: type) -> tuple[type, str]:
    """The planar or volumetric class for ``space`` and the name of its imaging-space field."""
    if space.is_volumetric:
        return volumetric, "volumetric_imaging_space"
    return planar, "planar_imaging_space"
