"""Frozen descriptions of the microscope and the optical devices of a rig.

Each device spec separates what belongs to the *model* (shared by every unit of a product:
manufacturer, model number, wavelengths a source can produce, numerical aperture, ...) from what
belongs to the *instance* used in the session (serial number, power, gain, ...). Emitters turn the
model part into one device-model object per model, shared by every device of that model.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from ..unknown import UNKNOWN
from .position import PositionSpec
from ._fields import check_name, check_non_negative, check_positive, optional_float, optional_floats, optional_str


def _key_default(self: Any) -> str:
    return self.name


@attrs.frozen(kw_only=True)
class DeviceModelSpec:
    """The model (product) a device is an instance of; derived from a device spec."""

    name: str
    device_kind: str
    manufacturer: str | None
    model_number: str | None
    properties: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """Models are told apart by kind and name: a laser and a PMT both of model "unknown" are two models."""
        return f"{self.device_kind}/{self.name}"


@attrs.frozen(kw_only=True)
class DeviceSpec:
    """Fields every device has. ``model`` is the product's model name or number."""

    kind: ClassVar[str] = "device"
    label: ClassVar[str] = "device"
    model_properties: ClassVar[tuple[str, ...]] = ()
    instance_properties: ClassVar[tuple[str, ...]] = ()

    name: str
    key: str = attrs.field(default=attrs.Factory(_key_default, takes_self=True))
    description: str | None = optional_str()
    manufacturer: str | None = optional_str()
    model: str | None = optional_str()
    model_name: str | None = optional_str()
    serial_number: str | None = optional_str()

    def model_spec(self) -> DeviceModelSpec | None:
        """The device model, or ``None`` when nothing about the model was given."""
        properties = tuple((n, getattr(self, n)) for n in self.model_properties if getattr(self, n) is not None)
        if self.model is None and self.model_name is None and self.manufacturer is None and not properties:
            return None
        named = self.model_name if isinstance(self.model_name, str) else self.model  # a product name, else its number
        name = safe_name(named) if isinstance(named, str) else f"{self.name}Model"
        return DeviceModelSpec(
            name=name,
            device_kind=self.model_kind,
            manufacturer=self.manufacturer,
            model_number=self.model,
            properties=properties,
        )

    @property
    def model_kind(self) -> str:
        """Which kind of device model this device needs (filters split into band / edge / other)."""
        return self.kind

    def instance_values(self) -> tuple[tuple[str, Any], ...]:
        """Instance-level properties that were given, as (field, value) pairs."""
        return tuple((n, getattr(self, n)) for n in self.instance_properties if getattr(self, n) is not None)

    def problems(self, where: str) -> list[str]:
        """Everything wrong with this description; empty when it is usable."""
        problems: list[str] = []
        check_name(problems, where, self.name)
        return problems


@attrs.frozen(kw_only=True)
class MicroscopeSpec(DeviceSpec):
    """The microscope body (``technique``: e.g. "resonant scanning", "light sheet")."""

    kind: ClassVar[str] = "microscope"
    label: ClassVar[str] = "microscope"
    instance_properties: ClassVar[tuple[str, ...]] = ("technique",)

    technique: str | None = optional_str()


EXCITATION_MODES = ("one-photon", "two-photon", "three-photon", "other")


