"""Streaming imaging data from an extractor in bounded buffers, in the axis order a format wants."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from hdmf.data_utils import GenericDataChunkIterator

from ..specs.facts import imaging_facts
from ..specs.sources import check_frames, native_dtype

DEFAULT_CHUNK_BYTES = 4 * 1024**2
# Measured (benchmarks/bench_imaging.py, docs/how-to/large-movies.md): extractors often allocate
# several times the declared dtype per read (int64 then cast), so a modest buffer is both leaner
# and no slower; 16 MiB keeps a 4 GB lazy movie's whole-process peak under 400 MB.
DEFAULT_BUFFER_BYTES = 16 * 1024**2


#: a frame read decompresses at most this many chunks' worth of bytes (when frames are small enough)
FRAME_READ_CHUNKS = 2


def chunk_shape_for(
    shape: tuple[int, ...],
    itemsize: int,
    target_bytes: int = DEFAULT_CHUNK_BYTES,
    frame_read_chunks: int = FRAME_READ_CHUNKS,
    *,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    depth_axis: int | None = None,
) -> tuple[int, ...]:
    """The default chunk shape: at most ``target_bytes`` (4 MiB), serving frame reads and pixel time courses.

    A reader decompresses every chunk it touches, whole. Reading one frame costs the chunk's frames
    times the frame's bytes; reading one pixel's time course over *n* frames costs *n* times the
    chunk's tile of the frame. The rule bounds the first and halves the second:

    1. a chunk spans as many frames as make ``frame_read_chunks`` (2) x ``target_bytes`` (8 MiB)
       of one plane, but no more whole frames (volumes) than fit ``buffer_bytes`` (16 MiB, one
       read from the source); at least one, at most the movie;
    2. its tile is the frame with its planes split first (``depth_axis``, down to one plane), then
       halved along its largest spatial axis, until that many frames of it fit ``target_bytes``.

    A frame read then decompresses about 8 MiB whatever the frame size (two chunks), a pixel's time
    course at most half the movie, and every chunk is about 4 MiB (about 2.5 MB stored: cloud reads
    are fastest for chunks of about 2-16 MB). 256 x 256 uint16 frames give (64, 128, 256); 512 x 512
    give (16, 256, 512); frames of 8 MiB or more give one-frame tiles of at most 4 MiB; volumes of
    4 planes of 256 x 256 give (32, 1, 256, 256), one plane per chunk.
    """
    frame_bytes = math.prod(shape[1:]) * itemsize
    plane_bytes = frame_bytes // shape[depth_axis] if depth_axis is not None else frame_bytes
    frames = min(frame_read_chunks * target_bytes // max(plane_bytes, 1), buffer_bytes // max(frame_bytes, 1))
    frames = max(1, min(shape[0], frames))
    spatial = list(shape[1:])
    while frames * math.prod(spatial) * itemsize > target_bytes and max(spatial) > 1:
        split = depth_axis - 1 if depth_axis is not None and spatial[depth_axis - 1] > 1 else spatial.index(max(spatial))
        spatial[split] = math.ceil(spatial[split] / 2)
    return (int(frames), *(int(s) for s in spatial))


def stored_axes(ndim: int, *, swap_xy: bool) -> tuple[int, ...]:
    """How to transpose roiextractors' (time, rows, columns[, planes]) into the stored order.

    ``swap_xy=False``: (frames, height, width) or (frames, depth, height, width), ndx-microscopy's
    order; ``swap_xy=True``: (frames, x, y[, z]), the legacy TwoPhotonSeries order.
    """
    if ndim == 3:
        return (0, 2, 1) if swap_xy else (0, 1, 2)
    return (0, 2, 1, 3) if swap_xy else (0, 3, 1, 2)


def slab_buffer_shape(shape: tuple[int, ...], itemsize: int, chunk_shape: tuple[int, ...], buffer_bytes: int) -> tuple[int, ...]:
    """A buffer of whole leading-axis slabs (frames, ROIs): about ``buffer_bytes``, a whole number of chunks
    along the leading axis (at least one), no more than there are."""
    slab_bytes = max(1, math.prod(shape[1:]) * itemsize)
    slabs = max(chunk_shape[0], buffer_bytes // slab_bytes // chunk_shape[0] * chunk_shape[0])
    return (max(1, min(slabs, shape[0])), *shape[1:])


class SlabSource(GenericDataChunkIterator):
    """Data read a buffer of whole leading-axis slabs at a time (see :class:`~microscopy_builder.io.streams.BlockSource`)."""

    def blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first index, slabs) of every buffer: a fresh pass over the source."""
        total, step = self.maxshape[0], self.buffer_shape[0]
        for start in range(0, total, step):
            yield start, self.read_slabs(start, min(start + step, total))

    def read_slabs(self, start: int, stop: int) -> np.ndarray:
        """Slabs ``start:stop`` whole, in stored axis order."""
        return self._get_data((slice(start, stop), *(slice(0, n) for n in self.maxshape[1:])))

    def with_buffer(self, buffer_bytes: int, *, chunk_shape: tuple[int, ...] | None = None) -> SlabSource:
        raise NotImplementedError


class ImagingDataIterator(SlabSource):
    """Reads an ``ImagingExtractor`` a buffer of whole frames (or volumes) at a time.

    Parameters
    ----------
    extractor
        A roiextractors ``ImagingExtractor``: data comes as (time, rows, columns[, planes]).
    swap_xy
        ``True`` yields (time, columns, rows[, planes]), the (frames, x, y[, z]) order legacy
        ``TwoPhotonSeries`` readers expect; ``False`` yields (frames, [depth,] height, width).
    buffer_bytes, chunk_bytes
        Upper bounds of one read from the extractor and of one stored chunk.
    """

    def __init__(
        self,
        extractor: Any,
        *,
        swap_xy: bool,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        chunk_shape: tuple[int, ...] | None = None,
    ):
        self._extractor = extractor
        self._swap_xy = swap_xy
        self._chunk_bytes = chunk_bytes
        facts = imaging_facts(extractor)
        self._source_sample_shape = facts.shape
        self._num_frames = facts.frames
        self._source_dtype = np.dtype(facts.dtype)
        # Files store native byte order (a big-endian source is converted, value for value); NWB data
        # is numeric, so boolean frames are stored losslessly as 0/1 uint8.
        self._stored_dtype = np.dtype("uint8") if self._source_dtype == np.bool_ else native_dtype(self._source_dtype)
        self._axes = stored_axes(1 + len(self._source_sample_shape), swap_xy=swap_xy)
        source_shape = (self._num_frames, *self._source_sample_shape)
        shape = tuple(source_shape[axis] for axis in self._axes)
        self._shape = shape
        depth_axis = self._axes.index(3) if len(self._axes) == 4 else None  # where the planes went
        chunk_shape = chunk_shape or chunk_shape_for(shape, self._stored_dtype.itemsize, min(chunk_bytes, buffer_bytes),
                                                     buffer_bytes=buffer_bytes, depth_axis=depth_axis)
        buffer_shape = slab_buffer_shape(shape, self._stored_dtype.itemsize, chunk_shape, buffer_bytes)
        super().__init__(chunk_shape=chunk_shape, buffer_shape=buffer_shape)

    def with_buffer(self, buffer_bytes: int, *, chunk_shape: tuple[int, ...] | None = None) -> ImagingDataIterator:
        """A fresh iterator over the same source reading about ``buffer_bytes`` at a time (at least one
        chunk's frames), stored in ``chunk_shape`` chunks when given."""
        return ImagingDataIterator(
            self._extractor,
            swap_xy=self._swap_xy,
            buffer_bytes=buffer_bytes,
            chunk_bytes=self._chunk_bytes,
            chunk_shape=chunk_shape,
        )

    def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
        frames = self.read_slabs(selection[0].start, selection[0].stop)
        return np.ascontiguousarray(frames[(slice(None), *selection[1:])])

    def read_slabs(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` from the extractor, checked and transposed to the stored order."""
        frames = np.asarray(self._extractor.get_series(start_sample=start, end_sample=stop))
        check_frames(frames, (stop - start, *self._source_sample_shape), self._source_dtype, first_frame=start)
        return np.ascontiguousarray(frames.transpose(self._axes), dtype=self._stored_dtype)

    def _get_dtype(self) -> np.dtype:
        return self._stored_dtype

    def _get_maxshape(self) -> tuple[int, ...]:
        return self._shape
