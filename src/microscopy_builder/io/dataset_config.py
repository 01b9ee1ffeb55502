"""Compression and chunking of the large datasets, chosen per backend."""

from __future__ import annotations

from typing import Any

import attrs
from hdmf.container import Data
from hdmf.data_utils import DataIO

from .chunking import ImagingDataIterator
from .compressor import environment_problem
from .parallel import DeferredData

BACKENDS = ("hdf5", "zarr")


COMPRESSIONS = ("gzip", None)


@attrs.frozen(kw_only=True)
class DatasetConfiguration:
    """How one large dataset is stored.

    Attributes
    ----------
    compression
        ``"gzip"`` (the default: every HDF5 reader, MATLAB and DANDI read it with no plugin) or
        ``None``.
    compression_level
        0 (stored, uncompressed) to 9 (smallest), as for gzip; default 4. Levels are served by the
        fastest standard-deflate encoder installed (:mod:`~microscopy_builder.io.compressor`): each
        gives a file no larger than zlib's at that level on the benchmark movie, much faster (the
        table in ``docs/how-to/large-movies.md``). The file records the level asked for.
    chunk_shape
        Stored chunk shape in the file's axis order, e.g. ``(64, 128, 256)``; default: the rule of
        :func:`~microscopy_builder.io.chunking.chunk_shape_for` (up to 4 MiB, two chunks per frame).
    """

    compression: str | None = "gzip"
    compression_level: int = 4
    chunk_shape: tuple[int, ...] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else tuple(int(n) for n in v)
    )

    @property
    def level(self) -> int | None:
        """The deflate level, or ``None`` when uncompressed."""
        return self.compression_level if self.compression == "gzip" else None

    def problems(self, where: str, shape: tuple[int, ...]) -> list[str]:
        """What is wrong with this configuration for a dataset of ``shape``."""
        problems = []
        if self.compression not in COMPRESSIONS:
            problems.append(f"{where}.compression: must be one of {COMPRESSIONS}, got {self.compression!r}")
        if not isinstance(self.compression_level, int) or not 0 <= self.compression_level <= 9:
            problems.append(f"{where}.compression_level: must be a whole number 0-9, got {self.compression_level!r}")
        encoder_problem = environment_problem() if self.compression == "gzip" else None
        if encoder_problem:
            problems.append(f"{where}.compression: {encoder_problem}")
        if self.chunk_shape is not None:
            if len(self.chunk_shape) != len(shape) or any(c < 1 or c > n for c, n in zip(self.chunk_shape, shape)):
                problems.append(
                    f"{where}.chunk_shape: {self.chunk_shape} does not fit the stored shape {shape}; give one "
                    f"positive size per axis, none larger than the axis"
                )
        return problems

    def data_io(self, backend: str, chunks: tuple[int, ...] | None) -> tuple[type, dict[str, Any]]:
        """The backend's DataIO class and its arguments for this configuration."""
        if backend == "hdf5":
            from hdmf.backends.hdf5 import H5DataIO

            options = {"compression": self.compression, "compression_opts": self.compression_level} if self.compression else {}
            return H5DataIO, {"chunks": chunks, **options}
        if backend == "zarr":
            import numcodecs
            from hdmf_zarr.utils import ZarrDataIO

            compressor = numcodecs.GZip(level=self.compression_level) if self.compression == "gzip" else False  # False: none
            return ZarrDataIO, {"chunks": chunks, "compressor": compressor}
        raise ValueError(f"unknown backend {backend!r}")


def configure_series_data(
    container: Any, backend: str, configuration: DatasetConfiguration, buffer_bytes: int | None = None
) -> None:
    """Wrap a container's streamed data for ``backend`` (compression; chunks from the iterator).

    ``container`` is a series (its ``data`` field) or a table column (an hdmf ``Data``).
    ``buffer_bytes`` re-plans a not yet consumed imaging iterator to read at most that much at a time.
    """
    is_column = isinstance(container, Data)
    data = container.data if is_column else container.fields.get("data")
    if buffer_bytes is not None and hasattr(data, "with_buffer") and not is_column:
        container.fields["data"] = data = data.with_buffer(buffer_bytes)
    data_io_class, data_io_kwargs = configuration.data_io(backend, getattr(data, "chunk_shape", None))
    if is_column:
        container.set_data_io(data_io_class, data_io_kwargs)
    else:
        container.set_data_io("data", data_io_class, data_io_kwargs)


def defer_series_data(
    series: Any, backend: str, configuration: DatasetConfiguration, buffer_bytes: int
) -> ImagingDataIterator:
    """Give hdmf an empty stand-in for a series' imaging data (shape, dtype, chunks, compression) and
    return the re-planned source that :func:`~microscopy_builder.io.parallel.fill_dataset` stores later."""
    source = series.fields["data"].with_buffer(buffer_bytes, chunk_shape=configuration.chunk_shape)
    series.fields["data"] = DeferredData(source)
    data_io_class, data_io_kwargs = configuration.data_io(backend, tuple(source.chunk_shape))
    series.set_data_io("data", data_io_class, data_io_kwargs)
    return source


def is_wrapped(container: Any) -> bool:
    """Whether a series' or column's data already sits in a DataIO (configured by an earlier call)."""
    data = container.data if isinstance(container, Data) else container.fields.get("data")
    return isinstance(data, DataIO)
