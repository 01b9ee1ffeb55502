"""The hand-off from the emitters to the writer: the large datasets to stream, listed explicitly.

An emitter gives each large dataset (an imaging series' frames, a trace series, dense ROI masks)
a :class:`StreamedData` as its data and lists it as a :class:`Stream`. hdmf writes the file with
each such dataset created empty (shape, dtype, chunks, compression) and nothing read; the writer
then fills every listed dataset from its source, compressing on every core (see
:mod:`~microscopy_builder.io.parallel`). How a dataset is stored (compression, chunks, the size of
one read) is set when it is written, so every write honours its own arguments.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs
import numpy as np
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk

from .backends import Backend
from .dataset_config import DatasetConfiguration


class BlockSource(Protocol):
    """Data read a buffer of whole leading-axis slabs (frames, ROIs) at a time, in stored axis order."""

    chunk_shape: tuple[int, ...]
    buffer_shape: tuple[int, ...]
    maxshape: tuple[int, ...]
    dtype: np.dtype

    def blocks(self) -> Any:
        """(first index, block) of every buffer: a fresh pass over the source."""

    def with_buffer(self, buffer_bytes: int, *, chunk_shape: tuple[int, ...] | None = None) -> BlockSource:
        """The same data read about ``buffer_bytes`` at a time, stored in ``chunk_shape`` chunks when given."""


class StreamedData(AbstractDataChunkIterator):
    """A large dataset's data while hdmf writes the file: its shape, dtype and chunks, and no values.

    hdmf creates the dataset from it and stores nothing (it yields no chunks); the writer fills
    the dataset from :attr:`source` afterwards.
    """

    def __init__(self, source: BlockSource):
        self.source = source

    def plan(self, buffer_bytes: int, chunk_shape: tuple[int, ...] | None = None) -> None:
        """Read ``buffer_bytes`` at a time and store ``chunk_shape`` chunks (the source's rule when ``None``)."""
        self.source = self.source.with_buffer(buffer_bytes, chunk_shape=chunk_shape)

    def __iter__(self) -> StreamedData:
        return self

    def __next__(self) -> DataChunk:
        raise StopIteration

    def __len__(self) -> int:  # table columns are checked for length
        return int(self.source.maxshape[0])

    def recommended_chunk_shape(self) -> tuple[int, ...]:
        return tuple(self.source.chunk_shape)

    def recommended_data_shape(self) -> tuple[int, ...]:
        return tuple(self.source.maxshape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.source.dtype)

    @property
    def maxshape(self) -> tuple[int, ...]:
        return tuple(self.source.maxshape)


#: what a stream holds; compression= by name applies to imaging series
STREAM_KINDS = ("imaging", "trace", "mask", "stored", "in-memory")
#: kinds whose values hdmf writes itself (compressed as configured); the writer fills the others
WRITTEN_BY_HDMF = frozenset({"in-memory"})


@attrs.define(eq=False)
class Stream:
    """One dataset the writer fills.

    Attributes
    ----------
    owner
        The NWB object's name, for messages and for ``compression={name: ...}`` (imaging series).
    container
        The object whose ``field`` holds the data, or (``field`` ``None``) the table column itself.
    data
        The stand-in hdmf writes empty; its source gives the values.
    kind
        One of :data:`STREAM_KINDS`.
    path
        Where the dataset is in the file, when known before writing (a dataset copied from a file).
    """

    owner: str
    container: Any
    data: StreamedData | None
    kind: str
    field: str | None = "data"
    path: str | None = None
    configuration: DatasetConfiguration | None = None

    def wrap(self, backend: Backend, configuration: DatasetConfiguration, buffer_bytes: int) -> None:
        """Plan the reads and chunks and give hdmf the backend's DataIO for them (once, before the file is written)."""
        if self.configuration is not None:
            raise RuntimeError(f"the data of {self.owner!r} was already set up for a write")
        self.configuration = configuration
        if self.kind in WRITTEN_BY_HDMF:  # small data in memory (pixel masks): hdmf compresses it as it writes
            data_io_class, arguments = backend.data_io(configuration, None)
            self._set_data_io(data_io_class, arguments)
            return
        if self.data is None:  # data stored in a file: hdmf wraps it in our stand-in, reading it lazily
            self._wrap_stored(backend, configuration, buffer_bytes)
            return
        self.data.plan(buffer_bytes, configuration.chunk_shape)
        data_io_class, arguments = backend.data_io(configuration, tuple(self.data.source.chunk_shape))
        self._set_data_io(data_io_class, arguments)

    def _set_data_io(self, data_io_class: type, arguments: dict[str, Any]) -> None:
        if self.field is None:
            self.container.set_data_io(data_io_class, arguments)
        else:
            self.container.set_data_io(self.field, data_io_class, arguments)

    def _wrap_stored(self, backend: Backend, configuration: DatasetConfiguration, buffer_bytes: int) -> None:
        from .repack import StoredData

        stored = self.container.data if self.field is None else self.container.fields[self.field]
        chunks = configuration.chunk_shape or tuple(getattr(stored, "chunks", None) or ()) or None
        data_io_class, arguments = backend.data_io(configuration, chunks)
        iterator = {"buffer_bytes": buffer_bytes, "chunk_shape": chunks}
        if self.field is None:
            self.container.set_data_io(data_io_class, arguments, StoredData, iterator)
            wrapped = self.container.data
        else:
            self.container.set_data_io(self.field, data_io_class, arguments, StoredData, iterator)
            wrapped = self.container.fields[self.field]
        self.data = wrapped.data

    def locate(self, manager: Any) -> str:
        """The dataset's path in the file just written by the IO whose build ``manager`` is given."""
        if self.path is not None:
            return self.path
        builder = manager.get_builder(self.container)
        where = builder.path.split("/", 1)[1] if "/" in builder.path else ""  # the root's own name first
        return where if self.field is None else f"{where}/{self.field}".lstrip("/")

    @property
    def level(self) -> int | None:
        return None if self.configuration is None else self.configuration.level

    @property
    def source(self) -> BlockSource:
        return self.data.source
