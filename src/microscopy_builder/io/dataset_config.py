"""Compression and chunking of the large datasets, chosen per backend."""

from __future__ import annotations

from typing import Any

import attrs
from hdmf.container import Data
from hdmf.data_utils import DataIO

BACKENDS = ("hdf5", "zarr")


@attrs.frozen(kw_only=True)
class DatasetConfiguration:
    """How one large dataset is stored.

    ``compression`` is ``"gzip"`` (the default: every HDF5 reader and DANDI accept it) or
    ``None``; ``compression_level`` 0-9.
    """

    compression: str | None = "gzip"
    compression_level: int = 4

    def data_io(self, backend: str, chunks: tuple[int, ...] | None) -> tuple[type, dict[str, Any]]:
        """The backend's DataIO class and its arguments for this configuration."""
        if backend == "hdf5":
            from hdmf.backends.hdf5 import H5DataIO

            options = {"compression": self.compression, "compression_opts": self.compression_level} if self.compression else {}
            return H5DataIO, {"chunks": chunks, **options}
        if backend == "zarr":
            import numcodecs
            from hdmf_zarr.utils import ZarrDataIO

            compressor = numcodecs.GZip(level=self.compression_level) if self.compression == "gzip" else None
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


def is_wrapped(container: Any) -> bool:
    """Whether a series' or column's data already sits in a DataIO (configured by an earlier call)."""
    data = container.data if isinstance(container, Data) else container.fields.get("data")
    return isinstance(data, DataIO)
