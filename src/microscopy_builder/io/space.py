"""Free disk space, checked before a write that could run out of it.

An estimate never counts on compression: it is the uncompressed size of every dataset streamed
from a source plus a margin for metadata, so a write the check lets through does not run out of
space unless something else fills the disk meanwhile.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError

#: room left for metadata, namespaces and HDF5's own bookkeeping
METADATA_MARGIN_BYTES = 1024**2


def uncompressed_bytes(datasets: Iterable[Any]) -> int:
    """The raw size of datasets given as arrays or chunk iterators (anything with shape/maxshape and dtype)."""
    total = 0
    for data in datasets:
        shape = getattr(data, "maxshape", None) or getattr(data, "shape", None)
        dtype = getattr(data, "dtype", None)
        if shape is None or dtype is None:
            continue
        total += math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
    return total


def free_bytes(path: Path) -> int:
    """Bytes free for this user on the file system of ``path`` (or of its nearest existing parent)."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    return shutil.disk_usage(existing).free


def require_space(path: Path, needed: int, what: str, *, margin: int = METADATA_MARGIN_BYTES) -> None:
    """Raise ``ValidationError`` before writing when fewer than ``needed`` bytes (plus ``margin``) are free."""
    needed += margin
    free = free_bytes(path)
    if free < needed:
        raise ValidationError(
            [f"path: {what} needs up to {_megabytes(needed)} but only {_megabytes(free)} are free on the disk of "
             f"{str(path)!r}; free some space or write elsewhere (nothing was written)"]
        )


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


#: room held back while writing, so a file can be closed (its metadata flushed) even on a full disk
RESERVE_BYTES = 1024**2


class SpaceReserve:
    """Disk space held back beside the destination while it is written, given back before a file is closed.

    HDF5 writes the last of a file's metadata when the file is closed; on a disk that is full by
    then, that fails half-way (and h5py may crash). Holding a reserve while writing and freeing it
    just before each close leaves room for that last flush whatever filled the disk meanwhile.
    """

    def __init__(self, destination: Path, nbytes: int = RESERVE_BYTES):
        from .atomic import temporary_sibling

        self.path = temporary_sibling(destination, "reserve")
        self.nbytes = nbytes
        self.closed_cleanly = True  # whether the last close after a failure flushed without error

    def take(self, *, required: bool = False) -> bool:
        """Allocate the reserve; ``required`` makes a full disk a ``ValidationError``, else it is skipped."""
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return True
        try:
            _allocate(descriptor, self.nbytes)
            return True
        except OSError as error:
            os.close(descriptor)
            descriptor = -1
            self.release()
            if required and error.errno == errno.ENOSPC:
                raise ValidationError(
                    [f"path: fewer than {_megabytes(self.nbytes)} are free on the disk of {str(self.path.parent)!r}, "
                     f"too little to write safely; free some space or write elsewhere (nothing was written)"]
                ) from None
            if required:
                raise
            return False
        finally:
            if descriptor >= 0:
                os.close(descriptor)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)

    @contextmanager
    def closing(self, close: Callable[[], object]) -> Iterator[None]:
        """Run the block, then free the reserve, call ``close`` (it has room to flush), and take it again."""
        try:
            yield
        except BaseException:
            self.release()
            try:
                close()
                self.closed_cleanly = True
            except Exception:  # noqa: BLE001 - the block's own error is the one to report
                self.closed_cleanly = False
            raise
        self.release()
        close()
        self.take()

    def __enter__(self) -> SpaceReserve:
        self.take(required=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _allocate(descriptor: int, nbytes: int) -> None:
    """Really allocate ``nbytes`` (a sparse file would hold nothing back)."""
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(descriptor, 0, nbytes)
            return
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                raise
    block = b"\0" * (1024 * 1024)
    for start in range(0, nbytes, len(block)):
        os.write(descriptor, block[: nbytes - start])
    os.fsync(descriptor)
