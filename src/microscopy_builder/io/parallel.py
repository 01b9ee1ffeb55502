"""Writing imaging data with compression on every core, into standard HDF5 or Zarr chunks.

hdmf writes one chunk at a time, compressing in the writing thread: one core compresses while the
others idle. Here the large imaging datasets are first written *empty* (shape, dtype, chunks and
filters only) by hdmf; once the file holds everything else, the chunks are filled from the
extractor. Chunks are deflate-compressed on a thread pool by the fastest standard-deflate encoder
installed (:mod:`~microscopy_builder.io.compressor`; every one releases the GIL) and stored as the
format stores them, so every reader decodes them with plain zlib:

* HDF5: with h5py's ``write_direct_chunk``, into a dataset declaring the gzip filter (id 1).
* Zarr: under the array's chunk keys in its store, the array declaring numcodecs ``GZip`` (or
  ``Zlib``); each thread stores its own chunks.

Datasets with any other filter or codec are filled through h5py / zarr, which compress themselves.

Memory stays bounded: the buffer being read from the extractor plus the chunks of about one more
buffer in flight (being compressed or waiting to be stored).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .backends import Backend
from .streams import BlockSource

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


def chunk_regions(block_start: int, block_shape: tuple[int, ...], chunk_shape: tuple[int, ...]) -> Iterator[tuple[slice, ...]]:
    """Chunk-aligned regions of a block of whole frames starting at frame ``block_start``, relative to the block."""
    ranges = [range(0, block_shape[0], chunk_shape[0])]
    ranges += [range(0, size, chunk) for size, chunk in zip(block_shape[1:], chunk_shape[1:])]
    for corner in itertools.product(*ranges):
        yield tuple(slice(start, min(start + chunk, size)) for start, chunk, size in zip(corner, chunk_shape, block_shape))


def fill_dataset(
    dataset: Any,
    source: BlockSource,
    *,
    backend: Backend,
    compression_level: int | None,
    max_workers: int,
    progress: Any = None,
    content: str = "dense",
) -> None:
    """Store every slab of ``source`` in the empty ``dataset`` (h5py or zarr), compressing on ``max_workers`` threads.

    ``source``'s buffers are whole multiples of its chunks along the leading axis, so every chunk
    is written exactly once. ``progress`` is a tqdm bar (or ``None``) advanced by slabs. ``content``
    (``"dense"`` or ``"sparse"``: mostly zero) picks the deflate encoder.
    """
    chunk_shape = tuple(source.chunk_shape)
    direct = backend.direct_chunks(dataset, compression_level, content)
    in_flight: list[Future] = []
    # enough chunks in flight to compress one buffer while the next is read: about two buffers in memory
    chunks_per_buffer = math.prod(math.ceil(b / c) for b, c in zip(source.buffer_shape, chunk_shape))
    limit = chunks_per_buffer + 2 * max_workers

    def settle(keep: int) -> None:
        while len(in_flight) > keep:
            result = in_flight.pop(0).result()
            if direct is not None and backend.stores_in_order:
                direct.store(*result)  # h5py holds one lock: store from this thread, in order

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="microscopy-builder-compress") as pool:
        for start, block in source.blocks():
            for region in chunk_regions(start, block.shape, chunk_shape):
                piece = block[region]
                offset = (start + region[0].start, *(r.start for r in region[1:]))
                if direct is not None:
                    task = direct.encode if backend.stores_in_order else direct.encode_and_store
                    in_flight.append(pool.submit(task, piece, offset))
                elif backend.stores_in_order:  # other filters: let HDF5 compress, one chunk at a time
                    dataset[_absolute(offset, piece.shape)] = piece
                else:
                    in_flight.append(pool.submit(dataset.__setitem__, _absolute(offset, piece.shape), piece))
                settle(limit)
            if progress is not None:
                progress.update(block.shape[0])
        settle(0)


def _absolute(offset: tuple[int, ...], shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(o, o + n) for o, n in zip(offset, shape))


@contextmanager
def progress_bar(show: bool, frames: int, name: str, unit: str = "frame") -> Iterator[tqdm | None]:
    """A tqdm bar over ``frames`` with throughput and ETA, or ``None`` when ``show`` is false."""
    if not show:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=frames, desc=f"writing {name}", unit=unit, unit_scale=False, dynamic_ncols=True) as bar:
        yield bar
