"""ROI tables, masks, traces and summary images of a segmentation, shared by both emitters.

Both formats store ROIs as a DynamicTable with the same column names (``image_mask`` or
``pixel_mask`` + ``pixel_mask_index``, ``Accepted``, ``Rejected``, ``ROICentroids``, ``roi_name``),
so the columns are built here once; the emitters only choose the table class, its parent, and the
axis order of image masks. Every other per-ROI property of the extractor is a column of its own
name (see :mod:`microscopy_builder.specs.properties`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from hdmf.common import ElementIdentifiers, VectorData, VectorIndex

from ..specs import TRACE_KINDS, SegmentationSpec
from ..specs.properties import (
    CENTROIDS_KEY,
    acceptance_keys,
    centroid_property_fits,
    column_keys,
    property_description,
    property_values,
)
from ..io.chunking import SlabSource, slab_buffer_shape
from ..io.streams import StreamedData
from ..specs.facts import SegmentationFacts, segmentation_facts
from ..specs.sources import native_dtype, segmentation_shape

PIXEL_MASK_DTYPE = np.dtype([("x", "<u4"), ("y", "<u4"), ("weight", "<f4")])
VOXEL_MASK_DTYPE = np.dtype([("x", "<u4"), ("y", "<u4"), ("z", "<u4"), ("weight", "<f4")])
MASK_CHUNK_BYTES = 4 * 1024**2
TRACE_CHUNK_BYTES = 4 * 1024**2
TRACE_BUFFER_BYTES = 32 * 1024**2
#: the compound columns of sparse masks, kept in memory and compressed by hdmf as it writes them
SPARSE_MASK_COLUMNS = ("pixel_mask", "voxel_mask")

@attrs.frozen
class RoiSet:
    """The ROIs of one table: their extractor ids and the columns that describe them."""

    roi_ids: list
    is_background: bool = False

    @property
    def integer_ids(self) -> np.ndarray:
        """NWB ``id`` values: the extractor's ids when they are integers, else 0..n-1."""
        if all(isinstance(i, (int, np.integer)) for i in self.roi_ids):
            return np.asarray(self.roi_ids, dtype="int64")
        return np.arange(len(self.roi_ids), dtype="int64")

    @property
    def names(self) -> list[str] | None:
        """String ids (e.g. ``"roi_00"``), kept in a ``roi_name`` column; ``None`` for integer ids."""
        if all(isinstance(i, (int, np.integer)) for i in self.roi_ids):
            return None
        return [str(i) for i in self.roi_ids]


def cell_rois(segmentation: SegmentationSpec) -> RoiSet:
    return RoiSet(list(segmentation_facts(segmentation.source).roi_ids))


def background_rois(segmentation: SegmentationSpec) -> RoiSet | None:
    """Background components, when asked for and present."""
    if not segmentation.include_background:
        return None
    ids = list(segmentation_facts(segmentation.source).background_ids)
    return RoiSet(ids, is_background=True) if ids else None


def mask_type(segmentation: SegmentationSpec, default: str) -> str:
    return segmentation.masks or default


def native_mask_type(source: Any) -> str:
    """"pixel" or "voxel" when the extractor holds sparse masks, else "image"."""
    return segmentation_facts(source).mask_kind


def dense_mask_axes(ndim: int, *, swap_xy: bool) -> tuple[int, ...]:
    """How to transpose roiextractors' stacked masks into (ROI, ...) in the stored order.

    Planar masks come as (rows, columns, ROIs), volumetric ones as (rows, columns, ROIs, planes).
    ndx-microscopy stores (ROI, y, x) / (ROI, z, y, x); legacy stores (ROI, x, y) / (ROI, x, y, z).
    """
    if ndim == 2:
        return (2, 1, 0) if swap_xy else (2, 0, 1)
    return (2, 1, 0, 3) if swap_xy else (2, 3, 0, 1)


