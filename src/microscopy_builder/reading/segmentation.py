"""``MicroscopySegmentationExtractor``: a roiextractors ``SegmentationExtractor`` over a ROI table in an NWB file.

Either layout: ndx-microscopy ``PlanarSegmentation`` / ``VolumetricSegmentation`` in
``processing/ophys/SegmentationContainer`` with ``MicroscopyResponseSeries`` traces, and legacy
``processing/ophys/ImageSegmentation/<table>`` with ``RoiResponseSeries`` in ``Fluorescence`` /
``DfOverF``. Masks, traces and summary images come out in roiextractors' conventions; masks and
traces are read from the file only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from roiextractors import SegmentationExtractor
from roiextractors.segmentationextractor import _RoiResponse, _ROIMasks

from ..errors import ValidationError
from . import layout
from .files import NDX_TABLE_TYPES, RESPONSE_TYPES, SERIES_TYPES, TABLE_TYPES, FileBacked, NwbHandle, choose, has_type
from .images import legacy_summary_images, ndx_summary_images
from .masks import MaskStack, TableMasks
from .rois import roi_ids, roi_properties
from .times import SeriesTimes
from .traces import TraceData, collect_traces, region_rows, table_order

_MASK_TYPES = {"image": "nwb-image_mask", "pixel": "nwb-pixel_mask", "voxel": "nwb-voxel_mask"}


class MicroscopySegmentationExtractor(FileBacked, SegmentationExtractor):
    """A segmentation (ROI table, traces, summary images) of an NWB file, either layout, HDF5 or Zarr.

    Parameters
    ----------
    path
        The NWB file (an HDF5 file or a Zarr folder).
    segmentation_name
        The ROI table's name or its path in the file
        (``processing/ophys/SegmentationContainer/PlaneSegmentation``); ``None`` picks the file's
        only table (background tables, ``Background<name>``, are read with their table).

    Raises
    ------
    ValidationError
        When ``path`` is not an NWB file, ``segmentation_name`` picks no table or several (the
        message lists them by path), or the table holds no masks.

    Notes
    -----
    ROI ids come from ``roi_name`` when it holds more than the integer ``id``; acceptance is the
    boolean properties ``is_accepted`` / ``is_rejected``; centroids the property ``roi_centroids``
    (row, column[, plane]); every other column a property of its own name. Background components
    get ids starting with ``"background"``. Native timestamps follow the traces' stored times as
    ``MicroscopyImagingExtractor`` does (``starting_time`` kept).
    """

    extractor_name = "MicroscopySegmentation"

    def __init__(self, path: str | Path, segmentation_name: str | None = None):
        super().__init__()
        handle = NwbHandle(path)
        try:
            tables = handle.objects(TABLE_TYPES)
            cells = {p: t for p, t in tables.items() if not layout.is_background(t, tables.values())}
            table_path, table = choose(
                cells, segmentation_name, what="segmentation", field="segmentation_name", path=handle.path
            )
            self._handle = handle
            self._kwargs = {"path": str(handle.path), "segmentation_name": table_path}
            self._table_path = table_path
            self._load(table, layout.background_of(table, tables.values()), only_table=len(cells) == 1)
        except BaseException:
            handle.close()
            raise

    # -- reading the file -----------------------------------------------------------------------
    def _load(self, table: Any, background: Any | None, *, only_table: bool) -> None:
        handle = self._handle
        self._format = "ndx-microscopy" if has_type(table, NDX_TABLE_TYPES) else "legacy"
        masks = TableMasks(table, format=self._format)
        if masks.kind is None:
            raise ValidationError(
                [f"segmentation_name: {self._table_path} has no image_mask, volume_mask, pixel_mask or voxel_mask column"]
            )
        background_masks = None if background is None else TableMasks(background, format=self._format)
        series = list(handle.objects(SERIES_TYPES).values())
        images = self._read_summary_images(table, masks, only_table=only_table)
        shape = layout.frame_shape(
            table, [m for m in (masks, background_masks) if m is not None], series, images, self._table_path
        )
        self._frame_shape = tuple(shape)
        self._num_planes = shape[2] if len(shape) == 3 else 1
        self._summary_images = images

        cell_ids = roi_ids(table)
        background_ids = [] if background is None else roi_ids(background, background=True)
        entries = [(masks, row) for row in range(len(cell_ids))]
        entries += [(background_masks, row) for row in range(len(background_ids))]
        self._roi_ids = cell_ids
        self._roi_masks = _ROIMasks(
            data=MaskStack(entries, self._frame_shape),
            mask_tpe=_MASK_TYPES[masks.kind],
            field_of_view_shape=self._frame_shape,
            roi_id_map={roi: index for index, roi in enumerate([*cell_ids, *background_ids])},
        )
        for key, (values, description) in roi_properties(table).items():
            self.set_property(key, values, cell_ids, description=description)
        self._load_traces(table, background, cell_ids, background_ids)
        channels = layout.channel_names(table, [trace for _, trace in self._traces], series)
        if channels is not None:
            self._channel_names = channels

    def _read_summary_images(self, table: Any, masks: TableMasks, *, only_table: bool) -> dict[str, np.ndarray]:
        if self._format == "ndx-microscopy":
            return ndx_summary_images(table)
        containers = self._handle.objects(("Images",)).values()
        return legacy_summary_images(containers, table, only_table=only_table, volumetric=bool(masks.volumetric))

    def _load_traces(self, table: Any, background: Any | None, cell_ids: list, background_ids: list) -> None:
        responses = self._handle.objects(RESPONSE_TYPES).values()
        self._traces = collect_traces(responses, table, background)
        for kind, series in self._traces:
            on_background = background is not None and series.rois.table.object_id == background.object_id
            ids = background_ids if on_background else cell_ids
            rows = region_rows(series)
            order = table_order(rows) if len(rows) == len(ids) else None  # column k: the table's k-th ROI
            rows = rows if order is None else rows[order]
            self._roi_responses.append(_RoiResponse(kind, TraceData(series.data, order), [ids[row] for row in rows]))
        self._timing = None
        if self._traces:
            first = self._traces[0][1]
            self._timing = SeriesTimes(first, first.data.shape[0])
            self._sampling_frequency = self._timing.sampling_frequency()

    # -- what the file says -------------------------------------------------------------------------
    @property
    def segmentation_path(self) -> str:
        """Where the ROI table is stored in the file."""
        return self._table_path

    @property
    def format(self) -> str:
        """``"ndx-microscopy"`` or ``"legacy"``: the layout of the table."""
        return self._format

    def get_frame_shape(self) -> tuple[int, ...]:
        """(rows, columns) of the masks; (rows, columns, planes) for a volumetric segmentation."""
        return self._frame_shape

    def get_image_shape(self) -> tuple[int, ...]:
        return self._frame_shape

    def get_channel_names(self) -> list[str]:
        """The channels of the table's imaging plane (legacy) or of the series its traces link (ndx)."""
        return list(self._channel_names)

    def get_native_timestamps(self, start_sample: int | None = None, end_sample: int | None = None) -> np.ndarray | None:
        if self._timing is None:
            return None
        self._check_open()
        return self._timing.native(start_sample, end_sample)

    def get_roi_image_masks(self, roi_ids: Sequence[int | str] | None = None) -> np.ndarray:
        self._check_open()
        return super().get_roi_image_masks(roi_ids)

    def get_roi_pixel_masks(self, roi_ids: Sequence[int | str] | None = None) -> list[np.ndarray]:
        self._check_open()
        return super().get_roi_pixel_masks(roi_ids)

    def get_background_image_masks(self, background_ids: Sequence[str] | None = None) -> np.ndarray:
        self._check_open()
        return super().get_background_image_masks(background_ids)

    def get_background_pixel_masks(self, background_ids: Sequence[str] | None = None) -> list[np.ndarray]:
        self._check_open()
        return super().get_background_pixel_masks(background_ids)

    def get_traces(
        self,
        roi_ids: Sequence[int | str] | None = None,
        start_frame: int | None = None,
        end_frame: int | None = None,
        name: str = "raw",
    ) -> np.ndarray | None:
        """Traces of kind ``name`` as (frames, ROIs), reading only frames ``start_frame`` to ``end_frame``."""
        response = next((r for r in self._roi_responses if r.response_type == name), None)
        if response is None:
            return None
        self._check_open()
        block = response.data[start_frame:end_frame]
        if roi_ids is None:
            return block
        missing = [roi for roi in roi_ids if roi not in response.roi_ids]
        if missing:
            raise ValueError(f"ROI ids {missing} not found for response {name!r}. Available ids: {response.roi_ids}")
        return block[:, [response.roi_ids.index(roi) for roi in roi_ids]]
