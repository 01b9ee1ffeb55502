"""Field-by-field comparison of two NWB files, independent of the library: every object by its path, every field.

Objects are named by their path in the file (``acquisition/TwoPhotonSeries``, ``general/devices/Laser``,
``processing/ophys/ImageSegmentation/PlaneSegmentation/image_mask``). Fields compare by value: datasets
bit for bit (dtype and values, NaN equal to NaN), links by the path of their target, groups of children
by the paths they hold. Object ids, the identifier and the file's creation date are never compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hdmf.container import AbstractContainer, Data

IGNORED_FIELDS = frozenset({"identifier", "file_create_date", "object_id"})
_TOP = {"acquisition": "acquisition", "processing": "processing", "devices": "general/devices",
        "device_models": "general/devices/models", "imaging_planes": "general/optophysiology",
        "lab_meta_data": "general", "subject": "general", "analysis": "analysis", "stimulus": "stimulus"}


def object_paths(nwbfile: Any) -> dict[str, Any]:
    """Every object of a read file by its path."""
    return {path_of(obj, nwbfile): obj for obj in nwbfile.objects.values()}


def path_of(obj: Any, nwbfile: Any) -> str:
    """``acquisition/TwoPhotonSeries``-like path of an object, from its parents and the file's groups."""
    if obj is nwbfile:
        return ""
    parts, node = [], obj
    while node.parent is not None and node.parent is not nwbfile:
        parts.append(node.name)
        node = node.parent
    for field, prefix in _TOP.items():
        held = nwbfile.fields.get(field)
        if held is node or (isinstance(held, Mapping) and held.get(node.name) is node):
            return "/".join([prefix, node.name, *reversed(parts)])
    return "/".join(["?", node.name, *reversed(parts)])


def differences(first: Any, second: Any, *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Every object present in one file only, and every field that differs, as ``path: field: a != b``."""
    paths_a, paths_b = object_paths(first), object_paths(second)
    found = [f"{p}: only in the first file" for p in sorted(set(paths_a) - set(paths_b))]
    found += [f"{p}: only in the second file" for p in sorted(set(paths_b) - set(paths_a))]
    for path in sorted(set(paths_a) & set(paths_b)):
        a, b = paths_a[path], paths_b[path]
        if type(a).__name__ != type(b).__name__:
            found.append(f"{path}: type {type(a).__name__} != {type(b).__name__}")
            continue
        if isinstance(a, Data) and not _same_data(a.data, b.data):
            found.append(f"{path}: data: {_shown(a.data)} != {_shown(b.data)}")
        for field in sorted(set(a.fields) | set(b.fields)):
            if field in IGNORED_FIELDS | ignore:
                continue
            left, right = a.fields.get(field), b.fields.get(field)
            if not same(left, right, first, second):
                found.append(f"{path}: {field}: {_shown(left)} != {_shown(right)}")
    return found


def same(left: Any, right: Any, first: Any, second: Any) -> bool:
    """Whether two field values are equal (links by target path, data bit for bit)."""
    if isinstance(left, AbstractContainer) or isinstance(right, AbstractContainer):
        return (isinstance(left, AbstractContainer) and isinstance(right, AbstractContainer)
                and path_of(left, first) == path_of(right, second))
    if isinstance(left, Mapping) or isinstance(right, Mapping):
        return sorted((left or {}).keys()) == sorted((right or {}).keys())
    if isinstance(left, (list, tuple)) and left and isinstance(left[0], AbstractContainer):
        return sorted(path_of(c, first) for c in left) == sorted(path_of(c, second) for c in (right or []))
    if hasattr(left, "shape") or hasattr(right, "shape") or isinstance(left, (list, tuple)):
        return _same_data(left, right)
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    return _decoded(left) == _decoded(right)


def _same_data(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    a, b = _array(left), _array(right)
    if a.dtype.kind in "OSU" or b.dtype.kind in "OSU":
        return a.shape == b.shape and [_decoded(v) for v in a.ravel()] == [_decoded(v) for v in b.ravel()]
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.names:
        return all(np.array_equal(a[n], b[n]) for n in a.dtype.names)
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _array(value: Any) -> np.ndarray:
    if hasattr(value, "data") and not isinstance(value, np.ndarray) and not hasattr(value, "dtype"):
        value = value.data
    return np.asarray(value[()] if hasattr(value, "shape") and not isinstance(value, np.ndarray) else value)


def _decoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _shown(value: Any) -> str:
    if isinstance(value, AbstractContainer):
        return f"<{type(value).__name__} {value.name}>"
    if hasattr(value, "shape") and not isinstance(value, np.ndarray):
        return f"<dataset {tuple(value.shape)}>"
    return repr(value)[:120]
