"""Which series share a multi-plane or multi-channel container: decided from facts, all series at once.

The builders state facts (space, depth, rig, channel, place); grouping follows from them, as the
ndx-microscopy documentation lays data out:

* series of one rig and channel, in one place (acquisition or processing), on planes of one base
  space (``space.at_depth``) at distinct depths form a *multi-plane* group;
* units (single series or multi-plane groups) of one rig, in one place, on one space (or one set
  of depths of one base) with two or more channels, one unit per channel, form a *multi-channel*
  group.

A series marked ``ungrouped`` stands alone; a would-be group whose members repeat a depth or a
channel (two trials on one plane, say) is not grouped, since its members would be ambiguous.
Default container names say the base space and channel (``MultiPlane_V1_Green``) or the space
(``MultiChannel_V1``), with the rig's name appended when two rigs would otherwise share a name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import attrs

from ..errors import ValidationError
from ..specs import SeriesSpec


@attrs.frozen
class Group:
    """A container to make: its kind, name, place and identity (two groups never share an identity)."""

    kind: str  # "plane" or "channel"
    name: str
    location: str
    identity: tuple


@attrs.frozen
class Layout:
    """Where every series goes: its plane group and channel group (either may be ``None``)."""

    plane_group_of: dict[str, Group] = attrs.field(factory=dict)  # by series key
    channel_group_of: dict[tuple, Group] = attrs.field(factory=dict)  # by unit identity

    def parents(self, series_key: str) -> tuple[Group, ...]:
        """The containers of a series, outermost first."""
        plane = self.plane_group_of.get(series_key)
        channel = self.channel_group_of.get(("series", series_key) if plane is None else plane.identity)
        return tuple(g for g in (channel, plane) if g is not None)


@attrs.frozen
class _Unit:
    """A single series or a multi-plane group: what a multi-channel group holds."""

    identity: tuple
    name: str
    place: tuple  # (location, rig key, spatial identity): units of one place may share a channel group
    channel: str
    members: tuple[SeriesSpec, ...]


def plan_layout(series: Sequence[SeriesSpec]) -> Layout:
    """Group ``series`` (all of a session's) into multi-plane and multi-channel containers.

    Raises ``ValidationError`` when containers and series would share a name in one place, or the
    members of one group name their container differently.
    """
    layout = Layout()
    units = _plane_units(series, layout)
    by_place: dict[tuple, list[_Unit]] = defaultdict(list)
    for unit in units:
        if all(m.grouped for m in unit.members):
            by_place[unit.place].append(unit)
    channel_groups: list[tuple[Group, list[SeriesSpec], list[_Unit]]] = []
    for place, found in by_place.items():
        channels = [unit.channel for unit in found]
        if len(found) < 2 or len(set(channels)) != len(channels):
            continue
        specs = [m for unit in found for m in unit.members]
        first_space = specs[0].space
        where = first_space.base_name if first_space.base_key is not None else first_space.name
        given = _agreed_name(specs, "channel_group")
        group = Group("channel", given or f"MultiChannel_{where}", place[0], ("channel", place))
        channel_groups.append((group, specs, found))
    for group, _, found in _disambiguate(channel_groups, "channel_group"):
        for unit in found:
            layout.channel_group_of[unit.identity] = group
    _check_names(units, layout)
    return layout


def _plane_units(series: Sequence[SeriesSpec], layout: Layout) -> list[_Unit]:
    """Multi-plane groups (recorded in ``layout``) and the single series left, as units."""
    planes: dict[tuple, list[SeriesSpec]] = defaultdict(list)
    for item in series:
        if item.grouped and item.space.base_key is not None:
            planes[(item.location, item.rig.key, item.channel, item.space.base_key)].append(item)
    plane_groups: list[tuple[Group, list[SeriesSpec], list[SeriesSpec]]] = []
    for identity, members in planes.items():
        depths = [m.space.depth_um for m in members]
        if len(members) < 2 or len(set(depths)) != len(depths):
            continue
        members = sorted(members, key=lambda m: m.space.depth_um)
        location, _, channel, _ = identity
        given = _agreed_name(members, "plane_group")
        name = given or f"MultiPlane_{members[0].space.base_name}_{channel}"
        plane_groups.append((Group("plane", name, location, ("plane", identity)), members, members))
    units = []
    for group, _, members in _disambiguate(plane_groups, "plane_group"):
        for member in members:
            layout.plane_group_of[member.key] = group
        location, rig, channel, base = group.identity[1]
        depths = tuple(m.space.depth_um for m in members)
        units.append(_Unit(group.identity, group.name, (location, rig, ("planes", base, depths)), channel, tuple(members)))
    for item in series:
        if item.key not in layout.plane_group_of:
            place = (item.location, item.rig.key, ("space", item.space.key))
            units.append(_Unit(("series", item.key), item.name, place, item.channel, (item,)))
    return units


def _disambiguate(groups: list[tuple[Group, list[SeriesSpec], list]], field: str) -> list[tuple[Group, list[SeriesSpec], list]]:
    """Default names shared by groups of different rigs in one place get the rig's name appended.

    Each entry is (group, its series, what it holds); ``field`` is the series field that names it.
    """
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for group, _, _ in groups:
        counts[(group.location, group.name)] += 1
    renamed = []
    for group, specs, held in groups:
        given = any(getattr(spec, field) is not None for spec in specs)
        if counts[(group.location, group.name)] > 1 and not given:
            group = attrs.evolve(group, name=f"{group.name}_{specs[0].rig.name}")
        renamed.append((group, specs, held))
    return renamed


def _check_names(units: list[_Unit], layout: Layout) -> None:
    """Every container and series needs a name of its own where it is placed."""
    holders: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for unit in units:
        channel = layout.channel_group_of.get(unit.identity)
        where = ("in", channel.identity) if channel is not None else ("at", unit.members[0].location)
        holders[where][unit.name].add(unit.identity)
        if channel is not None:
            holders[("at", channel.location)][channel.name].add(channel.identity)
        if unit.identity[0] == "plane":
            for member in unit.members:
                holders[("in", unit.identity)][member.name].add(("series", member.key))
    for where, names in holders.items():
        for name, claimants in names.items():
            if len(claimants) > 1:
                place = where[1] if where[0] == "at" else "one container"
                raise ValidationError(
                    [
                        f"{len(claimants)} different series or containers would be named {name!r} in {place}; "
                        f"give the containers distinct names with .grouped(planes=..., channels=...), rename a "
                        f"series, or mark series .ungrouped()"
                    ]
                )


def _agreed_name(members: Sequence[SeriesSpec], field: str) -> str | None:
    """The container name the members give (``None``: none gave one); disagreement is an error."""
    names = {getattr(m, field) for m in members} - {None}
    if len(names) > 1:
        listed = ", ".join(f"{m.name!r}: {getattr(m, field)!r}" for m in members)
        raise ValidationError(
            [
                f"series {', '.join(repr(m.name) for m in members)}: one container, several names for it ({listed}); "
                f"give the same .grouped({field.split('_')[0]}s=...) name to all of them"
            ]
        )
    return names.pop() if names else None
