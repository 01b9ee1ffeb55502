"""Compression and chunking of the large datasets, chosen per backend."""

from __future__ import annotations

from typing import Any

import attrs

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
    series: Any, backend: str, configuration: DatasetConfiguration, buffer_bytes: int | None = None
) -> None:
    """Wrap a series' streamed ``data`` for ``backend`` (compression; chunks from the iterator).

    ``buffer_bytes`` re-plans the (not yet consumed) iterator to read at most that much at a time.
    """
    data = series.fields.get("data")
    if buffer_bytes is not None and hasattr(data, "with_buffer"):
        series.fields["data"] = data.with_buffer(buffer_bytes)
    chunks = getattr(series.fields.get("data"), "chunk_shape", None)
    data_io_class, data_io_kwargs = configuration.data_io(backend, chunks)
    series.set_data_io("data", data_io_class, data_io_kwargs)
