"""Data sources over a file being translated: what is stored, as it is stored, read only when written.

``MicroscopySegmentationExtractor`` gives a table's columns roiextractors' meaning (``Accepted`` as
the boolean property ``is_accepted``, ...), which the emitters turn into columns again, plus their
own: a file read and written again would gain columns. :class:`StoredSegmentation` instead offers
every stored per-ROI column as a property of its stored name, dtype and description (centroids
aside, which the emitters write as ``ROICentroids`` from ``roi_centroids``), so a translated table
has exactly the columns of the table read (``Accepted`` / ``Rejected`` are derived again when the table
also holds acceptance columns such as NeuroConv's ``is_accepted``).

:class:`LazyImage` is a stored image (a rig's light-path diagram, a static image) that reads its
data, in roiextractors' axis order, only when converted to an array.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ..specs.properties import ACCEPTED_KEYS, REJECTED_KEYS
from .files import TABLE_TYPES
from .rois import ACCEPTANCE_COLUMNS, CENTROIDS_COLUMN, column_values
from .segmentation import MicroscopySegmentationExtractor

_NOT_COLUMNS = frozenset({"image_mask", "volume_mask", "pixel_mask", "voxel_mask", "pixel_mask_index",
                          "voxel_mask_index", "roi_name", "id"})


@attrs.frozen
class StoredProperty:
    """A property's values and description (what roiextractors' ``get_property_info`` gives)."""

    data: np.ndarray
    description: str


class StoredSegmentation(MicroscopySegmentationExtractor):
    """A ROI table of an NWB file whose properties are its stored columns, by their stored names.

    Parameters
    ----------
    path, segmentation_name
        As for :class:`~microscopy_builder.MicroscopySegmentationExtractor`.
    series_times
        ``True`` when the traces are stored with the rate and start of the series they came from:
        their times are then left to that series (a rate is written again exactly as stored, where
        times derived from it would give it back only to rounding).
    """

    extractor_name = "StoredSegmentation"

    def __init__(self, path: str | Path, segmentation_name: str | None = None, *, series_times: bool = False):
        super().__init__(path, segmentation_name)
        self._kwargs = {**self._kwargs, "series_times": series_times}
        self._series_times = series_times
        table = self._handle.objects(TABLE_TYPES)[self.segmentation_path]
        # Accepted / Rejected are written again from acceptance properties when the table has some
        derived = set(ACCEPTANCE_COLUMNS) if set(table.colnames) & {*ACCEPTED_KEYS, *REJECTED_KEYS} else set()
        self._stored: dict[str, StoredProperty] = {}
        for name in table.colnames:
            if name in _NOT_COLUMNS or name in derived or name.endswith("_index"):
                continue
            if name == CENTROIDS_COLUMN:
                centres = super().get_property("roi_centroids", self.get_roi_ids())
                self._stored["roi_centroids"] = StoredProperty(centres, getattr(table[name], "description", "") or "")
                continue
            self._stored[name] = StoredProperty(column_values(table, name), getattr(table[name], "description", "") or "")

    def get_property_keys(self) -> list[str]:
        return list(self._stored)

    def get_property(self, key: str, ids: Sequence[Any]) -> np.ndarray:
        if key not in self._stored:
            raise KeyError(f"no property {key!r}; properties are: {', '.join(self._stored) or 'none'}")
        index = {roi: row for row, roi in enumerate(self.get_roi_ids())}
        return self._stored[key].data[[index[roi] for roi in ids]]

    def get_property_info(self, key: str) -> StoredProperty:
        return self._stored[key]

    def get_native_timestamps(self, start_sample: int | None = None, end_sample: int | None = None) -> np.ndarray | None:
        if self._series_times:
            return None
        return super().get_native_timestamps(start_sample, end_sample)


class LazyImage:
    """A stored image read on demand; ``axes`` reorders the stored axes into roiextractors' order."""

    def __init__(self, dataset: Any, axes: tuple[int, ...] | None = None, *, planes: Sequence[Any] | None = None):
        self._dataset = dataset
        self._axes = axes
        self._planes = planes  # several stored 2-D images stacked into one (rows, columns, planes) image
        first = dataset if planes is None else planes[0]
        stored = tuple(int(n) for n in first.shape)
        shape = stored if planes is None else (*stored, len(planes))
        self.shape = shape if axes is None else tuple(shape[a] for a in axes)
        self.ndim = len(self.shape)
        self.dtype = np.dtype(first.dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._planes is not None:
            data = np.stack([np.asarray(plane[()]) for plane in self._planes], axis=-1)
        else:
            data = np.asarray(self._dataset[()])
        if self._axes is not None:
            data = data.transpose(self._axes)
        return data if dtype is None else data.astype(dtype)
