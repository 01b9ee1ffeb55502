"""What may be written to, and what may be replaced: only NWB files and stores, never anything else.

``overwrite=True`` replaces an existing NWB file (HDF5 whose root is an ``NWBFile``) or NWB Zarr
store (a folder whose root ``.zgroup`` / ``.zattrs`` say ``NWBFile``); a folder of raw data, a
device (``/dev/null``), a FIFO, a symlink to any of these, the file-system root or the user's home
are refused even then.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .backends import HDF5, ZARR, Backend


def destination_problems(path: Path, backend: Backend, *, overwrite: bool) -> list[str]:
    """Why ``path`` cannot be written with this backend (empty when it can)."""
    shown = str(path)
    if _is_protected(path):
        return [f"path: {shown!r} is the file-system root or your home folder; write to a file inside it"]
    if path.is_symlink() and not path.exists():
        return [f"path: {shown!r} is a symbolic link to nothing (or a loop of links); remove the link or write elsewhere"]
    if path.exists() or path.is_symlink():
        return _existing_problems(path, backend, overwrite)
    parent = path.parent if str(path.parent) else Path(".")
    existing_parent = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing_parent is not None and not os.access(existing_parent, os.W_OK | os.X_OK):
        return [f"path: {str(existing_parent)!r} is read-only for you, so {shown!r} cannot be written there; "
                f"write elsewhere or change its permissions"]
    if existing_parent is not None and not existing_parent.is_dir():
        return [f"path: {str(existing_parent)!r} is a file, not a folder, so {shown!r} cannot be created"]
    return []


def _existing_problems(path: Path, backend: Backend, overwrite: bool) -> list[str]:
    shown = str(path)
    kind = _kind(path)
    if kind is not None:
        via = " (through a symbolic link)" if path.is_symlink() else ""
        return [f"path: {shown!r} is {kind}{via}, not an NWB file; microscopy-builder never replaces it: write "
                f"to a file path"]
    if not overwrite:
        return [f"path: {shown!r} already exists; pass overwrite=True to replace it"]
    if path.is_dir():
        if backend is not ZARR:
            return [f"path: {shown!r} is a folder; an HDF5 file cannot replace it"]
        if not ZARR.holds_nwb(path):
            return [f"path: {shown!r} is a folder but not an NWB Zarr store (no .zgroup with an NWBFile root); "
                    f"microscopy-builder replaces only NWB files and stores, even with overwrite=True: "
                    f"write to another path"]
    else:
        if backend is ZARR:
            return [f"path: {shown!r} is a file; a Zarr store (a folder) cannot replace it"]
        state = HDF5.state(path)
        if state == "busy":
            return [f"path: {shown!r} is open for writing in another program (HDF5 keeps it locked); close it there "
                    f"first, or write to another path"]
        if state != "nwb":
            return [f"path: {shown!r} is not an NWB file (HDF5 with an NWBFile root); microscopy-builder "
                    f"replaces only NWB files and stores, even with overwrite=True: delete it yourself if you "
                    f"mean to, or write to another path"]
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return [f"path: {str(path.parent)!r} is read-only for you, so {shown!r} cannot be replaced; write elsewhere"]
    if read_only(path):
        return [f"path: {shown!r} is read-only (its permissions allow no writing); make it writable first if you "
                f"mean to replace it"]
    return []


def read_only(path: Path) -> bool:
    """Whether a file's permissions allow nobody to write it (checked by mode bits too: root passes ``os.access``)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not os.access(path, os.W_OK) or (not stat.S_ISDIR(mode) and not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _kind(path: Path) -> str | None:
    """What a path is when it is neither a regular file nor a folder (``None`` for those)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    kinds = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), None)


def _is_protected(path: Path) -> bool:
    resolved = Path(os.path.realpath(path))  # never raises on a loop of links (pathlib's resolve does)
    return resolved == Path(resolved.anchor) or resolved == Path(os.path.realpath(Path.home()))
