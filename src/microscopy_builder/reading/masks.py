"""ROI masks of stored ROI tables, read one ROI at a time, in roiextractors' conventions.

Stored layouts: ndx-microscopy ``image_mask`` (ROI, y, x) and ``volume_mask`` (ROI, z, y, x);
legacy ``image_mask`` (ROI, x, y[, z]); ``pixel_mask`` rows (x, y, weight) and ``voxel_mask`` rows
(x, y, z, weight) in both. roiextractors wants dense masks as (rows, columns[, planes]) per ROI,
stacked on axis 2, and sparse ones as rows of (y, x[, z], weight).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DENSE_COLUMNS = ("image_mask", "volume_mask")
SPARSE_COLUMNS = {"pixel_mask": "pixel", "voxel_mask": "voxel"}
MASK_COLUMNS = frozenset({*DENSE_COLUMNS, *SPARSE_COLUMNS, *(f"{c}_index" for c in SPARSE_COLUMNS)})

# stored (y, x) / (z, y, x) / (x, y) / (x, y, z) of one ROI -> (rows, columns[, planes])
_DENSE_AXES = {("ndx-microscopy", 2): (0, 1), ("ndx-microscopy", 3): (1, 2, 0), ("legacy", 2): (1, 0), ("legacy", 3): (1, 0, 2)}


class TableMasks:
    """The masks of one ROI table.

    Parameters
    ----------
    table
        A pynwb ``PlaneSegmentation`` or ndx-microscopy ``PlanarSegmentation`` / ``VolumetricSegmentation``.
    format
        ``"ndx-microscopy"`` or ``"legacy"``: the stored axis order of dense masks.
    """

    def __init__(self, table: Any, *, format: str):
        self.num_rois = len(table.id)
        dense = next((name for name in DENSE_COLUMNS if name in table.colnames), None)
        sparse = next((name for name in SPARSE_COLUMNS if name in table.colnames), None)
        self.kind = "image" if dense is not None else SPARSE_COLUMNS.get(sparse)
        self._dense = None if dense is None else table[dense].data
        self._sparse = None
        if self.kind in ("pixel", "voxel"):
            index = table[sparse]
            self._sparse = index.target.data
            self._ends = np.asarray(index.data[:], dtype="int64")
        self._axes = None if dense is None else _DENSE_AXES[(format, len(self._dense.shape) - 1)]
        self.frame_shape: tuple[int, ...] | None = None
        if self._dense is not None:
            stored = tuple(int(n) for n in self._dense.shape[1:])
            self.frame_shape = tuple(stored[axis] for axis in self._axes)

    @property
    def volumetric(self) -> bool | None:
        if self.frame_shape is not None:
            return len(self.frame_shape) == 3
        return None if self.kind is None else self.kind == "voxel"

    def dense(self, row: int, frame_shape: tuple[int, ...]) -> np.ndarray:
        """ROI ``row``'s mask as (rows, columns[, planes])."""
        if self._dense is not None:
            return np.asarray(self._dense[row]).transpose(self._axes)
        mask = np.zeros(frame_shape, dtype="float32")
        if self._sparse is None:  # a table without masks
            return mask
        rows = self.sparse(row)
        if len(rows):
            coordinates = tuple(rows[:, axis].astype("int64") for axis in range(rows.shape[1] - 1))
            mask[coordinates] = rows[:, -1]
        return mask

    def sparse(self, row: int) -> np.ndarray:
        """ROI ``row``'s mask as rows of (y, x[, z], weight) (float64)."""
        if self._sparse is None and self._dense is None:  # a table without masks
            return np.zeros((0, 3), dtype="float64")
        if self._sparse is None:
            mask = self.dense(row, ())
            where = np.nonzero(mask)
            return np.column_stack([*where, mask[where]]).astype("float64")
        start = int(self._ends[row - 1]) if row > 0 else 0
        stored = _columns(self._sparse[start : int(self._ends[row])])  # (x, y[, z], weight)
        order = [1, 0, *range(2, stored.shape[1])]
        return stored[:, order]

    def extent(self) -> tuple[int, ...]:
        """The smallest (rows, columns[, planes]) holding every sparse mask: a last resort for the frame shape."""
        rows = [self.sparse(row) for row in range(self.num_rois)]
        width = 4 if self.kind == "voxel" else 3
        stacked = np.concatenate([r for r in rows if len(r)] or [np.zeros((0, width))])
        if not len(stacked):
            return (0,) * (width - 1)
        return tuple(int(n) + 1 for n in stacked[:, :-1].max(axis=0))


class MaskStack:
    """The masks of several ROIs (of one or more tables), as roiextractors' ``_ROIMasks.data``.

    ``stack[:, :, i]`` is ROI ``i``'s dense mask (rows, columns[, planes]); ``stack[i]`` its sparse
    (y, x[, z], weight) rows. Nothing is read until a ROI is asked for.
    """

    def __init__(self, entries: Sequence[tuple[TableMasks, int]], frame_shape: tuple[int, ...]):
        self._entries = list(entries)
        self._frame_shape = tuple(frame_shape)

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self._frame_shape[:2], len(self._entries), *self._frame_shape[2:])

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, key: Any) -> np.ndarray | list:
        if not isinstance(key, tuple):
            picked = self._entries[key]
            if isinstance(key, slice):
                return [masks.sparse(row) for masks, row in picked]
            masks, row = picked
            return masks.sparse(row)
        key = (*key, *(slice(None),) * (3 - len(key)))
        rois = key[2]
        if isinstance(rois, (int, np.integer)):
            masks, row = self._entries[rois]
            return masks.dense(row, self._frame_shape)[(key[0], key[1], *key[3:])]
        chosen = self._entries[rois] if isinstance(rois, slice) else [self._entries[i] for i in rois]
        stacked = np.stack([m.dense(r, self._frame_shape) for m, r in chosen], axis=2) if chosen else np.zeros(
            (*self._frame_shape[:2], 0, *self._frame_shape[2:]), dtype="float32"
        )
        return stacked[(key[0], key[1], slice(None), *key[3:])]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self[:, :, :]
        return array if dtype is None else array.astype(dtype)


def _columns(rows: Any) -> np.ndarray:
    """Stored mask rows (a compound array, or a plain 2-D one) as a float64 (n, fields) array."""
    rows = np.asarray(rows)
    if rows.dtype.names:
        return np.column_stack([rows[name].astype("float64") for name in rows.dtype.names]).reshape(len(rows), -1)
    return rows.astype("float64").reshape(len(rows), -1)
