"""Facts about a roiextractors extractor that several places need: its shape and its times.

Shapes are (rows, columns) for a plane, (rows, columns, planes) for a volume: roiextractors reports
planar and volumetric data through different calls; these helpers give one answer for both, in
roiextractors' own axis order. They read the sources' facts (:mod:`~microscopy_builder.specs.facts`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SourceDataError
from .facts import imaging_facts, is_imaging_source, segmentation_facts, usable_rate


def imaging_shape(source: Any) -> tuple[int, ...]:
    """(rows, columns[, planes]) of one sample of an ``ImagingExtractor``."""
    return imaging_facts(source).shape


def segmentation_shape(source: Any) -> tuple[int, ...]:
    """(rows, columns[, planes]) of the masks of a ``SegmentationExtractor``."""
    return segmentation_facts(source).mask_shape


def describe_shape(shape: tuple[int, ...]) -> str:
    """``"12 rows x 17 columns"`` or ``"12 rows x 17 columns x 3 planes"``, for messages."""
    return " x ".join(f"{n} {axis}" for n, axis in zip(shape, ("rows", "columns", "planes")))


def native_timestamps(source: Any) -> np.ndarray | None:
    """An imaging or segmentation extractor's own frame times (see :func:`~.facts.native_times`), else ``None``."""
    return (imaging_facts(source) if is_imaging_source(source) else segmentation_facts(source)).times


#: numpy kinds NWB stores as numbers: booleans (as 0/1 uint8), signed and unsigned integers, floats
SUPPORTED_KINDS = {"b": "bool", "i": "signed integers", "u": "unsigned integers", "f": "floats"}
SUPPORTED_DTYPES = "bool, int8-int64, uint8-uint64, float16-float64"


def native_dtype(dtype: Any) -> np.dtype:
    """``dtype`` in this machine's byte order (big-endian ``>u2`` becomes ``uint16``): what files store.

    Data must be converted to it before its bytes are written as they are (h5py's direct chunk
    writes do no byte swapping).
    """
    dtype = np.dtype(dtype)
    return dtype.newbyteorder("=") if dtype.byteorder not in ("=", "|") else dtype


def dtype_problem(dtype: Any, where: str) -> str | None:
    """Why data of ``dtype`` cannot be written (complex, object, text, ...), or ``None`` when it can."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return f"{where}: {dtype!r} is not a numpy dtype; supported are {SUPPORTED_DTYPES}"
    if dtype.kind not in SUPPORTED_KINDS or dtype.fields is not None or dtype.itemsize > 8:
        return (
            f"{where}: data of dtype {dtype} cannot be stored as NWB numeric data; supported are "
            f"{SUPPORTED_DTYPES}: convert it (e.g. the magnitude of complex data) before writing"
        )
    return None


def has_usable_rate(source: Any) -> bool:
    """Whether an extractor reports a finite positive sampling rate."""
    return usable_rate(source.get_sampling_frequency() if hasattr(source, "get_sampling_frequency") else None) is not None


def check_frames(frames: np.ndarray, expected_shape: tuple[int, ...], expected_dtype: np.dtype, *, first_frame: int) -> None:
    """Fail clearly when an extractor returns frames other than it declared."""
    if frames.shape != expected_shape:
        raise SourceDataError(
            f"the extractor returned frames {first_frame}..{first_frame + expected_shape[0] - 1} with shape "
            f"{frames.shape}, but declared (frames, rows, columns[, planes]) = {expected_shape}; the extractor is "
            f"misconfigured (NumpyImagingExtractor needs a 4-D (frames, rows, columns, 1) array: "
            f"add the channel axis with array[..., None])"
        )
    if native_dtype(frames.dtype) != native_dtype(expected_dtype):  # byte order aside: it is converted
        raise SourceDataError(
            f"the extractor returned frames of dtype {frames.dtype} but declared {expected_dtype}; "
            f"fix the extractor's get_dtype() or the data it returns"
        )


def preflight(extractor: Any, where: str) -> None:
    """Check the declared dtype and the first frame against the declared shape and dtype, before any
    file opens; ``SourceDataError`` names ``where``."""
    problem = dtype_problem(extractor.get_dtype(), where)
    if problem is not None:
        raise SourceDataError(problem)
    try:
        check_frames(
            np.asarray(extractor.get_series(start_sample=0, end_sample=1)),
            (1, *imaging_shape(extractor)),
            np.dtype(extractor.get_dtype()),
            first_frame=0,
        )
    except SourceDataError as error:
        raise SourceDataError(f"{where}: {error}") from None