@attrs.frozen(kw_only=True)
class ExcitationSourceSpec(DeviceSpec):
    """A laser or LED; pulse fields make it a pulsed source."""

    kind: ClassVar[str] = "excitation_source"
    label: ClassVar[str] = "excitation source"
    model_properties: ClassVar[tuple[str, ...]] = ("source_type", "excitation_mode", "wavelength_range_nm")
    instance_properties: ClassVar[tuple[str, ...]] = (
        "wavelength_nm",
        "power_w",
        "intensity_w_per_m2",
        "exposure_time_s",
        "pulse_rate_hz",
        "pulse_width_s",
        "peak_power_w",
        "peak_pulse_energy_j",
    )

    excitation_mode: str | None = optional_str()
    source_type: str | None = optional_str()
    wavelength_nm: float | None = optional_float()
    wavelength_range_nm: tuple[float, float] | None = optional_floats()
    power_w: float | None = optional_float()
    intensity_w_per_m2: float | None = optional_float()
    exposure_time_s: float | None = optional_float()
    pulse_rate_hz: float | None = optional_float()
    pulse_width_s: float | None = optional_float()
    peak_power_w: float | None = optional_float()
    peak_pulse_energy_j: float | None = optional_float()

    @property
    def is_pulsed(self) -> bool:
        return self.pulse_rate_hz is not None

    def problems(self, where: str) -> list[str]:
        problems = super().problems(where)
        if self.excitation_mode not in (None, UNKNOWN) and self.excitation_mode not in EXCITATION_MODES:
            problems.append(
                f"{where}.excitation_mode: must be one of {', '.join(EXCITATION_MODES)}, got {self.excitation_mode!r}"
            )
        check_positive(
            problems,
            where,
            wavelength_nm=self.wavelength_nm,
            wavelength_range_nm=self.wavelength_range_nm,
            pulse_rate_hz=self.pulse_rate_hz,
            pulse_width_s=self.pulse_width_s,
            exposure_time_s=self.exposure_time_s,
        )
        check_non_negative(
            problems,
            where,
            power_w=self.power_w,
            intensity_w_per_m2=self.intensity_w_per_m2,
            peak_power_w=self.peak_power_w,
            peak_pulse_energy_j=self.peak_pulse_energy_j,
        )
        if isinstance(self.wavelength_range_nm, tuple) and len(self.wavelength_range_nm) != 2:
            problems.append(f"{where}.wavelength_range_nm: must be (min, max), got {self.wavelength_range_nm!r}")
        if not self.is_pulsed and any(
            v is not None for v in (self.pulse_width_s, self.peak_power_w, self.peak_pulse_energy_j)
        ):
            problems.append(f"{where}.pulse_rate_hz: pulse width or peak values need the pulse rate; give pulse_rate_hz")
        return problems


BAND_FILTER_TYPES = ("Bandpass", "Bandstop")
EDGE_FILTER_TYPES = ("Longpass", "Shortpass")


@attrs.frozen(kw_only=True)
class OpticalFilterSpec(DeviceSpec):
    """An excitation or emission filter: band (center + bandwidth), edge (cut wavelength) or other."""

    kind: ClassVar[str] = "optical_filter"
    label: ClassVar[str] = "optical filter"
    model_properties: ClassVar[tuple[str, ...]] = (
        "filter_type",
        "center_wavelength_nm",
        "bandwidth_nm",
        "cut_wavelength_nm",
        "slope_percent_cut_wavelength",
        "slope_starting_transmission_percent",
        "slope_ending_transmission_percent",
    )

    center_wavelength_nm: float | None = optional_float()
    bandwidth_nm: float | None = optional_float()
    cut_wavelength_nm: float | None = optional_float()
    slope_percent_cut_wavelength: float | None = optional_float()
    slope_starting_transmission_percent: float | None = optional_float()
    slope_ending_transmission_percent: float | None = optional_float()
    # A filter described by its band is a bandpass filter unless the user says "Bandstop".
    filter_type: str | None = attrs.field(
        default=attrs.Factory(lambda self: "Bandpass" if self.center_wavelength_nm is not None else None, takes_self=True)
    )

    @property
    def model_kind(self) -> str:
        return f"{self.shape}_filter"

    @property
    def shape(self) -> str:
        """"band", "edge" or "other", from the filter type or the wavelengths given."""
        if self.filter_type in BAND_FILTER_TYPES:
            return "band"
        if self.filter_type in EDGE_FILTER_TYPES:
            return "edge"
        return "other"

    def problems(self, where: str) -> list[str]:
        problems = super().problems(where)
        check_positive(
            problems,
            where,
            center_wavelength_nm=self.center_wavelength_nm,
            bandwidth_nm=self.bandwidth_nm,
            cut_wavelength_nm=self.cut_wavelength_nm,
        )
        if self.shape == "band" and (self.center_wavelength_nm is None or self.bandwidth_nm is None):
            problems.append(f"{where}: a band filter needs both center_wavelength_nm and bandwidth_nm")
        if self.shape == "edge" and self.cut_wavelength_nm is None:
            problems.append(f"{where}.cut_wavelength_nm: a {self.filter_type} filter needs its cut wavelength")
        if self.cut_wavelength_nm is not None and self.filter_type not in (*EDGE_FILTER_TYPES, UNKNOWN):
            problems.append(
                f"{where}.filter_type: a cut wavelength describes an edge filter; "
                f"say filter_type='Longpass' or 'Shortpass'"
            )
        return problems


