"""The traces of a ROI table: every response series whose ROI region points at it, by kind.

Kinds are roiextractors' trace names (``raw``, ``dff``, ``neuropil``, ...). A series belongs to a
table by its ``rois`` region's table, never by its name; the kind comes from the series' name
(a ``_<table name>`` suffix dropped: ``Neuropil_Cells``) or, failing that, from its container's
(``Fluorescence``, ``DfOverF``). Series on a background table are ``background``. A series of
no known kind keeps its stored name as its kind, so nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..specs import TRACE_KINDS

# lower-cased stored name -> kind; "RoiResponseSeries" is raw except inside a DfOverF container
_NAME_KINDS = {
    "roiresponseseries": "raw",
    "fluorescence": "raw",
    "raw": "raw",
    "dfoverf": "dff",
    "dff": "dff",
    "neuropil": "neuropil",
    "deconvolved": "deconvolved",
    "denoised": "denoised",
    "baseline": "baseline",
    "background": "background",
}


class TraceData:
    """A stored (frames, ROIs) trace dataset that slices like a numpy array, reading only the frames asked for.

    h5py and zarr datasets differ in fancy indexing; this reads a range of frames from the file
    and applies everything else in numpy.
    """

    def __init__(self, dataset: Any, columns: np.ndarray | None = None):
        self._dataset = dataset
        #: stored column of each column served (``None``: as stored); see :func:`table_order`
        self._columns = columns
        self.shape = tuple(int(n) for n in dataset.shape)
        self.dtype = np.dtype(dataset.dtype)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        frames, rest = key[0], key[1:]
        if frames is Ellipsis:
            return self._ordered(np.asarray(self._dataset[:]))[key]
        if isinstance(frames, (slice, int, np.integer)):
            block = self._ordered(np.asarray(self._dataset[frames]))
        else:
            wanted = np.arange(self.shape[0])[np.asarray(frames)]
            low = int(wanted.min()) if wanted.size else 0
            high = int(wanted.max()) + 1 if wanted.size else 0
            block = self._ordered(np.asarray(self._dataset[low:high])[wanted - low])
        if isinstance(frames, (int, np.integer)):
            return block[rest] if rest else block
        return block[(slice(None), *rest)]

    def _ordered(self, block: np.ndarray) -> np.ndarray:
        return block if self._columns is None else block[..., self._columns]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self._ordered(np.asarray(self._dataset[:]))
        return data if dtype is None else data.astype(dtype)


def table_order(rows: np.ndarray) -> np.ndarray | None:
    """The stored columns to serve so that column ``k`` is table row ``k``'s trace, when a response series'
    ``rois`` region lists every row of its table once in another order; ``None`` when it needs no reordering
    (the region is the table's order) or cannot have it (a region of some rows only, or a row twice)."""
    rows = np.asarray(rows, dtype="int64")
    if np.array_equal(rows, np.arange(len(rows))) or not np.array_equal(np.sort(rows), np.arange(len(rows))):
        return None
    return np.argsort(rows)


def trace_kind(series: Any, table_names: Iterable[str]) -> str | None:
    """The roiextractors kind of a response series, or ``None`` when its names say none."""
    name = series.name
    for table_name in table_names:
        name = name.removesuffix(f"_{table_name}")
    parent = getattr(series, "parent", None)
    parent_name = "" if parent is None else parent.name.lower()
    kind = _NAME_KINDS.get(name.lower())
    if kind == "raw" and name.lower() == "roiresponseseries" and parent_name.startswith("dfoverf"):
        return "dff"
    return kind or _NAME_KINDS.get(parent_name)


def collect_traces(responses: Iterable[Any], table: Any, background: Any | None) -> list[tuple[str, Any]]:
    """(kind, series) of every response series on ``table`` or its ``background`` table, kinds unique.

    Known kinds come first, in roiextractors' order; a second series of one kind, and one of no
    known kind, keeps its stored name as its kind.
    """
    names = [table.name] + ([] if background is None else [background.name])
    known: dict[str, Any] = {}
    others: list[tuple[str, Any]] = []
    for series in responses:
        target = getattr(getattr(series, "rois", None), "table", None)
        if target is None or target.object_id not in {t.object_id for t in (table, background) if t is not None}:
            continue
        kind = trace_kind(series, names)
        if background is not None and target.object_id == background.object_id:
            kind = "background"
        if kind is None or kind in known:
            others.append((series.name, series))
        else:
            known[kind] = series
    ordered = [(kind, known[kind]) for kind in TRACE_KINDS if kind in known]
    taken = set(known)
    for name, series in others:
        unique, number = name, 1
        while unique in taken:
            number += 1
            unique = f"{name}_{number}"
        taken.add(unique)
        ordered.append((unique, series))
    return ordered


def region_rows(series: Any) -> np.ndarray:
    """The table rows of a response series' columns (its ``rois`` region)."""
    return np.asarray(series.rois.data[:], dtype="int64")
