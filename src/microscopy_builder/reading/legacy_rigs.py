"""Rigs of a legacy (core pynwb.ophys) file: the devices ImagingPlanes link, the rest by what their words say.

Core NWB has no rig: an ``ImagingPlane`` links one device (the microscope) and holds its channels
(``OpticalChannel`` with the emission wavelength; the plane holds the excitation wavelength and
the indicator's label). A rig is read back as the microscope a plane links, with the channels of
its planes. Its other devices are found by what the legacy emitter wrote about them:

* a channel's light path, written on rigs of several light paths (``light path: photodetector
  PMT_Red; emission filter RedFilter``), places each named device exactly;
* otherwise, in a file of one rig, every other device whose kind its words tell
  (``Model of photodetector.``, ``Photodetector PMT.``, a ``gain: 0.6`` fact) joins that rig. A
  filter is the emission filter, and of two filters the one farther from the emission wavelength
  the excitation filter (core NWB does not say which);
* devices left (kind unknown, or several rigs in the file) are reported, not carried over.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..specs.rig import OPTICAL_SLOTS
from ..unknown import UNKNOWN
from .devices import DeviceFacts, legacy_device, plain
from .emitted import indicator_facts, join_description
from .rigs import PLACEABLE, ChannelParts, RigParts, place_by_kind
from .space_text import SpaceText, indicator_from_facts, injection_from_fact, plain_injection_fallback, read_space_text

_LIGHT_PATH = ". light path: "
_SLOT_WORDS = {slot.replace("_", " "): slot for slot in OPTICAL_SLOTS}


@attrs.define
class LegacyRigs:
    """The rigs read, which rig and channel each plane's channels are on, and what could not be placed."""

    rigs: dict[str, RigParts] = attrs.field(factory=dict)
    plane_rig: dict[str, str] = attrs.field(factory=dict)  # plane object id -> rig name
    plane_text: dict[str, SpaceText] = attrs.field(factory=dict)  # plane object id -> its description's parts
    unplaced: list[str] = attrs.field(factory=list)


def legacy_rigs(nwbfile: Any) -> LegacyRigs:
    """Rigs of every ImagingPlane of a legacy file (see the module)."""
    model_names = list(nwbfile.device_models)
    planes = list(nwbfile.imaging_planes.values())
    microscopes = {plane.device.object_id for plane in planes if plane.device is not None}
    facts = {obj.object_id: legacy_device(obj, model_names, kind="microscope" if obj.object_id in microscopes else None)
             for obj in nwbfile.devices.values()}
    found = LegacyRigs()
    for plane in sorted(planes, key=lambda p: p.name):
        _add_plane(found, plane, facts)
    placed = {d.obj.object_id for parts in found.rigs.values() for _, d in parts.devices} | microscopes
    left = [f for oid, f in facts.items() if oid not in placed]
    distinct = {parts.microscope.obj.object_id for parts in found.rigs.values() if parts.microscope is not None}
    if len(distinct) == 1:
        for parts in found.rigs.values():
            left_here = [f for f in left if f.kind in PLACEABLE]
            place_by_kind(parts, left_here)
        left = [f for f in left if f.kind not in PLACEABLE]
    found.unplaced = [f"general/devices/{f.name}" for f in left]
    return found


def _add_plane(found: LegacyRigs, plane: Any, facts: dict[str, DeviceFacts]) -> None:
    microscope = facts.get(plane.device.object_id) if plane.device is not None else None
    name = plane.device.name if plane.device is not None else plane.name
    parts = found.rigs.setdefault(name, RigParts(name, microscope=microscope))
    text = read_space_text(plain(plane.description))
    found.plane_text[plane.object_id] = text
    indicator = plane_indicator(plane, text)
    channels = [channel_parts(plane, optical, indicator) for optical in plane.optical_channel]
    if any(c.name in parts.channels and parts.channels[c.name] != c for c in channels):
        name = f"{name}_{plane.name}"  # the same channel name with other content: a rig of its own
        parts = found.rigs.setdefault(name, RigParts(name, microscope=microscope))
    by_name = {f.name: f for f in facts.values()}
    for channel in channels:
        parts.channels.setdefault(channel.name, channel)
        for slot, device in channel.path.items():
            if device in by_name:
                parts.add_device(slot, by_name[device])
    found.plane_rig[plane.object_id] = name


def plane_indicator(plane: Any, text: SpaceText) -> Any:
    """The indicator of a plane's channel: its label, with the facts its description keeps."""
    label = plain(plane.indicator)
    if label is UNKNOWN or label is None or not str(label).strip():  # pynwb takes "": the file says nothing
        return UNKNOWN
    indicator_fact = text.indicator[1] if text.indicator is not None and text.indicator[0] == label else None
    injection_fact = text.injection[1] if text.injection is not None and text.injection[0] == label else None
    if injection_fact is None:
        return indicator_from_facts(label, indicator_fact, None)
    spec = indicator_from_facts(label, indicator_fact, None)
    for reader in (injection_from_fact, plain_injection_fallback):
        try:
            candidate = attrs.evolve(spec, injection=reader(injection_fact))
        except ValueError:
            continue
        written = dict(indicator_facts(candidate))
        if written.get(f"injection of {label}") == injection_fact:
            return candidate
    return spec


def channel_parts(plane: Any, optical: Any, indicator: Any) -> ChannelParts:
    """A channel from a plane's ``OpticalChannel`` (its light path read from its description)."""
    description = plain(optical.description)
    path: dict[str, str] = {}
    path_text = None
    head, marker, tail = (description or "").rpartition(_LIGHT_PATH)
    if marker and tail.endswith("."):
        read = _light_path(tail[:-1])
        facts = "; ".join(f"{slot.replace('_', ' ')} {device}" for slot, device in read.items())
        if read and join_description(head + ".", extra=[("light path", facts)]) == description:
            description, path, path_text = head + ".", read, description
    return ChannelParts(optical.name, excitation=plain(plane.excitation_lambda), emission=plain(optical.emission_lambda),
                        indicator=indicator, description=description, path=path, path_text=path_text)


def _light_path(text: str) -> dict[str, str]:
    found = {}
    for part in text.split("; "):
        slot = next((s for words, s in _SLOT_WORDS.items() if part.startswith(words + " ")), None)
        if slot is None:
            return {}
        found[slot] = part.removeprefix(slot.replace("_", " ") + " ")
    return found
