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
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk

from .chunking import ImagingDataIterator
from .compressor import Deflater, deflater

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
    direct = direct_chunks(dataset, backend, compression_level)
    in_flight: list[Future] = []
    # enough chunks in flight to compress one buffer while the next is read: about two buffers in memory
    chunks_per_buffer = math.prod(math.ceil(b / c) for b, c in zip(source.buffer_shape, chunk_shape))
    limit = chunks_per_buffer + 2 * max_workers

    def settle(keep: int) -> None:
        while len(in_flight) > keep:
            result = in_flight.pop(0).result()
            if direct is not None and backend == "hdf5":
                direct.store(*result)  # h5py holds one lock: store from this thread, in order

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="microscopy-builder-compress") as pool:
        for start, block in source.blocks():
            for region in chunk_regions(start, block.shape, chunk_shape):
                piece = block[region]
                offset = (start + region[0].start, *(r.start for r in region[1:]))
                if direct is not None:
                    task = direct.encode if backend == "hdf5" else direct.encode_and_store
                    in_flight.append(pool.submit(task, piece, offset))
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


@attrs.frozen
class DirectChunks:
    """Encodes whole chunks as a dataset stores them and stores the bytes, bypassing the library's codec.

    Attributes
    ----------
    dataset
        The h5py dataset or zarr array.
    deflate
        The compressor, or ``None`` for uncompressed chunks.
    chunk_key
        Zarr only: the store key of the chunk at a grid index (``None`` for HDF5).
    """

    dataset: Any
    deflate: Deflater | None
    chunk_key: Callable[[tuple[int, ...]], str] | None = None

    def encode(self, piece: np.ndarray, offset: tuple[int, ...]) -> tuple[tuple[int, ...], Any]:
        """(offset, stored bytes) of the chunk at ``offset``: padded to the full chunk shape, as HDF5 and
        zarr v2 store edge chunks, in the dataset's own dtype and byte order."""
        chunk_shape = tuple(self.dataset.chunks)
        if piece.shape != chunk_shape:
            padded = np.zeros(chunk_shape, dtype=self.dataset.dtype)
            padded[tuple(slice(0, n) for n in piece.shape)] = piece
            piece = padded
        raw = np.ascontiguousarray(piece, dtype=self.dataset.dtype)
        return offset, raw.data if self.deflate is None else self.deflate(raw)

    def store(self, offset: tuple[int, ...], payload: Any) -> None:
        """Store one encoded chunk (HDF5: ``write_direct_chunk``; Zarr: the chunk's key in the store)."""
        if self.chunk_key is None:
            self.dataset.id.write_direct_chunk(offset, payload, filter_mask=0)
        else:
            index = tuple(o // c for o, c in zip(offset, self.dataset.chunks))
            self.dataset.chunk_store[self.chunk_key(index)] = payload

    def encode_and_store(self, piece: np.ndarray, offset: tuple[int, ...]) -> None:
        """Both, in the calling thread (Zarr chunks are separate objects: stores may run in parallel)."""
        self.store(*self.encode(piece, offset))


def direct_chunks(dataset: Any, backend: str, level: int | None) -> DirectChunks | None:
    """How to store ``dataset``'s chunks directly, or ``None`` when its codecs are not plain deflate at
    ``level`` (or none): then the library compresses, and every other filter stays honoured."""
    if backend == "hdf5":
        if not _plain_gzip(dataset, level):
            return None
        return DirectChunks(dataset, None if level is None else deflater(level, "zlib"))
    container = _plain_zarr_container(dataset, level)
    if container is None:
        return None
    separator = _zarr_separator(dataset)
    if separator is None:
        return None
    prefix = f"{dataset.path}/" if dataset.path else ""
    return DirectChunks(dataset, None if level is None else deflater(level, container),
                        lambda index: prefix + separator.join(map(str, index)))


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


def _plain_zarr_container(array: Any, level: int | None) -> str | None:
    """``"zlib"`` / ``"gzip"`` when the array's only codec is numcodecs Zlib / GZip at ``level``, ``"none"``
    when it has none and ``level`` is ``None``; ``None`` for anything else (filters, other codecs)."""
    if array.filters or array.order != "C" or array.dtype.hasobject:
        return None
    compressor = array.compressor
    if level is None:
        return "none" if compressor is None else None
    codec = getattr(compressor, "codec_id", None)
    if codec in ("zlib", "gzip") and getattr(compressor, "level", None) == level:
        return codec
    return None


def _zarr_separator(array: Any) -> str | None:
    """The separator of a zarr v2 array's chunk keys, from its ``.zarray`` metadata (``"."`` when it names
    none); ``None`` for stores whose keys are not known here (nested stores name ``/`` in the metadata)."""
    import zarr

    if type(array.chunk_store) is not zarr.storage.DirectoryStore:  # not a subclass: nested stores key otherwise
        return None
    prefix = f"{array.path}/" if array.path else ""
    metadata = json.loads(array.store[prefix + ".zarray"])
    if metadata.get("zarr_format") != 2:
        return None
    return metadata.get("dimension_separator") or "."


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
