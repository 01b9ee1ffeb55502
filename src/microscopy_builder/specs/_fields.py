"""Field helpers shared by the spec classes: optional numbers, pairs and array comparison."""

from __future__ import annotations

import math
import operator
from typing import Any

import attrs
import numpy as np

from ..unknown import UNKNOWN, known_numbers


def _optional_float(value: Any) -> float | None:
    return value if value is None or value is UNKNOWN else float(value)


def _optional_pair(value: Any) -> tuple[float, float] | None:
    """A tuple of floats; ``mb.UNKNOWN`` stands alone for all of them, or for single items."""
    if value is None or value is UNKNOWN:
        return value
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"expected a sequence of numbers, got {value!r}")
    return tuple(v if v is UNKNOWN else float(v) for v in value)


def required_number(value: Any) -> Any:
    """A required number as ``float`` (or ``mb.UNKNOWN``)."""
    return value if value is UNKNOWN else float(value)


def optional_float(**kwargs: Any) -> Any:
    """An optional number stored as ``float`` (``None`` means "not given")."""
    return attrs.field(default=None, converter=_optional_float, **kwargs)


def optional_floats(**kwargs: Any) -> Any:
    """An optional tuple of numbers stored as floats."""
    return attrs.field(default=None, converter=_optional_pair, **kwargs)


def optional_str(**kwargs: Any) -> Any:
    """An optional text field."""
    return attrs.field(default=None, **kwargs)


def _array_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def frozen_array(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    array = np.array(value, dtype="float64", copy=True)  # a copy: later changes to the caller's array do not leak in
    array.flags.writeable = False
    return array


def optional_array(**kwargs: Any) -> Any:
    """An optional float array, copied and read-only, compared by value."""
    return attrs.field(
        default=None,
        converter=frozen_array,
        eq=attrs.cmp_using(eq=_array_equal),
        **kwargs,
    )


def identity_field(**kwargs: Any) -> Any:
    """A field compared by identity (lazy data sources such as extractors)."""
    return attrs.field(eq=attrs.cmp_using(eq=operator.is_), **kwargs)


def name_problem(name: Any, where: str) -> str | None:
    """Why ``name`` cannot name an NWB object, or ``None``: names are non-empty text without ``/``,
    ``:`` or NUL, and do not start with ``.`` (``.`` is the group itself; ``.zattrs``-like names
    are Zarr's own files)."""
    if not isinstance(name, str) or not name.strip():
        return f"{where}.name: must be a non-empty string, got {name!r}"
    if "/" in name or ":" in name:
        return (
            f"{where}.name: {name!r}: NWB names may not contain '/' or ':'; choose another name "
            f"(model numbers such as 'FF03-525/50' belong in model=...)"
        )
    if "\x00" in name:
        return f"{where}.name: {name!r} contains a NUL character, which HDF5 cuts names at; remove it"
    if name.startswith("."):
        return f"{where}.name: {name!r} starts with '.', which names the group itself or Zarr's own files; rename it"
    return None


def check_name(problems: list[str], where: str, name: Any) -> None:
    """Append the problem of an unusable NWB object name (see :func:`name_problem`)."""
    problem = name_problem(name, where)
    if problem is not None:
        problems.append(problem)


def check_positive(problems: list[str], where: str, **values: float | tuple[float, ...] | None) -> None:
    """Append a problem for every given value that is not a finite positive number (``mb.UNKNOWN`` passes)."""
    for name, value in values.items():
        if any(not math.isfinite(v) or v <= 0 for v in known_numbers(value)):
            problems.append(f"{where}.{name}: must be a finite positive number (or mb.UNKNOWN), got {value!r}")


def check_non_negative(problems: list[str], where: str, **values: float | None) -> None:
    """Append a problem for every given value that is negative or not finite (``mb.UNKNOWN`` passes)."""
    for name, value in values.items():
        if any(not math.isfinite(v) or v < 0 for v in known_numbers(value)):
            problems.append(f"{where}.{name}: must be a finite number >= 0 (or mb.UNKNOWN), got {value!r}")


def nul_problems(values: Any, where: str) -> list[str]:
    """Text holding NUL, which HDF5 and Zarr cannot store (HDF5 cuts text there): one problem per place.

    ``values`` is text, a list of text, or a mapping of names to such values (an NWBFile's keywords).
    """
    if isinstance(values, str):
        return [f"{where}: the text {values[:40]!r} holds a NUL character, which NWB files cannot store; remove it"] \
            if "\x00" in values else []
    if isinstance(values, dict):
        return [p for name, value in values.items() for p in nul_problems(value, f"{where}.{name}")]
    if isinstance(values, (list, tuple)):
        return [p for index, value in enumerate(values) for p in nul_problems(value, f"{where}[{index}]")]
    return []
