"""What a translation's target format cannot hold of a recording, named before anything is written.

Going down to the legacy layout loses what core NWB has no place for; the emitters already warn
about some of it while writing (a rig's ``optical_path_scheme``, ``continuity``, a static image
becoming an ``Images`` container, a channel's light path kept as words). The rest is listed
here, once per object and field, and warned as ``CompatibilityWarning`` by :func:`~.translate.translate`:
it comes back, when that file is read, derived (a rig description listing its devices) or as a
reported placeholder (an illumination pattern). Going up to ndx-microscopy loses only a legacy
series type the rig does not imply.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ..errors import ValidationError
from ..specs import IndicatorSpec, PositionSpec, SeriesSpec
from ..unknown import UNKNOWN
from .described import exact_in_text
from .devices import DeviceFacts
from .emitted import plan_layout
from .rigs import RigParts, place_by_kind

_POSITION_WORDS = "its anatomical target and pitch, yaw and roll angles (the legacy format keeps a position as words)"


def losses(recording: Any, format: str) -> list[str]:
    """What writing ``recording`` in ``format`` does not keep, each naming its object and field."""
    try:
        specs = _specs(recording)
    except ValidationError:
        return []  # the session says what is wrong when it is made
    if format == "ndx-microscopy":
        return _ndx_losses(specs)
    found: list[str] = []
    for rig in specs["rigs"].values():
        found += _rig_losses(rig, specs)
    for space in _spaces(specs):
        found += _space_losses(space, specs)
    found += _grouping_losses(list(specs["series"].values()))
    return list(dict.fromkeys(found))


def _specs(recording: Any) -> dict[str, dict[str, Any]]:
    groups = ("rigs", "series", "segmentations", "static_images")
    return {group: {name: builder.build() for name, builder in getattr(recording, group).items()} for group in groups}


def _ndx_losses(specs: dict[str, dict[str, Any]]) -> list[str]:
    found = []
    for series in specs["series"].values():
        implied = "OnePhotonSeries" if series.rig.excitation_mode_of(series.channel) == "one-photon" else "TwoPhotonSeries"
        if series.legacy_type is not None and series.legacy_type != implied:
            found.append(f"series {series.name!r}: ndx-microscopy has no series type; written again in the legacy format "
                         f"it is a {implied} (as the excitation mode of its rig implies), not a {series.legacy_type}")
    return found


def _used_channels(specs: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    used = {(s.rig.key, s.channel) for s in (*specs["series"].values(), *specs["static_images"].values())}
    for segmentation in specs["segmentations"].values():
        if segmentation.series is not None:
            used.add((segmentation.series.rig.key, segmentation.series.channel))
        elif segmentation.rig is not None:
            used.add((segmentation.rig.key, segmentation.channel))
    return used


def _rig_losses(rig: Any, specs: dict[str, dict[str, Any]]) -> list[str]:
    where = f"rig {rig.name!r}"
    found = []
    if rig.description is not None:
        found.append(f"{where}.description: the legacy format has no rig object, so {rig.description!r} is not written "
                     f"(it comes back derived from the devices of the rig)")
    if rig.microscope is not None and rig.microscope.name != rig.name:
        found.append(f"{where}.name: the legacy format has no rig object; the rig comes back named after its microscope "
                     f"{rig.microscope.name!r}")
    used = _used_channels(specs)
    unused = [c.name for c in rig.channels if (rig.key, c.name) not in used]
    if unused:
        found.append(_unused_channels(rig, unused, specs))
    for channel in rig.channels:
        found += _indicator_losses(channel.indicator, f"{where}.channels[{channel.name!r}].indicator")
    several_rigs = len({r.microscope.key for r in specs["rigs"].values() if r.microscope is not None}) > 1
    one_path = len(rig.light_paths()) < 2
    for slot, device in rig.devices():
        found += _device_losses(rig, slot, device, several_rigs=several_rigs, one_path=one_path)
    if one_path and not several_rigs:
        found += _filter_losses(rig)
    return found


def _filter_losses(rig: Any) -> list[str]:
    """Filters a legacy file's reader would put in the other slot (core NWB does not say which is which)."""
    parts = RigParts(rig.name)
    for channel in rig.channels:
        parts.channel(channel.name).emission = channel.emission_wavelength_nm
    held = [(slot, d) for slot, d in rig.devices() if slot in ("excitation_filter", "emission_filter")]
    place_by_kind(parts, [DeviceFacts(d.name, "optical_filter", {"center_wavelength_nm": d.center_wavelength_nm,
                                                                  "cut_wavelength_nm": d.cut_wavelength_nm}, None)
                          for _, d in held])
    placed = {d.name: slot for slot, d in parts.devices}
    return [f"rig {rig.name!r} {slot.replace('_', ' ')} {d.name!r}: the legacy format does not say which filters are "
            f"excitation filters; it comes back as the {placed[d.name].replace('_', ' ')}"
            for slot, d in held if placed.get(d.name) != slot]


def _unused_channels(rig: Any, unused: list[str], specs: dict[str, dict[str, Any]]) -> str:
    """What a rig with channels nothing uses loses: the legacy layout writes channels on imaging planes only."""
    spaces = {s.space.name for s in (*specs["series"].values(), *specs["segmentations"].values(),
                                     *specs["static_images"].values()) if s.space is not None and _on_rig(s, rig)}
    used = [c.name for c in rig.channels if c.name not in unused]
    planes = ", ".join(f"{space!r} as {space + '_' + channel!r}" for space in sorted(spaces) for channel in used)
    return (f"rig {rig.name!r}.channels: {', '.join(map(repr, unused))} used by no series, segmentation or static image; "
            f"the legacy format writes a channel only on the imaging plane of what uses it, so they are not written, and "
            f"the rig comes back with channels {', '.join(map(repr, used)) or 'none'} only: one light path (MicroscopyRig "
            f"{rig.name!r}, the descriptions of its channels keeping their light-path words) and spaces named as their "
            f"imaging planes ({planes or 'none'})")


