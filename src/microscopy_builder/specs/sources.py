"""Facts about a roiextractors extractor that several places need: its shape and its times.

Shapes are (rows, columns) for a plane, (rows, columns, planes) for a volume: roiextractors reports
planar and volumetric data through different calls; these helpers give one answer for both, in
roiextractors' own axis order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def imaging_shape(source: Any) -> tuple[int, ...]:
    """(rows, columns[, planes]) of one sample of an ``ImagingExtractor``."""
    shape = source.get_sample_shape() if getattr(source, "is_volumetric", False) else source.get_frame_shape()
    return tuple(int(n) for n in shape)


def segmentation_shape(source: Any) -> tuple[int, ...]:
    """(rows, columns[, planes]) of the masks of a ``SegmentationExtractor``.

    Volumetric segmentations know their volume only through their masks' field of view.
    """
    masks = getattr(source, "_roi_masks", None)
    shape = getattr(masks, "field_of_view_shape", None) or source.get_frame_shape()
    return tuple(int(n) for n in shape)


def describe_shape(shape: tuple[int, ...]) -> str:
    """``"12 rows x 17 columns"`` or ``"12 rows x 17 columns x 3 planes"``, for messages."""
    return " x ".join(f"{n} {axis}" for n, axis in zip(shape, ("rows", "columns", "planes")))


def native_timestamps(source: Any) -> np.ndarray | None:
    """The extractor's own frame times (from the format or set with ``set_times``), else ``None``."""
    times = source.get_native_timestamps() if hasattr(source, "get_native_timestamps") else None
    if times is None and getattr(source, "_times", None) is not None:
        times = source.get_timestamps()
    return None if times is None else np.asarray(times, dtype="float64")


def has_usable_rate(source: Any) -> bool:
    """Whether an extractor reports a finite positive sampling rate."""
    rate = source.get_sampling_frequency() if hasattr(source, "get_sampling_frequency") else None
    try:
        return rate is not None and math.isfinite(float(rate)) and float(rate) > 0
    except (TypeError, ValueError):
        return False
