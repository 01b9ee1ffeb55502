"""Write beside the destination, then move into place: a failed write never leaves a partial file."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path


def temporary_sibling(destination: Path, tag: str) -> Path:
    """A hidden path in the destination's folder (same file system, so the final move is a rename)."""
    return destination.with_name(f".{destination.stem}.{tag}-{uuid.uuid4().hex[:8]}{destination.suffix}")


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_atomically(destination: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)``, then put the result at ``destination``.

    Files are moved with ``os.replace`` (atomic). A folder (Zarr store) cannot be replaced in one
    step: an existing one is first renamed aside, the new one renamed in, and the old one deleted;
    if the second rename fails the old one is put back.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(destination, "partial")
    try:
        write(temporary)
        if temporary.is_dir() or destination.is_dir():
            _replace_folder(temporary, destination)
        else:
            os.replace(temporary, destination)
    finally:
        remove_path(temporary)


def _replace_folder(new: Path, destination: Path) -> None:
    if not destination.exists():
        os.rename(new, destination)
        return
    backup = temporary_sibling(destination, "previous")
    os.rename(destination, backup)
    try:
        os.rename(new, destination)
    except BaseException:
        os.rename(backup, destination)
        raise
    remove_path(backup)
