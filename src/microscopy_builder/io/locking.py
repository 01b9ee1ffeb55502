"""One writer per destination at a time, across threads and processes: a lock file beside it.

Every write of a new file and every append holds the lock of its destination (``.<name>.lock`` in
the same folder, an OS file lock through the ``filelock`` library) from the first check of the
destination to the final move into place. A second writer waits for it, then finds the
destination as the first one left it; leftovers found while holding the lock belong to writers
that died (a live writer would hold the lock), whichever host they ran on.

The lock file is removed when released, so nothing is left beside the destination. The OS lock
serialises processes; a lock of this module's own serialises the threads of one
process, and a thread that already holds a destination's lock asking for it again (opening a
file twice for appending, say) gets an error instead of waiting for itself forever.
"""

from __future__ import annotations

import errno
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ValidationError
from .atomic import sibling_stem

_registry_guard = threading.Lock()
_held: dict[Path, tuple[threading.Lock, list[int]]] = {}  # destination -> (thread lock, [owner thread id])


def lock_path(destination: Path) -> Path:
    """The lock file of a destination: a hidden sibling, so it lives on the same file system."""
    return destination.with_name(f".{sibling_stem(destination)}{destination.suffix}.lock")


def canonical(destination: Path) -> Path:
    """One spelling of a destination (``sub/../x.nwb``, a link to it, a relative path): its real path."""
    try:
        return Path(os.path.realpath(destination))
    except (OSError, ValueError):
        return Path(os.path.abspath(destination))


class DestinationLock:
    """The lock of one destination; ``acquire`` waits for other writers, ``release`` lets them in."""

    def __init__(self, destination: Path, *, timeout: float | None = None):
        self.destination = canonical(destination)
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not math.isfinite(timeout) or timeout < 0):
            raise ValidationError([f"lock_timeout: must be a number of seconds >= 0 (or None to wait as long as it "
                                   f"takes), got {timeout!r}"])
        self.timeout = -1 if timeout is None else timeout
        with _registry_guard:
            self._thread_lock, self._owner = _held.setdefault(self.destination, (threading.Lock(), [0]))
        # readable and writable by every account that can write the folder: a lab share's next writer can lock
        # a lock file another account's killed writer left
        self._file_lock = FileLock(lock_path(self.destination), mode=0o666, thread_local=False)
        self.held = False

    def acquire(self) -> DestinationLock:
        if self._owner[0] == threading.get_ident():
            raise ValidationError(
                [f"path: {str(self.destination)!r} is already being written or appended to by this thread; "
                 f"save or close the other session first (session.write() or session.close())"]
            )
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise self._busy()
        try:
            self._file_lock.acquire(timeout=self.timeout)
        except Timeout:
            self._thread_lock.release()
            raise self._busy() from None
        except OSError as error:  # a lock file it may not open, no inode left for it, ...
            self._thread_lock.release()
            raise ValidationError(
                [f"path: the lock file {str(lock_path(self.destination))!r} beside {str(self.destination)!r} cannot be "
                 f"made or opened ({error.strerror or error}); "
                 + ("a full disk has no room for it: free some space" if error.errno in (errno.ENOSPC, errno.EDQUOT)
                    else "another account's writer may have left it: remove it once no writer runs")]
            ) from None
        except BaseException:
            self._thread_lock.release()
            raise
        self._owner[0] = threading.get_ident()
        self.held = True
        return self

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        self._owner[0] = 0
        try:
            # Removed while still held: a writer that was waiting on this file sees it unlinked once it
            # gets the lock and takes a fresh one (filelock checks), so no two writers ever hold it.
            try:
                lock_path(self.destination).unlink(missing_ok=True)
            except OSError:  # a folder that lets us lock but not remove (sticky, another account's file)
                pass
            self._file_lock.release()
        finally:
            self._thread_lock.release()

    def _busy(self) -> ValidationError:
        return ValidationError(
            [f"path: {str(self.destination)!r} is being written by another writer (lock {lock_path(self.destination)}); "
             f"wait for it to finish, or write elsewhere"]
        )


@contextmanager
def destination_lock(destination: Path, *, timeout: float | None = None) -> Iterator[DestinationLock]:
    """Hold the destination's lock for the ``with`` block."""
    lock = DestinationLock(destination, timeout=timeout).acquire()
    try:
        yield lock
    finally:
        lock.release()
