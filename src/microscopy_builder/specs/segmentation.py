"""Frozen description of a segmentation: ROIs, their masks, traces and summary images."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal, get_args

import attrs
import numpy as np

from .fields import about, identity_field, optional_str
from .properties import property_problems
from .rig import RigSpec
from .series import SeriesSpec, TimeSeriesOptions, space_fit_problems
from .sources import describe_shape, dtype_problem, has_usable_rate, imaging_shape, native_timestamps, segmentation_shape
from .space import ImagingSpaceSpec

MaskType = Literal["image", "pixel", "voxel"]
# roiextractors' trace names, in the order files list them.
TraceKind = Literal["raw", "dff", "neuropil", "deconvolved", "denoised", "baseline", "background"]
MASK_TYPES = get_args(MaskType)
TRACE_KINDS = get_args(TraceKind)


def _by_name(value: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """Text by image name, as sorted (name, text) pairs."""
    return tuple(sorted(dict(value or {}).items()))


@attrs.frozen(kw_only=True)
class TraceSpec:
    """How one trace type is written: its object name, unit, description, the unit's conversion and offset
    (``value * conversion + offset`` is in ``unit``), and the options every time series has."""

    kind: TraceKind = attrs.field(metadata=about("The trace type", unknown=False))
    name: str | None = optional_str("The name of its object in the file", unknown=False)
    unit: str | None = optional_str("The physical unit of the values (default: 'n.a.')", unknown=False)
    description: str | None = optional_str("What the traces are", unknown=False)
    conversion: float = attrs.field(default=1.0, converter=float, metadata=about(
        "value * conversion + offset is in the unit", unknown=False))
    offset: float = attrs.field(default=0.0, converter=float, metadata=about("value * conversion + offset is in the unit",
                                                                             unknown=False))
    options: TimeSeriesOptions = attrs.field(factory=TimeSeriesOptions, metadata=about(
        "What every NWB time series may say beyond its data and times", unknown=False))


@attrs.frozen(kw_only=True)
class SegmentationSpec:
    """A roiextractors ``SegmentationExtractor`` on an imaging space.

    ``traces`` / ``images`` are the selected trace kinds / summary-image names (``None``: all the
    extractor has); ``trace_overrides`` and ``image_names`` rename or re-describe them. ``series``
    is the imaging series the segmentation was computed from; ``rig`` and ``channel`` say which
    light path it belongs to when there is no series (the legacy ImagingPlane needs them).
    """

    name: str = attrs.field(metadata=about("The segmentation's name", unknown=False))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True), metadata=about(
        "What tells this segmentation apart in a session (default: its name)", unknown=False))
    source: Any = identity_field("The data: a roiextractors SegmentationExtractor (Suite2p, CaImAn, EXTRACT, ...)",
                                 default=None)
    space: ImagingSpaceSpec | None = attrs.field(default=None, metadata=about(
        "The imaging space the ROIs lie in (default: the series' space)", unknown=False))
    series: SeriesSpec | None = attrs.field(default=None, metadata=about(
        "The imaging series it was computed from (linked from the traces)", unknown=False))
    rig: RigSpec | None = attrs.field(default=None, metadata=about(
        "The rig the data was recorded with, when no series is given", unknown=False))
    channel: str | None = optional_str("The rig's channel, when no series is given (default: the rig's only one)",
                                       unknown=False)
    masks: MaskType | None = optional_str("The kind of ROI masks written (default: image masks in the legacy format, "
                                          "the extractor's own kind in ndx-microscopy)", unknown=False)
    description: str | None = optional_str("The algorithm, its version and parameters", unknown=False)
    traces: tuple[TraceKind, ...] | None = attrs.field(default=None, metadata=about(
        "The trace types written (default: every one the extractor has)", unknown=False))
    trace_overrides: tuple[TraceSpec, ...] = attrs.field(default=(), metadata=about(
        "Names, units and descriptions given to trace types", unknown=False))
    include_background: bool = attrs.field(default=False, metadata=about(
        "Whether background components (e.g. neuropil masks) and their traces are written", unknown=False))
    include_centroids: bool = attrs.field(default=True, metadata=about(
        "Whether ROI centroids are written (the extractor's, else the mask-weighted centre)", unknown=False))
    include_acceptance: bool = attrs.field(default=True, metadata=about(
        "Whether accepted / rejected status is written when the extractor has it", unknown=False))
    images: tuple[str, ...] | None = attrs.field(default=None, metadata=about(
        "The summary images written (default: all)", unknown=False))
    image_names: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_by_name, metadata=about(
        "New names of summary images, by their extractor names", unknown=False))
    image_descriptions: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_by_name, metadata=about(
        "Descriptions of summary images, by their extractor names", unknown=False))

    def trace_spec(self, kind: str) -> TraceSpec:
        return next((t for t in self.trace_overrides if t.kind == kind), TraceSpec(kind=kind))

    def image_name(self, image: str) -> str:
        return dict(self.image_names).get(image, image)

    def image_description(self, image: str) -> str | None:
        """The description given to a summary image (``None``: the default for its kind)."""
        return dict(self.image_descriptions).get(image)

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"segmentation {self.name!r}"
        problems: list[str] = []
        if self.source is None:
            problems.append(f"{where}.source: no data; call .from_extractor(segmentation_extractor)")
        if self.space is None:
            problems.append(f"{where}.space: required; call .space(imaging_space) (or .series(series) to use its space)")
        if self.masks is not None and self.masks not in MASK_TYPES:
            problems.append(f"{where}.masks: must be one of {MASK_TYPES}, got {self.masks!r}")
        if self.space is not None and self.masks in ("pixel", "voxel"):
            fitting = "voxel" if self.space.is_volumetric else "pixel"
            if self.masks != fitting:
                problems.append(
                    f"{where}.masks: {self.masks!r} masks do not fit the {self.space.geometry} space "
                    f"{self.space.name!r}; use 'image' or {fitting!r}"
                )
        for override in self.trace_overrides:
            problems += override.options.problems(f"{where}.traces[{override.kind!r}]")
        for kind in (*(self.traces or ()), *(t.kind for t in self.trace_overrides)):
            if kind not in TRACE_KINDS:
                problems.append(f"{where}.traces: unknown trace type {kind!r}; known types are {', '.join(TRACE_KINDS)}")
        if self.series is not None and self.space is not None and self.series.space is not None:
            if self.series.space.key != self.space.key:
                problems.append(
                    f"{where}.space: space {self.space.name!r} differs from the space {self.series.space.name!r} "
                    f"of series {self.series.name!r}; a segmentation lies on the space of its series"
                )
        if self.channel is not None and self.rig is not None and self.rig.channel(self.channel) is None:
            problems.append(f"{where}.channel: rig {self.rig.name!r} has no channel {self.channel!r}")
        if self.source is not None:
            problems += self._source_problems(where)
        return problems

    def _source_problems(self, where: str) -> list[str]:
        source = self.source
        if not all(hasattr(source, m) for m in ("get_roi_ids", "get_traces_dict", "get_frame_shape")):
            return [f"{where}.source: {type(source).__name__} is not a roiextractors SegmentationExtractor"]
        problems: list[str] = []
        mask_shape = segmentation_shape(source)
        if self.space is not None:
            problems += space_fit_problems(self.space, mask_shape, f"{where}.source", what="masks")
        series_source = None if self.series is None else self.series.source
        if series_source is not None and hasattr(series_source, "get_frame_shape"):
            series_shape = imaging_shape(series_source)
            if series_shape != mask_shape:
                problems.append(
                    f"{where}.source: masks are {describe_shape(mask_shape)} but the data of series "
                    f"{self.series.name!r} are {describe_shape(series_shape)}"
                )
        num_rois = len(source.get_roi_ids())
        problems += roi_id_problems(list(source.get_roi_ids()), f"{where}.source")
        if self.include_background:
            problems += roi_id_problems(list(source.get_background_ids()), f"{where}.source background")
        problems += property_problems(source, where, acceptance=self.include_acceptance,
                                      centroids=self.include_centroids, axes=len(mask_shape))
        available = {k: v for k, v in source.get_traces_dict().items() if v is not None}
        for kind in self.traces or ():
            if kind in TRACE_KINDS and kind not in available:
                problems.append(
                    f"{where}.traces: the extractor has no {kind!r} traces (it has: {', '.join(available) or 'none'})"
                )
        lengths = set()
        for kind, data in available.items():
            shape = getattr(data, "shape", None)
            if shape is None or len(shape) != 2:
                problems.append(f"{where}.source: {kind!r} traces must be 2-D (frames, ROIs), got shape {shape}")
                continue
            expected_rois = len(source.get_background_ids()) if kind == "background" else num_rois
            if shape[1] != expected_rois:
                problems.append(
                    f"{where}.source: {kind!r} traces have {shape[1]} columns but the segmentation has "
                    f"{expected_rois} {'background components' if kind == 'background' else 'ROIs'}"
                )
            lengths.add(int(shape[0]))
        if len(lengths) > 1:
            problems.append(f"{where}.source: trace types disagree on the number of frames: {sorted(lengths)}")
        if lengths and not has_usable_rate(source) and native_timestamps(source) is None:
            series_frames = None if series_source is None else int(series_source.get_num_samples())
            if series_frames not in lengths:
                problems.append(
                    f"{where}.source: the extractor reports neither a sampling rate nor timestamps, so its traces "
                    f"have no times; link the movie they came from with .series(series) (same number of frames), "
                    f"or give the extractor times with extractor.set_times(timestamps)"
                )
        if lengths and series_source is not None and hasattr(series_source, "get_num_samples"):
            frames = int(series_source.get_num_samples())
            if frames not in lengths:
                problems.append(
                    f"{where}.source: traces have {lengths.pop()} frames but series {self.series.name!r} has {frames}"
                )
        images = source.get_images_dict()
        for name in self.images or ():
            if images.get(name) is None:
                problems.append(f"{where}.summary_images: the extractor has no {name!r} image (it has: {', '.join(images) or 'none'})")
        for name, image in images.items():
            if image is not None and tuple(np.shape(image)) not in (mask_shape, mask_shape[:2]):
                problems.append(
                    f"{where}.source: summary image {name!r} has shape {tuple(np.shape(image))}, not the masks' "
                    f"{mask_shape}"
                )
        return problems

    def data_problems(self, where: str | None = None) -> list[str]:
        """What makes the source's data unwritable as it is (dtypes of traces, masks and images; native
        timestamps of the wrong length): ``SourceDataError``s."""
        where = where or f"segmentation {self.name!r}"
        source = self.source
        if source is None or not hasattr(source, "get_traces_dict"):
            return []
        problems = []
        traces = {kind: data for kind, data in source.get_traces_dict().items() if data is not None}
        for kind, data in traces.items():
            problems += _listed(dtype_problem(getattr(data, "dtype", None), f"{where}.source {kind!r} traces"))
        roi_ids = list(source.get_roi_ids())
        if roi_ids:
            mask = np.asarray(source.get_roi_image_masks(roi_ids=roi_ids[:1]))
            problems += _listed(dtype_problem(mask.dtype, f"{where}.source image masks"))
        for name, image in source.get_images_dict().items():
            if image is not None:
                problems += _listed(dtype_problem(np.asarray(image).dtype, f"{where}.source summary image {name!r}"))
        native = native_timestamps(source)
        frames = {int(np.shape(data)[0]) for data in traces.values() if len(np.shape(data)) == 2}
        if native is not None and frames and len(native) not in frames:
            problems.append(
                f"{where}.source: the extractor reports {len(native)} timestamps for traces of {min(frames)} frames; "
                f"give it one time per frame with extractor.set_times(...)"
            )
        return problems


#: the NWB ``id`` column holds 64-bit signed integers
ID_RANGE = (-(2**63), 2**63 - 1)


def roi_id_problems(roi_ids: list, where: str) -> list[str]:
    """Duplicate ids (masks and traces would land on the wrong ROIs) and integer ids the id column cannot hold."""
    problems = []
    integers = all(isinstance(i, (int, np.integer)) for i in roi_ids)
    keys = [int(i) for i in roi_ids] if integers else [str(i) for i in roi_ids]
    repeated = sorted((k for k, n in Counter(keys).items() if n > 1), key=str)
    if repeated:
        shown = ", ".join(repr(k) for k in repeated[:10]) + (", ..." if len(repeated) > 10 else "")
        problems.append(
            f"{where}: ROI ids {shown} occur more than once; every ROI needs its own id, or masks and traces "
            f"are written to the wrong ROIs: fix the segmentation's ids"
        )
    if integers:
        outside = [k for k in keys if not ID_RANGE[0] <= k <= ID_RANGE[1]]
        if outside:
            problems.append(
                f"{where}: ROI id {outside[0]} is outside the range of NWB's 64-bit id column "
                f"({ID_RANGE[0]}..{ID_RANGE[1]}); renumber the ROIs, or give string ids (kept in a roi_name column)"
            )
    return problems


def _listed(problem: str | None) -> list[str]:
    return [] if problem is None else [problem]