def roi_columns(
    segmentation: SegmentationSpec, rois: RoiSet, *, masks: str, swap_xy: bool, dense_name: str = "image_mask"
) -> tuple[ElementIdentifiers, list[VectorData]]:
    """The ``id`` and the columns of a ROI table; ``dense_name`` names the dense mask column."""
    source = segmentation.source
    columns: list[VectorData] = []
    volumetric = segmentation.space.is_volumetric
    if masks == "image":
        data = StreamedData(ImageMaskIterator(source, rois, swap_xy=swap_xy)) if rois.roi_ids else empty_masks(
            source, swap_xy=swap_xy)
        order = {(True, False): "x, y", (False, False): "y, x", (True, True): "x, y, z", (False, True): "z, y, x"}[
            (swap_xy, volumetric)
        ]
        columns.append(VectorData(name=dense_name, description=f"Masks of the ROIs, (ROI, {order}).", data=data))
    else:
        kind = "voxel" if volumetric else "pixel"
        sparse, ends = sparse_masks(segmentation_facts(source), rois)
        fields = "(x, y, z, weight)" if volumetric else "(x, y, weight)"
        sparse_column = VectorData(name=f"{kind}_mask", description=f"{kind.capitalize()} masks of the ROIs: {fields} rows.", data=sparse)
        columns += [sparse_column, VectorIndex(name=f"{kind}_mask_index", data=ends, target=sparse_column)]
    if rois.names is not None:
        columns.append(VectorData(name="roi_name", description="ROI ids as the segmentation named them.", data=rois.names))
    if not rois.is_background:  # roiextractors sets properties on cell ROIs only
        columns += derived_columns(segmentation, rois) + property_columns(segmentation, rois)
    return ElementIdentifiers(name="id", data=rois.integer_ids), columns


def derived_columns(segmentation: SegmentationSpec, rois: RoiSet) -> list[VectorData]:
    """``Accepted`` / ``Rejected`` (from the acceptance properties) and ``ROICentroids``, when selected."""
    facts, columns = segmentation_facts(segmentation.source), []
    if segmentation.include_acceptance:
        accepted, rejected = acceptance(facts)
        if accepted is not None:
            columns.append(VectorData(name="Accepted", description="1 if the ROI was accepted as a cell, else 0.", data=accepted))
            columns.append(VectorData(name="Rejected", description="1 if the ROI was rejected, else 0.", data=rejected))
    if segmentation.include_centroids:
        axes = "(x, y, z) = (column, row, plane)" if segmentation.space.is_volumetric else "(x, y) = (column, row)"
        columns.append(
            VectorData(name="ROICentroids", description=f"Centre of each ROI in pixels, {axes}.",
                       data=centroids_xy(facts))
        )
    return columns


def property_columns(segmentation: SegmentationSpec, rois: RoiSet) -> list[VectorData]:
    """A column per property of the extractor, named as its key, holding its values in their dtype."""
    facts = segmentation_facts(segmentation.source)
    return [
        VectorData(name=key, description=property_description(segmentation.source, key), data=property_values(facts, key))
        for key in column_keys(facts, acceptance=segmentation.include_acceptance,
                               centroids=segmentation.include_centroids, axes=len(facts.mask_shape))
    ]


def acceptance(facts: SegmentationFacts) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Accepted / rejected flags (uint8) from the extractor's properties; ``(None, None)`` if it has none.

    A flag given as a number is set when non-zero. A NaN flag (a float property with no verdict
    for that ROI) is neither accepted nor rejected: 0 in both columns.
    """
    accepted_key, rejected_key = acceptance_keys(facts)
    if accepted_key is None and rejected_key is None:
        return None, None
    accepted, accepted_known = _flags(facts, accepted_key)
    rejected, rejected_known = _flags(facts, rejected_key)
    if accepted is None:
        accepted, accepted_known = ~rejected & rejected_known, rejected_known
    if rejected is None:
        rejected, rejected_known = ~accepted & accepted_known, accepted_known
    return (accepted & accepted_known).astype("uint8"), (rejected & rejected_known).astype("uint8")


def _flags(facts: SegmentationFacts, key: str | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(flag, known) per ROI of one acceptance property; ``(None, None)`` without the key."""
    if key is None:
        return None, None
    values = facts.property(key)
    known = ~np.isnan(values) if values.dtype.kind == "f" else np.ones(values.shape, dtype=bool)
    return np.where(known, values, 0).astype(bool), known


