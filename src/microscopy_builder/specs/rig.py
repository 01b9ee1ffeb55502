"""Frozen descriptions of a rig: its devices, its channels and their indicators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, get_args

import attrs
import numpy as np

from ..unknown import UNKNOWN
from .fields import about, check_name, field_problems, optional_float, optional_str, required_number
from .devices import (
    DeviceSpec,
    MicroscopeSpec,
)
from .position import PositionSpec, position_problems


def _frozen_image(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    image = np.array(value, copy=True)
    image.flags.writeable = False
    return image


@attrs.frozen(kw_only=True)
class InjectionSpec:
    """A viral-vector injection that delivered an indicator."""

    construct_name: str = attrs.field(metadata=about("The viral construct, e.g. 'AAV1-syn-GCaMP6s'"))
    volume_ul: float = attrs.field(converter=required_number,
                                   metadata=about("The volume injected", unit="uL", bound="positive"))
    titer_vg_per_ml: float | None = optional_float("The titer of the vector", unit="vg/mL", bound="positive")
    vector_manufacturer: str | None = optional_str("Who made the vector")
    vector_description: str | None = optional_str("Free text about the vector")
    date: str | None = optional_str("When it was injected (ISO 8601)")
    description: str | None = optional_str("Free text about the injection")
    position: PositionSpec | None = attrs.field(default=None, metadata=about("Where it was injected, stereotactically"))

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        if not self.construct_name and self.construct_name is not UNKNOWN:
            problems.append(f"{where}.construct_name: name the viral construct, e.g. 'AAV1-syn-GCaMP6s'")
        problems += field_problems(self, where)
        problems += position_problems(self.position, f"{where}.position")
        return problems


@attrs.frozen(kw_only=True)
class IndicatorSpec:
    """A fluorescent indicator; one object in the file per key (the label by default)."""

    label: str = attrs.field(metadata=about("The indicator's name, e.g. 'GCaMP6s'"))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.label, takes_self=True),
                           metadata=about("What tells this indicator apart in a session (default: its label)",
                                          unknown=False))
    description: str | None = optional_str("Free text about the indicator")
    manufacturer: str | None = optional_str("Who made it")
    injection: InjectionSpec | None = attrs.field(default=None, metadata=about("The injection that delivered it"))

    def problems(self, where: str) -> list[str]:
        problems = [] if self.label else [f"{where}.label: name the indicator, e.g. 'GCaMP6s' (or mb.UNKNOWN)"]
        if isinstance(self.injection, InjectionSpec):
            problems += self.injection.problems(f"{where}.injection")
        elif self.injection is not None:
            problems.append(f"{where}.injection: give an mb.Injection(...), got {self.injection!r:.80}")
        return problems


def _indicator(value: IndicatorSpec | str | None) -> IndicatorSpec | None:
    """An indicator given by its label alone is an indicator of that label."""
    return IndicatorSpec(label=value) if isinstance(value, str) else value


def _device_name(what: str) -> Any:
    return optional_str(f"The rig's {what} this channel's light takes (default: the rig's only one)", unknown=False)


@attrs.frozen(kw_only=True)
class ChannelSpec:
    """A channel: excitation and emission wavelengths, the indicator it images, and its light path.

    The light path names the rig's devices the channel's light passes (``photodetector="PMT_Red"``,
    ...); a kind of device the channel does not name is the rig's only one of that kind.
    """

    name: str = attrs.field(metadata=about("The channel's name", unknown=False))
    excitation_wavelength_nm: float | None = optional_float(
        "The excitation wavelength (default: the wavelength_nm of the channel's excitation source)", unit="nm",
        bound="positive")
    emission_wavelength_nm: float | None = optional_float("The emission wavelength recorded", unit="nm", bound="positive")
    indicator: IndicatorSpec | None = attrs.field(
        default=None, converter=_indicator,
        metadata=about("The indicator imaged: a label such as 'GCaMP6s', or an mb.Indicator(...)",
                       expect="a label such as 'GCaMP6s', an mb.Indicator(...), or mb.UNKNOWN"))
    description: str | None = optional_str("Free text about the channel")
    excitation_source: str | None = _device_name("excitation source")
    excitation_filter: str | None = _device_name("excitation filter")
    dichroic_mirror: str | None = _device_name("dichroic mirror")
    photodetector: str | None = _device_name("photodetector")
    emission_filter: str | None = _device_name("emission filter")
    objective_lens: str | None = _device_name("objective lens")

    def named_device(self, slot: str) -> str | None:
        """The device of ``slot`` this channel names (``None``: the rig's only one)."""
        return getattr(self, slot)

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        check_name(problems, where, self.name)
        for name in ("excitation_wavelength_nm", "emission_wavelength_nm"):
            if getattr(self, name) is None:
                problems.append(f"{where}.{name}: required; give the wavelength in nanometres, or mb.UNKNOWN")
        problems += field_problems(self, where)
        if isinstance(self.indicator, IndicatorSpec):
            problems += self.indicator.problems(f"{where}.indicator")
        elif self.indicator is not None and self.indicator is not UNKNOWN:
            problems.append(f"{where}.indicator: give a label such as 'GCaMP6s', an mb.Indicator(...), or mb.UNKNOWN; "
                            f"got {self.indicator!r}")
        for slot in OPTICAL_SLOTS:
            named = self.named_device(slot)
            if named is not None and not isinstance(named, str):
                problems.append(f"{where}.{slot}: name the rig's {slot.replace('_', ' ')} (its name as text), got {named!r}")
        return problems


#: the kinds of optical device a rig holds, in light-path order
OpticalSlot = Literal["excitation_source", "excitation_filter", "dichroic_mirror", "photodetector", "emission_filter",
                      "objective_lens"]
OPTICAL_SLOTS = get_args(OpticalSlot)


@attrs.frozen
class LightPath:
    """Devices one or more channels of a rig share: ``devices`` by slot, ``name`` for the NWB object."""

    name: str
    channels: tuple[str, ...]
    devices: dict[str, DeviceSpec] = attrs.field(eq=False)


@attrs.frozen(kw_only=True)
class RigSpec:
    """A microscope, its optical devices (several of a kind when channels take different paths) and its channels."""

    name: str = attrs.field(metadata=about("The rig's name (the microscope's too, unless it is given its own)",
                                           unknown=False))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True),
                           metadata=about("What tells this rig apart in a session (default: its name)", unknown=False))
    description: str | None = optional_str("The rig as a whole: its light path, what it is used for")
    optical_path_scheme: np.ndarray | None = attrs.field(
        default=None, converter=_frozen_image,
        eq=attrs.cmp_using(eq=lambda a, b: a is b or (a is not None and b is not None and np.array_equal(a, b))),
        metadata=about("A diagram of the light path: an image, (rows, columns) grey or (rows, columns, 3 or 4) colour",
                       unknown=False))
    microscope: MicroscopeSpec | None = attrs.field(default=None, metadata=about("The microscope body"))
    optics: tuple[tuple[OpticalSlot, DeviceSpec], ...] = attrs.field(
        default=(), converter=lambda v: _in_light_path_order(v),
        metadata=about("The optical devices, (kind, device) in light-path order", unknown=False))
    channels: tuple[ChannelSpec, ...] = attrs.field(default=(), metadata=about("The channels", unknown=False))

    def devices(self) -> Iterator[tuple[str, DeviceSpec]]:
        """(slot, device) for the microscope and every optical device, in light-path order."""
        if self.microscope is not None:
            yield "microscope", self.microscope
        for slot in OPTICAL_SLOTS:
            for device in self.devices_in(slot):
                yield slot, device

    def devices_in(self, slot: str) -> tuple[DeviceSpec, ...]:
        """The rig's devices of one kind (``"photodetector"``, ...), in the order given."""
        return tuple(device for kind, device in self.optics if kind == slot)

    def only(self, slot: str) -> DeviceSpec | None:
        """The rig's one device of a kind; ``None`` when it has none or several."""
        found = self.devices_in(slot)
        return found[0] if len(found) == 1 else None

    def path(self, channel: ChannelSpec) -> dict[str, DeviceSpec]:
        """The devices a channel's light passes, by slot: the ones it names, else each kind's only one."""
        found = {}
        for slot in OPTICAL_SLOTS:
            named = channel.named_device(slot)
            device = (next((d for d in self.devices_in(slot) if d.name == named), None) if named is not None
                      else self.only(slot))
            if device is not None:
                found[slot] = device
        return found

    def channel(self, name: str) -> ChannelSpec | None:
        return next((c for c in self.channels if c.name == name), None)

    def light_paths(self) -> list[LightPath]:
        """The rig's distinct light paths, each with the channels taking it: one path (named like the rig)
        when every channel takes the same devices, else one per path, named by the rig and its channels."""
        groups: dict[tuple, list[ChannelSpec]] = {}
        for channel in self.channels:
            groups.setdefault(tuple((slot, d.key) for slot, d in self.path(channel).items()), []).append(channel)
        if len(groups) <= 1:
            channels = tuple(c.name for c in self.channels)
            path = self.path(self.channels[0]) if self.channels else {s: d for s in OPTICAL_SLOTS if (d := self.only(s))}
            return [LightPath(self.name, channels, path)]
        return [LightPath(f"{self.name}_{'_'.join(c.name for c in members)}", tuple(c.name for c in members),
                          self.path(members[0])) for members in groups.values()]

    def light_path_of(self, channel: str) -> LightPath:
        """The light path a channel of this rig takes."""
        return next(p for p in self.light_paths() if channel in p.channels or not p.channels)

    def excitation_mode_of(self, channel: str | None) -> str | None:
        """The excitation mode of a channel's light source (the rig's only source when no channel is named)."""
        spec = None if channel is None else self.channel(channel)
        source = self.path(spec).get("excitation_source") if spec is not None else self.only("excitation_source")
        return None if source is None else source.excitation_mode

    # the one device of a kind, as rigs of a single light path read
    excitation_source = property(lambda self: self.only("excitation_source"))
    excitation_filter = property(lambda self: self.only("excitation_filter"))
    dichroic_mirror = property(lambda self: self.only("dichroic_mirror"))
    photodetector = property(lambda self: self.only("photodetector"))
    emission_filter = property(lambda self: self.only("emission_filter"))
    objective_lens = property(lambda self: self.only("objective_lens"))

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"rig {self.name!r}"
        problems: list[str] = []
        if self.microscope is None:
            problems.append(f"{where}.microscope: required; call .microscope(manufacturer=..., model=...)")
        scheme = self.optical_path_scheme
        if scheme is not None and not (scheme.dtype.kind in "uif" and (scheme.ndim == 2 or (scheme.ndim == 3 and scheme.shape[2] in (3, 4)))):
            problems.append(f"{where}.optical_path_scheme: give a picture of the light path as numbers, (rows, columns) "
                            f"grey or (rows, columns, 3 or 4) colour; got {scheme.dtype} of shape {scheme.shape}")
        for slot, device in self.devices():
            problems += device.problems(f"{where}.{slot}" if slot == "microscope" or len(self.devices_in(slot)) == 1
                                        else f"{where}.{slot}[{device.name!r}]")
        names = [c.name for c in self.channels]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{where}.channels: channel {name!r} is defined twice; give each channel its own name")
        for channel in self.channels:
            problems += channel.problems(f"{where}.channels[{channel.name!r}]")
            problems += self._path_problems(channel, f"{where}.channels[{channel.name!r}]")
        return problems

    def _path_problems(self, channel: ChannelSpec, where: str) -> list[str]:
        """A channel names devices the rig has, and one of each kind the rig has several of."""
        problems = []
        for slot in OPTICAL_SLOTS:
            named, present = channel.named_device(slot), self.devices_in(slot)
            listed = ", ".join(repr(d.name) for d in present) or "none"
            label = slot.replace("_", " ")
            if isinstance(named, str) and all(d.name != named for d in present):
                problems.append(f"{where}.{slot}: the rig has no {label} {named!r} (its {label}s: {listed}); add it with "
                                f".{slot}({named!r}, ...) or name one of those")
            elif named is None and len(present) > 1:
                problems.append(f"{where}.{slot}: the rig has {len(present)} {label}s ({listed}); say which this channel "
                                f"uses: .channel({channel.name!r}, ..., {slot}=...)")
        return problems


def _in_light_path_order(optics: Any) -> tuple:
    """(slot, device) pairs in light-path order, devices of one kind in the order given."""
    pairs = tuple(tuple(pair) for pair in optics)
    return tuple(sorted(pairs, key=lambda pair: OPTICAL_SLOTS.index(pair[0]) if pair[0] in OPTICAL_SLOTS else len(OPTICAL_SLOTS)))
