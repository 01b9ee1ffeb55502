"""Which series share a multi-plane or multi-channel container: decided from facts, all series at once.

The builders state facts (space, depth, rig, channel); grouping follows from them, as the
ndx-microscopy documentation lays data out:

* series of one rig and channel, in one place (acquisition or processing), on planes of one base
  space (``space.at_depth``) at distinct depths form a *multi-plane* group;
* units (single series or multi-plane groups) of one rig, in one place, on one space (or one set
  of planes) with two or more channels, one unit per channel, form a *multi-channel* group.

A series marked ``ungrouped`` stands alone; a would-be group whose members repeat a depth or a
channel (two trials on one plane, say) is not grouped, since its members would be ambiguous.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import attrs

from ..errors import ValidationError
from ..specs import SeriesSpec


@attrs.frozen
class Group:
    """A container to make: its kind, name, members (keys of series or of plane groups)."""

    kind: str  # "plane" or "channel"
    name: str
    members: tuple[str, ...]
    location: str


@attrs.frozen
class Layout:
    """Where every series goes: its plane group and channel group (either may be ``None``)."""

    plane_group_of: dict[str, Group] = attrs.field(factory=dict)  # by series key
    channel_group_of: dict[tuple[str, str], Group] = attrs.field(factory=dict)  # by unit

    def parents(self, series_key: str) -> tuple[Group, ...]:
        """The containers of a series, outermost first."""
        plane = self.plane_group_of.get(series_key)
        channel = self.channel_group_of.get(("series", series_key) if plane is None else ("plane", plane.name))
        return tuple(g for g in (channel, plane) if g is not None)


def plan_layout(series: Sequence[SeriesSpec]) -> Layout:
    """Group ``series`` (all of a session's) into multi-plane and multi-channel containers."""
    layout = Layout()
    planes: dict[tuple, list[SeriesSpec]] = defaultdict(list)
    for item in series:
        if item.grouped and item.space.base_key is not None:
            planes[(item.location, item.rig.key, item.channel, item.space.base_key)].append(item)

    # units, ("series", key) or ("plane", group name): (spatial identity, channel, members)
    units: dict[tuple[str, str], tuple[tuple, str, list[SeriesSpec]]] = {}
    for (location, rig, channel, base), members in planes.items():
        depths = [m.space.depth_um for m in members]
        if len(members) < 2 or len(set(depths)) != len(depths):
            continue
        members.sort(key=lambda m: m.space.depth_um)
        name = _agreed_name(members, "plane_group") or f"MultiPlane_{members[0].space.base_name}_{channel}"
        group = Group("plane", name, tuple(m.key for m in members), location)
        for member in members:
            layout.plane_group_of[member.key] = group
        units[("plane", name)] = ((location, rig, "planes", base), channel, members)
    for item in series:
        if item.key not in layout.plane_group_of:
            units[("series", item.key)] = ((item.location, item.rig.key, "space", item.space.key), item.channel, [item])

    channels: dict[tuple, list[tuple[tuple[str, str], str, list[SeriesSpec]]]] = defaultdict(list)
    for unit, (identity, channel, members) in units.items():
        if all(m.grouped for m in members):
            channels[identity].append((unit, channel, members))
    for (location, _, kind, place), found in channels.items():
        names = [channel for _, channel, _ in found]
        if len(found) < 2 or len(set(names)) != len(names):
            continue
        specs = [m for _, _, members in found for m in members]
        first_space = found[0][2][0].space
        where = first_space.base_name if kind == "planes" else first_space.name
        name = _agreed_name(specs, "channel_group") or f"MultiChannel_{where}"
        group = Group("channel", name, tuple(unit[1] for unit, _, _ in found), location)
        for unit, _, _ in found:
            layout.channel_group_of[unit] = group
    return layout


def _agreed_name(members: Sequence[SeriesSpec], field: str) -> str | None:
    """The container name the members give (``None``: none gave one); disagreement is an error."""
    names = {getattr(m, field) for m in members} - {None}
    if len(names) > 1:
        listed = ", ".join(f"{m.name!r}: {getattr(m, field)!r}" for m in members)
        raise ValidationError(
            [f"series {', '.join(repr(m.name) for m in members)}: one container, several names for it ({listed}); "
             f"give the same .grouped({field.split('_')[0]}s=...) name to all of them"]
        )
    return names.pop() if names else None
