"""The legacy emitter: core NWB only (pynwb.ophys), laid out the way existing readers expect.

Devices become core ``Device`` + ``DeviceModel`` with typed facts kept in their descriptions; each
(space, rig, channel) becomes one ``ImagingPlane``; series are ``TwoPhotonSeries`` or
``OnePhotonSeries`` with frames stored (frames, x, y) as roiextractors' ``NwbImagingExtractor`` reads.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from pynwb.device import Device, DeviceModel
from pynwb.base import Images
from pynwb.image import GrayscaleImage
from pynwb.ophys import (
    DfOverF,
    Fluorescence,
    ImageSegmentation,
    ImagingPlane,
    OnePhotonSeries,
    OpticalChannel,
    PlaneSegmentation,
    RoiResponseSeries,
    TwoPhotonSeries,
)

from ..io.streams import StreamedData
from ..specs import DeviceModelSpec, DeviceSpec, ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec
from ..specs.sources import segmentation_shape
from ..errors import CompatibilityWarning
from ..naming import Claim
from ..specs.rig import LightPath
from .claims import segmentation_images, written_trace_kinds
from .adopt import add_or_reuse
from .base import Emitter, model_text, refuse_taken_name
from .fields import join_description
from .text import channel_text, indicator_facts, light_path_facts, space_text
from .rois import image_description
from .timing import Timing, resolve_timing, segmentation_timing
from .traces import TRACES

MICROMETERS_TO_METERS = 1e-6

# roiextractors' NwbSegmentationExtractor reads these names with its default arguments.
READER_TABLE_NAME = "PlaneSegmentation"
READER_IMAGES_NAME = "SegmentationImages"
LEGACY_CONTAINERS = {"Fluorescence": Fluorescence, "DfOverF": DfOverF}


class LegacyEmitter(Emitter):
    """Writes the core pynwb.ophys layout."""

    swap_xy = True
    format_name = "legacy"

    def plane_name(self, space: ImagingSpaceSpec, rig: RigSpec, channel: str) -> str:
        """The ImagingPlane of a (space, rig, channel): the space's name, suffixed by the channel when
        the rig has several, and by the rig too when another rig's plane made here holds that name
        (a plane of that name in an existing file is reused when identical, else a conflict).

        The rule depends only on the plane's own parts and on planes already made, so a name never
        changes when more series are added later.
        """
        made = self.made("plane", plane_key(space, rig, channel))
        if made is not None:
            return made.name
        name = space.name if len(rig.channels) == 1 else f"{space.name}_{channel}"
        if any(made.name == name for (kind, _), made in self._made.items() if kind == "plane"):
            name = f"{space.name}_{rig.name}_{channel}"  # another rig's plane of this space, made here
        return name

    # -- what the format asks of a description ------------------------------------------------------
    @classmethod
    def description_problems(cls, spec: Any) -> list[str]:
        """ROIs go on the ImagingPlane of a rig's channel: a segmentation needs its series, or a rig and channel."""
        if isinstance(spec, SegmentationSpec) and spec.series is None and (spec.rig is None or spec.channel is None):
            return [f"segmentation {spec.name!r}: the legacy format puts ROIs on the ImagingPlane of a rig's "
                    f"channel; give .series(series) or .rig(rig, channel)"]
        return []

    @classmethod
    def add_warnings(cls, spec: Any) -> list[str]:
        if isinstance(spec, SegmentationSpec) and spec.masks in ("pixel", "voxel"):
            return [f"segmentation {spec.name!r}: {spec.masks} masks are valid NWB, but roiextractors' "
                    f"NwbSegmentationExtractor (and tools built on it) reads only image masks; use .masks('image') "
                    f"for files those tools must read"]
        return []

    # -- devices ----------------------------------------------------------------------------------
    def _make_model(self, model: DeviceModelSpec, manufacturer: str) -> Any:
        return DeviceModel(
            name=model.name,
            manufacturer=manufacturer,
            model_number=model.model_number,
            description=model_text(model, model.properties),
        )

    def model_kind_of(self, model: Any) -> str:
        """Core DeviceModels say their kind only in words: ``Model of photodetector. ...``."""
        text = (model.description or "").removeprefix("Model of ")
        return text.split(".")[0].replace(" ", "_")

    def _device_type(self, device: DeviceSpec) -> tuple[type, dict[str, Any], list[tuple[str, Any]]]:
        # Core Device has no typed optical fields: every fact goes into the description.
        facts = list(device.instance_values())
        if getattr(device, "lens_position", None) is not None:
            facts.append(("lens position", device.lens_position.summary()))
        return Device, {}, facts

    def _make_rig(self, rig: RigSpec, path: LightPath, devices: dict[str, Any]) -> Any:
        # Core NWB has no rig container: the rig is its devices, the microscope heads it.
        if rig.optical_path_scheme is not None:
            self._once("scheme warning", rig.key, lambda: warnings.warn(
                f"rig {rig.name!r}: the legacy format has no place for a rig's optical_path_scheme, so the diagram is "
                f"not written (the ndx-microscopy format keeps it on the MicroscopyRig)", CompatibilityWarning,
                stacklevel=2) or True)
        return devices

    # -- planes and series --------------------------------------------------------------------------
    def emit(self, rigs: Any, series: Any, segmentations: Any = ()) -> list:
        """As every emitter does, knowing first the rates of everything on each imaging plane."""
        self._plane_rates: dict[str, set[float | None]] = {}
        for item in series:
            self._plane_rates.setdefault(plane_key(item.space, item.rig, item.channel), set()).add(resolve_timing(item).rate)
        for item in segmentations:
            if item.series is None and item.rig is not None and item.channel is not None:
                key = plane_key(item.space, item.rig, item.channel)
                self._plane_rates.setdefault(key, set()).add(segmentation_timing(item).rate)
        return super().emit(rigs, series, segmentations)

    def plane_rate(self, space: ImagingSpaceSpec, rig: RigSpec, channel: str) -> float | None:
        """An ImagingPlane's ``imaging_rate``: the one rate of everything on it, else none (each series has its own)."""
        rates = getattr(self, "_plane_rates", {}).get(plane_key(space, rig, channel), set())
        held = self.nwbfile.imaging_planes.get(self.plane_name(space, rig, channel))
        if held is not None:  # appending: the plane in the file stays as it is; series carry their own rates
            return held.imaging_rate
        return next(iter(rates)) if len(rates) == 1 else None

    def emit_plane(self, space: ImagingSpaceSpec, rig: RigSpec, channel_name: str) -> ImagingPlane:
        def make() -> ImagingPlane:
            devices = self.rig_for(rig, channel_name)
            channel = rig.channel(channel_name)
            name = self.plane_name(space, rig, channel_name)
            where = f"imaging plane {name!r}"
            indicator = channel.indicator.label if channel.indicator else self.report.text(
                where, "indicator", "give indicator=... on the rig's channel"
            )
            location = space.anatomical_target or self.report.text(
                where, "location", "call .anatomical_target(...) on the space"
            )
            origin = space.origin
            plane = ImagingPlane(
                name=name,
                optical_channel=[
                    OpticalChannel(
                        name=channel.name,
                        description=self._channel_description(rig, channel),
                        emission_lambda=channel.emission_wavelength_nm,
                    )
                ],
                description=space_text(space, fov_center_in_text=True, extra=[
                    *indicator_facts(channel.indicator),
                ]),
                device=devices.get("microscope"),
                excitation_lambda=channel.excitation_wavelength_nm,
                indicator=indicator,
                location=location,
                imaging_rate=self.plane_rate(space, rig, channel_name),
                reference_frame=None if origin is None else origin.reference_frame,
                origin_coords=None if origin is None else list(origin.coordinates),
                origin_coords_unit="meters" if origin is None else origin.unit,
                grid_spacing=list(space.pixel_size_um),
                grid_spacing_unit="micrometers",
            )
            return add_or_reuse("imaging plane", self.nwbfile.imaging_planes, plane, self.nwbfile.add_imaging_plane)

        return self._once("plane", plane_key(space, rig, channel_name), make)

    def _channel_description(self, rig: RigSpec, channel: Any) -> str:
        """The channel's words; on a rig of several light paths, its devices too (core NWB has no link for them)."""
        text = channel.description or channel_text(channel)
        if len(rig.light_paths()) < 2:
            return text
        self._once("light path warning", rig.key, lambda: warnings.warn(
            f"rig {rig.name!r}: the legacy format links an ImagingPlane to one device (the microscope), so which "
            f"photodetector, filters and source each channel uses is kept only as text in each OpticalChannel's "
            f"description; the ndx-microscopy format keeps each channel's light path as a MicroscopyRig",
            CompatibilityWarning, stacklevel=2) or True)
        return join_description(text, extra=[("light path", "; ".join(f"{k} {v}" for k, v in light_path_facts(rig, channel)))])

    def _make_series(self, series: SeriesSpec, rig: Any, data: StreamedData, timing: Timing) -> Any:
        dimensions = self.frame_shape(series)  # (x, y[, z])
        path = series.rig.path(series.channel_spec())
        source, detector = path.get("excitation_source"), path.get("photodetector")
        illumination = series.space.illumination
        one_photon = series.rig.excitation_mode_of(series.channel) == "one-photon"
        series_type = series.legacy_type or ("OnePhotonSeries" if one_photon else "TwoPhotonSeries")
        common: dict[str, Any] = dict(
            name=series.name,
            description=self.series_description(series),
            imaging_plane=self.emit_plane(series.space, series.rig, series.channel),
            data=data,
            unit=series.unit,
            conversion=series.conversion,
            offset=series.offset,
            dimension=list(dimensions),
            pmt_gain=None if detector is None else detector.gain,
            scan_line_rate=getattr(illumination, "line_rate_hz", None),
            **timing.series_kwargs(),
        )
        series_class = OnePhotonSeries if series_type == "OnePhotonSeries" else TwoPhotonSeries
        common.update(self.options_for(series.options, series_class, f"series {series.name!r}"))
        if series_type == "OnePhotonSeries":
            return OnePhotonSeries(
                **common,
                binning=None if detector is None else detector.binning,
                exposure_time=None if source is None else source.exposure_time_s,
                power=_scaled(None if source is None else source.power_w, 1e3),  # OnePhotonSeries: mW
                intensity=_scaled(None if source is None else source.intensity_w_per_m2, 1e-3),  # mW/mm^2
            )
        field_of_view = [n * size * MICROMETERS_TO_METERS for n, size in zip(dimensions, series.space.pixel_size_um)]
        return TwoPhotonSeries(**common, field_of_view=field_of_view)


    # -- segmentations ------------------------------------------------------------------------------
    def default_mask_type(self, segmentation: SegmentationSpec) -> str:
        return "image"  # the only kind roiextractors' NWB reader takes

    @staticmethod
    def _suffixed(name: str, segmentation: SegmentationSpec) -> str:
        """Reader names for the table called PlaneSegmentation; others get their table's name appended."""
        return name if segmentation.name == READER_TABLE_NAME else f"{name}_{segmentation.name}"

    def trace_name(self, segmentation: SegmentationSpec, kind: str) -> str:
        return self._suffixed(TRACES[kind].legacy_name, segmentation)

    def _segmentation_plane(self, segmentation: SegmentationSpec) -> ImagingPlane:
        series = segmentation.series
        if series is not None:
            return self.emit_plane(series.space, series.rig, series.channel)
        return self.emit_plane(segmentation.space, segmentation.rig, segmentation.channel)

    def _ophys_container(self, container_class: type, name: str) -> Any:
        module = self.ophys_module()
        if name not in module.data_interfaces:
            module.add(container_class(name=name))
        return module.data_interfaces[name]

    def _make_roi_table(
        self, segmentation: SegmentationSpec, name: str, description: str, identifiers: Any, columns: list, images: list
    ) -> Any:
        table = PlaneSegmentation(
            name=name,
            description=description,
            imaging_plane=self._segmentation_plane(segmentation),
            id=identifiers,
            columns=columns,
        )
        self._ophys_container(ImageSegmentation, "ImageSegmentation").add_plane_segmentation(table)
        if images:
            self.ophys_module().add(
                Images(
                    name=self._suffixed(READER_IMAGES_NAME, segmentation),
                    description=f"Summary images of segmentation {segmentation.name}, stored (x, y).",
                    images=[
                        GrayscaleImage(name=name, data=plane.T, description=description,
                                       resolution=_pixels_per_cm(segmentation.space))
                        for original, written, image in images
                        for name, plane, description in _planes_of(
                            written, image, segmentation.image_description(original) or image_description(original))
                    ],
                )
            )
        return table

    def _add_trace(self, segmentation: SegmentationSpec, kind: str, **fields: Any) -> Any:
        container = (
            self._ophys_container(LEGACY_CONTAINERS[TRACES[kind].legacy_container], TRACES[kind].legacy_container)
        )
        timing, _, options = fields.pop("timing"), fields.pop("source_series"), fields.pop("options")
        refuse_taken_name(fields["name"], container.roi_response_series, f"{container.name} of processing/ophys", segmentation)
        extra = self.options_for(options, RoiResponseSeries, f"segmentation {segmentation.name!r} {kind!r} traces")
        series = RoiResponseSeries(**fields, **extra, **timing.series_kwargs())
        container.add_roi_response_series(series)
        return series


    # -- static images -------------------------------------------------------------------------------
    def _make_static_image(self, image: StaticImageSpec) -> Any:
        """Core NWB has no static image on a channel: its image(s) go in an ``Images`` container, the channel and
        rig in words (and the channel's ImagingPlane is written, as for a series)."""
        warnings.warn(
            f"static image {image.name!r}: the legacy format has no image type linked to a channel and a space, so it "
            f"is written as GrayscaleImage(s) in an Images container, its channel and rig kept only in its description",
            CompatibilityWarning, stacklevel=2)
        plane = self.emit_plane(image.space, image.rig, image.channel)
        text = image.description or f"Static image on channel {image.channel} of rig {image.rig.name}"
        text = join_description(text, extra=[("imaging plane", plane.name)])
        container = Images(
            name=image.name,
            description=text,
            images=[GrayscaleImage(name=name, data=data.T, description=description, resolution=_pixels_per_cm(image.space))
                    for name, data, description in _planes_of(image.name, np.asarray(image.data), text)],
        )
        if image.location == "acquisition":
            self.nwbfile.add_acquisition(container)
        else:
            self.ophys_module().add(container)
        return container

    def static_image_claims(self, image: StaticImageSpec) -> list[Claim]:
        place = "acquisition" if image.location == "acquisition" else "processing/ophys"
        module = None if image.location == "acquisition" else ("core", "ProcessingModule")
        return [Claim(place, image.name, f"static image {image.name!r}", ("static image", image.key), module),
                *self.plane_claims(image.space, image.rig, image.channel)]

    # -- where each named object goes (checked before writing: see naming.py) ----------------------
    def rig_claims(self, rig: RigSpec) -> list[Claim]:
        return []  # core NWB has no rig object: a rig is its devices

    def plane_claims(self, space: ImagingSpaceSpec, rig: RigSpec, channel: str) -> list[Claim]:
        """The ImagingPlane of a (space, rig, channel) and the OpticalChannel inside it."""
        name = self.plane_name(space, rig, channel)
        identity = ("plane", plane_key(space, rig, channel))
        return [
            Claim("general/optophysiology", name, f"imaging plane {name!r} of space {space.name!r}", identity),
            Claim(f"imaging plane {name!r}", channel, f"channel {channel!r} of rig {rig.name!r}",
                  ("channel", rig.key, channel), ("core", "ImagingPlane")),
        ]

    def series_claims(self, series: SeriesSpec) -> list[Claim]:
        return self.plane_claims(series.space, series.rig, series.channel)

    def segmentation_container(self, segmentation: SegmentationSpec) -> tuple[str, tuple[str, str]]:
        return "ImageSegmentation", ("core", "PlaneSegmentation")

    def trace_parent(self, segmentation: SegmentationSpec, kind: str) -> tuple[str, tuple[str, str]]:
        container = TRACES[kind].legacy_container
        return f"processing/ophys/{container}", ("core", container)

    def image_claims(self, segmentation: SegmentationSpec, name: str, table: str, table_type: tuple) -> list[Claim]:
        images = self._suffixed(READER_IMAGES_NAME, segmentation)
        planes = segmentation.space.data_dimensions(segmentation_shape(segmentation.source))[2:]
        names = [name] if not planes else [f"{name}_plane{k}" for k in range(planes[0])]
        return [Claim(f"processing/ophys/{images}", n, f"summary image {n!r}", ("image", segmentation.key, n),
                      ("core", "Images")) for n in names]

    def segmentation_claims(self, segmentation: SegmentationSpec, table: str, table_type: tuple) -> list[Claim]:
        series = segmentation.series
        space, rig, channel = (series.space, series.rig, series.channel) if series else (
            segmentation.space, segmentation.rig, segmentation.channel)
        claims = [] if rig is None or channel is None else self.plane_claims(space, rig, channel)
        module = ("core", "ProcessingModule")
        kinds = written_trace_kinds(segmentation)
        containers = ["ImageSegmentation"] + sorted({TRACES[kind].legacy_container for kind in kinds})
        containers += [self._suffixed(READER_IMAGES_NAME, segmentation)] if segmentation_images(segmentation) else []
        claims += [Claim("processing/ophys", c, f"the {c} container", ("container", c), module) for c in containers]
        return claims


def _planes_of(name: str, image, description: str) -> list[tuple[str, Any, str]]:
    """A (rows, columns) image as is; a (rows, columns, planes) one as one GrayscaleImage per plane
    (core NWB images are two-dimensional), named ``<name>_plane<k>``."""
    if image.ndim == 2:
        return [(name, image, description)]
    return [
        (f"{name}_plane{k}", image[:, :, k], f"{description} Plane {k} of {image.shape[2]}.")
        for k in range(image.shape[2])
    ]


def _pixels_per_cm(space: ImagingSpaceSpec) -> float | None:
    """GrayscaleImage.resolution, from the space's pixel size along x (none when it is not known)."""
    size = space.pixel_size_um[0] if isinstance(space.pixel_size_um, tuple) else None
    return 1e4 / size if isinstance(size, float) and size > 0 and size == size else None


def plane_key(space: ImagingSpaceSpec, rig: RigSpec, channel: str) -> str:
    return f"{space.key}/{rig.key}/{channel}"


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor
