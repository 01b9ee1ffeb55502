"""Planes of one multi-plane recording (``space.at_depth(...)``) share their base's grid and differ in depth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..registry import Registry
from ..validation import Problem


def plane_problems(registry: Registry, entries: Sequence[tuple[str, str, Any]]) -> list[Problem]:
    """Planes of ``entries`` whose pixel size differs from a registered plane of their base, or whose depth
    another plane of it claims."""
    problems = []
    for kind, key, space in entries:
        if kind != "space" or space.base_key is None:
            continue
        where = f"space {space.name!r}"
        for other in registry.of_kind("space"):
            if other.base_key != space.base_key:
                continue
            planes = f"planes {other.name!r} and {space.name!r} of space {space.base_key!r}"
            if other.pixel_size_um != space.pixel_size_um:
                problems.append(Problem(where, f"{planes} differ in pixel size ({other.pixel_size_um} vs "
                                               f"{space.pixel_size_um}); planes from at_depth share their base's grid: "
                                               f"derive a plane of another space instead"))
            if other.depth_um == space.depth_um and other.key != key:
                problems.append(Problem(where, f"{planes} both claim depth {space.depth_um:g} um; one depth is one "
                                               f"plane: use the same plane for both, or correct the depth"))
    return problems
