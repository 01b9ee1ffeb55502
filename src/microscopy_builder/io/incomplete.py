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
import shutil
from pathlib import Path
from typing import Any

from .atomic import fsync_folder, sibling_stem


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


def linked_from_outside(path: Path, backend: str, object_ids: list[str]) -> list[str]:
    """Links of the file, outside the listed objects, that point into them (removing those would break the file)."""
    wanted = set(object_ids)
    inside = [name for name, attrs in _objects(path, backend) if attrs.get("object_id") in wanted]
    outer = _outermost(inside)
    within = lambda name: any(name == o or name.startswith(f"{o}/") for o in outer)  # noqa: E731
    return [source for source, target in _links(path, backend) if within(target.strip("/")) and not within(source)]


def _objects(path: Path, backend: str) -> list[tuple[str, Any]]:
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r") as file:
            found: list[tuple[str, Any]] = []
            file.visititems(lambda name, item: found.append((name, dict(item.attrs))))
            return found
    import zarr

    found = []
    zarr.open_group(str(path), mode="r").visititems(lambda name, item: found.append((name, dict(item.attrs))))
    return found


def _links(path: Path, backend: str) -> list[tuple[str, str]]:
    """(where the link is, the path it points at) for every link of the file."""
    found: list[tuple[str, str]] = []
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r") as file:
            def visit(name: str, link: Any) -> None:
                if isinstance(link, h5py.SoftLink):
                    found.append((name, link.path))

            file.visititems_links(visit)
        return found
    import zarr

    root_attributes = dict(zarr.open_group(str(path), mode="r").attrs)
    for name, attrs in [("", root_attributes), *_objects(path, backend)]:
        for link in attrs.get("zarr_link", []) or []:
            found.append((f"{name}/{link.get('name')}".strip("/"), str(link.get("path", ""))))
    return found


def remove_objects(path: Path, backend: str, object_ids: list[str]) -> list[str]:
    """Remove every group or dataset whose ``object_id`` is listed, and the marker; return their paths."""
    wanted = set(object_ids)
    removed: list[str] = []
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r+") as file:
            found: list[str] = []
            file.visititems(lambda name, item: found.append(name) if item.attrs.get("object_id") in wanted else None)
            for name in _outermost(found):
                if name in file:
                    del file[name]
                    removed.append(name)
    else:
        import zarr

        root = zarr.open_group(str(path), mode="r+")
        found = []
        root.visititems(lambda name, item: found.append(name) if item.attrs.get("object_id") in wanted else None)
        for name in _outermost(found):
            shutil.rmtree(path / name, ignore_errors=True)
            removed.append(name)
        if (path / ".zmetadata").exists():
            zarr.consolidate_metadata(str(path))
    return removed


def _outermost(names: list[str]) -> list[str]:
    """Paths not inside another listed path (removing a group removes its children)."""
    ordered = sorted(set(names), key=len)
    kept: list[str] = []
    for name in ordered:
        if not any(name.startswith(f"{outer}/") for outer in kept):
            kept.append(name)
    return kept


def object_paths(path: Path, backend: str) -> list[str]:
    """Every group and dataset of a file or store, by path from its root."""
    found: list[str] = []
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r") as file:
            file.visit(found.append)
    else:  # every folder, including one a failed write left without its .zgroup
        found = [str(Path(folder).relative_to(path) / name) for folder, names, _ in os.walk(path) for name in names]
    return found


def remove_paths(path: Path, backend: str, names: list[str]) -> list[str]:
    """Remove these groups and datasets (outermost first); return what was removed."""
    removed = []
    outermost = _outermost(names)
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r+") as file:
            for name in outermost:
                if name in file:
                    del file[name]
                    removed.append(name)
    else:
        for name in outermost:
            shutil.rmtree(path / name, ignore_errors=True)
            removed.append(name)
        if outermost and (path / ".zmetadata").exists():
            import zarr

            zarr.consolidate_metadata(str(path))
    return removed
