"""The spatial shape of what an extractor holds: (rows, columns) for a plane, (rows, columns, planes) for a volume.

roiextractors reports planar and volumetric data through different calls; these helpers give one
answer for both, in roiextractors' own axis order.
"""

from __future__ import annotations

from typing import Any


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