def centroids_xy(facts: SegmentationFacts) -> np.ndarray:
    """ROI centres as (x, y[, z]), float64: the extractor's ``roi_centroids`` (row, column[, plane])
    when it has one centre per ROI, else the mask-weighted mean."""
    volumetric = len(facts.mask_shape) == 3
    x_y_z = [1, 0, 2] if volumetric else [1, 0]
    if centroid_property_fits(facts, len(x_y_z)):
        rows_columns = np.asarray(facts.property(CENTROIDS_KEY), dtype="float64")
        return rows_columns[:, x_y_z].copy()
    rows, ends = stacked_masks(facts.pixel_masks(), 4 if volumetric else 3)  # rows of (y, x[, z], weight)
    owner = np.repeat(np.arange(len(ends)), np.diff(ends, prepend=0))
    weights = np.abs(rows[:, -1])
    total = np.bincount(owner, weights=weights, minlength=len(ends))
    sums = np.stack([np.bincount(owner, weights=weights * rows[:, axis], minlength=len(ends)) for axis in x_y_z], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total[:, None] > 0, sums / total[:, None], 0.0)  # a ROI of no weight sits at 0


def sparse_masks(facts: SegmentationFacts, rois: RoiSet) -> tuple[np.ndarray, np.ndarray]:
    """All pixel (or voxel) masks concatenated as (x, y[, z], weight) rows, and the end index of each ROI."""
    masks = facts.pixel_masks(background=rois.is_background) if rois.roi_ids else []
    volumetric = len(facts.mask_shape) == 3
    rows, ends = stacked_masks(masks, 4 if volumetric else 3)
    data = np.zeros(len(rows), dtype=VOXEL_MASK_DTYPE if volumetric else PIXEL_MASK_DTYPE)
    data["y"], data["x"] = rows[:, 0], rows[:, 1]  # roiextractors rows are (y, x[, z], weight)
    if volumetric:
        data["z"] = rows[:, 2]
    data["weight"] = rows[:, -1]
    return data, ends


