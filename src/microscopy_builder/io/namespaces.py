"""Keep a legacy file core-only: drop cached extension namespaces the file does not use.

pynwb caches every namespace loaded in the process; once ndx-microscopy is imported, even a file of
core types caches ndx-microscopy and ndx-ophys-devices. Readers then need the extension for nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CORE_NAMESPACES = frozenset({"core", "hdmf-common", "hdmf-experimental"})


def drop_extension_namespaces(path: Path, backend: str) -> list[str]:
    """Remove every cached namespace but the core ones from a just-written file; return their names."""
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r+") as file:
            specifications = file.get("specifications")
            extra = [name for name in (specifications or {}) if name not in CORE_NAMESPACES]
            for name in extra:
                del specifications[name]
        return extra
    import zarr

    specifications = path / "specifications"
    extra = [p.name for p in specifications.iterdir() if p.is_dir() and p.name not in CORE_NAMESPACES]
    for name in extra:
        shutil.rmtree(specifications / name)
    if extra and (path / ".zmetadata").exists():
        zarr.consolidate_metadata(str(path))
    return extra
