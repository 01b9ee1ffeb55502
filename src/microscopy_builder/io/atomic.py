"""Write beside the destination, then move into place: a failed write never leaves a partial file.

Temporary paths are hidden siblings of the destination named after the writing process
(``.session.partial-<pid>-<random>.nwb``), so a later write can tell the leftovers of a killed
process from a write still running, and clean them up (or, for a Zarr folder caught between its
two renames, put the previous store back).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path


def temporary_sibling(destination: Path, tag: str) -> Path:
    """A hidden path in the destination's folder (same file system, so the final move is a rename)."""
    return destination.with_name(f".{destination.stem}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}{destination.suffix}")


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def recover_leftovers(destination: Path) -> list[Path]:
    """Clean up after writers of ``destination`` that died: remove their partial files and, when a
    Zarr replacement died between its renames, restore the previous store. Returns what was removed."""
    pattern = re.compile(rf"^\.{re.escape(destination.stem)}\.(partial|previous)-(\d+)-[0-9a-f]{{8}}{re.escape(destination.suffix)}$")
    removed = []
    if not destination.parent.is_dir():
        return removed
    for sibling in sorted(destination.parent.iterdir()):
        match = pattern.match(sibling.name)
        if match is None or _process_alive(int(match.group(2))):
            continue
        if match.group(1) == "previous" and not destination.exists():
            os.rename(sibling, destination)  # the old store was set aside and never replaced
            continue
        remove_path(sibling)
        removed.append(sibling)
    return removed


def write_atomically(destination: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)``, then put the result at ``destination``.

    Files are moved with ``os.replace`` (atomic). A folder (Zarr store) cannot be replaced in one
    step: an existing one is first renamed aside, the new one renamed in, and the old one deleted;
    if the second rename fails the old one is put back (and a later write puts it back if the
    process died in between). Leftovers of earlier writers that died are cleaned up first.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    recover_leftovers(destination)
    temporary = temporary_sibling(destination, "partial")
    try:
        write(temporary)
        replace_path(temporary, destination)
    finally:
        remove_path(temporary)


def replace_path(new: Path, destination: Path) -> None:
    """Move a complete file or folder onto ``destination`` (atomic for files)."""
    if new.is_dir() or destination.is_dir():
        _replace_folder(new, destination)
    else:
        os.replace(new, destination)


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
