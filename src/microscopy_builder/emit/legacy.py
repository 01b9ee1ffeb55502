"""The legacy emitter: core NWB only (pynwb.ophys), laid out the way existing readers expect.

Devices become core ``Device`` + ``DeviceModel`` with typed facts kept in their descriptions; each
(space, rig, channel) becomes one ``ImagingPlane``; series are ``TwoPhotonSeries`` or
``OnePhotonSeries`` with frames stored (frames, x, y) as roiextractors' ``NwbImagingExtractor`` reads.
"""

from __future__ import annotations

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

    def plane_name(self, series: SeriesSpec) -> str:
        """The ImagingPlane of a (space, rig, channel): the space's name, suffixed by the channel when
        the rig has several, and by the rig too when another rig already holds that name.

        The rule depends only on the series and on planes already made, so a name never changes
        when more series are added later.
        """
        made = self.made("plane", "/".join(plane_key(series)))
        if made is not None:
            return made.name
        name = series.space.name if len(series.rig.channels) == 1 else f"{series.space.name}_{series.channel}"
        if name in self.nwbfile.imaging_planes:
            name = f"{series.space.name}_{series.rig.name}_{series.channel}"
        return name

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
            name = self.plane_name(series)
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
