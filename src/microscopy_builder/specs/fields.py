"""How spec fields are declared: each field says once what it means, its unit, its bounds and its role.

A spec field is an attrs field whose ``metadata`` holds a :class:`FieldInfo` (made by the field
helpers below: ``optional_float("Operating wavelength", unit="nm", bound="positive")``). Everything
that follows from a field reads it from there: the builder methods that set it (their parameters,
types, defaults and docstrings), the checks of its bounds (:func:`field_problems`), the
session-file schema, the split of a device's fields into model and instance, and the field
reference in ``docs/fields.md``. Enumerations are ``typing.Literal`` types; :func:`choices` gives
their values.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np

from ..unknown import UNKNOWN, known_numbers

#: the key of a field's :class:`FieldInfo` in its attrs metadata
META = "microscopy_builder"

Role = Literal["model", "instance"]
Bound = Literal["positive", "non_negative", "finite"]


@attrs.frozen(kw_only=True)
class FieldInfo:
    """What a spec field means.

    ``doc``: one line; ``unit``: the unit of a number; ``role``: a device field belongs to the
    device's ``"model"`` (shared by every unit of a product) or to the ``"instance"`` used;
    ``bound``: numbers must be ``"positive"``, ``"non_negative"`` or ``"finite"``; ``unknown``:
    whether ``mb.UNKNOWN`` is accepted; ``items``: the names of a tuple's items (``("x", "y")``);
    ``expect``: what to give, for messages about a value of the wrong type.
    """

    doc: str = ""
    unit: str | None = None
    role: Role | None = None
    bound: Bound | None = None
    unknown: bool = True
    items: tuple[str, ...] | None = None
    expect: str | None = None


def about(doc: str = "", **info: Any) -> dict[str, FieldInfo]:
    """attrs ``metadata`` declaring a field's :class:`FieldInfo`."""
    return {META: FieldInfo(doc=doc, **info)}


def info(attribute: attrs.Attribute) -> FieldInfo:
    """The :class:`FieldInfo` a field declares (an empty one when it declares none)."""
    return attribute.metadata.get(META) or FieldInfo(unknown=False)


@functools.cache
def hints(spec_class: type) -> dict[str, Any]:
    """The evaluated annotations of a spec class (attrs' own ``Attribute.type`` stays as written)."""
    return typing.get_type_hints(spec_class)


def choices(annotation: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` type, also inside ``X | None`` (empty for any other type)."""
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(arguments) == 1:
            return choices(arguments[0])
    return ()


# -- converters and field helpers ---------------------------------------------------------------------
def _optional_float(value: Any) -> float | None:
    return value if value is None or value is UNKNOWN else float(value)


def _optional_int(value: Any) -> int | None:
    return value if value is None or value is UNKNOWN else int(value)


def _optional_pair(value: Any) -> tuple[float, ...] | None:
    """A tuple of floats; ``mb.UNKNOWN`` stands alone for all of them, or for single items."""
    if value is None or value is UNKNOWN:
        return value
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"expected a sequence of numbers, got {value!r}")
    return tuple(v if v is UNKNOWN else float(v) for v in value)


def required_number(value: Any) -> Any:
    """A required number as ``float`` (or ``mb.UNKNOWN``)."""
    return value if value is UNKNOWN else float(value)


def optional_float(doc: str = "", **info: Any) -> Any:
    """An optional number stored as ``float`` (``None`` means "not given")."""
    return attrs.field(default=None, converter=_optional_float, metadata=about(doc, **info))


def optional_int(doc: str = "", **info: Any) -> Any:
    """An optional whole number."""
    return attrs.field(default=None, converter=_optional_int, metadata=about(doc, **info))


def optional_floats(doc: str = "", **info: Any) -> Any:
    """An optional tuple of numbers stored as floats."""
    return attrs.field(default=None, converter=_optional_pair, metadata=about(doc, **info))


def optional_str(doc: str = "", **info: Any) -> Any:
    """An optional text field."""
    return attrs.field(default=None, metadata=about(doc, **info))


def _array_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def frozen_array(value: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    if value is None:
        return None
    array = np.array(value, dtype="float64", copy=True)  # a copy: later changes to the caller's array do not leak in
    array.flags.writeable = False
    return array


def optional_array(doc: str = "", **info: Any) -> Any:
    """An optional float array, copied and read-only, compared by value."""
    return attrs.field(default=None, converter=frozen_array, eq=attrs.cmp_using(eq=_array_equal),
                       metadata=about(doc, **{"unknown": False, **info}))


def identity_field(doc: str = "", **kwargs: Any) -> Any:
    """A field compared by identity (lazy data sources such as extractors)."""
    return attrs.field(eq=attrs.cmp_using(eq=operator.is_), metadata=about(doc, unknown=False), **kwargs)


# -- checks that follow from the declarations ---------------------------------------------------------
_BOUNDS = {
    "positive": (lambda v: math.isfinite(v) and v > 0, "must be a finite positive number (or mb.UNKNOWN)"),
    "non_negative": (lambda v: math.isfinite(v) and v >= 0, "must be a finite number >= 0 (or mb.UNKNOWN)"),
    "finite": (math.isfinite, "must be a finite number"),
}


def bound_problem(bound: Bound | None, value: Any, where: str) -> str | None:
    """Why ``value`` breaks ``bound`` (``mb.UNKNOWN`` and ``None`` pass), or ``None``."""
    if bound is None:
        return None
    within, rule = _BOUNDS[bound]
    given = [v for v in known_numbers(value) if isinstance(v, numbers.Real)]
    return None if all(within(v) for v in given) else f"{where}: {rule}, got {value!r}"


def field_problems(spec: Any, where: str, *, labels: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> list[str]:
    """What breaks the bounds and enumerations ``spec``'s fields declare, each named ``where.field``.

    ``labels`` names fields differently in messages (a volume's ``pixel_size_um`` is its ``voxel_size_um``);
    fields in ``skip`` are checked by their spec in another way.
    """
    problems = []
    annotations = hints(type(spec))
    for attribute in attrs.fields(type(spec)):
        if attribute.name in skip:
            continue
        value, label = getattr(spec, attribute.name), (labels or {}).get(attribute.name, attribute.name)
        allowed = choices(annotations.get(attribute.name))
        if allowed and value is not None and value is not UNKNOWN and value not in allowed:
            problems.append(f"{where}.{label}: must be one of {', '.join(allowed)}, got {value!r}")
        problem = bound_problem(info(attribute).bound, value, f"{where}.{label}")
        if problem is not None:
            problems.append(problem)
    return problems


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
    problems.extend(p for name, value in values.items() if (p := bound_problem("positive", value, f"{where}.{name}")))


def check_non_negative(problems: list[str], where: str, **values: float | None) -> None:
    """Append a problem for every given value that is negative or not finite (``mb.UNKNOWN`` passes)."""
    problems.extend(p for name, value in values.items() if (p := bound_problem("non_negative", value, f"{where}.{name}")))


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
