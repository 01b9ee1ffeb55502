"""Appending to an existing NWB file: in place, or on a copy that replaces the file when complete.

``safe`` (the default) copies the file beside itself, appends to the copy and moves it into
place: all or nothing, whatever happens (an exception, a full disk, a killed process, a power cut
once the copy is flushed). In place writes only the new objects into the file; an exception (a
full disk included) takes them back out, but a process killed or a power cut while hdmf writes the
file's metadata can leave it damaged. The destination's lock is held from opening to saving, so
two appends to one file run one after the other, each on what the other left.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import attrs

from .errors import CompatibilityWarning, ValidationError
from .io.atomic import fsync_folder, fsync_tree, recover_leftovers, remove_path, replace_path, temporary_sibling
from .io.backend import io_class
from .io.destination import is_nwb_hdf5, is_nwb_zarr
from .io.incomplete import mark, marked, remove_objects, unmark
from .io.locking import DestinationLock
from .io.space import require_space


@attrs.define
class AppendTarget:
    """An opened file: where it is, the copy written instead (``safe``), its reader and its lock."""

    original: Path
    working: Path
    backend: str
    safe: bool
    lock: DestinationLock
    io: Any = None
    new_objects: list[str] = attrs.field(factory=list)

    @classmethod
    def open(cls, path: Path, backend: str, *, safe: bool, lock_timeout: float | None) -> tuple[AppendTarget, Any]:
        """Lock ``path``, repair what a killed writer left, copy it when ``safe``, and read it."""
        lock = DestinationLock(path, timeout=lock_timeout).acquire()
        target = cls(original=path, working=path, backend=backend, safe=safe, lock=lock)
        try:
            recover_leftovers(path)  # a store set aside by a killed replacement comes back first
            _check_appendable(path, backend)
            target._remove_incomplete_append()
            if safe:
                target.working = temporary_sibling(path, "partial")
                require_space(path.parent, _size(path), f"copying {str(path)!r} for a safe append")
                target._copy()
            from .emit import load_extension_classes

            load_extension_classes()
            target.io = io_class(backend)(str(target.working), mode="a" if backend == "hdf5" else "r+")
            nwbfile = target.io.read()
        except BaseException as error:
            target.abandon()
            if isinstance(error, ValidationError) or not isinstance(error, Exception):
                raise
            raise ValidationError(
                [f"path: {str(path)!r} cannot be read as an NWB file ({type(error).__name__}: {error})"]
            ) from None
        return target, nwbfile

    def _copy(self) -> None:
        try:
            (shutil.copytree if self.original.is_dir() else shutil.copy2)(self.original, self.working)
        except BaseException:
            remove_path(self.working)  # never leave a partial copy to fill the disk for the next write
            raise

    def _remove_incomplete_append(self) -> None:
        leftover = marked(self.original, self.backend)
        if leftover:
            removed = remove_objects(self.original, self.backend, leftover)
            fsync_tree(self.original)
            warnings.warn(
                f"{str(self.original)!r}: an in-place append that did not finish (its process was killed) had "
                f"left {', '.join(removed) or 'nothing readable'}; removed, the file holds what it held before",
                CompatibilityWarning,
                stacklevel=4,
            )

    def save(self, nwbfile: Any, fill: Any, finish: Any, needed_bytes: int) -> None:
        """Write the new objects, fill their data, and (``safe``) move the copy into place."""
        if not self.safe:
            require_space(self.working, needed_bytes, f"appending in place to {str(self.original)!r}")
        self.new_objects = [c.object_id for c in nwbfile.all_children() if c.container_source is None]
        self.io.write(nwbfile)
        self._close_io()
        if not self.safe:
            mark(self.working, self.backend, self.new_objects)
        fill(self.working)
        finish(self.working)
        if not self.safe:
            unmark(self.working, self.backend)
        fsync_tree(self.working)
        if self.safe:
            replace_path(self.working, self.original)
            fsync_folder(self.original.parent)
        self.lock.release()

    def abandon(self, error: BaseException | None = None) -> None:
        """Close without saving: discard the copy, or take a failed in-place append's objects back out."""
        self._close_io()
        try:
            if self.safe and self.working != self.original:
                remove_path(self.working)
            elif self.new_objects and error is not None:
                self._take_back(error)
        finally:
            self.lock.release()

    def _take_back(self, error: BaseException) -> None:
        try:
            removed = remove_objects(self.working, self.backend, self.new_objects)
            fsync_tree(self.working)
        except Exception as cleanup:  # noqa: BLE001 - say what is left; the next open tries again
            error.add_note(
                f"microscopy-builder: the failed in-place append could not be taken back out of "
                f"{str(self.original)!r} ({type(cleanup).__name__}: {cleanup}); Session.open removes it next time"
            )
            return
        error.add_note(
            f"microscopy-builder: the in-place append failed; what it had added ({', '.join(removed) or 'nothing'}) "
            f"was removed and {str(self.original)!r} holds its previous content"
        )

    def _close_io(self) -> None:
        io, self.io = self.io, None
        if io is not None:
            try:
                io.close()
            except Exception:  # noqa: BLE001 - closing after a failure (a full disk) may fail again
                pass


def _check_appendable(path: Path, backend: str) -> None:
    if not path.exists():
        raise ValidationError([f"path: {str(path)!r} does not exist; to write a new file use Session(...).write(path)"])
    nwb = is_nwb_zarr(path) if backend == "zarr" else is_nwb_hdf5(path)
    if not nwb:
        raise ValidationError(
            [f"path: {str(path)!r} cannot be read as an NWB file: it is not an NWB file ({'Zarr' if backend == 'zarr' else 'HDF5'})"]
        )
    import os

    unwritable = [p for p in (path, path.parent) if not os.access(p, os.W_OK)]
    if unwritable:
        raise ValidationError(
            [f"path: {str(unwritable[0])!r} is read-only for you, so {str(path)!r} cannot be appended to; "
             f"copy it somewhere writable, or change its permissions"]
        )


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
