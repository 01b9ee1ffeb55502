"""Reusing what an existing file already holds: an object of the same name and content is reused,
one of the same name and other content is a conflict.

Used when a session appends to a file (``Session.open``) or adopts an in-memory NWBFile: the
emitters build each object as usual, then ask :func:`add_or_reuse` whether the file already has it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from hdmf.container import AbstractContainer

from ..errors import ConflictError

if TYPE_CHECKING:
    from ..specs import SegmentationSpec


def differing_fields(held: Any, candidate: Any) -> list[str]:
    """Fields whose values differ between an object read from a file and one about to be made.

    Linked or child objects compare by type and name; arrays and datasets by value.
    """
    if type(held).__name__ != type(candidate).__name__:
        return ["(type)"]
    differing = []
    for name, value in candidate.fields.items():
        if name == "name":
            continue
        if not _same(held.fields.get(name), value):
            differing.append(name)
    return differing


def _same(held: Any, value: Any) -> bool:
    if isinstance(value, AbstractContainer) or isinstance(held, AbstractContainer):
        return (
            isinstance(value, AbstractContainer)
            and isinstance(held, AbstractContainer)
            and type(held).__name__ == type(value).__name__
            and held.name == value.name
        )
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], AbstractContainer):
        held_items = list(held.values()) if isinstance(held, Mapping) else list(held or [])
        return sorted(c.name for c in held_items) == sorted(c.name for c in value)
    if isinstance(value, (list, tuple, np.ndarray)) or hasattr(held, "shape"):
        stored = np.asarray(held[()] if hasattr(held, "shape") else held)
        try:  # a placeholder NaN read back is the NaN that was written
            return bool(np.array_equal(stored, np.asarray(value), equal_nan=True))
        except TypeError:  # text: NaN has no meaning there
            return bool(np.array_equal(stored, np.asarray(value)))
        except ValueError:
            return False
    if isinstance(value, float) and isinstance(held, (float, np.floating)) and math.isnan(value):
        return math.isnan(held)
    if isinstance(held, bytes):
        held = held.decode()
    return held == value


def add_or_reuse(kind: str, held: Mapping[str, Any], candidate: Any, add: Callable[[Any], Any]) -> Any:
    """``candidate``, added with ``add``; or the object of its name already in the file, when the same.

    Raises ``ConflictError`` naming the differing fields when the file holds another object of
    that name.
    """
    existing = held.get(candidate.name) if held is not None else None
    if existing is None:
        add(candidate)
        return candidate
    fields = differing_fields(existing, candidate)
    if fields:
        raise ConflictError(
            kind,
            candidate.name,
            fields,
            f"the file already holds a {kind} named {candidate.name!r} that differs in {', '.join(fields)}; "
            f"describe it as the file has it, or give yours another name",
        )
    return existing


def refuse_taken_name(name: str, taken: Any, container: str, segmentation: SegmentationSpec) -> None:
    """Two trace series may not share a name in one container (checked before anything is written)."""
    if name in taken:
        raise ConflictError(
            "trace",
            name,
            ["name"],
            f"segmentation {segmentation.name!r}: a trace series named {name!r} is already in {container}; "
            f"rename one with .trace(kind, name=...)",
        )
