"""Frozen descriptions of the microscope and the optical devices of a rig.

Each device spec separates what belongs to the *model* (shared by every unit of a product:
manufacturer, model number, wavelengths a source can produce, numerical aperture, ...) from what
belongs to the *instance* used in the session (serial number, power, gain, ...). Emitters turn the
model part into one device-model object per model, shared by every device of that model.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

import attrs

from ..unknown import UNKNOWN
from .fields import about, check_name, field_problems, info, optional_float, optional_floats, optional_int, optional_str
from .position import PositionSpec, position_problems

ExcitationMode = Literal["one-photon", "two-photon", "three-photon", "other"]
BandFilterType = Literal["Bandpass", "Bandstop"]
EdgeFilterType = Literal["Longpass", "Shortpass"]


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


class FieldsOfRole:
    """A class attribute: the names of a device kind's own fields of one role (the fields every device
    has excluded), in declaration order, read from the fields' declarations."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __get__(self, instance: Any, owner: type) -> tuple[str, ...]:
        common = {field.name for field in attrs.fields(DeviceSpec)}
        return tuple(field.name for field in attrs.fields(owner) if field.name not in common and info(field).role == self.role)


@attrs.frozen(kw_only=True)
class DeviceSpec:
    """Fields every device has. ``model`` is the product's model name or number.

    A subclass declares each of its fields with its role (see :class:`~.fields.FieldInfo`): ``"model"``
    fields describe the product and go to the one device-model object of every device of that
    model; ``"instance"`` fields describe the unit used in the session.
    """

    kind: ClassVar[str] = "device"
    label: ClassVar[str] = "device"
    model_properties = FieldsOfRole("model")
    instance_properties = FieldsOfRole("instance")

    name: str = attrs.field(metadata=about("The device's name in the file", unknown=False))
    key: str = attrs.field(default=attrs.Factory(_key_default, takes_self=True),
                           metadata=about("What tells this device apart in a session (default: its name)", unknown=False))
    description: str | None = optional_str("Free text about the device")
    manufacturer: str | None = optional_str("Who made it", role="model")
    model: str | None = optional_str("The product's model number", role="model")
    model_name: str | None = optional_str("The product's name, when it differs from its model number", role="model")
    serial_number: str | None = optional_str("The serial number of the unit used", role="instance")

    def _values(self, role: str) -> tuple[tuple[str, Any], ...]:
        """Given values of this kind's own fields of ``role`` (the common fields above excluded), in declaration order."""
        names = self.model_properties if role == "model" else self.instance_properties
        return tuple((name, getattr(self, name)) for name in names if getattr(self, name) is not None)

    def model_spec(self) -> DeviceModelSpec | None:
        """The device model, or ``None`` when nothing about the model was given."""
        properties = self._values("model")
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
        return self._values("instance")

    def problems(self, where: str) -> list[str]:
        """Everything wrong with this description; empty when it is usable."""
        problems: list[str] = []
        check_name(problems, where, self.name)
        return problems + field_problems(self, where)


@attrs.frozen(kw_only=True)
class MicroscopeSpec(DeviceSpec):
    """The microscope body (``technique``: e.g. "resonant scanning", "light sheet")."""

    kind: ClassVar[str] = "microscope"
    label: ClassVar[str] = "microscope"

    technique: str | None = optional_str("How it images, e.g. 'resonant scanning', 'light sheet'", role="instance")


_PULSE = "; giving it makes the source a pulsed one"


@attrs.frozen(kw_only=True)
class ExcitationSourceSpec(DeviceSpec):
    """A laser or LED; pulse fields make it a pulsed source."""

    kind: ClassVar[str] = "excitation_source"
    label: ClassVar[str] = "excitation source"

    source_type: str | None = optional_str("The kind of source, e.g. 'Ti:sapphire laser', 'LED'", role="model")
    excitation_mode: ExcitationMode | None = optional_str("How many photons excite the indicator at once", role="model")
    wavelength_range_nm: tuple[float, float] | None = optional_floats(
        "The wavelengths the source can produce", unit="nm", role="model", bound="positive", items=("min", "max"))
    wavelength_nm: float | None = optional_float(
        "The operating wavelength; the default excitation wavelength of the rig's channels", unit="nm",
        role="instance", bound="positive")
    power_w: float | None = optional_float("The power used", unit="W", role="instance", bound="non_negative")
    intensity_w_per_m2: float | None = optional_float("The intensity used", unit="W/m^2", role="instance",
                                                      bound="non_negative")
    exposure_time_s: float | None = optional_float("The exposure time", unit="s", role="instance", bound="positive")
    pulse_rate_hz: float | None = optional_float("The pulse repetition rate" + _PULSE, unit="Hz", role="instance",
                                                 bound="positive")
    pulse_width_s: float | None = optional_float("The width of a pulse (needs pulse_rate_hz)", unit="s",
                                                 role="instance", bound="positive")
    peak_power_w: float | None = optional_float("The peak power of a pulse (needs pulse_rate_hz)", unit="W",
                                                role="instance", bound="non_negative")
    peak_pulse_energy_j: float | None = optional_float("The peak energy of a pulse (needs pulse_rate_hz)", unit="J",
                                                       role="instance", bound="non_negative")

    @property
    def is_pulsed(self) -> bool:
        return self.pulse_rate_hz is not None

    def problems(self, where: str) -> list[str]:
        problems = super().problems(where)
        if not self.is_pulsed and any(
            v is not None for v in (self.pulse_width_s, self.peak_power_w, self.peak_pulse_energy_j)
        ):
            problems.append(f"{where}.pulse_rate_hz: pulse width or peak values need the pulse rate; give pulse_rate_hz")
        return problems


