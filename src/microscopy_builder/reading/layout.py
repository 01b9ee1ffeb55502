"""What a ROI table's neighbours in the file say about it: its background table, frame shape and channel.

* A background table is the sibling named ``Background<table>`` in the same container (how this
  library writes background components, in both layouts).
* The frame shape comes from the dense masks when stored; else from the ndx-microscopy imaging
  space (``dimensions_in_pixels`` / ``dimensions_in_voxels``, stored (x, y[, z])), a legacy series
  on the same ``ImagingPlane``, or a summary image; only as a last resort from the masks' extent,
  with a warning.
* Channels: the legacy plane's ``OpticalChannel`` names, or the ``MicroscopyChannel`` of the
  series the traces (or the space) belong to.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from ..errors import CompatibilityWarning
from .files import NDX_SERIES_TYPES, has_type
from .masks import TableMasks

BACKGROUND_PREFIX = "Background"


def background_of(table: Any, tables: Iterable[Any]) -> Any | None:
    """The background table of ``table``: ``Background<name>`` in the same container, or ``None``."""
    wanted = f"{BACKGROUND_PREFIX}{table.name}"
    return next((t for t in tables if t.name == wanted and _same(t.parent, table.parent)), None)


def is_background(table: Any, tables: Iterable[Any]) -> bool:
    """Whether ``table`` is another table's background table."""
    if not table.name.startswith(BACKGROUND_PREFIX):
        return False
    owner = table.name.removeprefix(BACKGROUND_PREFIX)
    return any(t.name == owner and _same(t.parent, table.parent) for t in tables)


def space_of(table: Any) -> Any | None:
    """The ndx-microscopy imaging space of a table, or the legacy ``ImagingPlane``."""
    for field in ("planar_imaging_space", "volumetric_imaging_space", "imaging_plane"):
        found = getattr(table, field, None)
        if found is not None:
            return found
    return None


def frame_shape(
    table: Any, masks: Iterable[TableMasks], series: Iterable[Any], images: dict[str, Any], where: str
) -> tuple[int, ...]:
    """(rows, columns[, planes]) of a table's masks (see the module for the order of sources)."""
    masks = list(masks)
    for table_masks in masks:
        if table_masks.frame_shape is not None:
            return table_masks.frame_shape
    space = space_of(table)
    dimensions = getattr(space, "dimensions_in_pixels", None)
    if dimensions is None:
        dimensions = getattr(space, "dimensions_in_voxels", None)
    if dimensions is not None:
        x_y_z = [int(n) for n in dimensions[:]]
        return (x_y_z[1], x_y_z[0], *x_y_z[2:])
    for movie in on_space(space, series):
        shape = [int(n) for n in movie.data.shape[1:]]
        if has_type(movie, NDX_SERIES_TYPES):  # (height, width) or (depth, height, width)
            return (shape[-2], shape[-1], *shape[:-2])
        return (shape[1], shape[0], *shape[2:])  # legacy (x, y[, z])
    for image in images.values():
        return tuple(int(n) for n in image.shape)
    extents = [m.extent() for m in masks]
    shape = tuple(max(sizes) for sizes in zip(*extents))
    warnings.warn(
        f"{where}: the file records no frame shape for its sparse masks; using the masks' extent {shape}",
        CompatibilityWarning,
        stacklevel=3,
    )
    return shape


def on_space(space: Any, series: Iterable[Any]) -> list[Any]:
    """The imaging series of ``series`` recorded on ``space`` (same object in the file)."""
    if space is None:
        return []
    return [movie for movie in series if _same(space_of(movie), space)]


def channel_names(table: Any, traces: Iterable[Any], series: Iterable[Any]) -> list[str] | None:
    """The channel names of a table, or ``None`` when the file says nothing about them."""
    plane = getattr(table, "imaging_plane", None)
    if plane is not None:
        return [channel.name for channel in plane.optical_channel]
    movies = [getattr(trace, "microscopy_series", None) for trace in traces]
    movies = [movie for movie in movies if movie is not None] or on_space(space_of(table), series)
    names = []
    for movie in movies:
        channel = getattr(movie, "microscopy_channel", None)
        if channel is not None and channel.name not in names:
            names.append(channel.name)
    return names or None


def _same(first: Any, second: Any) -> bool:
    return first is not None and second is not None and first.object_id == second.object_id
