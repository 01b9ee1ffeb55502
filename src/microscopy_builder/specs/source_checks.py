"""What a series' or segmentation's source must be for its spec to be written, checked on its facts.

Every check reads the source through :mod:`~microscopy_builder.specs.facts`, so inside a probing
scope an extractor is asked once however many checks need it. ``*_source_problems`` make a
description unwritable (``ValidationError``); ``*_data_problems`` are the data's own faults
(``SourceDataError``): a dtype no NWB file stores, frames or times other than the extractor declares.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..errors import SourceDataError
from .facts import ImagingFacts, SegmentationFacts, imaging_facts, is_imaging_source, is_segmentation_source, segmentation_facts
from .properties import property_problems
from .sources import describe_shape, dtype_problem, preflight

#: the NWB ``id`` column holds 64-bit signed integers
ID_RANGE = (-(2**63), 2**63 - 1)


def timestamp_problems(timestamps: np.ndarray, where: str) -> list[str]:
    """Frame times that are not one strictly increasing, finite, non-negative vector."""
    if timestamps.ndim != 1:
        return [f"{where}: must be one-dimensional, got shape {timestamps.shape}"]
    if not np.all(np.isfinite(timestamps)):
        return [f"{where}: contains NaN or infinite values"]
    if timestamps.size > 1 and np.any(np.diff(timestamps) <= 0):
        first = int(np.argmax(np.diff(timestamps) <= 0))
        return [f"{where}: must increase strictly; timestamp {first + 1} is not after timestamp {first}"]
    if timestamps.size and timestamps[0] < 0:
        return [f"{where}: must not be negative (times are seconds from the session start)"]
    return []


def space_fit_problems(space: Any, shape: tuple[int, ...], where: str, *, what: str) -> list[str]:
    """Problems fitting data of ``shape`` (rows, columns[, planes]) on ``space``: geometry and dimensions."""
    if len(shape) == 3 and not space.is_volumetric:
        return [f"{where}: the {what} are volumetric ({describe_shape(shape)}) but space {space.name!r} is planar; "
                f"describe it with .volumetric(voxel_size_um=(x, y, z)), or write each plane as a planar series "
                f"with extractor.select_plane(i) on space.at_depth(depth_um)"]
    if len(shape) == 2 and space.is_volumetric:
        return [f"{where}: the {what} are planar ({describe_shape(shape)}) but space {space.name!r} is volumetric; "
                f"describe it with .planar(pixel_size_um=(x, y))"]
    if space.dimensions is not None and len(space.dimensions) == len(shape):
        expected = space.data_dimensions(shape)
        if tuple(space.dimensions) != expected:
            return [f"{where}: space {space.name!r} has {space.dimensions_field} {space.axes} = {tuple(space.dimensions)} "
                    f"but the {what} are {describe_shape(shape)}, i.e. {space.axes} = {expected}; fix the space, or "
                    f"leave the dimensions out to take them from the data (a crop is a space of its own)"]
    return []


# -- imaging series ------------------------------------------------------------------------------------
def series_source_problems(series: Any, where: str) -> list[str]:
    """A series' source against the series: frames, times, rate, and its fit on the space."""
    if not is_imaging_source(series.source):
        return [f"{where}.source: {type(series.source).__name__} is not a roiextractors ImagingExtractor"]
    facts = imaging_facts(series.source)
    problems: list[str] = []
    if facts.frames < 1:
        problems.append(f"{where}.source: the extractor has no frames")
    if series.timestamps is not None and len(series.timestamps) != facts.frames:
        problems.append(f"{where}.timestamps: {len(series.timestamps)} timestamps for {facts.frames} frames; give one "
                        f"per frame")
    if series.timestamps is None and series.rate is None:
        if facts.times is not None and len(facts.times) == facts.frames:
            problems += timestamp_problems(facts.times, f"{where}.source timestamps")
        elif facts.rate is None:
            problems.append(f"{where}.source: the extractor reports no usable sampling rate ({facts.declared_rate!r}); "
                            f"give .rate(hz) or .timestamps(...)")
    if series.space is not None:
        problems += space_fit_problems(series.space, facts.shape, f"{where}.source", what="frames")
    return problems