BAND_FILTER_TYPES = get_args(BandFilterType)
EDGE_FILTER_TYPES = get_args(EdgeFilterType)


def _band_if_centred(self: Any) -> str | None:
    """A filter described by its band is a bandpass filter unless the user says "Bandstop"."""
    return "Bandpass" if self.center_wavelength_nm is not None else None


@attrs.frozen(kw_only=True)
class OpticalFilterSpec(DeviceSpec):
    """An excitation or emission filter: band (center + bandwidth), edge (cut wavelength) or other."""

    kind: ClassVar[str] = "optical_filter"
    label: ClassVar[str] = "optical filter"

    center_wavelength_nm: float | None = optional_float("The centre of a band filter's band", unit="nm", role="model",
                                                        bound="positive")
    bandwidth_nm: float | None = optional_float("The width of a band filter's band", unit="nm", role="model",
                                                bound="positive")
    cut_wavelength_nm: float | None = optional_float("Where an edge filter cuts", unit="nm", role="model",
                                                     bound="positive")
    slope_percent_cut_wavelength: float | None = optional_float(
        "The slope of an edge filter's edge", unit="% of the cut wavelength", role="model")
    slope_starting_transmission_percent: float | None = optional_float(
        "The transmission where the edge's slope starts", unit="%", role="model")
    slope_ending_transmission_percent: float | None = optional_float(
        "The transmission where the edge's slope ends", unit="%", role="model")
    filter_type: BandFilterType | EdgeFilterType | str | None = attrs.field(
        default=attrs.Factory(_band_if_centred, takes_self=True),
        metadata=about("Bandpass or Bandstop (band filters; Bandpass when a centre is given), Longpass or Shortpass "
                       "(edge filters), or another kind in words", role="model"))

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

    cut_on_wavelength_nm: float | None = optional_float("Where transmission starts", unit="nm", role="model",
                                                        bound="positive")
    cut_off_wavelength_nm: float | None = optional_float("Where transmission ends", unit="nm", role="model",
                                                         bound="positive")
    reflection_band_nm: tuple[float, float] | None = optional_floats(
        "The band it reflects", unit="nm", role="model", bound="positive", items=("min", "max"))
    transmission_band_nm: tuple[float, float] | None = optional_floats(
        "The band it transmits", unit="nm", role="model", bound="positive", items=("min", "max"))
    angle_of_incidence_deg: float | None = optional_float("The angle of the light on the mirror", unit="degrees",
                                                          role="model")


@attrs.frozen(kw_only=True)
class PhotodetectorSpec(DeviceSpec):
    """A PMT, camera sensor or photodiode."""

    kind: ClassVar[str] = "photodetector"
    label: ClassVar[str] = "photodetector"

    detector_type: str | None = optional_str("The kind of detector, e.g. 'PMT', 'GaAsP PMT', 'sCMOS'", role="model")
    wavelength_range_nm: tuple[float, float] | None = optional_floats(
        "The wavelengths it detects", unit="nm", role="model", bound="positive", items=("min", "max"))
    gain: float | None = optional_float("The gain used, in gain_unit", role="instance")
    gain_unit: str | None = optional_str("The unit of the gain", role="instance")
    binning: int | None = optional_int("Pixels binned into one (cameras)", role="instance")


@attrs.frozen(kw_only=True)
class ObjectiveLensSpec(DeviceSpec):
    """The objective (or an implanted GRIN lens)."""

    kind: ClassVar[str] = "objective_lens"
    label: ClassVar[str] = "objective lens"

    numerical_aperture: float | None = optional_float("Its numerical aperture", role="model", bound="positive")
    magnification: float | None = optional_float("Its magnification", role="model", bound="positive")
    # where the lens sits (an implanted GRIN lens, say): each emitter places it itself, so it has no role
    lens_position: PositionSpec | None = attrs.field(
        default=None, metadata=about("Where the lens sits (an implanted GRIN lens), stereotactically"))

    def problems(self, where: str) -> list[str]:
        return super().problems(where) + position_problems(self.lens_position, f"{where}.lens_position")


def safe_name(text: str) -> str:
    """An NWB object name made from free text: ``/`` and ``:`` (forbidden in names) become ``_``."""
    return text.replace("/", "_").replace(":", "_").strip()
