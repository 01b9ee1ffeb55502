"""An in-place append that did not finish is taken back out of the file.

While the large datasets of an in-place append are filled, the file's root carries an attribute
listing the object ids of everything the append added. When the append completes the attribute is
removed. When it fails, the objects are removed at once; when the process was killed, the next
:meth:`Session.open` finds the attribute and removes them then. Either way the file is left with
its previous content and no half-written series (HDF5 does not reclaim the space they took).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

MARKER = "microscopy_builder_incomplete_append"


def mark(root: Any, object_ids: list[str]) -> None:
    """Record on a file's open root group that ``object_ids`` belong to an unfinished append, on disk at once."""
    root.attrs[MARKER] = json.dumps(sorted(object_ids))
    if hasattr(root, "flush"):  # HDF5 keeps metadata in memory until told: a killed writer would lose the mark
        root.flush()


def unmark(root: Any) -> None:
    if MARKER in root.attrs:
        del root.attrs[MARKER]


def marked(path: Path, backend: str) -> list[str]:
    """Object ids of an unfinished append recorded in the file (empty when there is none)."""
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r") as file:
            value = file.attrs.get(MARKER)
    else:
        import zarr

        value = zarr.open_group(str(path), mode="r").attrs.get(MARKER)
    return [] if value is None else list(json.loads(value))


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
            file.attrs.pop(MARKER, None)
    else:
        import zarr

        root = zarr.open_group(str(path), mode="r+")
        found = []
        root.visititems(lambda name, item: found.append(name) if item.attrs.get("object_id") in wanted else None)
        for name in _outermost(found):
            shutil.rmtree(path / name, ignore_errors=True)
            removed.append(name)
        if MARKER in root.attrs:
            del root.attrs[MARKER]
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