@attrs.frozen(kw_only=True)
class DichroicMirrorSpec(DeviceSpec):
    """A dichroic mirror (beam splitter)."""

    kind: ClassVar[str] = "dichroic_mirror"
    label: ClassVar[str] = "dichroic mirror"
    model_properties: ClassVar[tuple[str, ...]] = (
        "cut_on_wavelength_nm",
        "cut_off_wavelength_nm",
        "reflection_band_nm",
        "transmission_band_nm",
        "angle_of_incidence_deg",
    )

    cut_on_wavelength_nm: float | None = optional_float()
    cut_off_wavelength_nm: float | None = optional_float()
    reflection_band_nm: tuple[float, float] | None = optional_floats()
    transmission_band_nm: tuple[float, float] | None = optional_floats()
    angle_of_incidence_deg: float | None = optional_float()

    def problems(self, where: str) -> list[str]:
        problems = super().problems(where)
        check_positive(
            problems,
            where,
            cut_on_wavelength_nm=self.cut_on_wavelength_nm,
            cut_off_wavelength_nm=self.cut_off_wavelength_nm,
            reflection_band_nm=self.reflection_band_nm,
            transmission_band_nm=self.transmission_band_nm,
        )
        return problems


@attrs.frozen(kw_only=True)
class PhotodetectorSpec(DeviceSpec):
    """A PMT, camera sensor or photodiode."""

    kind: ClassVar[str] = "photodetector"
    label: ClassVar[str] = "photodetector"
    model_properties: ClassVar[tuple[str, ...]] = ("detector_type", "wavelength_range_nm")
    instance_properties: ClassVar[tuple[str, ...]] = ("gain", "gain_unit", "binning")

    detector_type: str | None = optional_str()
    wavelength_range_nm: tuple[float, float] | None = optional_floats()
    gain: float | None = optional_float()
    gain_unit: str | None = optional_str()
    binning: int | None = attrs.field(default=None, converter=lambda v: v if v is None or v is UNKNOWN else int(v))

    def problems(self, where: str) -> list[str]:
        problems = super().problems(where)
        check_positive(problems, where, wavelength_range_nm=self.wavelength_range_nm)
        return problems


@attrs.frozen(kw_only=True)
class ObjectiveLensSpec(DeviceSpec):
    """The objective (or an implanted GRIN lens)."""

    kind: ClassVar[str] = "objective_lens"
    label: ClassVar[str] = "objective lens"
    model_properties: ClassVar[tuple[str, ...]] = ("numerical_aperture", "magnification")
    numerical_aperture: float | None = optional_float()
    magnification: float | None = optional_float()
    lens_position: PositionSpec | None = None  # where the lens sits (an implanted GRIN lens, say), stereotactically

    def problems(self, where: str) -> list[str]:
        problems = super().problems(where)
        check_positive(problems, where, numerical_aperture=self.numerical_aperture, magnification=self.magnification)
        if self.lens_position is not None:
            problems += self.lens_position.problems(f"{where}.lens_position")
        return problems


def safe_name(text: str) -> str:
    """An NWB object name made from free text: ``/`` and ``:`` (forbidden in names) become ``_``."""
    return text.replace("/", "_").replace(":", "_").strip()
