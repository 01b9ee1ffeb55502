"""Keep a legacy file core-only: drop cached extension namespaces no object in the file uses.

pynwb caches every namespace loaded in the process; once ndx-microscopy is imported, even a file of
core types caches ndx-microscopy and ndx-ophys-devices. Readers then need the extension for nothing.
"""

from __future__ import annotations

from typing import Any

CORE_NAMESPACES = frozenset({"core", "hdmf-common", "hdmf-experimental"})


def namespaces_in_use(nwbfile) -> set[str]:
    """Namespaces of every object in an in-memory file (extension objects a user put there included)."""
    return {ns for ns in (getattr(o, "namespace", None) for o in nwbfile.all_children()) if ns}


def drop_extension_namespaces(root: Any, keep: set[str] = frozenset()) -> list[str]:
    """Remove cached namespaces other than the core ones and ``keep`` from a just-written file's open root.

    Returns the names removed. A namespace an object in the file uses must be in ``keep``, or the
    file cannot be read.
    """
    keep = CORE_NAMESPACES | set(keep)
    specifications = root.get("specifications")
    extra = [name for name in (specifications or {}) if name not in keep]
    for name in extra:
        del specifications[name]
    return extra
