"""What a source (a roiextractors extractor) says about itself, asked once and shared.

Validation and both emitters need an extractor's shape, dtype, frame count, times, trace kinds,
ROI ids, images and properties, and some extractors answer afresh on every call (reading traces or
time vectors from disk). Inside a probing scope (one ``add``, one ``validate``, one ``write``:
:func:`probing`) each source is asked once and its answers, its :class:`ImagingFacts` or
:class:`SegmentationFacts`, are shared; outside one every call asks again, so an extractor
changed between two calls is seen as it is now.

This is also the one place that reads what roiextractors 0.10 keeps only privately: the kind and
field of view of a segmentation's masks (``_roi_masks``), which no public method gives; public
calls answer when it is absent.
"""

from __future__ import annotations

import contextvars
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
import numpy as np

_SCOPE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("microscopy_builder_probes", default=None)
Facts = TypeVar("Facts")


@contextmanager
def probing() -> Iterator[None]:
    """Within this block each source is probed once (nested blocks share the outermost one's answers)."""
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def _probed(source: Any, kind: str, probe: Callable[[Any], Facts]) -> Facts:
    cache = _SCOPE.get()
    if cache is None:
        return probe(source)
    key = (id(source), kind)
    if key not in cache:
        cache[key] = (source, probe(source))  # the source is held, so its id is not reused meanwhile
    return cache[key][1]


def usable_rate(declared: Any) -> float | None:
    """A declared sampling rate as a finite positive float, else ``None``."""
    try:
        rate = float(declared)
    except (TypeError, ValueError):
        return None
    return rate if math.isfinite(rate) and rate > 0 else None


def native_times(source: Any) -> np.ndarray | None:
    """The extractor's own frame times (from the format or set with ``set_times``), else ``None``.

    Every time the extractor holds is returned, so a vector of the wrong length is seen as it is
    (roiextractors' ``get_timestamps()`` would cut a long one to the number of frames).
    """
    times = source.get_native_timestamps() if hasattr(source, "get_native_timestamps") else None
    if times is None and hasattr(source, "has_time_vector") and source.has_time_vector():
        times = source.get_timestamps(start_sample=0, end_sample=sys.maxsize)  # all of them, not the first n
    return None if times is None else np.asarray(times, dtype="float64")


@attrs.frozen
class ImagingFacts:
    """What an ``ImagingExtractor`` says about its movie: (rows, columns[, planes]) per frame, frames, dtype,
    its declared and usable sampling rate, and its own frame times."""

    shape: tuple[int, ...]
    frames: int
    dtype: Any
    declared_rate: Any
    rate: float | None
    times: np.ndarray | None = attrs.field(eq=False)


def _probe_imaging(source: Any) -> ImagingFacts:
    shape = source.get_sample_shape() if getattr(source, "is_volumetric", False) else source.get_frame_shape()
    declared = source.get_sampling_frequency() if hasattr(source, "get_sampling_frequency") else None
    return ImagingFacts(shape=tuple(int(n) for n in shape), frames=int(source.get_num_samples()),
                        dtype=source.get_dtype(), declared_rate=declared, rate=usable_rate(declared),
                        times=native_times(source))


def imaging_facts(source: Any) -> ImagingFacts:
    """The facts of an imaging extractor (once per probing scope)."""
    return _probed(source, "imaging", _probe_imaging)


@attrs.frozen
class SegmentationFacts:
    """What a ``SegmentationExtractor`` says about its ROIs.

    ``mask_shape`` is (rows, columns[, planes]); ``mask_kind`` the kind of masks it holds
    (``"image"``, ``"pixel"`` or ``"voxel"``); ``traces`` and ``images`` hold only the ones it has
    (not ``None``); ``frames`` is the traces' frame count (``None`` without traces).
    """

    mask_shape: tuple[int, ...]
    mask_kind: str
    roi_ids: tuple
    background_ids: tuple
    traces: dict[str, Any] = attrs.field(eq=False)
    images: dict[str, Any] = attrs.field(eq=False)
    property_keys: tuple
    declared_rate: Any
    rate: float | None
    times: np.ndarray | None = attrs.field(eq=False)
    _source: Any = attrs.field(eq=False, repr=False)
    _answers: dict = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def frames(self) -> int | None:
        return next((int(np.shape(d)[0]) for d in self.traces.values() if np.ndim(d) == 2), None)

    def property(self, key: str) -> np.ndarray:
        """The values of a property for every ROI (asked once)."""
        return self._answer(("property", key), lambda: np.asarray(self._source.get_property(key, list(self.roi_ids))))

    def pixel_masks(self, background: bool = False) -> list:
        """Every ROI's (or background component's) (row, column[, plane], weight) rows (asked once)."""
        if background:
            return self._answer("background pixel masks",
                                lambda: list(self._source.get_background_pixel_masks(list(self.background_ids))))
        return self._answer("pixel masks", lambda: list(self._source.get_roi_pixel_masks(roi_ids=list(self.roi_ids))))

    def _answer(self, question: Any, ask: Callable[[], Any]) -> Any:
        if question not in self._answers:
            self._answers[question] = ask()
        return self._answers[question]


_SPARSE_KINDS = {"nwb-pixel_mask": "pixel", "nwb-voxel_mask": "voxel"}


def _probe_segmentation(source: Any) -> SegmentationFacts:
    masks = getattr(source, "_roi_masks", None)  # roiextractors keeps these only privately (see the module)
    shape = getattr(masks, "field_of_view_shape", None) or source.get_frame_shape()
    declared = source.get_sampling_frequency() if hasattr(source, "get_sampling_frequency") else None
    background = list(source.get_background_ids()) if hasattr(source, "get_background_ids") else []
    keys = source.get_property_keys() if hasattr(source, "get_property_keys") else []
    return SegmentationFacts(
        mask_shape=tuple(int(n) for n in shape),
        mask_kind=_SPARSE_KINDS.get(getattr(masks, "mask_tpe", ""), "image"),
        roi_ids=tuple(source.get_roi_ids()),
        background_ids=tuple(background),
        traces={kind: data for kind, data in source.get_traces_dict().items() if data is not None},
        images={name: image for name, image in source.get_images_dict().items() if image is not None},
        property_keys=tuple(keys or ()),
        declared_rate=declared,
        rate=usable_rate(declared),
        times=native_times(source),
        source=source,
    )


def segmentation_facts(source: Any) -> SegmentationFacts:
    """The facts of a segmentation extractor (once per probing scope)."""
    return _probed(source, "segmentation", _probe_segmentation)


IMAGING_METHODS = ("get_series", "get_num_samples", "get_frame_shape")
SEGMENTATION_METHODS = ("get_roi_ids", "get_traces_dict", "get_frame_shape")


def is_imaging_source(source: Any) -> bool:
    """Whether ``source`` looks like a roiextractors ``ImagingExtractor``."""
    return all(hasattr(source, method) for method in IMAGING_METHODS)


def is_segmentation_source(source: Any) -> bool:
    """Whether ``source`` looks like a roiextractors ``SegmentationExtractor``."""
    return all(hasattr(source, method) for method in SEGMENTATION_METHODS)
