"""Writing a session's file: one object with explicit states, one path per kind of write.

A session starts ``NEW`` (a new file is written), or ``OPENED`` (from an existing file, saved back
to it). A first write of a new file leaves it ``WRITTEN``; a second write copies that file (an
export, streamed and compressed as the write asks). Saving an opened file leaves it ``SAVED``,
closing it unsaved ``CLOSED``. A write that failed part-way has consumed its sources: ``FAILED``.
"""

from __future__ import annotations

import enum
import errno
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..appending import AppendTarget
from ..errors import ValidationError
from ..io.atomic import fingerprint, make_folders, recover_leftovers, remove_folders, write_atomically
from ..io.backends import Backend, backend_for, backend_problems
from ..io.destination import destination_problems
from ..io.locking import canonical, destination_lock
from ..io.repack import stored_streams
from ..io.space import SpaceReserve
from ..specs.facts import probing
from .fill import fill_streams, prepare_streams, streamed_bytes
from .options import WriteOptions

if TYPE_CHECKING:
    from ..description import Description


class WriteState(enum.Enum):
    NEW = "new"
    WRITTEN = "written"
    OPENED = "opened"
    SAVED = "saved"
    CLOSED = "closed"
    FAILED = "failed"


class Writer:
    """Writes what ``description`` emits into its NWBFile; see the module for the states."""

    def __init__(self, description: Description, target: AppendTarget | None = None):
        self.description = description
        self.target = target
        self.state = WriteState.OPENED if target is not None else WriteState.NEW
        self._lock = threading.RLock()  # one write at a time, whatever the thread
        self._first: tuple[Path, Backend, tuple] | None = None  # the first file: path, backend, fingerprint
        self._streamed: dict[str, tuple[str, str]] = {}  # the first file's streamed datasets: path -> (owner, kind)
        self._written_identities: set[tuple[str, str]] = set()

    def write(self, path: str | Path | None, *, backend: str | None, overwrite: bool, options: WriteOptions,
              lock_timeout: float | None) -> Path:
        """Write (or save) and return the file's path; see ``Session.write``."""
        with self._lock, probing():  # each source is asked once in a write
            if self.target is not None:
                return self._save(path, options)
            if path is None:
                raise ValidationError(["path: required; give the file to write (Session.open(...) sessions save without one)"])
            path = Path(path)
            problems = backend_problems(backend) if backend is not None else []
            problems += options.problems(self.description.series_names())
            if self.state is WriteState.FAILED:
                problems.append("session: an earlier write failed part-way and consumed its data streams; "
                                "build a new Session from the same builders to write again")
            if problems:
                raise ValidationError(problems)
            return self._write_file(path, backend_for(path, backend), overwrite, options, lock_timeout)

    def close(self) -> None:
        """Close an opened file without saving and let other writers in."""
        if self.target is not None and self.target.lock.held:
            self.target.abandon()
            self.state = WriteState.CLOSED

    # -- a new file, or a copy of the first one --------------------------------------------------
    def _write_file(self, path: Path, backend: Backend, overwrite: bool, options: WriteOptions,
                    lock_timeout: float | None) -> Path:
        problems = destination_problems(path, backend, overwrite=overwrite)
        if problems:  # before the lock: a read-only folder cannot even hold the lock file
            raise ValidationError(problems)
        target = canonical(path) if path.is_symlink() and path.exists() else path  # through a link to an NWB file
        created = make_folders(target)
        try:
            with destination_lock(target, timeout=lock_timeout):
                recover_leftovers(target)  # a writer of this path that was killed left a partial file behind
                problems = destination_problems(path, backend, overwrite=overwrite)  # again: another writer may
                if problems:                                                          # have been first
                    raise ValidationError(problems)
                if self.state is WriteState.WRITTEN:
                    self._export(target, backend, overwrite, options)
                else:
                    self._write_new(target, backend, overwrite, options)
        except OSError as error:
            remove_folders(created)
            if error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(error):
                error.add_note(f"microscopy-builder: the disk of {str(target.parent)!r} is full; nothing was "
                               f"written to {str(path)!r}, which holds what it held before")
            raise
        except BaseException:
            remove_folders(created)
            raise
        return path

    def _write_new(self, target: Path, backend: Backend, overwrite: bool, options: WriteOptions) -> None:
        streams = self._prepare(backend, options)
        try:
            with SpaceReserve(target) as spare:
                write_atomically(target, lambda temporary: self._new_file(temporary, backend, streams, options, spare),
                                 overwrite=overwrite)
        except BaseException:
            self.state = WriteState.FAILED
            raise
        self.state = WriteState.WRITTEN
        self._first = (target, backend, fingerprint(target))
        self._written_identities = self.description.identities()

    def _new_file(self, temporary: Path, backend: Backend, streams: list, options: WriteOptions,
                  spare: SpaceReserve) -> None:
        """hdmf writes the file with every streamed dataset empty; then the streams fill them."""
        nwbfile = self.description.nwbfile
        io = backend.io_class()(str(temporary), mode="w")
        with spare.closing(io.close):
            io.write(nwbfile)
        with backend.written_root(temporary, spare) as root:
            self._streamed = fill_streams(root, io.manager, streams, backend, options)
            self.description.format.finish(root, nwbfile)

    def _prepare(self, backend: Backend, options: WriteOptions) -> list:
        """Validate, check every source's first frame, emit, and set up how each streamed dataset is stored."""
        self.description.validate(warnings=False).raise_for_errors()
        streams = self.description.emit()
        prepare_streams(streams, backend, options)
        return streams

    def _export(self, target: Path, backend: Backend, overwrite: bool, options: WriteOptions) -> None:
        """A second write: the first file copied, its large datasets streamed and compressed as ``options`` say."""
        self._check_second_write()
        first, first_backend, _ = self._first

        def export(temporary: Path) -> None:
            with first_backend.io_class()(str(first), mode="r") as source:
                written = source.read()
                streams = stored_streams(written, self._streamed)
                prepare_streams(streams, backend, options)
                copy = backend.io_class()(str(temporary), mode="w")
                with SpaceReserve(target) as spare:
                    with spare.closing(copy.close):
                        copy.export(src_io=source, nwbfile=written, write_args={"link_data": False})
                    with backend.written_root(temporary, spare) as root:
                        fill_streams(root, source.manager, streams, backend, options)
                        self.description.format.finish(root, written)

        write_atomically(target, export, overwrite=overwrite)

    def _check_second_write(self) -> None:
        added = [f"{kind} {key!r}" for kind, key in self.description.identities() - self._written_identities]
        if added:
            raise ValidationError([f"session: {', '.join(sorted(added))} were added after the first write; a written "
                                   f"NWBFile cannot take new objects. Add everything before the first write, or build "
                                   f"a new Session for the new file"])
        first, _, printed = self._first
        if not first.exists() or fingerprint(first) != printed:
            what = "was removed" if not first.exists() else "was changed (appended to or replaced)"
            raise ValidationError([f"session: the first file this session wrote, {str(first)!r}, {what} since, and a "
                                   f"second write copies it; build a new Session from the same builders to write again"])

    # -- saving an opened file -------------------------------------------------------------------
    def _save(self, path: str | Path | None, options: WriteOptions) -> Path:
        """Save what was added to the file the session was opened from (see ``Session.open``)."""
        target = self.target
        problems = []
        if path is not None and Path(path).resolve() != target.original.resolve():
            problems.append(f"path: this session was opened from {str(target.original)!r} and saves there; to write "
                            f"the result elsewhere, copy the file first and open the copy")
        if not target.lock.held:
            problems.append("session: already saved or closed; open the file again to add more")
        problems += options.problems(self.description.series_names())
        if problems:
            raise ValidationError(problems)
        backend = target.backend
        streams = self._prepare(backend, options)
        nwbfile = self.description.nwbfile

        def fill(root: Any, manager: Any) -> None:
            fill_streams(root, manager, streams, backend, options)
            self.description.format.finish(root, nwbfile)

        try:
            target.save(nwbfile, fill, streamed_bytes(streams))
        except BaseException as error:
            self.state = WriteState.FAILED
            target.abandon(error)
            raise
        self.state = WriteState.SAVED
        return target.original