def series_data_problems(series: Any, where: str) -> list[str]:
    """A series' data unwritable as it is: its dtype, its first frame against what it declares, times of the wrong
    length."""
    if series.source is None or not is_imaging_source(series.source):
        return []
    problems = []
    try:
        preflight(series.source, f"{where}.source")
    except SourceDataError as error:
        problems += error.problems
    facts = imaging_facts(series.source)
    times = facts.times
    if times is not None and times.ndim == 1 and len(times) != facts.frames and series.timestamps is None \
            and series.rate is None:
        problems.append(f"{where}.source: the extractor reports {len(times)} timestamps for {facts.frames} frames; fix "
                        f"the extractor's times (extractor.set_times(...) with one per frame) or override them with "
                        f".timestamps(...) or .rate(...)")
    return problems


def frames_of(source: Any) -> int | None:
    """An imaging extractor's frame count, ``None`` for anything else."""
    return imaging_facts(source).frames if is_imaging_source(source) else None


# -- segmentations -------------------------------------------------------------------------------------
def segmentation_source_problems(segmentation: Any, where: str, known_kinds: tuple[str, ...]) -> list[str]:
    """A segmentation's source against the segmentation: masks on the space and the series, ROI ids, properties,
    the traces (of ``known_kinds``; others are the spec's own problem) and images it selects, and times for its
    traces."""
    if not is_segmentation_source(segmentation.source):
        return [f"{where}.source: {type(segmentation.source).__name__} is not a roiextractors SegmentationExtractor"]
    facts = segmentation_facts(segmentation.source)
    problems: list[str] = []
    if segmentation.space is not None:
        problems += space_fit_problems(segmentation.space, facts.mask_shape, f"{where}.source", what="masks")
    series = segmentation.series
    series_facts = imaging_facts(series.source) if series is not None and is_imaging_source(series.source) else None
    if series_facts is not None and series_facts.shape != facts.mask_shape:
        problems.append(f"{where}.source: masks are {describe_shape(facts.mask_shape)} but the data of series "
                        f"{series.name!r} are {describe_shape(series_facts.shape)}")
    problems += roi_id_problems(list(facts.roi_ids), f"{where}.source")
    if segmentation.include_background:
        problems += roi_id_problems(list(facts.background_ids), f"{where}.source background")
    problems += property_problems(facts, where, acceptance=segmentation.include_acceptance,
                                  centroids=segmentation.include_centroids, axes=len(facts.mask_shape))
    problems += _trace_problems(segmentation, facts, where, known_kinds)
    problems += _trace_time_problems(segmentation, facts, series_facts, where)
    problems += _image_problems(segmentation, facts, where)
    return problems


def _trace_problems(segmentation: Any, facts: SegmentationFacts, where: str, known_kinds: tuple[str, ...]) -> list[str]:
    problems = []
    for kind in segmentation.traces or ():
        if kind in known_kinds and kind not in facts.traces:
            problems.append(f"{where}.traces: the extractor has no {kind!r} traces (it has: "
                            f"{', '.join(facts.traces) or 'none'})")
    lengths = set()
    for kind, data in facts.traces.items():
        shape = getattr(data, "shape", None)
        if shape is None or len(shape) != 2:
            problems.append(f"{where}.source: {kind!r} traces must be 2-D (frames, ROIs), got shape {shape}")
            continue
        background = kind == "background"
        expected = len(facts.background_ids) if background else len(facts.roi_ids)
        if shape[1] != expected:
            problems.append(f"{where}.source: {kind!r} traces have {shape[1]} columns but the segmentation has "
                            f"{expected} {'background components' if background else 'ROIs'}")
        lengths.add(int(shape[0]))
    if len(lengths) > 1:
        problems.append(f"{where}.source: trace types disagree on the number of frames: {sorted(lengths)}")
    return problems


