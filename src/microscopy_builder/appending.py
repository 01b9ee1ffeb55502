"""Appending to an existing NWB file: in place, or on a copy that replaces the file when complete.

``safe`` (the default) copies the file beside itself, appends to the copy and moves it into
place: all or nothing, whatever happens (an exception, a full disk, a killed process, a power cut
once the copy is flushed). In place writes only the new objects into the file; an exception (a
full disk included) takes them back out, but a process killed or a power cut while hdmf writes the
file's metadata can leave it damaged. The destination's lock is held from opening to saving, so
two appends to one file run one after the other, each on what the other left.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from collections.abc import Callable
from typing import Any

import attrs

from .errors import CompatibilityWarning, ValidationError
from .io.atomic import fsync_folder, fsync_tree, recover_leftovers, remove_path, replace_path, temporary_sibling
from .io.backends import Backend
from .io.destination import read_only
from .io.incomplete import linked_from_outside, mark, marked, remove_objects, unmark
from .io.locking import DestinationLock, canonical
from .io.space import SpaceReserve, require_space


@attrs.define
class AppendTarget:
    """An opened file: where it is, the copy written instead (``safe``), its reader and its lock."""

    original: Path
    working: Path
    backend: Backend
    safe: bool
    lock: DestinationLock
    io: Any = None
    new_objects: list[str] = attrs.field(factory=list)
    held_paths: frozenset[str] = frozenset()  # every group and dataset the file held before the append
    phase: str = "opened"  # "metadata" while hdmf writes, "data" while the large datasets are filled
    spare: Any = None  # the SpaceReserve of the save under way
    marked: bool = False  # this append recorded its objects beside the file

    @classmethod
    def open(cls, path: Path, backend: Backend, *, safe: bool, lock_timeout: float | None) -> tuple[AppendTarget, Any]:
        """Lock ``path``, repair what a killed writer left, copy it when ``safe``, and read it.

        ``path`` is followed to the file itself (through links, ``..``, a later change of folder).
        """
        given, path = path, canonical(path)
        if not path.parent.is_dir():
            raise ValidationError([f"path: {str(given)!r} does not exist (nor does its folder); to write a new file "
                                   f"use Session(...).write(path)"])
        if not os.access(path.parent, os.W_OK | os.X_OK):  # it could not even hold the lock file
            raise ValidationError([_read_only(path.parent, given)])
        lock = DestinationLock(path, timeout=lock_timeout).acquire()
        target = cls(original=path, working=path, backend=backend, safe=safe, lock=lock)
        try:
            recover_leftovers(path)  # a store set aside by a killed replacement comes back first
            _check_appendable(path, backend, given)
            target._remove_incomplete_append()  # what a killed in-place append left is not the file's content
            if safe:
                target.working = temporary_sibling(path, "partial")
                require_space(path.parent, _size(path), f"copying {str(given)!r} for a safe append", margin=64 * 1024)
                target._copy()
            nwbfile = target._read()
        except BaseException:
            target.abandon()
            raise
        return target, nwbfile

    def _read(self) -> Any:
        from .emit import load_extension_classes

        load_extension_classes()
        try:
            self.io = self.backend.io_class()(str(self.working), mode=self.backend.append_mode)
            return self.io.read()
        except Exception as error:  # noqa: BLE001 - whatever the reader says, the file is not usable here
            raise ValidationError(
                [f"path: {str(self.original)!r} cannot be read as an NWB file ({type(error).__name__}: {error})"]
            ) from None

    def _copy(self) -> None:
        try:
            (shutil.copytree if self.original.is_dir() else shutil.copy2)(self.original, self.working)
        except BaseException:
            remove_path(self.working)  # never leave a partial copy to fill the disk for the next write
            raise

    def _remove_incomplete_append(self) -> None:
        """An in-place append killed mid-way left half-written objects: take them out of the file (whatever the
        mode: they are not the file's content), unless something else in the file links to them."""
        leftover = marked(self.original)
        if not leftover:
            return
        breaking = linked_from_outside(self.original, self.backend, leftover)
        if breaking:
            warnings.warn(
                f"{str(self.original)!r}: an unfinished in-place append is recorded, but other objects link to what it "
                f"added ({', '.join(breaking[:3])}), so nothing is removed", CompatibilityWarning, stacklevel=4)
            return
        removed = remove_objects(self.original, self.backend, leftover)
        fsync_tree(self.original)
        unmark(self.original)
        warnings.warn(
            f"{str(self.original)!r}: an in-place append that did not finish (its process was killed) had left "
            f"{', '.join(removed) or 'nothing readable'}; removed, the file holds what it held before",
            CompatibilityWarning,
            stacklevel=4,
        )

    def save(self, nwbfile: Any, fill: Callable[[Any, Any], object], needed_bytes: int) -> None:
        """Write the new objects, ``fill(root, manager)`` their data in the file open at ``root`` (``manager``: the
        IO's build manager, which knows where each object went), and (``safe``) move the copy into place."""
        if not self.safe:
            require_space(self.working, needed_bytes,
                          f"appending in place to {str(self.original)!r} (counted uncompressed, with room for metadata)")
        self.new_objects = [c.object_id for c in nwbfile.all_children() if c.container_source is None]
        if not self.safe:
            self.held_paths = frozenset(self.backend.paths(self.working))
            mark(self.original, self.new_objects)  # before anything is written: a kill from here on is repaired
            self.marked = True
        with SpaceReserve(self.original) as spare:  # room for every close to flush, whatever fills the disk
            self.spare = spare
            self.phase = "metadata"
            io, self.io = self.io, None
            with spare.closing(io.close):
                io.write(nwbfile)
            self.phase = "data"
            with self.backend.written_root(self.working, spare) as root:
                fill(root, io.manager)
        fsync_tree(self.working)
        if self.safe:
            replace_path(self.working, self.original)
            fsync_folder(self.original.parent)
        if not self.safe:
            unmark(self.original)  # complete
        self.lock.release()

    def abandon(self, error: BaseException | None = None) -> None:
        """Close without saving: discard the copy, or take a failed in-place append's objects back out."""
        self._close_io()
        try:
            if self.safe and self.working != self.original:
                remove_path(self.working)
            elif self.phase == "metadata" and error is not None and not self.spare.closed_cleanly:
                error.add_note(
                    f"microscopy-builder: the in-place append failed while HDF5/Zarr wrote the file's metadata; "
                    f"{str(self.original)!r} may be damaged (a full disk here can leave it unreadable): restore it "
                    f"from a copy. Safe appends (Session.open(path), the default) never risk this"
                )
            elif self.phase in ("metadata", "data") and error is not None:  # the file was closed cleanly
                self._take_back(error)
            elif self.marked and self.phase == "opened":  # failed before writing anything
                unmark(self.original)
        finally:
            self.lock.release()

    def _take_back(self, error: BaseException) -> None:
        """Remove what the failed append added (by object id, and any other new path), then say what is left."""
        try:
            removed = remove_objects(self.working, self.backend, self.new_objects)
            left = sorted(set(self.backend.paths(self.working)) - self.held_paths)
            removed += self.backend.remove(self.working, left)
            fsync_tree(self.working)
            still = set(self.backend.paths(self.working)) - self.held_paths
            if not still:
                unmark(self.original)
        except Exception as cleanup:  # noqa: BLE001 - say what is left; the next open tries again
            error.add_note(
                f"microscopy-builder: the failed in-place append could not be taken back out of "
                f"{str(self.original)!r} ({type(cleanup).__name__}: {cleanup}); Session.open removes it next time"
            )
            return
        if still:
            error.add_note(f"microscopy-builder: the in-place append failed and {', '.join(sorted(still))} could not "
                           f"be removed from {str(self.original)!r}")
            return
        error.add_note(
            f"microscopy-builder: the in-place append failed; what it had added ({', '.join(removed) or 'nothing'}) "
            f"was removed and {str(self.original)!r} holds the groups and datasets it held before"
        )

    def _close_io(self) -> None:
        io, self.io = self.io, None
        if io is not None:
            try:
                io.close()
            except Exception:  # noqa: BLE001 - closing after a failure (a full disk) may fail again
                pass


def _check_appendable(path: Path, backend: Backend, given: Path) -> None:
    if not path.exists():
        raise ValidationError([f"path: {str(given)!r} does not exist; to write a new file use Session(...).write(path)"])
    state = backend.state(path)
    if state == "busy":
        raise ValidationError([f"path: {str(given)!r} is open for writing in another program (HDF5 keeps it locked); "
                               f"close it there first"])
    if state != "nwb":
        raise ValidationError(
            [f"path: {str(given)!r} cannot be read as an NWB file: it is not an NWB file ({backend.label})"]
        )
    unwritable = [p for p in (path, path.parent) if not os.access(p, os.W_OK)] + ([path] if read_only(path) else [])
    if unwritable:
        raise ValidationError([_read_only(unwritable[0], given)])


def _read_only(place: Path, path: Path) -> str:
    return (f"path: {str(place)!r} is read-only for you, so {str(path)!r} cannot be appended to; copy it somewhere "
            f"writable, or change its permissions")


def _size(path: Path) -> int:
    """Bytes a copy of a file or store takes on disk (whole blocks: a store's many small files fill more)."""
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return sum(max(p.stat().st_size, p.stat().st_blocks * 512) for p in files)
