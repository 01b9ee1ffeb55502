"""Everything on one space, or on the planes of one base space, shares its pixel (or voxel) grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from ..specs import SeriesSpec
from ..specs.sources import describe_shape
from ..validation import Problem


def grid_problems(registry: Registry, spec: Any, shape_of: Callable[[Any], tuple[int, ...]]) -> list[Problem]:
    """Where a series' or segmentation's data disagree in shape with data registered on the same grid.

    Checked only when the space leaves its dimensions to the data. ``shape_of`` gives the
    (rows, columns[, planes]) of a series' or segmentation's data.
    """
    kind = "series" if isinstance(spec, SeriesSpec) else "segmentation"
    space = spec.space
    if space.dimensions is not None:
        return []
    shape = shape_of(spec)
    for other_kind in ("series", "segmentation"):
        for other in registry.of_kind(other_kind):
            same_grid = other.space.key == space.key or (space.base_key is not None and other.space.base_key == space.base_key)
            if not same_grid or (other_kind, other.key) == (kind, spec.key):
                continue
            other_shape = shape_of(other)
            if other_shape != shape:
                grid = "voxel" if space.is_volumetric else "pixel"
                return [Problem(f"{kind} {spec.name!r}.space",
                                f"data of {describe_shape(shape)} but {other_kind} {other.name!r} on the same space "
                                f"{space.name!r} has {describe_shape(other_shape)}; one space has one {grid} grid: use a "
                                f"separate space per field of view")]
    return []
