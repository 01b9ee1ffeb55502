"""An in-place append that did not finish is taken back out of the file.

Before an in-place append writes anything, a small file beside the destination
(``.<name>.unfinished-append.json``, flushed to disk) lists the object ids of everything the
append adds; it is removed once the append is complete. When the append fails, its objects are
removed at once; when the process was killed, the next :meth:`Session.open` finds the list and
removes them then (on its copy, for a safe append, so nothing changes until it saves). Objects are
removed only when nothing left in the file links to them, so the file stays readable; HDF5 does
not reclaim the space they took.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .atomic import fsync_folder, sibling_stem
from .backends import Backend, outermost


def marker_path(destination: Path) -> Path:
    return destination.with_name(f".{sibling_stem(destination)}{destination.suffix}.unfinished-append.json")


def mark(destination: Path, object_ids: list[str]) -> None:
    """Record, durably, that ``object_ids`` belong to an append of ``destination`` that has not finished."""
    path = marker_path(destination)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as file:
        json.dump(sorted(object_ids), file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)


def unmark(destination: Path) -> None:
    marker_path(destination).unlink(missing_ok=True)


def marked(destination: Path) -> list[str]:
    """Object ids of an unfinished append of ``destination`` (empty when there is none or the list is unreadable)."""
    try:
        value = json.loads(marker_path(destination).read_text())
    except (OSError, ValueError):
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def linked_from_outside(path: Path, backend: Backend, object_ids: list[str]) -> list[str]:
    """Links of the file, outside the listed objects, that point into them (removing those would break the file)."""
    wanted = set(object_ids)
    outer = outermost([name for name, attributes in backend.objects(path) if attributes.get("object_id") in wanted])
    within = lambda name: any(name == o or name.startswith(f"{o}/") for o in outer)  # noqa: E731
    return [source for source, target in backend.links(path) if within(target.strip("/")) and not within(source)]


def remove_objects(path: Path, backend: Backend, object_ids: list[str]) -> list[str]:
    """Remove every group or dataset whose ``object_id`` is listed; return their paths."""
    wanted = set(object_ids)
    return backend.remove(path, [name for name, attributes in backend.objects(path) if attributes.get("object_id") in wanted])
