"""The two storage backends, each one object: HDF5 (h5py) and Zarr (hdmf-zarr).

Everything that differs between them lives here: the pynwb IO class, the DataIO wrapper and its
compression options, how a written file is opened for our own writes, how chunks are stored
directly, how a path is recognised as an NWB file or store, and how the groups, datasets and
links of a file are listed and removed. Other modules take a :class:`Backend` and never ask which
one it is.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .direct import DirectChunks, hdf5_direct_chunks, zarr_direct_chunks

if TYPE_CHECKING:
    from .dataset_config import DatasetConfiguration

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class Backend(ABC):
    """One way of storing an NWB file."""

    #: the name users give (``backend="hdf5"``)
    name: str = ""
    #: how messages name it
    label: str = ""
    #: the mode pynwb opens an existing file in to append to it
    append_mode: str = "a"
    #: whether chunks are stored from the writing thread, in order (HDF5 holds one lock)
    stores_in_order: bool = True

    def __repr__(self) -> str:
        return self.name

    @abstractmethod
    def io_class(self) -> Callable[..., Any]:
        """The pynwb IO class reading and writing this backend."""

    @abstractmethod
    def data_io(self, configuration: DatasetConfiguration, chunks: tuple[int, ...] | None) -> tuple[type, dict[str, Any]]:
        """The DataIO class and its arguments storing a dataset as ``configuration`` says."""

    @abstractmethod
    def direct_chunks(self, dataset: Any, level: int | None, content: str = "dense") -> DirectChunks | None:
        """How to store ``dataset``'s chunks directly, or ``None`` when its codecs are not plain deflate at ``level``;
        ``content`` (``"dense"`` or ``"sparse"``) picks the encoder."""

    @abstractmethod
    def open_root(self, path: Path, mode: str) -> tuple[Any, Callable[[], None]]:
        """The root group of a file or store (h5py or zarr), and how to close it."""

    @contextmanager
    def open(self, path: Path, mode: str) -> Iterator[Any]:
        """The root group of a file or store, closed afterwards."""
        root, close = self.open_root(path, mode)
        try:
            yield root
        finally:
            close()

    @contextmanager
    def written_root(self, path: Path, spare: Any = None) -> Iterator[Any]:
        """The root group of a file hdmf has written and closed, open for our own writes.

        With a :class:`~microscopy_builder.io.space.SpaceReserve`, the reserve is freed before the
        file is closed, so its last flush has room whatever filled the disk meanwhile.
        """
        if spare is None:
            with self.open(path, "r+") as root:
                yield root
            return
        root, close = self.open_root(path, "r+")
        with spare.closing(close):
            yield root

    @abstractmethod
    def state(self, path: Path) -> str:
        """``"nwb"``, ``"busy"`` (held open for writing elsewhere), or ``"other"`` (anything else)."""

    def holds_nwb(self, path: Path) -> bool:
        return self.state(path) == "nwb"

    def objects(self, path: Path) -> list[tuple[str, dict[str, Any]]]:
        """(path, attributes) of every group and dataset."""
        found: list[tuple[str, dict[str, Any]]] = []
        with self.open(path, "r") as root:
            root.visititems(lambda name, item: found.append((name, dict(item.attrs))))
        return found

    @abstractmethod
    def links(self, path: Path) -> list[tuple[str, str]]:
        """(where the link is, the path it points at) for every link of the file."""

    @abstractmethod
    def paths(self, path: Path) -> list[str]:
        """Every group and dataset, by path from the root (Zarr: every folder, even one without metadata)."""

    @abstractmethod
    def remove(self, path: Path, names: list[str]) -> list[str]:
        """Remove these groups and datasets (each outermost one); return what was removed."""


class Hdf5Backend(Backend):
    name, label, append_mode, stores_in_order = "hdf5", "HDF5", "a", True

    def io_class(self) -> Callable[..., Any]:
        from pynwb import NWBHDF5IO

        return NWBHDF5IO

    def data_io(self, configuration: DatasetConfiguration, chunks: tuple[int, ...] | None) -> tuple[type, dict[str, Any]]:
        from hdmf.backends.hdf5 import H5DataIO

        compression = configuration.compression
        options = {"compression": compression, "compression_opts": configuration.compression_level} if compression else {}
        return H5DataIO, {"chunks": chunks, **options}

    def direct_chunks(self, dataset: Any, level: int | None, content: str = "dense") -> DirectChunks | None:
        return hdf5_direct_chunks(dataset, level, content)

    def open_root(self, path: Path, mode: str) -> tuple[Any, Callable[[], None]]:
        import h5py

        file = h5py.File(path, mode)
        return file, file.close

    def state(self, path: Path) -> str:
        import h5py

        try:
            with open(path, "rb") as file:
                signed = file.read(8) == HDF5_SIGNATURE
        except OSError:
            return "other"
        try:
            with h5py.File(path, "r") as file:
                return "nwb" if _text(file.attrs.get("neurodata_type")) == "NWBFile" else "other"
        except (OSError, ValueError) as error:
            locked = "lock" in str(error).lower() or getattr(error, "errno", None) in (errno.EAGAIN, errno.EWOULDBLOCK)
            return "busy" if signed and locked else "other"

    def links(self, path: Path) -> list[tuple[str, str]]:
        import h5py

        found: list[tuple[str, str]] = []
        with h5py.File(path, "r") as file:
            def visit(name: str, link: Any) -> None:
                if isinstance(link, h5py.SoftLink):
                    found.append((name, link.path))

            file.visititems_links(visit)
        return found

    def paths(self, path: Path) -> list[str]:
        found: list[str] = []
        with self.open(path, "r") as file:
            file.visit(found.append)
        return found

    def remove(self, path: Path, names: list[str]) -> list[str]:
        removed = []
        with self.open(path, "r+") as file:
            for name in outermost(names):
                if name in file:
                    del file[name]
                    removed.append(name)
        return removed


class ZarrBackend(Backend):
    name, label, append_mode, stores_in_order = "zarr", "Zarr", "r+", False

    def io_class(self) -> Callable[..., Any]:
        from hdmf_zarr.nwb import NWBZarrIO

        return NWBZarrIO

    def data_io(self, configuration: DatasetConfiguration, chunks: tuple[int, ...] | None) -> tuple[type, dict[str, Any]]:
        import numcodecs
        from hdmf_zarr.utils import ZarrDataIO

        gzip = configuration.compression == "gzip"
        compressor = numcodecs.GZip(level=configuration.compression_level) if gzip else False  # False: none
        return ZarrDataIO, {"chunks": chunks, "compressor": compressor}

    def direct_chunks(self, dataset: Any, level: int | None, content: str = "dense") -> DirectChunks | None:
        return zarr_direct_chunks(dataset, level, content)

    def open_root(self, path: Path, mode: str) -> tuple[Any, Callable[[], None]]:
        import zarr

        root = zarr.open_group(str(path), mode=mode)
        # readers use the consolidated copy of the metadata: refresh it after writing
        return root, (lambda: None) if mode == "r" else (lambda: consolidate(path))

    def state(self, path: Path) -> str:
        try:
            if not (path / ".zgroup").is_file():
                return "other"
            attributes = json.loads((path / ".zattrs").read_text())
        except (OSError, ValueError):
            return "other"
        return "nwb" if isinstance(attributes, dict) and attributes.get("neurodata_type") == "NWBFile" else "other"

    def links(self, path: Path) -> list[tuple[str, str]]:
        import zarr

        root_attributes = dict(zarr.open_group(str(path), mode="r").attrs)
        found = []
        for name, attributes in [("", root_attributes), *self.objects(path)]:
            for link in attributes.get("zarr_link", []) or []:
                found.append((f"{name}/{link.get('name')}".strip("/"), str(link.get("path", ""))))
        return found

    def paths(self, path: Path) -> list[str]:
        return [str(Path(folder).relative_to(path) / name) for folder, names, _ in os.walk(path) for name in names]

    def remove(self, path: Path, names: list[str]) -> list[str]:
        removed = []
        for name in outermost(names):
            shutil.rmtree(path / name, ignore_errors=True)
            removed.append(name)
        if removed:
            consolidate(path)
        return removed


HDF5, ZARR = Hdf5Backend(), ZarrBackend()
BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (HDF5, ZARR)}


def backend_problems(name: Any) -> list[str]:
    return [] if isinstance(name, str) and name in BACKENDS else [f"backend: must be one of {tuple(BACKENDS)}, got {name!r}"]


def backend_for(path: Path, name: str | None = None, *, existing: bool = False) -> Backend:
    """The backend called ``name``, else the one ``path`` implies: a ``.zarr`` suffix (or, for an
    existing path, a folder) is Zarr."""
    if name is not None:
        return BACKENDS[name]
    return ZARR if path.suffix == ".zarr" or (existing and path.is_dir()) else HDF5


def consolidate(path: Path) -> None:
    """Refresh a Zarr store's consolidated metadata, when it keeps one."""
    if (path / ".zmetadata").exists():
        import zarr

        zarr.consolidate_metadata(str(path))


def outermost(names: list[str]) -> list[str]:
    """Paths not inside another listed path (removing a group removes its children)."""
    kept: list[str] = []
    for name in sorted(set(names), key=len):
        if not any(name.startswith(f"{outer}/") for outer in kept):
            kept.append(name)
    return kept


def _text(value: object) -> str | None:
    return value.decode() if isinstance(value, bytes) else value if isinstance(value, str) else None
