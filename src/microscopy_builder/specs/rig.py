"""Frozen descriptions of a rig: its devices, its channels and their indicators."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ..unknown import UNKNOWN
from ._fields import required_number, check_name, check_positive, optional_float, optional_str
from .devices import (
    DeviceSpec,
    DichroicMirrorSpec,
    ExcitationSourceSpec,
    MicroscopeSpec,
    ObjectiveLensSpec,
    OpticalFilterSpec,
    PhotodetectorSpec,
)
from .position import PositionSpec


@attrs.frozen(kw_only=True)
class InjectionSpec:
    """A viral-vector injection that delivered an indicator."""

    construct_name: str
    volume_ul: float = attrs.field(converter=required_number)
    titer_vg_per_ml: float | None = optional_float()
    vector_manufacturer: str | None = optional_str()
    date: str | None = optional_str()
    description: str | None = optional_str()
    position: PositionSpec | None = None

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        if not self.construct_name and self.construct_name is not UNKNOWN:
            problems.append(f"{where}.construct_name: name the viral construct, e.g. 'AAV1-syn-GCaMP6s'")
        check_positive(problems, where, volume_ul=self.volume_ul, titer_vg_per_ml=self.titer_vg_per_ml)
        if self.position is not None:
            problems += self.position.problems(f"{where}.position")
        return problems


@attrs.frozen(kw_only=True)
class IndicatorSpec:
    """A fluorescent indicator; one object in the file per key (the label by default)."""

    label: str
    key: str = attrs.field(default=attrs.Factory(lambda self: self.label, takes_self=True))
    description: str | None = optional_str()
    manufacturer: str | None = optional_str()
    injection: InjectionSpec | None = None

    def problems(self, where: str) -> list[str]:
        problems = [] if self.label else [f"{where}.label: name the indicator, e.g. 'GCaMP6s' (or mb.UNKNOWN)"]
        if self.injection is not None:
            problems += self.injection.problems(f"{where}.injection")
        return problems


@attrs.frozen(kw_only=True)
class ChannelSpec:
    """A light path: excitation and emission wavelengths and the indicator it images."""

    name: str
    excitation_wavelength_nm: float | None = optional_float()
    emission_wavelength_nm: float | None = optional_float()
    indicator: IndicatorSpec | None = None
    description: str | None = optional_str()

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        check_name(problems, where, self.name)
        for name in ("excitation_wavelength_nm", "emission_wavelength_nm"):
            if getattr(self, name) is None:
                problems.append(f"{where}.{name}: required; give the wavelength in nanometres, or mb.UNKNOWN")
        check_positive(
            problems,
            where,
            excitation_wavelength_nm=self.excitation_wavelength_nm,
            emission_wavelength_nm=self.emission_wavelength_nm,
        )
        if isinstance(self.indicator, IndicatorSpec):
            problems += self.indicator.problems(f"{where}.indicator")
        elif self.indicator is not None and self.indicator is not UNKNOWN:
            problems.append(f"{where}.indicator: give a label such as 'GCaMP6s', an mb.Indicator(...), or mb.UNKNOWN; "
                            f"got {self.indicator!r}")
        return problems


OPTICAL_SLOTS = (
    "excitation_source",
    "excitation_filter",
    "dichroic_mirror",
    "photodetector",
    "emission_filter",
    "objective_lens",
)


@attrs.frozen(kw_only=True)
class RigSpec:
    """A microscope, its optical devices (one per slot) and its channels."""

    name: str
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True))
    description: str | None = optional_str()
    microscope: MicroscopeSpec | None = None
    excitation_source: ExcitationSourceSpec | None = None
    excitation_filter: OpticalFilterSpec | None = None
    dichroic_mirror: DichroicMirrorSpec | None = None
    photodetector: PhotodetectorSpec | None = None
    emission_filter: OpticalFilterSpec | None = None
    objective_lens: ObjectiveLensSpec | None = None
    channels: tuple[ChannelSpec, ...] = ()

    def devices(self) -> Iterator[tuple[str, DeviceSpec]]:
        """(slot, device) for the microscope and every optical device given, in light-path order."""
        for slot in ("microscope", *OPTICAL_SLOTS):
            device = getattr(self, slot)
            if device is not None:
                yield slot, device

    def channel(self, name: str) -> ChannelSpec | None:
        return next((c for c in self.channels if c.name == name), None)

    @property
    def excitation_mode(self) -> str | None:
        return None if self.excitation_source is None else self.excitation_source.excitation_mode

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"rig {self.name!r}"
        problems: list[str] = []
        if self.microscope is None:
            problems.append(f"{where}.microscope: required; call .microscope(manufacturer=..., model=...)")
        for slot, device in self.devices():
            problems += device.problems(f"{where}.{slot}")
        names = [c.name for c in self.channels]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{where}.channels: channel {name!r} is defined twice; give each channel its own name")
        for channel in self.channels:
            problems += channel.problems(f"{where}.channels[{channel.name!r}]")
        return problems