def stacked_masks(masks: Sequence[Any], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ROI's (row, column[, plane], weight) rows in one float64 array, and each ROI's end index.

    One concatenation instead of a Python step per ROI: a Suite2p segmentation has thousands.
    """
    arrays = [np.asarray(mask, dtype="float64").reshape(-1, width) for mask in masks]
    ends = np.cumsum([len(a) for a in arrays], dtype="int64")
    return (np.concatenate(arrays) if arrays else np.zeros((0, width))), ends


def empty_masks(source: Any, *, swap_xy: bool) -> np.ndarray:
    """The dense-mask column of a segmentation with no ROIs: zero masks of the stored frame shape."""
    shape = segmentation_shape(source)
    axes = dense_mask_axes(len(shape), swap_xy=swap_xy)
    stacked = (shape[0], shape[1], 0, *shape[2:])
    return np.zeros(tuple(stacked[axis] for axis in axes), dtype="float32")


class ImageMaskIterator(SlabSource):
    """Dense image (or volume) masks built a few ROIs at a time: never a (grid x all ROIs) array."""

    def __init__(self, source: Any, rois: RoiSet, *, swap_xy: bool, buffer_bytes: int | None = None,
                 chunk_shape: tuple[int, ...] | None = None):
        self._source, self._rois, self._swap_xy = source, rois, swap_xy
        shape = segmentation_shape(source)  # (rows, columns[, planes])
        self._axes = dense_mask_axes(len(shape), swap_xy=swap_xy)
        stacked = (shape[0], shape[1], len(rois.roi_ids), *shape[2:])
        self._frame = tuple(stacked[axis] for axis in self._axes[1:])
        first = self._read(rois.roi_ids[:1]) if rois.roi_ids else np.zeros((0, *self._frame))
        self._dtype = first.dtype if first.size else np.dtype("float32")  # native order: see _read
        per_roi = max(1, math.prod(self._frame) * self._dtype.itemsize)
        count = len(rois.roi_ids) or 1
        chunk_shape = chunk_shape or (max(1, min(count, MASK_CHUNK_BYTES // per_roi)), *self._frame)
        few = 4 * chunk_shape[0] * per_roi  # a few chunks of ROIs at a time, whatever a write may read at once
        buffer_shape = slab_buffer_shape((count, *self._frame), self._dtype.itemsize, chunk_shape,
                                         min(buffer_bytes or few, few))
        super().__init__(chunk_shape=chunk_shape, buffer_shape=buffer_shape)

    def with_buffer(self, buffer_bytes: int, *, chunk_shape: tuple[int, ...] | None = None) -> ImageMaskIterator:
        return ImageMaskIterator(self._source, self._rois, swap_xy=self._swap_xy, buffer_bytes=buffer_bytes,
                                 chunk_shape=chunk_shape)

    def _read(self, roi_ids: Sequence) -> np.ndarray:
        getter = self._source.get_background_image_masks if self._rois.is_background else self._source.get_roi_image_masks
        masks = np.asarray(getter(list(roi_ids)))
        return masks.astype(native_dtype(masks.dtype), copy=False).transpose(self._axes)

    def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
        masks = self._read(self._rois.roi_ids[selection[0]])
        return np.ascontiguousarray(masks[(slice(None), *selection[1:])])

    def _get_dtype(self) -> np.dtype:
        return self._dtype

    def _get_maxshape(self) -> tuple[int, ...]:
        return (len(self._rois.roi_ids), *self._frame)


class TraceIterator(SlabSource):
    """(frames, ROIs) traces read a block of frames at a time from the extractor's trace array."""

    def __init__(self, data: Any, *, buffer_bytes: int = TRACE_BUFFER_BYTES, chunk_shape: tuple[int, ...] | None = None):
        self._data = data
        frames, rois = (int(n) for n in data.shape)
        self._shape = (frames, rois)
        self._dtype = native_dtype(data.dtype)  # a big-endian source is stored in native order, value for value
        row_bytes = max(1, rois * self._dtype.itemsize)
        chunk_shape = chunk_shape or (max(1, min(frames, TRACE_CHUNK_BYTES // row_bytes)), rois)
        super().__init__(chunk_shape=chunk_shape,
                         buffer_shape=slab_buffer_shape(self._shape, self._dtype.itemsize, chunk_shape, buffer_bytes))

    def with_buffer(self, buffer_bytes: int, *, chunk_shape: tuple[int, ...] | None = None) -> TraceIterator:
        return TraceIterator(self._data, buffer_bytes=buffer_bytes, chunk_shape=chunk_shape)

    def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(self._data[selection[0]])[:, selection[1]], dtype=self._dtype)

    def _get_dtype(self) -> np.dtype:
        return self._dtype

    def _get_maxshape(self) -> tuple[int, ...]:
        return self._shape


def trace_data(data: Any) -> StreamedData | np.ndarray:
    """What a trace series stores: streamed blocks of frames, or, for an empty (0-frame or 0-ROI)
    array, that empty array itself (HDF5 and Zarr cannot chunk a zero-length axis)."""
    if 0 in tuple(data.shape):
        return np.zeros(tuple(int(n) for n in data.shape), dtype=native_dtype(data.dtype))
    return StreamedData(TraceIterator(data))


def written_traces(segmentation: SegmentationSpec, background: RoiSet | None) -> list[tuple[str, Any]]:
    """(kind, data) of every trace to write: selected and present; background only with its masks.

    All-zero traces are written: they are data (a silent ROI's deconvolved trace is all zero).
    """
    available = segmentation_facts(segmentation.source).traces
    selected = segmentation.traces or TRACE_KINDS
    chosen = []
    for kind in TRACE_KINDS:
        data = available.get(kind)
        if kind not in selected or data is None or (kind == "background" and background is None):
            continue
        chosen.append((kind, data))
    return chosen


def summary_images(segmentation: SegmentationSpec) -> list[tuple[str, str, np.ndarray]]:
    """(extractor name, written name, (rows, columns) image) of every selected image."""
    images = segmentation_facts(segmentation.source).images
    selected = segmentation.images if segmentation.images is not None else tuple(images)
    found = [(name, np.asarray(images[name])) for name in selected if name in images]
    return [(name, segmentation.image_name(name), image.astype(native_dtype(image.dtype), copy=False)) for name, image in found]


def image_description(name: str) -> str:
    known = {
        "mean": "Mean of the motion-corrected frames.",
        "correlation": "Correlation of each pixel with its neighbours over time.",
        "max": "Maximum projection over time.",
        "median": "Median over time.",
        "std": "Standard deviation over time.",
    }
    return known.get(name.lower(), f"Summary image {name!r} from the segmentation.")
