"""Copy a written file to another path or backend, streaming its large datasets with compression.

A written ``NWBFile`` cannot be written again; a second ``Session.write`` exports the first file.
hdmf's export alone would read each dataset whole into memory and lose its compression when the
backend changes, so large datasets are re-wrapped first: read a buffer at a time, compressed as on
the first write.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hdmf.container import Data
from hdmf.data_utils import GenericDataChunkIterator

from .chunking import DEFAULT_BUFFER_BYTES, DEFAULT_CHUNK_BYTES, chunk_shape_for
from .dataset_config import DatasetConfiguration

#: datasets smaller than this are copied as they are
LARGE_DATASET_BYTES = 1024**2


class StoredDatasetIterator(GenericDataChunkIterator):
    """Reads a stored dataset (h5py or zarr) a buffer of whole leading-axis slabs at a time."""

    def __init__(self, data: Any, buffer_bytes: int = DEFAULT_BUFFER_BYTES):
        self._stored = data
        shape = tuple(int(n) for n in data.shape)
        itemsize = np.dtype(data.dtype).itemsize
        stored_chunks = getattr(data, "chunks", None)
        chunk_shape = tuple(stored_chunks) if stored_chunks else chunk_shape_for(shape, itemsize, DEFAULT_CHUNK_BYTES)
        slab_bytes = max(1, math.prod(shape[1:]) * itemsize)
        slabs = max(chunk_shape[0], buffer_bytes // slab_bytes // chunk_shape[0] * chunk_shape[0])
        super().__init__(chunk_shape=chunk_shape, buffer_shape=(min(shape[0], slabs), *shape[1:]))

    def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
        return np.asarray(self._stored[selection])

    def _get_dtype(self) -> np.dtype:
        return np.dtype(self._stored.dtype)

    def _get_maxshape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self._stored.shape)

    def __len__(self) -> int:
        return int(self._stored.shape[0])


def _is_large_stored(data: Any) -> bool:
    shape, dtype = getattr(data, "shape", None), getattr(data, "dtype", None)
    if shape is None or dtype is None or not shape or isinstance(data, np.ndarray) or dtype.names is not None:
        return False
    return math.prod(shape) * np.dtype(dtype).itemsize >= LARGE_DATASET_BYTES


def stream_large_datasets(nwbfile: Any, backend: str, configuration: DatasetConfiguration) -> int:
    """Wrap every large stored dataset of a read file for streaming into ``backend``; return how many."""
    count = 0
    for container in nwbfile.all_children():
        if isinstance(container, Data):
            data = container.data
        else:
            data = getattr(container, "fields", {}).get("data")
        if not _is_large_stored(data):
            continue
        iterator = StoredDatasetIterator(data)
        data_io_class, data_io_kwargs = configuration.data_io(backend, iterator.chunk_shape)
        if isinstance(container, Data):
            container.set_data_io(data_io_class, data_io_kwargs, StoredDatasetIterator)
        else:
            container.set_data_io("data", data_io_class, data_io_kwargs, StoredDatasetIterator)
        count += 1
    return count