def _on_rig(item: Any, rig: Any) -> bool:
    item_rig = item.rig if getattr(item, "rig", None) is not None else getattr(getattr(item, "series", None), "rig", None)
    return item_rig is not None and item_rig.key == rig.key


def _device_losses(rig: Any, slot: str, device: Any, *, several_rigs: bool, one_path: bool) -> list[str]:
    where = f"rig {rig.name!r} {slot.replace('_', ' ')} {device.name!r}"
    found = []
    if slot != "microscope" and several_rigs and one_path:
        found.append(f"{where}: in a legacy file of several rigs only the microscope of a rig is linked to it (by its imaging "
                     f"planes), so this device comes back attached to no rig")
    unsaid = device.model_spec() is None and device.description is not None and not device.instance_values()
    if slot != "microscope" and one_path and unsaid:
        found.append(f"{where}: the legacy format says the kind of a device only in the words it writes, and the "
                     f"description given replaces them; it comes back attached to no rig")
    numbers = {f: getattr(device, f) for f in (*device.instance_properties, *device.model_properties)}
    rounded = sorted(f for f, v in numbers.items() if v is not None and v is not UNKNOWN and not exact_in_text(v))
    if rounded:
        found.append(f"{where}: the legacy format keeps {', '.join(rounded)} as words, to 6 significant digits")
    position = getattr(device, "lens_position", None)
    if position is not None and _position_lost(position, default_target=device.name):
        found.append(f"{where}.lens_position: {_POSITION_WORDS}")
    return found


def _indicator_losses(indicator: Any, where: str) -> list[str]:
    if not isinstance(indicator, IndicatorSpec):
        return []
    found = []
    if indicator.key != indicator.label:
        found.append(f"{where}.key: the legacy format keeps an indicator's label only, so key {indicator.key!r} is lost")
    injection = indicator.injection
    if injection is not None:
        numbers = [v for v in (injection.volume_ul, injection.titer_vg_per_ml) if v is not None and v is not UNKNOWN]
        if not all(exact_in_text(float(v)) for v in numbers):
            found.append(f"{where}.injection: the legacy format keeps its volume and titer as words, to 6 significant digits")
        if injection.position is not None and _position_lost(injection.position, default_target=indicator.label):
            found.append(f"{where}.injection.position (of '{indicator.key} injection'): {_POSITION_WORDS}")
        if injection.date is None and injection.position is None and injection.description is not None:
            found.append(f"{where}.injection.description: with neither date nor position, the legacy words do not tell "
                         f"it from the description of the vector; it comes back as that")
    return found


def _spaces(specs: dict[str, dict[str, Any]]) -> Iterable[Any]:
    found = {}
    for item in (*specs["series"].values(), *specs["segmentations"].values(), *specs["static_images"].values()):
        if item.space is not None:
            found.setdefault(item.space.key, item.space)
    return found.values()


def _space_losses(space: Any, specs: dict[str, dict[str, Any]]) -> list[str]:
    where = f"space {space.name!r}"
    found = []
    pattern = space.illumination
    series = [s for s in specs["series"].values() if s.space.key == space.key]
    if pattern is not None and pattern.kind != "illumination_pattern":
        kept = pattern.kind == "line_scan" and series and getattr(pattern, "line_rate_hz", None) is not None
        lost = [f for f in ("description", "dwell_time_s", "scan_direction", "plane_rate_hz", "illumination_angle_deg",
                            "point_spread_function", "max_scan_points", "scanning_pattern")
                if getattr(pattern, f, None) is not None]
        if not kept:
            found.append(f"{where}.{pattern.kind}: the legacy format keeps of an illumination pattern only the rate of a "
                         f"line scan, as the scan_line_rate of its series; this pattern comes back as a placeholder")
        elif lost:
            found.append(f"{where}.{pattern.kind}: the legacy format keeps of an illumination pattern only the line rate, "
                         f"not {', '.join(lost)}")
    elif pattern is not None and pattern.description is not UNKNOWN:
        found.append(f"{where}.illumination: the legacy format has no illumination pattern; it comes back as a placeholder")
    if space.fov_center is not None and _position_lost(space.fov_center, default_target=space.anatomical_target):
        found.append(f"{where}.fov_center: {_POSITION_WORDS}")
    return found


def _position_lost(position: PositionSpec, *, default_target: Any) -> bool:
    angles = any(v is not None for v in (position.pitch_deg, position.yaw_deg, position.roll_deg))
    target = position.anatomical_target not in (None, default_target)
    numbers = not all(exact_in_text(v) for v in (position.x_mm, position.y_mm, position.z_mm) if isinstance(v, float))
    return angles or target or numbers


def _grouping_losses(series: list[SeriesSpec]) -> list[str]:
    """Container names given, or series kept apart, that the legacy layout (which has no containers) cannot hold."""
    found = []
    try:
        default = plan_layout([_default_grouping(s) for s in series])
        given = plan_layout(series)
    except ValidationError:
        return found
    for item in series:
        if given.parents(item.key) != default.parents(item.key):
            found.append(f"series {item.name!r}: the legacy format has no multi-plane or multi-channel containers, so its "
                         f"grouping ({'ungrouped' if not item.grouped else 'container names given'}) comes back as the "
                         f"default of the builders")
    return found


def _default_grouping(series: SeriesSpec) -> SeriesSpec:
    return attrs.evolve(series, grouped=True, plane_group=None, channel_group=None)

