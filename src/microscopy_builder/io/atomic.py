"""Write beside the destination, make it durable, then move it into place in one step.

A new file or store is written to a hidden sibling (``.<stem>.partial-<pid>-<random><suffix>``),
flushed to disk (every file and folder of it, with ``fsync``), and moved onto the destination
with one rename; the folder is flushed again so the rename itself survives a power cut.

* A file replaces a file with ``os.replace`` (atomic). Without ``overwrite`` it is linked into
  place (``os.link``), which fails if another writer created the destination meanwhile.
* A Zarr store (a folder) replaces a folder by exchanging the two in one step (Linux
  ``renameat2(RENAME_EXCHANGE)``), so there is never a moment without a destination. Where the
  system cannot exchange, the old store is renamed aside (``.previous-``), the new one renamed in,
  and the old one deleted; a store found set aside with no destination is put back by the next
  writer or :func:`recover_leftovers`.

Callers hold the destination's lock (:mod:`.locking`) around all of this, so any leftover found
belongs to a writer that died.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from ..errors import ValidationError

_AT_FDCWD, _RENAME_NOREPLACE, _RENAME_EXCHANGE = -100, 1, 2


#: the longest file name most file systems take (bytes)
NAME_MAX = 255
#: room a sibling's name needs beyond the destination's stem: ``.`` ``.partial-<pid>-<8 hex>`` and the suffix
_SIBLING_EXTRA = 40


def sibling_stem(destination: Path) -> str:
    """The destination's stem as siblings carry it: cut, with a hash of the whole name, when a sibling's name
    would pass the file system's limit (a long but legal destination name)."""
    stem = destination.stem
    room = NAME_MAX - _SIBLING_EXTRA - len(destination.suffix.encode())
    if len(stem.encode()) <= room:
        return stem
    digest = hashlib.sha1(destination.name.encode()).hexdigest()[:12]
    return stem.encode()[: room - 13].decode(errors="ignore") + "~" + digest


def temporary_sibling(destination: Path, tag: str) -> Path:
    """A hidden path in the destination's folder (same file system, so the final move is a rename)."""
    return destination.with_name(f".{sibling_stem(destination)}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}{destination.suffix}")


def _leftover_pattern(destination: Path) -> re.Pattern:
    stem, suffix = re.escape(sibling_stem(destination)), re.escape(destination.suffix)
    return re.compile(rf"^\.{stem}\.(partial|previous|reserve)-\d+-[0-9a-f]{{8}}{suffix}$")


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def recover_leftovers(destination: Path) -> list[Path]:
    """Clean up after writers of ``destination`` that died (call with its lock held).

    Partial files and stores are removed; a previous store set aside by a replacement that died
    between its two renames is put back when the destination is missing. Returns what was removed.
    """
    pattern = _leftover_pattern(destination)
    removed: list[Path] = []
    if not destination.parent.is_dir():
        return removed
    for sibling in sorted(destination.parent.iterdir(), key=lambda p: p.name.startswith(f".{destination.stem}.partial")):
        match = pattern.match(sibling.name)
        if match is None:
            continue
        if match.group(1) == "previous" and not destination.exists():
            os.rename(sibling, destination)  # the old store was set aside and never replaced
            fsync_folder(destination.parent)
            continue
        remove_path(sibling)
        removed.append(sibling)
    return removed


def fsync_tree(path: Path) -> None:
    """Flush a file, or every file and folder of a store, to disk."""
    if path.is_dir():
        for folder, _, files in os.walk(path):
            for name in files:
                _fsync_file(Path(folder) / name)
            fsync_folder(Path(folder))
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk, where the system allows."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems cannot sync folders
        pass
    finally:
        os.close(descriptor)


def write_atomically(destination: Path, write: Callable[[Path], None], *, overwrite: bool) -> None:
    """Call ``write(temporary_path)``, make the result durable, then put it at ``destination`` (whose folder exists).

    Without ``overwrite``, a destination that appeared meanwhile (a writer not holding the lock)
    is left alone and a ``ValidationError`` raised. The temporary is removed whatever happens.
    """
    recover_leftovers(destination)
    temporary = temporary_sibling(destination, "partial")
    try:
        write(temporary)
        fsync_tree(temporary)
        if overwrite:
            replace_path(temporary, destination)
        else:
            place_new(temporary, destination)
        fsync_folder(destination.parent)
    finally:
        remove_path(temporary)


def make_folders(destination: Path) -> list[Path]:
    """Create the destination's missing folders; return them, innermost first (see :func:`remove_folders`)."""
    created = [folder for folder in (destination.parent, *destination.parent.parents) if not folder.exists()]
    destination.parent.mkdir(parents=True, exist_ok=True)
    return created


def remove_folders(created: list[Path]) -> None:
    """Remove folders :func:`make_folders` made, while they are empty (a failed write leaves none behind)."""
    for folder in created:
        try:
            folder.rmdir()
        except OSError:
            break


def fingerprint(path: Path) -> tuple:
    """What a file or store is now (every file's size and time of change), to tell whether it changed since."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return tuple((str(p.relative_to(path)) if path.is_dir() else "", p.stat().st_size, p.stat().st_mtime_ns,
                  p.stat().st_ino) for p in files)


def place_new(new: Path, destination: Path) -> None:
    """Move ``new`` to ``destination`` only if nothing is there (never replacing what another writer made)."""
    try:
        if new.is_dir():
            _rename_without_replacing(new, destination)
        else:
            try:
                os.link(new, destination)  # fails with EEXIST; the temporary is removed by the caller
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                _rename_without_replacing(new, destination)  # a file system without hard links
    except FileExistsError:
        raise ValidationError(
            [f"path: {str(destination)!r} was created by another writer while this one wrote; it is left as "
             f"that writer made it: pass overwrite=True to replace it"]
        ) from None


def _rename_without_replacing(new: Path, destination: Path) -> None:
    if _renameat2(new, destination, _RENAME_NOREPLACE):
        return
    if destination.exists():  # no atomic test here: the destination lock keeps our own writers out
        raise FileExistsError(errno.EEXIST, "exists", str(destination))
    os.rename(new, destination)


def replace_path(new: Path, destination: Path) -> None:
    """Move a complete file or folder onto ``destination`` in one step where the system allows."""
    if new.is_dir() or destination.is_dir():
        _replace_folder(new, destination)
    else:
        os.replace(new, destination)


def _replace_folder(new: Path, destination: Path) -> None:
    if not destination.exists():
        os.rename(new, destination)
        return
    if _renameat2(new, destination, _RENAME_EXCHANGE):  # the new store in place, the old one at ``new``
        remove_path(new)
        return
    backup = temporary_sibling(destination, "previous")
    os.rename(destination, backup)
    try:
        os.rename(new, destination)
    except BaseException:
        os.rename(backup, destination)
        raise
    remove_path(backup)


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """Linux ``renameat2``; ``False`` when the system or file system cannot do it (the caller falls back)."""
    function = getattr(_libc(), "renameat2", None)
    if function is None:
        return False
    result = function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    raise OSError(code, os.strerror(code), str(target))


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
