"""Which pynwb IO class reads and writes each backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pynwb import NWBHDF5IO


def io_class(backend: str) -> Callable[..., Any]:
    """``NWBHDF5IO`` for ``"hdf5"``, hdmf-zarr's ``NWBZarrIO`` for ``"zarr"`` (imported only when used)."""
    if backend == "zarr":
        from hdmf_zarr.nwb import NWBZarrIO

        return NWBZarrIO
    return NWBHDF5IO


@contextmanager
def written_root(path: Path, backend: str, spare: Any = None) -> Iterator[Any]:
    """The root group of a file hdmf has written and closed, open for our own writes (h5py or zarr).

    With a :class:`~microscopy_builder.io.space.SpaceReserve`, the reserve is freed before the file
    is closed, so HDF5's last flush has room whatever filled the disk meanwhile.
    """
    if backend == "hdf5":
        import h5py

        file = h5py.File(path, "r+")
        close = file.close
        root = file
    else:
        import zarr

        root = zarr.open_group(str(path), mode="r+")
        close = lambda: _consolidate(path)  # noqa: E731 - readers use the consolidated copy of the metadata
    if spare is None:
        try:
            yield root
        finally:
            close()
        return
    with spare.closing(close):
        yield root


def _consolidate(path: Path) -> None:
    if (path / ".zmetadata").exists():
        import zarr

        zarr.consolidate_metadata(str(path))