def _trace_time_problems(segmentation: Any, facts: SegmentationFacts, series_facts: ImagingFacts | None,
                         where: str) -> list[str]:
    lengths = {int(np.shape(d)[0]) for d in facts.traces.values() if np.ndim(d) == 2}
    series_frames = None if series_facts is None else series_facts.frames
    problems = []
    if lengths and facts.rate is None and facts.times is None and series_frames not in lengths:
        problems.append(f"{where}.source: the extractor reports neither a sampling rate nor timestamps, so its traces "
                        f"have no times; link the movie they came from with .series(series) (same number of frames), "
                        f"or give the extractor times with extractor.set_times(timestamps)")
    if lengths and series_frames is not None and series_frames not in lengths:
        problems.append(f"{where}.source: traces have {lengths.pop()} frames but series {segmentation.series.name!r} "
                        f"has {series_frames}")
    return problems


def _image_problems(segmentation: Any, facts: SegmentationFacts, where: str) -> list[str]:
    problems = []
    for name in segmentation.images or ():
        if name not in facts.images:
            problems.append(f"{where}.summary_images: the extractor has no {name!r} image (it has: "
                            f"{', '.join(facts.images) or 'none'})")
    for name, image in facts.images.items():
        if tuple(np.shape(image)) not in (facts.mask_shape, facts.mask_shape[:2]):
            problems.append(f"{where}.source: summary image {name!r} has shape {tuple(np.shape(image))}, not the masks' "
                            f"{facts.mask_shape}")
    return problems


def segmentation_data_problems(segmentation: Any, where: str) -> list[str]:
    """A segmentation's data unwritable as it is: dtypes of traces, masks and images; times of the wrong length."""
    if segmentation.source is None or not is_segmentation_source(segmentation.source):
        return []
    facts = segmentation_facts(segmentation.source)
    problems = [p for kind, data in facts.traces.items()
                for p in _listed(dtype_problem(getattr(data, "dtype", None), f"{where}.source {kind!r} traces"))]
    if facts.roi_ids:
        mask = np.asarray(segmentation.source.get_roi_image_masks(roi_ids=list(facts.roi_ids[:1])))
        problems += _listed(dtype_problem(mask.dtype, f"{where}.source image masks"))
    for name, image in facts.images.items():
        problems += _listed(dtype_problem(np.asarray(image).dtype, f"{where}.source summary image {name!r}"))
    frames = {int(np.shape(data)[0]) for data in facts.traces.values() if np.ndim(data) == 2}
    if facts.times is not None and frames and len(facts.times) not in frames:
        problems.append(f"{where}.source: the extractor reports {len(facts.times)} timestamps for traces of "
                        f"{min(frames)} frames; give it one time per frame with extractor.set_times(...)")
    return problems


def roi_id_problems(roi_ids: list, where: str) -> list[str]:
    """Duplicate ids (masks and traces would land on the wrong ROIs) and integer ids the id column cannot hold."""
    problems = []
    integers = all(isinstance(i, (int, np.integer)) for i in roi_ids)
    keys = [int(i) for i in roi_ids] if integers else [str(i) for i in roi_ids]
    repeated = sorted((k for k, n in Counter(keys).items() if n > 1), key=str)
    if repeated:
        shown = ", ".join(repr(k) for k in repeated[:10]) + (", ..." if len(repeated) > 10 else "")
        problems.append(f"{where}: ROI ids {shown} occur more than once; every ROI needs its own id, or masks and traces "
                        f"are written to the wrong ROIs: fix the segmentation's ids")
    if integers:
        outside = [k for k in keys if not ID_RANGE[0] <= k <= ID_RANGE[1]]
        if outside:
            problems.append(f"{where}: ROI id {outside[0]} is outside the range of NWB's 64-bit id column "
                            f"({ID_RANGE[0]}..{ID_RANGE[1]}); renumber the ROIs, or give string ids (kept in a roi_name "
                            f"column)")
    return problems


def _listed(problem: str | None) -> list[str]:
    return [] if problem is None else [problem]
