"""Writing imaging data with compression on every core, into standard HDF5 or Zarr chunks.

hdmf writes one chunk at a time, compressing in the writing thread: one core compresses while the
others idle. Here the large imaging datasets are first written *empty* (shape, dtype, chunks and
filters only) by hdmf; once the file holds everything else, the chunks are filled from the
extractor:

* HDF5: chunks are gzip-compressed with ``zlib`` on a thread pool (zlib releases the GIL) and
  stored with h5py's ``write_direct_chunk``: ordinary deflate chunks any HDF5 reader opens.
* Zarr: chunk-aligned blocks are assigned from a thread pool; zarr's codecs compress in each thread.

Memory stays bounded: the buffer being read from the extractor plus the chunks of about one more
buffer in flight (being compressed or waiting to be stored).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk

from .chunking import ImagingDataIterator

if TYPE_CHECKING:
    from tqdm import tqdm


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_progress() -> bool:
    """Show progress bars when a person is watching (standard error is a terminal)."""
    return sys.stderr.isatty()


class DeferredData(AbstractDataChunkIterator):
    """Stands in for an imaging dataset while hdmf writes the file: right shape, dtype and chunks, no data.

    hdmf creates the dataset from it (with the compression its DataIO asks for) and writes nothing;
    :func:`fill_dataset` then stores the data, in parallel.
    """

    def __init__(self, source: ImagingDataIterator):
        self.source = source

    def __iter__(self) -> DeferredData:
        return self

    def __next__(self) -> DataChunk:
        raise StopIteration

    def recommended_chunk_shape(self) -> tuple[int, ...]:
        return tuple(self.source.chunk_shape)

    def recommended_data_shape(self) -> tuple[int, ...]:
        return tuple(self.source.maxshape)

    @property
    def dtype(self) -> np.dtype:
        return self.source.dtype

    @property
    def maxshape(self) -> tuple[int, ...]:
        return tuple(self.source.maxshape)


def chunk_regions(block_start: int, block_shape: tuple[int, ...], chunk_shape: tuple[int, ...]) -> Iterator[tuple[slice, ...]]:
    """Chunk-aligned regions of a block of whole frames starting at frame ``block_start``, relative to the block."""
    ranges = [range(0, block_shape[0], chunk_shape[0])]
    ranges += [range(0, size, chunk) for size, chunk in zip(block_shape[1:], chunk_shape[1:])]
    for corner in itertools.product(*ranges):
        yield tuple(slice(start, min(start + chunk, size)) for start, chunk, size in zip(corner, chunk_shape, block_shape))


def fill_dataset(
    dataset: Any,
    source: ImagingDataIterator,
    *,
    backend: str,
    compression_level: int | None,
    max_workers: int,
    progress: Any = None,
) -> None:
    """Store every frame of ``source`` in the empty ``dataset`` (h5py or zarr), compressing on ``max_workers`` threads.

    ``source``'s buffers are whole multiples of its chunks along time, so every chunk is written
    exactly once. ``progress`` is a tqdm bar (or ``None``) advanced by frames.
    """
    chunk_shape = tuple(source.chunk_shape)
    direct = backend == "hdf5" and _plain_gzip(dataset, compression_level)
    in_flight: list[Future] = []
    # enough chunks in flight to compress one buffer while the next is read: about two buffers in memory
    chunks_per_buffer = math.prod(math.ceil(b / c) for b, c in zip(source.buffer_shape, chunk_shape))
    limit = chunks_per_buffer + 2 * max_workers

    def settle(keep: int) -> None:
        while len(in_flight) > keep:
            result = in_flight.pop(0).result()
            if direct:
                offset, payload = result
                dataset.id.write_direct_chunk(offset, payload, filter_mask=0)

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="microscopy-builder-compress") as pool:
        for start, block in source.blocks():
            for region in chunk_regions(start, block.shape, chunk_shape):
                piece = block[region]
                offset = (start + region[0].start, *(r.start for r in region[1:]))
                if direct:
                    in_flight.append(pool.submit(_compress_chunk, piece, offset, chunk_shape, compression_level))
                elif backend == "hdf5":  # other filters: let HDF5 compress, one chunk at a time
                    dataset[_absolute(offset, piece.shape)] = piece
                else:
                    in_flight.append(pool.submit(dataset.__setitem__, _absolute(offset, piece.shape), piece))
                settle(limit)
            if progress is not None:
                progress.update(block.shape[0])
        settle(0)


def _absolute(offset: tuple[int, ...], shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(o, o + n) for o, n in zip(offset, shape))


def _compress_chunk(piece: np.ndarray, offset: tuple[int, ...], chunk_shape: tuple[int, ...], level: int | None):
    """One stored HDF5 chunk: edge chunks are padded to the full chunk shape, as HDF5 stores them."""
    if piece.shape != chunk_shape:
        padded = np.zeros(chunk_shape, dtype=piece.dtype)
        padded[tuple(slice(0, n) for n in piece.shape)] = piece
        piece = padded
    payload = np.ascontiguousarray(piece).tobytes()
    return offset, payload if level is None else zlib.compress(payload, level)


def _plain_gzip(dataset: Any, level: int | None) -> bool:
    """Whether the dataset's filters are exactly the ones emulated here: deflate at ``level``, or none."""
    if level is None:
        return not _filter_names(dataset)
    return _filter_names(dataset) == {"gzip"} and dataset.compression_opts == level


def _filter_names(dataset: Any) -> set[str]:
    names = set()
    if dataset.compression:
        names.add(dataset.compression)
    if dataset.shuffle:
        names.add("shuffle")
    if dataset.fletcher32:
        names.add("fletcher32")
    if dataset.scaleoffset is not None:
        names.add("scaleoffset")
    return names


def dataset_of(root: Any, object_id: str, name: str = "data") -> Any:
    """The ``name`` dataset of the group whose ``object_id`` attribute is ``object_id``, in an open h5py file or zarr group."""
    found: list[Any] = []

    def visit(_: str, item: Any) -> Any:
        if not found and hasattr(item, "keys") and item.attrs.get("object_id") == object_id and name in item:
            found.append(item[name])
        return None

    root.visititems(visit)
    if not found:
        raise LookupError(f"no object {object_id} in the file")
    return found[0]


@contextmanager
def progress_bar(show: bool, frames: int, name: str) -> Iterator[tqdm | None]:
    """A tqdm bar over ``frames`` with throughput and ETA, or ``None`` when ``show`` is false."""
    if not show:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=frames, desc=f"writing {name}", unit="frame", unit_scale=False, dynamic_ncols=True) as bar:
        yield bar
