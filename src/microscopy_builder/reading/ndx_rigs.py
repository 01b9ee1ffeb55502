"""Rigs of an ndx-microscopy file: ``MicroscopyRig`` light paths, their devices, channels and indicators.

One ``RigBuilder`` writes one ``MicroscopyRig`` per light path: named like the rig when every
channel takes the same devices, else ``<rig>_<channels>``, all linking the rig's one microscope.
Reading back, the light paths of one microscope are one rig again when their names say so
(``Ultima_Green`` and ``Ultima_Red`` of channels Green and Red: rig ``Ultima``); otherwise each
light path is a rig of its own name. Channels are the ``MicroscopyChannel`` objects the series and
static images of a light path link; a light path no series uses keeps its channels' names only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..specs import IndicatorSpec, InjectionSpec, safe_name
from ..unknown import UNKNOWN
from .devices import DeviceFacts, ndx_device, plain, stereotactic
from .emitted import METADATA_NAME
from .files import NwbHandle
from .rigs import ChannelParts, RigParts, place_by_kind

_CHANNELS_SAID = re.compile(r"; channels (?P<names>.+)\.$")


def ndx_rigs(handle: NwbHandle, users: Iterable[Any]) -> tuple[dict[str, RigParts], dict[str, tuple[str, str]]]:
    """The file's rigs by name, and for each ``MicroscopyRig`` object id its (rig name, light path name).

    ``users`` are the series and static images: what links the light paths and their channels.
    """
    metadata = handle.nwbfile.lab_meta_data.get(METADATA_NAME)
    paths = [] if metadata is None else list(metadata.microscopy_rigs.values())
    model_names = list(handle.nwbfile.device_models)
    devices = {obj.object_id: ndx_device(obj, model_names) for obj in handle.nwbfile.devices.values()}
    channels_of: dict[str, dict[str, Any]] = {path.object_id: {} for path in paths}
    for user in users:
        rig, channel = getattr(user, "microscopy_rig", None), getattr(user, "microscopy_channel", None)
        if rig is not None and channel is not None and rig.object_id in channels_of:
            channels_of[rig.object_id].setdefault(channel.name, channel)
    by_microscope: dict[str, list[Any]] = {}
    for path in paths:
        microscope = handle.stored_links(path).get("microscope")
        by_microscope.setdefault(microscope.object_id if microscope is not None else path.object_id, []).append(path)
    rigs: dict[str, RigParts] = {}
    placed: dict[str, tuple[str, str]] = {}
    for group in by_microscope.values():
        names = {path.object_id: _channel_names(path, channels_of[path.object_id]) for path in group}
        rig_name = _rig_name(group, names)
        for path in group:
            name = rig_name or path.name
            parts = rigs.setdefault(name, RigParts(name))
            _add_path(parts, path, handle.stored_links(path), devices, names[path.object_id], channels_of[path.object_id])
            placed[path.object_id] = (name, path.name)
    linked = {d.object_id for path in paths for d in handle.stored_links(path).values()}
    left = [facts for oid, facts in devices.items() if oid not in linked]
    if len(by_microscope) == 1 and left:
        for parts in rigs.values():
            place_by_kind(parts, left)
    return rigs, placed


def _rig_name(group: list[Any], names: dict[str, list[str]]) -> str | None:
    """The one rig several light paths of one microscope come from, when their names say it."""
    if len(group) == 1:
        return group[0].name
    found = set()
    for path in group:
        suffix = "_" + "_".join(names[path.object_id])
        if not names[path.object_id] or not path.name.endswith(suffix):
            return None
        found.add(path.name.removesuffix(suffix))
    return found.pop() if len(found) == 1 else None


def _channel_names(path: Any, linked: dict[str, Any]) -> list[str]:
    """The channels of a light path, in the order its name or derived description lists them."""
    said = _CHANNELS_SAID.search(plain(path.description) or "")
    if said is not None:
        listed = said["names"].split(", ")
        if set(linked) <= set(listed):
            return listed
    return sorted(linked, key=lambda name: (path.name.find(name) < 0, path.name.find(name), name))


def _add_path(parts: RigParts, path: Any, links: dict[str, Any], devices: dict[str, DeviceFacts], channels: list[str],
              linked: dict[str, Any]) -> None:
    for slot, device in links.items():
        facts = devices.get(device.object_id)
        if facts is None:
            continue
        if slot == "microscope":
            parts.microscope = facts
        else:
            parts.add_device(slot, facts)
    parts.stored_descriptions[path.name] = plain(path.description)
    scheme = path.fields.get("optical_path_scheme")
    if scheme is not None and parts.optical_path_scheme is None:
        parts.optical_path_scheme = np.asarray(scheme.data[()])
    for name in channels:
        channel = parts.channel(name)
        channel.path = {slot: device.name for slot, device in links.items() if slot != "microscope"}
        if name in linked:
            fill_channel(channel, linked[name], parts.name)


def fill_channel(channel: ChannelParts, stored: Any, rig: str) -> None:
    """A channel's wavelengths, indicator and description from its ``MicroscopyChannel``."""
    channel.excitation = plain(stored.excitation_wavelength_in_nm)
    channel.emission = plain(stored.emission_wavelength_in_nm)
    channel.description = plain(stored.description)
    channel.indicator = indicator_spec(stored.indicator, rig, channel.name)


def indicator_spec(indicator: Any, rig: str, channel: str) -> Any:
    """The ``mb.Indicator`` a stored ``Indicator`` describes; ``mb.UNKNOWN`` for an emitter's placeholder."""
    if indicator is None:
        return UNKNOWN
    label = plain(indicator.label)
    if label is UNKNOWN and indicator.name == safe_name(f"{rig}_{channel}_indicator"):
        return UNKNOWN
    description = plain(indicator.description)
    injection = indicator.fields.get("viral_vector_injection")
    return IndicatorSpec(
        label=label if label is not UNKNOWN else indicator.name,
        key=indicator.name,
        description=None if description == f"Fluorescent indicator {label}." else description,
        manufacturer=plain(indicator.fields.get("manufacturer")),
        injection=None if injection is None else injection_spec(injection, label),
    )


def injection_spec(injection: Any, label: str) -> InjectionSpec:
    """A stored ``ViralVectorInjection`` (and its ``ViralVector``) as an ``mb.Injection``."""
    vector = injection.viral_vector
    construct = plain(vector.construct_name)
    words = plain(vector.description)
    position = injection.fields.get("viral_injection_coordinates")
    return InjectionSpec(
        construct_name=construct,
        volume_ul=plain(injection.volume_in_uL),
        titer_vg_per_ml=plain(vector.fields.get("titer_in_vg_per_ml")),
        vector_manufacturer=plain(vector.fields.get("manufacturer")),
        vector_description=None if words == f"Viral vector {construct} delivering {label}." else words,
        date=plain(injection.fields.get("injection_date")),
        description=plain(injection.fields.get("description")),
        position=None if position is None else stereotactic(position),
    )
