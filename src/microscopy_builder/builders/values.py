"""Values at the builders' edges: whether a value fits a parameter's type, what to give instead, how a
type reads in signatures and docs, and how values look in session files (plain YAML types).

Types here are the evaluated annotations of spec fields and builder parameters: ``float``, ``str``,
``Literal[...]`` enumerations, ``tuple[float, float]``, ``Sequence[int]``, spec and builder classes,
``Unknown`` (the type of ``mb.UNKNOWN``) and unions of those.
"""

from __future__ import annotations

import numbers
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from ..specs import IndicatorSpec, InjectionSpec, PositionSpec
from ..unknown import UNKNOWN, Unknown

#: how messages name the value types users make themselves
MADE_AS = {PositionSpec: "an mb.Position(...)", IndicatorSpec: "an mb.Indicator(...)", InjectionSpec: "an mb.Injection(...)",
           Unknown: "mb.UNKNOWN"}
_SEQUENCES = (tuple, list, Sequence)
_COUNTS = {2: "a pair", 3: "a triple"}


def members(annotation: Any) -> tuple[Any, ...]:
    """The members of a union (the annotation itself when it is none)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(m for a in typing.get_args(annotation) for m in members(a))
    return (annotation,)


def item_type(annotation: Any) -> tuple[Any, int | None]:
    """The item type of a sequence type and its fixed length (``None``: any length)."""
    arguments = typing.get_args(annotation)
    if not arguments:
        return Any, None
    if typing.get_origin(annotation) is tuple and arguments[-1] is not Ellipsis:
        return arguments[0], len(arguments)
    return arguments[0], None


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _fits_one(annotation: Any, value: Any) -> str | None:
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return None
    if annotation is type(None):
        return None if value is None else "type"
    if annotation is str or origin is Literal:
        return None if isinstance(value, str) else "type"
    if annotation is bool:
        return None if isinstance(value, (bool, np.bool_)) else "type"
    if annotation is float:
        return None if _is_number(value) else "type"
    if annotation is int:
        whole = isinstance(value, numbers.Integral) or (_is_number(value) and float(value).is_integer())
        return None if whole and not isinstance(value, (bool, np.bool_)) else "type"
    if origin in _SEQUENCES:
        return _fits_sequence(annotation, value)
    if annotation is np.ndarray:
        return _fits_array(value)
    if origin in (Mapping, dict):
        return None if isinstance(value, Mapping) else "type"
    if isinstance(annotation, type):
        return None if isinstance(value, annotation) else "type"
    return None


def _fits_array(value: Any) -> str | None:
    """An array, or numbers nested in lists as an array would hold them (the specs check shapes and dtypes)."""
    if isinstance(value, np.ndarray) or hasattr(type(value), "__array__"):  # numpy's array protocol (a lazy image)
        return None
    if value is None or isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        return "type"
    try:
        return None if np.asarray(value).dtype.kind in "biuf" else "items"
    except (TypeError, ValueError):  # ragged nesting
        return "items"


def _fits_sequence(annotation: Any, value: Any) -> str | None:
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        return "type"
    item, _ = item_type(annotation)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return None if item in (float, Any) or (item is int and value.dtype.kind in "biu") else "items"
    if item in (float, int):  # an explicit unknown stands for one number of a pair or a grid
        return None if all(v is UNKNOWN or _fits_one(item, v) is None for v in value) else "items"
    return None if all(fits(item, v) is None for v in value) else "items"


def fits(annotation: Any, value: Any) -> str | None:
    """``None`` when ``value`` fits ``annotation``; else ``"type"`` (the wrong kind of value) or ``"items"``
    (a sequence, as asked, of wrong items). Lengths and values are the specs' to check."""
    reasons = [_fits_one(member, value) for member in members(annotation)]
    if None in reasons:
        return None
    return "items" if "items" in reasons else "type"


def _expect_one(annotation: Any, unit: str | None, items: tuple[str, ...] | None) -> str:
    origin = typing.get_origin(annotation)
    in_unit = f" in {unit}" if unit else ""
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(annotation))
    if origin in _SEQUENCES:
        item, length = item_type(annotation)
        length = len(items) if items else length
        kind = {float: "numbers", int: "whole numbers", str: "texts"}.get(item, "values")
        count = _COUNTS.get(length, f"{length}") if length else "a sequence"
        names = " (" + ", ".join(items) + ")" if items else ""
        return f"{count}{names} of {kind}{in_unit}"
    simple = {float: f"a number{in_unit}", int: "a whole number", str: "text", bool: "True or False", Any: "a value",
              np.ndarray: "an array", type(None): ""}
    if annotation in simple:
        return simple[annotation]
    if origin in (Mapping, dict):
        return "a mapping of names to text"
    if isinstance(annotation, type):
        return MADE_AS.get(annotation) or f"a {annotation.__name__}"
    return str(annotation)


def items_expectation(annotation: Any, unit: str | None = None) -> str:
    """What the items of a sequence type must be: ``"numbers in s"``."""
    sequence = next((m for m in members(annotation) if typing.get_origin(m) in _SEQUENCES), None)
    item = item_type(sequence)[0] if sequence is not None else float  # an array's items: numbers
    kind = {float: "numbers", int: "whole numbers", str: "text"}.get(item) or f"{expectation(item)} each"
    return f"{kind}{f' in {unit}' if unit and item is float else ''}"


def expectation(annotation: Any, *, unit: str | None = None, items: tuple[str, ...] | None = None) -> str:
    """What to give, in words: ``"a pair (x, y) of numbers in um or mb.UNKNOWN"``."""
    said = [_expect_one(member, unit, items) for member in members(annotation)]
    return " or ".join(dict.fromkeys(s for s in said if s))


def type_text(annotation: Any, name: Callable[[type], str] = lambda cls: cls.__name__) -> str:
    """An annotation as Python reads it (``float | Unknown | None``); ``name`` spells each class."""
    parts = members(annotation)
    if len(parts) > 1:
        return " | ".join(type_text(part, name) for part in parts)
    origin = typing.get_origin(annotation)
    if annotation is type(None):
        return "None"
    if annotation is Any:
        return "Any"
    if annotation is Ellipsis:
        return "..."
    if origin is Literal:
        return f"Literal[{', '.join(repr(v) for v in typing.get_args(annotation))}]"
    if origin is not None:
        spelled = {tuple: "tuple", list: "list", dict: "dict", Sequence: "Sequence", Mapping: "Mapping"}.get(origin)
        arguments = ", ".join(type_text(a, name) for a in typing.get_args(annotation))
        return f"{spelled or name(origin)}[{arguments}]"
    if annotation is np.ndarray:
        return "np.ndarray"
    return name(annotation) if isinstance(annotation, type) else repr(annotation)


# -- values in session files ------------------------------------------------------------------------------
def derived(spec: Any, name: str) -> bool:
    """Whether a field's value is what the spec derives when the field is not given (a key equal to the
    name, a band filter's type); ``False`` for a field without a derived default."""
    default = attrs.fields_dict(type(spec))[name].default
    if not (isinstance(default, attrs.Factory) and default.takes_self):
        return False
    given = {f.alias or f.name: getattr(spec, f.name) for f in attrs.fields(type(spec)) if f.init and f.name != name}
    try:
        return same(getattr(type(spec)(**given), name), getattr(spec, name))
    except (TypeError, ValueError):
        return False


def same(a: Any, b: Any) -> bool:
    """Whether two values are equal, arrays by their contents; values that cannot say are not."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values without a plain answer differ
        return False
