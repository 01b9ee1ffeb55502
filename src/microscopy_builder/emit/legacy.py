"""The legacy emitter: core NWB only (pynwb.ophys), laid out the way existing readers expect.

Devices become core ``Device`` + ``DeviceModel`` with typed facts kept in their descriptions; each
(space, rig, channel) becomes one ``ImagingPlane``; series are ``TwoPhotonSeries`` or
``OnePhotonSeries`` with frames stored (frames, x, y) as roiextractors' ``NwbImagingExtractor`` reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pynwb.device import Device, DeviceModel
from pynwb.ophys import ImagingPlane, OnePhotonSeries, OpticalChannel, TwoPhotonSeries

from ..io.chunking import ImagingDataIterator
from ..specs import DeviceModelSpec, DeviceSpec, RigSpec, SeriesSpec
from .base import Emitter, model_text
from .text import channel_text, space_text
from .timing import Timing

MICROMETERS_TO_METERS = 1e-6


class LegacyEmitter(Emitter):
    """Writes the core pynwb.ophys layout."""

    swap_xy = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._plane_names: dict[tuple[str, str, str], str] = {}

    def _prepare(self, series: Sequence[SeriesSpec]) -> None:
        """Name one ImagingPlane per (space, rig, channel): the space's name when it is the only one."""
        by_space: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for item in series:
            plane = plane_key(item)
            if plane not in by_space[item.space.key]:
                by_space[item.space.key].append(plane)
        for item in series:
            plane = plane_key(item)
            if plane in self._plane_names:
                continue
            siblings = by_space[item.space.key]
            if len(siblings) == 1:
                name = item.space.name
            elif len({channel for _, _, channel in siblings}) == len(siblings):
                name = f"{item.space.name}_{item.channel}"
            else:
                name = f"{item.space.name}_{item.rig.name}_{item.channel}"
            self._plane_names[plane] = name

    # -- devices ----------------------------------------------------------------------------------
    def _make_model(self, model: DeviceModelSpec, manufacturer: str) -> Any:
        return DeviceModel(
            name=model.name,
            manufacturer=manufacturer,
            model_number=model.model_number,
            description=model_text(model, model.properties),
        )

    def _device_type(self, device: DeviceSpec) -> tuple[type, dict[str, Any], list[tuple[str, Any]]]:
        # Core Device has no typed optical fields: every fact goes into the description.
        return Device, {}, list(device.instance_values())

    def _make_rig(self, rig: RigSpec, devices: dict[str, Any]) -> Any:
        # Core NWB has no rig container: the rig is its devices, the microscope heads it.
        return devices

    # -- planes and series --------------------------------------------------------------------------
    def emit_plane(self, series: SeriesSpec, devices: dict[str, Any], timing: Timing) -> ImagingPlane:
        def make() -> ImagingPlane:
            space, channel = series.space, series.channel_spec()
            where = f"imaging plane {self._plane_names[plane_key(series)]!r}"
            indicator = channel.indicator.label if channel.indicator else self.report.text(
                where, "indicator", "give indicator=... on the rig's channel"
            )
            location = space.anatomical_target or self.report.text(
                where, "location", "call .anatomical_target(...) on the space"
            )
            origin = space.origin
            plane = ImagingPlane(
                name=self._plane_names[plane_key(series)],
                optical_channel=[
                    OpticalChannel(
                        name=channel.name,
                        description=channel.description or channel_text(channel),
                        emission_lambda=channel.emission_wavelength_nm,
                    )
                ],
                description=space_text(space, fov_center_in_text=True),
                device=devices.get("microscope"),
                excitation_lambda=channel.excitation_wavelength_nm,
                indicator=indicator,
                location=location,
                imaging_rate=timing.regular_rate,
                reference_frame=None if origin is None else origin.reference_frame,
                origin_coords=None if origin is None else list(origin.coordinates),
                origin_coords_unit="meters" if origin is None else origin.unit,
                grid_spacing=list(space.pixel_size_um),
                grid_spacing_unit="micrometers",
            )
            self.nwbfile.add_imaging_plane(plane)
            return plane

        return self._once("plane", "/".join(plane_key(series)), make)

    def _make_series(self, series: SeriesSpec, rig: Any, data: ImagingDataIterator, timing: Timing) -> Any:
        width, height = self.frame_shape(series)
        pixel_x, pixel_y = series.space.pixel_size_um
        source = series.rig.excitation_source
        detector = series.rig.photodetector
        illumination = series.space.illumination
        series_type = series.legacy_type or ("OnePhotonSeries" if series.rig.excitation_mode == "one-photon" else "TwoPhotonSeries")
        common: dict[str, Any] = dict(
            name=series.name,
            description=self.series_description(series),
            imaging_plane=self.emit_plane(series, rig, timing),
            data=data,
            unit=series.unit,
            conversion=series.conversion,
            offset=series.offset,
            dimension=[width, height],
            pmt_gain=None if detector is None else detector.gain,
            scan_line_rate=getattr(illumination, "line_rate_hz", None),
            **timing.series_kwargs(),
        )
        if series_type == "OnePhotonSeries":
            return OnePhotonSeries(
                **common,
                exposure_time=None if source is None else source.exposure_time_s,
                power=_scaled(None if source is None else source.power_w, 1e3),  # OnePhotonSeries: mW
                intensity=_scaled(None if source is None else source.intensity_w_per_m2, 1e-3),  # mW/mm^2
            )
        field_of_view = [width * pixel_x * MICROMETERS_TO_METERS, height * pixel_y * MICROMETERS_TO_METERS]
        return TwoPhotonSeries(**common, field_of_view=field_of_view)


def plane_key(series: SeriesSpec) -> tuple[str, str, str]:
    return (series.space.key, series.rig.key, series.channel)


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor
