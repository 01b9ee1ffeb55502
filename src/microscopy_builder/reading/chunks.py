"""Frames read from a stored, compressed dataset on every core: chunks decompressed in parallel.

h5py decompresses a read in the calling thread, one chunk after another, holding its lock: reading a
movie to write it again then costs as much as compressing it, on one core. For datasets stored as
plain deflate chunks (HDF5's gzip filter alone, or Zarr's GZip / Zlib codec; what this library
writes), :func:`read_frames` instead fetches each chunk's stored bytes and inflates them on a thread
pool (ISA-L, else zlib; both release the GIL), so reading keeps pace with the writer's parallel
compression. Any other layout is read as the library reading it would, ``dataset[start:stop]``.
"""

from __future__ import annotations

import itertools
import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

try:  # ISA-L inflates standard zlib streams several times faster than zlib
    from isal import isal_zlib as _inflater
except ImportError:  # pragma: no cover - platforms without ISA-L wheels
    _inflater = zlib

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            _POOL = ThreadPoolExecutor(max_workers=max(1, cores), thread_name_prefix="microscopy-builder-inflate")
        return _POOL


def read_frames(dataset: Any, start: int, stop: int, axes: tuple[int, ...] | None = None) -> np.ndarray:
    """``dataset[start:stop].transpose(axes)`` (frames along the first axis, kept first by ``axes``).

    Decompressed in parallel where the layout allows and the read spans at least a chunk's frames;
    each chunk is then also transposed by the thread that inflated it, into one contiguous array.
    """
    axes = tuple(range(len(dataset.shape))) if axes is None else tuple(axes)
    whole_chunks = getattr(dataset, "chunks", None) is not None and stop - start >= dataset.chunks[0] > 0
    if whole_chunks and _plain_hdf5_gzip(dataset):
        return _hdf5_frames(dataset, start, stop, axes)
    if whole_chunks and _zarr_array(dataset):
        return _zarr_frames(dataset, start, stop, axes)
    return np.asarray(dataset[start:stop]).transpose(axes)  # a few frames: what the library reads, no more


def _plain_hdf5_gzip(dataset: Any) -> bool:
    """An h5py dataset of chunks deflated by HDF5's gzip filter alone."""
    try:
        import h5py
    except ImportError:  # pragma: no cover
        return False
    if not isinstance(dataset, h5py.Dataset) or dataset.chunks is None or dataset.compression != "gzip":
        return False
    return dataset.id.get_create_plist().get_nfilters() == 1 and dataset.dtype.kind in "biuf"


def _zarr_array(dataset: Any) -> bool:
    return type(dataset).__module__.startswith("zarr") and hasattr(dataset, "chunks") and hasattr(dataset, "nchunks")


def _transposed_empty(shape: tuple[int, ...], start: int, stop: int, axes: tuple[int, ...], dtype: Any) -> np.ndarray:
    block = (stop - start, *shape[1:])
    return np.empty(tuple(block[a] for a in axes), dtype=dtype)


def _hdf5_frames(dataset: Any, start: int, stop: int, axes: tuple[int, ...]) -> np.ndarray:
    chunks = tuple(dataset.chunks)
    shape = tuple(dataset.shape)
    out = _transposed_empty(shape, start, stop, axes, dataset.dtype)
    first = start - start % chunks[0]
    corners = itertools.product(range(first, stop, chunks[0]), *(range(0, n, c) for n, c in zip(shape[1:], chunks[1:])))
    stored = [(corner, _stored_chunk(dataset, corner)) for corner in corners]  # I/O in this thread: h5py's lock
    work = [_pool().submit(_place, out, raw, corner, chunks, (start, stop), dataset, axes) for corner, raw in stored]
    for task in work:
        task.result()
    return out


def _stored_chunk(dataset: Any, corner: tuple[int, ...]) -> tuple[int, bytes] | None:
    """(filter mask, bytes) of the chunk at ``corner``; ``None`` when it was never written (the fill value)."""
    if dataset.id.get_chunk_info_by_coord(corner).byte_offset is None:
        return None
    return dataset.id.read_direct_chunk(corner)


def _regions(corner: tuple[int, ...], chunks: tuple[int, ...], shape: tuple[int, ...], start: int,
             stop: int) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """(region in the block, region in the chunk) of the chunk at ``corner`` inside frames ``start:stop``."""
    frames = slice(max(corner[0], start), min(corner[0] + chunks[0], stop))
    spatial = tuple(slice(c, min(c + n, size)) for c, n, size in zip(corner[1:], chunks[1:], shape[1:]))
    in_block = (slice(frames.start - start, frames.stop - start), *spatial)
    in_chunk = (slice(frames.start - corner[0], frames.stop - corner[0]), *(slice(0, s.stop - s.start) for s in spatial))
    return in_block, in_chunk


def _place(out: np.ndarray, raw: tuple[int, bytes] | None, corner: tuple[int, ...], chunks: tuple[int, ...],
           frames: tuple[int, int], dataset: Any, axes: tuple[int, ...]) -> None:
    """Inflate one chunk and copy its part inside ``frames``, transposed by ``axes``, into ``out``."""
    in_block, in_chunk = _regions(corner, chunks, tuple(dataset.shape), *frames)
    target = tuple(in_block[a] for a in axes)
    if raw is None:
        out[target] = dataset.fillvalue
        return
    mask, payload = raw
    data = payload if mask & 1 else _inflater.decompress(payload)  # bit 0 set: the gzip filter was skipped
    out[target] = np.frombuffer(data, dtype=dataset.dtype).reshape(chunks)[in_chunk].transpose(axes)


def _zarr_frames(array: Any, start: int, stop: int, axes: tuple[int, ...]) -> np.ndarray:
    """Frames of a Zarr array, one chunk per task (zarr reads and numcodecs inflates, releasing the GIL)."""
    chunks, shape = tuple(array.chunks), tuple(array.shape)
    out = _transposed_empty(shape, start, stop, axes, array.dtype)

    def read(corner: tuple[int, ...]) -> None:
        in_block, _ = _regions(corner, chunks, shape, start, stop)
        stored = (slice(in_block[0].start + start, in_block[0].stop + start), *in_block[1:])
        out[tuple(in_block[a] for a in axes)] = np.asarray(array[stored]).transpose(axes)

    first = start - start % chunks[0]
    corners = itertools.product(range(first, stop, chunks[0]), *(range(0, n, c) for n, c in zip(shape[1:], chunks[1:])))
    for task in [_pool().submit(read, corner) for corner in corners]:
        task.result()
    return out
