"""A rig's parts as read from a file, put together as the ``RigBuilder`` chain that writes them.

Either layout's reader collects a :class:`RigParts`: the microscope, the optical devices by slot,
and the channels with their light path. :meth:`RigParts.builder` makes the builder; a channel
names its device of a kind only where the rig has several of that kind (as a person writes it),
and the rig's description is left to be derived when it is the one the emitter derives.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from ..builders import RigBuilder
from ..errors import ValidationError
from ..specs import ChannelSpec, IndicatorSpec
from ..specs.rig import OPTICAL_SLOTS
from ..unknown import UNKNOWN
from .devices import DeviceFacts
from .emitted import channel_text, rig_description


@attrs.define
class ChannelParts:
    """One channel: wavelengths, indicator, description and the devices of its light path by slot."""

    name: str
    excitation: Any = UNKNOWN
    emission: Any = UNKNOWN
    indicator: Any = UNKNOWN
    description: str | None = None
    path: dict[str, str] = attrs.field(factory=dict)
    #: the legacy description the light path was read from (kept whole when the rig has one light path)
    path_text: str | None = attrs.field(default=None, eq=False)


@attrs.define
class RigParts:
    """A rig being read: its name, devices (microscope first) and channels, in the order found."""

    name: str
    microscope: DeviceFacts | None = None
    devices: list[tuple[str, DeviceFacts]] = attrs.field(factory=list)
    channels: dict[str, ChannelParts] = attrs.field(factory=dict)
    #: the descriptions stored for its light paths (ndx-microscopy MicroscopyRig), by path name
    stored_descriptions: dict[str, str] = attrs.field(factory=dict)
    optical_path_scheme: Any = None

    def add_device(self, slot: str, device: DeviceFacts) -> None:
        if all(d.name != device.name or s != slot for s, d in self.devices):
            self.devices.append((slot, device))

    def has_device(self, name: str) -> bool:
        return any(d.name == name for _, d in self.devices) or (self.microscope is not None and self.microscope.name == name)

    def channel(self, name: str) -> ChannelParts:
        """The channel of that name, made empty on first use."""
        return self.channels.setdefault(name, ChannelParts(name))

    def builder(self) -> RigBuilder:
        """The ``RigBuilder`` chain of this rig."""
        rig = RigBuilder(self.name)
        if self.microscope is not None:
            fields = dict(self.microscope.fields)
            name = None if self.microscope.name == self.name else self.microscope.name
            rig = rig.microscope(name=name, **fields)
        for slot, device in self.devices:
            rig = getattr(rig, slot)(device.name, **device.fields)
        counts = {slot: sum(1 for s, _ in self.devices if s == slot) for slot in OPTICAL_SLOTS}
        for channel in self.channels.values():
            path = {slot: name for slot, name in channel.path.items() if counts.get(slot, 0) > 1}
            rig = rig.channel(channel.name, excitation_wavelength_nm=channel.excitation,
                              emission_wavelength_nm=channel.emission, indicator=channel.indicator,
                              description=_own_channel_words(channel), **path)
        rig = self._keep_light_path_words(rig)
        if self.optical_path_scheme is not None:
            rig = rig.optical_path_scheme(self.optical_path_scheme)
        description = self._own_description(rig)
        return rig if description is None else rig.description(description)

    def _keep_light_path_words(self, rig: RigBuilder) -> RigBuilder:
        """A legacy channel's light-path words are written again only on rigs of several light paths; on a rig
        read with one (its other channels were not in the file) they stay in the channel's description."""
        kept = [c for c in self.channels.values() if c.path_text is not None]
        if not kept:
            return rig
        try:
            several = len(rig.build().light_paths()) > 1
        except ValidationError:
            return rig
        if several:
            return rig
        for channel in kept:
            spec = rig.build().channel(channel.name)
            rig = rig.channel(channel.name, excitation_wavelength_nm=spec.excitation_wavelength_nm,
                              emission_wavelength_nm=spec.emission_wavelength_nm, indicator=spec.indicator,
                              description=channel.path_text, **{s: spec.named_device(s) for s in OPTICAL_SLOTS})
        return rig

    def _own_description(self, rig: RigBuilder) -> str | None:
        """The rig's own words from its stored light-path descriptions; ``None`` when they are derived."""
        if not self.stored_descriptions:
            return None
        try:
            spec = rig.build()
        except ValidationError:
            spec = None
        paths = [] if spec is None else spec.light_paths()
        if paths and all(self.stored_descriptions.get(p.name) == rig_description(spec, p) for p in paths):
            return None
        several = len(paths) > 1
        words = set()
        for path in paths or [None]:
            text = self.stored_descriptions.get(path.name) if path is not None else next(iter(self.stored_descriptions.values()))
            if text is None:
                continue
            suffix = f" Light path of channels {', '.join(path.channels)}." if several else ""
            words.add(text.removesuffix(suffix) if suffix and text.endswith(suffix) else text)
        return words.pop() if len(words) == 1 else next(iter(self.stored_descriptions.values()))


def _own_channel_words(channel: ChannelParts) -> str | None:
    """A channel's description unless it is the one derived from its wavelengths and indicator."""
    if channel.description is None:
        return None
    derived = ChannelSpec(name=channel.name, excitation_wavelength_nm=_written(channel.excitation),
                          emission_wavelength_nm=_written(channel.emission),
                          indicator=channel.indicator if isinstance(channel.indicator, IndicatorSpec) else None)
    return None if channel.description == channel_text(derived) else channel.description


def _written(value: Any) -> Any:
    """A value as the emitter writes it: ``mb.UNKNOWN`` as NaN."""
    return math.nan if value is UNKNOWN else value


#: device kinds a rig can take without being told which slot (filters go in one of two)
PLACEABLE = ("excitation_source", "dichroic_mirror", "photodetector", "objective_lens", "optical_filter")


def place_by_kind(parts: RigParts, devices: list[DeviceFacts]) -> None:
    """Devices no link places join the rig in the slot of their kind; a filter is the emission filter, and of two
    the one farther from the channels' emission wavelengths the excitation filter (files do not always say)."""
    filters = []
    for device in devices:
        if parts.has_device(device.name):
            continue
        if device.kind == "optical_filter":
            filters.append(device)
        elif device.kind in PLACEABLE:
            parts.add_device(device.kind, device)
    for device in sorted(filters, key=lambda f: _distance(f, parts)):
        emission_taken = any(slot == "emission_filter" for slot, _ in parts.devices)
        parts.add_device("excitation_filter" if emission_taken else "emission_filter", device)


def _distance(device: DeviceFacts, parts: RigParts) -> float:
    """How far a filter's wavelength is from the rig's emission wavelengths (nearest first)."""
    wavelength = device.fields.get("center_wavelength_nm", device.fields.get("cut_wavelength_nm"))
    emissions = [c.emission for c in parts.channels.values() if isinstance(c.emission, float)]
    if not isinstance(wavelength, float) or not emissions:
        return math.inf
    return min(abs(wavelength - e) for e in emissions)
