"""Keep a legacy file core-only: drop cached extension namespaces no object in the file uses.

pynwb caches every namespace loaded in the process; once ndx-microscopy is imported, even a file of
core types caches ndx-microscopy and ndx-ophys-devices. Readers then need the extension for nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CORE_NAMESPACES = frozenset({"core", "hdmf-common", "hdmf-experimental"})


def namespaces_in_use(nwbfile) -> set[str]:
    """Namespaces of every object in an in-memory file (extension objects a user put there included)."""
    return {ns for ns in (getattr(o, "namespace", None) for o in nwbfile.all_children()) if ns}


def drop_extension_namespaces(path: Path, backend: str, keep: set[str] = frozenset()) -> list[str]:
    """Remove cached namespaces other than the core ones and ``keep`` from a just-written file.

    Returns the names removed. A namespace an object in the file uses must be in ``keep``, or the
    file cannot be read.
    """
    keep = CORE_NAMESPACES | set(keep)
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r+") as file:
            specifications = file.get("specifications")
            extra = [name for name in (specifications or {}) if name not in keep]
            for name in extra:
                del specifications[name]
        return extra
    import zarr

    specifications = path / "specifications"
    extra = [p.name for p in specifications.iterdir() if p.is_dir() and p.name not in keep]
    for name in extra:
        shutil.rmtree(specifications / name)
    if extra and (path / ".zmetadata").exists():
        zarr.consolidate_metadata(str(path))
    return extra
