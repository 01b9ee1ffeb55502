"""Two keys may not claim one NWB name, nor a new key a name the file already holds."""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import Any

from ..registry import Registry
from . import Conflict

#: kinds whose NWB names must be unique among their kind (series: within their location)
NAMED_KINDS = ("series", "device", "rig", "segmentation", "space")


def name_problems(registry: Registry, entries: Sequence[tuple[str, str, Any]], held_series: Container[str],
                  is_new: Callable[[str, str], bool]) -> list[Conflict]:
    """Keys of ``entries`` whose name another key of their kind has, or (series) that the file already holds.

    ``held_series`` are the names in the file's acquisition and ``processing/ophys``; ``is_new(kind,
    key)`` says whether a key is neither registered nor emitted yet (devices, rigs and planes the
    file holds are reused when identical, which the emitter checks).
    """
    problems = []
    for kind, key, spec in entries:
        if kind not in NAMED_KINDS:
            continue
        for other in registry.of_kind(kind):
            same_place = kind != "series" or other.location == spec.location
            if other.key != key and other.name == spec.name and same_place:
                problems.append(Conflict(kind, key, ("name",), (
                    f"{kind} name {spec.name!r} (key {key!r}) is already used by the {kind} with key {other.key!r}; "
                    f"NWB names must be unique here, so rename one of them")))
        if kind == "series" and spec.name in held_series and is_new(kind, key):
            problems.append(Conflict(kind, key, ("name",), (
                f"the file already holds an object named {spec.name!r} where {kind} {key!r} would go; rename the {kind}")))
    return problems
