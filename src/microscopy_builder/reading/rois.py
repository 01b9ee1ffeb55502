"""ROI ids and per-ROI columns of a stored ROI table, as roiextractors properties.

* ids: the ``roi_name`` column when it says more than the integer ``id`` (string ids such as
  ``"roi_00"`` are kept there), else the ``id`` column;
* acceptance: ``Accepted`` / ``Rejected`` (0/1) become the boolean properties ``is_accepted`` /
  ``is_rejected``, the keys roiextractors' own extractors (Numpy, CaImAn, the test generators)
  use and NeuroConv writes back as columns of those names;
* ``ROICentroids``, stored (x, y[, z]) in pixels, becomes ``roi_centroids`` as (row, column[, plane]),
  as roiextractors' NWB reader gives it;
* every other column (not a mask, not an id) is a property of its own name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .masks import MASK_COLUMNS

ACCEPTANCE_COLUMNS = {"Accepted": "is_accepted", "Rejected": "is_rejected"}
BOOLEAN_PROPERTIES = frozenset({"is_accepted", "is_rejected", "accepted", "rejected"})
CENTROIDS_COLUMN = "ROICentroids"
_NOT_PROPERTIES = frozenset({*MASK_COLUMNS, "roi_name", "id"})


def roi_ids(table: Any, *, background: bool = False) -> list:
    """The ROI ids of ``table``; background ids always start with ``"background"`` (roiextractors' rule)."""
    ids = [int(i) for i in np.asarray(table.id.data[:])]
    chosen: list = ids
    if "roi_name" in table.colnames:
        names = [str(name) for name in column_values(table, "roi_name")]
        if names != [str(i) for i in ids] and len(set(names)) == len(names):
            chosen = names
    if background:
        chosen = [i if str(i).startswith("background") else f"background{i}" for i in chosen]
    return chosen


def roi_properties(table: Any) -> dict[str, tuple[np.ndarray, str]]:
    """``{property: (values per ROI, description)}`` of every per-ROI column of ``table``."""
    found: dict[str, tuple[np.ndarray, str]] = {}
    for name in table.colnames:
        if name in _NOT_PROPERTIES or name.endswith("_index"):
            continue
        values = column_values(table, name)
        description = getattr(table[name], "description", "") or ""
        key = ACCEPTANCE_COLUMNS.get(name, name)
        if name == CENTROIDS_COLUMN:
            key, values = "roi_centroids", _rows_columns(values)
        elif key in BOOLEAN_PROPERTIES:
            values = values.astype(bool)
        found[key] = (values, description)
    return found


def column_values(table: Any, name: str) -> np.ndarray:
    """One value per row of a column: plain columns as an array, ragged ones as an object array."""
    column = table[name]
    if type(column).__name__ == "VectorIndex":
        return np.array([np.asarray(column[row]) for row in range(len(table))] + [None], dtype=object)[:-1]
    values = np.asarray(column.data[:])
    if values.dtype.kind == "S" or (values.dtype.kind == "O" and any(isinstance(v, bytes) for v in values.flat)):
        values = np.array([v.decode() if isinstance(v, bytes) else v for v in values.flat], dtype=object).reshape(values.shape)
    if values.dtype.kind == "O" and all(isinstance(v, str) for v in values.flat):
        values = values.astype(str)
    return values


def _rows_columns(centroids: np.ndarray) -> np.ndarray:
    """(x, y[, z]) centroids as (row, column[, plane])."""
    centroids = np.asarray(centroids, dtype="float64")
    if centroids.ndim != 2 or centroids.shape[1] < 2:
        return centroids
    order = [1, 0, *range(2, centroids.shape[1])]
    return centroids[:, order]
