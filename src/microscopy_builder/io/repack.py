"""Copying a written file's large datasets into another file, streamed and compressed as on the first write.

A written ``NWBFile`` cannot be written again; a second ``Session.write`` exports the first file.
hdmf's export alone would read each dataset whole into memory and lose its compression when the
backend changes, so each large dataset becomes a :class:`~microscopy_builder.io.streams.Stream`
over the stored dataset: created empty by hdmf, then filled a buffer at a time by the writer, as
on the first write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hdmf.container import Data

from .chunking import DEFAULT_BUFFER_BYTES, DEFAULT_CHUNK_BYTES, SlabSource, chunk_shape_for, slab_buffer_shape
from .streams import Stream, StreamedData

#: datasets smaller than this are copied as they are
LARGE_DATASET_BYTES = 1024**2


class StoredDataset(SlabSource):
    """Reads a stored dataset (h5py or zarr) a buffer of whole leading-axis slabs at a time."""

    def __init__(self, data: Any, *, buffer_bytes: int = DEFAULT_BUFFER_BYTES, chunk_shape: tuple[int, ...] | None = None):
        self._stored = data
        shape = tuple(int(n) for n in data.shape)
        itemsize = np.dtype(data.dtype).itemsize
        stored_chunks = tuple(getattr(data, "chunks", None) or ()) or None
        chunk_shape = chunk_shape or stored_chunks or chunk_shape_for(shape, itemsize, DEFAULT_CHUNK_BYTES)
        super().__init__(chunk_shape=chunk_shape, buffer_shape=slab_buffer_shape(shape, itemsize, chunk_shape, buffer_bytes))

    def with_buffer(self, buffer_bytes: int, *, chunk_shape: tuple[int, ...] | None = None) -> StoredDataset:
        return StoredDataset(self._stored, buffer_bytes=buffer_bytes, chunk_shape=chunk_shape or tuple(self.chunk_shape))

    def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
        return np.asarray(self._stored[selection])

    def _get_dtype(self) -> np.dtype:
        return np.dtype(self._stored.dtype)

    def _get_maxshape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self._stored.shape)


class StoredData(StreamedData):
    """The stand-in for a stored dataset being copied (what ``set_data_io`` wraps it in)."""

    def __init__(self, data: Any, buffer_bytes: int = DEFAULT_BUFFER_BYTES, chunk_shape: tuple[int, ...] | None = None):
        super().__init__(StoredDataset(data, buffer_bytes=buffer_bytes, chunk_shape=chunk_shape))


def _is_large_stored(data: Any) -> bool:
    shape, dtype = getattr(data, "shape", None), getattr(data, "dtype", None)
    if shape is None or not isinstance(dtype, np.dtype) or not shape or isinstance(data, np.ndarray) or dtype.names is not None:
        return False
    return math.prod(shape) * np.dtype(dtype).itemsize >= LARGE_DATASET_BYTES


def stored_streams(nwbfile: Any, streamed: Mapping[str, tuple[str, str]]) -> list[Stream]:
    """A stream for every dataset of a file read back that its first write streamed (``streamed``: path ->
    (owner, kind), as :func:`~microscopy_builder.writing.fill.fill_streams` returned), and for every other
    large one."""
    streams = []
    for container in nwbfile.all_children():
        is_column = isinstance(container, Data)
        data = container.data if is_column else getattr(container, "fields", {}).get("data")
        if not hasattr(data, "shape") or isinstance(data, np.ndarray):
            continue
        path = dataset_path(data)
        owner, kind = streamed.get(path, (container.name, "stored"))
        if path in streamed or _is_large_stored(data):
            streams.append(Stream(owner, container, None, kind, field=None if is_column else "data", path=path))
    return streams


def dataset_path(data: Any) -> str:
    """Where a dataset read back lies in its file: h5py names it from the root, zarr by its path.

    Compound columns (``pixel_mask``) come wrapped in hdmf's table-dataset view, holding the h5py
    dataset as ``.dataset``.
    """
    stored = getattr(data, "dataset", data)
    return (stored.name if hasattr(stored, "file") else stored.path).strip("/")
