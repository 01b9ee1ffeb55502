"""Placing a segmentation: its ROI tables (cells and background), their masks and columns, and its traces.

Shared by both formats through :class:`SegmentationPlacement`, a part of every emitter; the format
says where tables and traces go and what they are called (the abstract methods here).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..io.streams import Stream, StreamedData
from ..specs import SegmentationSpec
from ..specs.sources import segmentation_shape
from .rois import SPARSE_MASK_COLUMNS, background_rois, cell_rois, mask_type, roi_columns, summary_images, trace_data, written_traces
from .timing import segmentation_timing
from .traces import TRACES


class SegmentationPlacement(ABC):
    """How an emitter writes a segmentation; it needs the emitter's ``emit_series``, ``streams`` and ``swap_xy``."""

    swap_xy: bool
    streams: list[Stream]

    @abstractmethod
    def emit_series(self, series: Any) -> Any:
        """The series a segmentation's traces link to (emitted once)."""

    def _place_segmentation(self, segmentation: SegmentationSpec) -> Any:
        source_series = None if segmentation.series is None else self.emit_series(segmentation.series)
        masks = mask_type(segmentation, self.default_mask_type(segmentation))
        rois = cell_rois(segmentation)
        table = self._roi_table(segmentation, segmentation.name, rois, masks, summary_images(segmentation))
        background = background_rois(segmentation)
        background_table = None
        if background is not None:
            background_table = self._roi_table(
                segmentation, f"Background{segmentation.name}", background, masks, []
            )
        timing = segmentation_timing(segmentation)
        for kind, data in written_traces(segmentation, background):
            target = background_table if kind == "background" else table
            rois_region = target.create_region(
                name="rois", region=list(range(len(target.id))), description=f"The ROIs of {target.name}."
            )
            override = segmentation.trace_spec(kind)
            stored = trace_data(data)
            trace = self._add_trace(
                segmentation,
                kind,
                name=override.name or self.trace_name(segmentation, kind),
                description=override.description or TRACES[kind].description,
                unit=override.unit or "n.a.",
                conversion=override.conversion,
                offset=override.offset,
                options=override.options,
                data=stored,
                rois=rois_region,
                timing=timing,
                source_series=source_series,
            )
            if isinstance(stored, StreamedData):  # an empty trace is stored as it is
                self.streams.append(Stream(trace.name, trace, stored, "trace"))
        return table

    def _roi_table(
        self, segmentation: SegmentationSpec, name: str, rois: Any, masks: str, images: list
    ) -> Any:
        dense_name = self.dense_mask_name(segmentation)
        identifiers, columns = roi_columns(segmentation, rois, masks=masks, swap_xy=self.swap_xy, dense_name=dense_name)
        self.streams += [Stream(f"{name}.{c.name}", c, c.data, "mask", field=None) for c in columns
                         if isinstance(c.data, StreamedData)]
        self.streams += [Stream(f"{name}.{c.name}", c, None, "in-memory", field=None) for c in columns
                         if c.name in SPARSE_MASK_COLUMNS and len(c.data)]  # compressed as NeuroConv does
        what = "background components" if rois.is_background else "ROIs"
        description = segmentation.description or f"{what.capitalize()} found by segmenting imaging space {segmentation.space.name}"
        if rois.is_background:
            description = f"Background components of segmentation {segmentation.name}."
        return self._make_roi_table(segmentation, name, description, identifiers, columns, images)

    @staticmethod
    def segmentation_frame_shape(segmentation: SegmentationSpec) -> tuple[int, ...]:
        """(x, y[, z]) of the segmentation's masks."""
        return segmentation.space.data_dimensions(segmentation_shape(segmentation.source))

    def dense_mask_name(self, segmentation: SegmentationSpec) -> str:
        """The column holding dense masks."""
        return "image_mask"

    @abstractmethod
    def default_mask_type(self, segmentation: SegmentationSpec) -> str:
        """The mask type written when the user did not choose one."""

    @abstractmethod
    def trace_name(self, segmentation: SegmentationSpec, kind: str) -> str:
        """The object name of a trace type of a segmentation."""

    @abstractmethod
    def _make_roi_table(
        self, segmentation: SegmentationSpec, name: str, description: str, identifiers: Any, columns: list, images: list
    ) -> Any:
        """Make and place the ROI table (and, for the main table, the summary images)."""

    @abstractmethod
    def _add_trace(self, segmentation: SegmentationSpec, kind: str, **fields: Any) -> Any:
        """Make and place one trace series."""
