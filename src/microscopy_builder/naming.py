"""Names that would make a written file unreadable, found before anything is written.

pynwb writes an object under a name its parent already uses for one of its own fields (a space
called ``data`` in a series, a channel called ``location`` in an ImagingPlane, a device called
``models`` beside the device models) or beside a sibling of the same name (an ndx-microscopy
space and channel both called ``Green``, a rig named like an indicator), and then cannot read the
file back. Each format lists where it puts every named object as :class:`Claim`\\ s; this module
finds the clashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import unicodedata

import attrs

from .specs.fields import name_problem


@attrs.frozen
class Claim:
    """One object's name in one parent group.

    Attributes
    ----------
    parent
        The group it goes in, as messages name it (``"series 'TwoPhotonSeries'"``).
    name
        The object's NWB name.
    what
        The object, as messages name it (``"space 'V1'"``).
    identity
        Claims of one identity are one object (a space linked from two series); two identities
        may not share a name in one parent.
    parent_type
        ``(namespace, neurodata type)`` of the parent, whose own fields' names are reserved; ``None``
        for a group of no type.
    fix
        What to do when the name is taken, when more is needed than renaming the object.
    """

    parent: str
    name: str
    what: str
    identity: tuple
    parent_type: tuple[str, str] | None = None
    fix: str | None = None


#: fixed children of untyped groups, by the parent as claims name it
RESERVED_IN = {"general/devices": frozenset({"models"})}


@cache
def reserved_names(namespace: str, neurodata_type: str) -> frozenset[str]:
    """The names an NWB type gives its own datasets, groups, links and attributes (inherited ones too)."""
    from pynwb import get_type_map

    spec = get_type_map().namespace_catalog.get_spec(namespace, neurodata_type)
    names = set()
    for kind in ("datasets", "groups", "links", "attributes"):
        names.update(child.name for child in getattr(spec, kind) if child.name)
    return frozenset(names)


def clash_problems(claims: Iterable[Claim], reserved: Mapping[str, frozenset[str]] = RESERVED_IN) -> list[str]:
    """A problem for every name its parent reserves and for every two objects claiming one name in one parent."""
    problems: list[str] = []
    taken: dict[tuple[str, str], Claim] = {}
    folded: dict[tuple[str, str], Claim] = {}
    for claim in claims:
        unusable = name_problem(claim.name, claim.what)  # names made from free text (an indicator, a model) too
        if unusable is not None:
            problems.append(unusable)
            continue
        own = reserved.get(claim.parent, frozenset())
        if claim.parent_type is not None:
            own = own | reserved_names(*claim.parent_type)
        if claim.name in own:
            field = f"a field of every {claim.parent_type[1]}" if claim.parent_type else "a group NWB keeps there"
            problems.append(
                f"{claim.what}: the name {claim.name!r} is reserved in {claim.parent} ({field}); pynwb could not "
                f"read the file back: {claim.fix or 'rename the ' + claim.what.split(' ')[0]}"
            )
            continue
        first = taken.setdefault((claim.parent, claim.name), claim)
        alike = folded.setdefault((claim.parent, unicodedata.normalize("NFC", claim.name).casefold()), claim)
        if alike.identity != claim.identity and alike.name != claim.name:
            problems.append(
                f"{claim.what}: {alike.what} is named {alike.name!r} in {claim.parent}, which differs from {claim.name!r} "
                f"only in case or Unicode form; file systems that ignore those (macOS, Windows) would merge them in a "
                f"Zarr store: rename one of them"
            )
            continue
        if first.identity != claim.identity:
            problems.append(
                f"{claim.what}: {first.what} already has the name {claim.name!r} in {claim.parent}; two objects of "
                f"one name in one group make the file unreadable: {claim.fix or 'rename one of them'}"
            )
    return list(dict.fromkeys(problems))
