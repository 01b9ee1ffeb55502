"""What each place of a builder mapping (a session file's rig, space, series, segmentation) may hold.

A check is a function ``check(value, where, problems)`` that appends one problem per wrong value,
naming its place (``rigs.Bergamo.channels[0].emission_wavelength_nm: must be a number, got the
text 'big'; ...``). Checks compose (``fields``, ``list_of``, ``either``, ``optional``), and
:func:`check_for` makes the check of any parameter or field type, so the checks of a builder's
mapping follow from its calls and their spec fields (:func:`.mapping.builder_schema`). Checks look
at types only; what the values mean (positive, finite, a known name) the specs and builders check.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import numbers
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from ..errors import ValidationError
from ..specs.fields import hints, info
from ..unknown import UNKNOWN_TEXT, Unknown
from .values import item_type, members

Check = Callable[[Any, str, list], None]
REQUIRED = inspect.Parameter.empty

#: the most problems one list reports (a long list of wrong values says so once, not thousands of times)
MAX_ITEM_PROBLEMS = 3


def validate(check: Check, value: Any, where: str) -> None:
    """Raise a ``ValidationError`` listing every problem ``check`` finds in ``value``."""
    problems: list[str] = []
    check(value, where, problems)
    if problems:
        raise ValidationError(problems)


def described(value: Any) -> str:
    """A value's kind, and the value itself when it is short, for messages."""
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return f"{str(bool(value)).lower()} (a yes/no value)"
    if isinstance(value, numbers.Integral):
        digits = len(str(abs(int(value)))) if int(value).bit_length() < 10_000 else int(int(value).bit_length() * 0.30103)
        return f"the integer {int(value)}" if digits <= 20 else f"an integer of {digits} digits"
    if isinstance(value, numbers.Real):
        return f"the number {float(value)!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}" + ("..." if len(value) > 40 else "")
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return {set: "a set", frozenset: "a set", bytes: "binary data"}.get(type(value), f"a {type(value).__name__}")


def shown(name: Any) -> str:
    """A name for a message: as it is when short printable text, else quoted and cut."""
    if isinstance(name, str) and name.isprintable() and 0 < len(name) <= 40:
        return name
    return repr(name)[:40] if isinstance(name, str) else described(name)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, numbers.Real, dt.date))


# -- plain values ---------------------------------------------------------------------------------------
def text(value: Any, where: str, problems: list) -> None:
    if not isinstance(value, str):
        fix = "put it in quotes" if _scalar(value) else "give one text value"
        problems.append(f"{where}: must be text, got {described(value)}; {fix}")


def number(value: Any, where: str, problems: list) -> None:
    if value == UNKNOWN_TEXT:  # mb.UNKNOWN, as a session file spells it
        return
    if not _is_number(value):
        problems.append(f"{where}: must be a number, got {described(value)}; write a number such as 1.5, without quotes")
        return
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        problems.append(f"{where}: {described(value)} is too large for a number; check the value")
        return
    if not finite:
        problems.append(f"{where}: must be a finite number, got {described(value)}; leave the field out if it is not known")


def integer(value: Any, where: str, problems: list) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        problems.append(f"{where}: must be a whole number, got {described(value)}; write one such as 512")
    elif abs(int(value)) >= 2**63:
        problems.append(f"{where}: {described(value)} is too large; check the value")


def boolean(value: Any, where: str, problems: list) -> None:
    if not isinstance(value, (bool, np.bool_)):
        problems.append(f"{where}: must be true or false, got {described(value)}")


def anything_plain(value: Any, where: str, problems: list) -> None:
    """Text, a number, true/false, null, or a list of those (an extractor argument)."""
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if not (item is None or _scalar(item)):
                problems.append(f"{where}[{index}]: must be text, a number or true/false, got {described(item)}")
                return
    elif not (value is None or _scalar(value)):
        problems.append(f"{where}: must be text, a number, true/false or a list of those, got {described(value)}")
    elif _is_number(value):
        number(value, where, problems)


# -- combinations -------------------------------------------------------------------------------------------
def optional(check: Check) -> Check:
    """``check``, or null (the field not given)."""

    def optional_check(value: Any, where: str, problems: list) -> None:
        if value is not None:
            check(value, where, problems)

    return optional_check


def list_of(item: Check, *, length: int | None = None, example: str = "") -> Check:
    """A list (of ``length`` items when given) whose items each pass ``item``; ``example`` shows one."""

    def list_check(value: Any, where: str, problems: list) -> None:
        if value == UNKNOWN_TEXT:  # mb.UNKNOWN for the whole list (a pixel size nobody knows)
            return
        if not isinstance(value, (list, tuple)):
            size = "" if length is None else f" of {length} values"
            problems.append(f"{where}: must be a list{size}, got {described(value)}" + (f"; write e.g. {example}" if example else ""))
            return
        if length is not None and len(value) != length:
            problems.append(f"{where}: must be a list of {length} values, got {len(value)}")
            return
        before = len(problems)
        for index, entry in enumerate(value):
            item(entry, f"{where}[{index}]", problems)
            if len(problems) - before >= MAX_ITEM_PROBLEMS:
                break

    return list_check


def fields(known: Mapping[str, Check], required: Mapping[str, str] | None = None) -> Check:
    """A mapping of the ``known`` field names; ``required`` maps a field to what to say when it is missing."""
    required = dict(required or {})

    def fields_check(value: Any, where: str, problems: list) -> None:
        if not isinstance(value, Mapping):
            problems.append(f"{where}: must be a mapping of fields, got {described(value)}")
            return
        unknown = sorted(shown(name) for name in value if name not in known)
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown[:5])}; known fields are {', '.join(known)}")
            return
        problems.extend(f"{where}.{name}: required; {fix}" for name, fix in required.items() if name not in value)
        for name, entry in value.items():
            known[name](entry, f"{where}.{name}", problems)

    fields_check.known = tuple(known)
    return fields_check


def names_to(item: Check) -> Check:
    """A mapping of names (text) to values that each pass ``item``."""

    def names_check(value: Any, where: str, problems: list) -> None:
        if not isinstance(value, Mapping):
            problems.append(f"{where}: must be a mapping of names to values, got {described(value)}")
            return
        for name, entry in value.items():
            if not isinstance(name, str) or not name.isprintable() or not name:
                problems.append(f"{where}: the name {shown(name)} must be printable text on one line")
            else:
                item(entry, f"{where}.{name}", problems)

    return names_check


def either(scalar: Check, mapping: Check) -> Check:
    """``mapping`` for a mapping, else ``scalar`` (an indicator's label or its fields, ...)."""

    def either_check(value: Any, where: str, problems: list) -> None:
        (mapping if isinstance(value, Mapping) else scalar)(value, where, problems)

    return either_check


# -- checks derived from the types ----------------------------------------------------------------------------
def _examples(item: Any, length: int | None) -> str:
    sample = {float: "1.5", int: "512", str: "a"}.get(item, "a")
    return "[" + ", ".join([sample] * (length or 2)) + "]"


def _array(value: Any, where: str, problems: list) -> None:
    """An array as nested lists of numbers (an image)."""
    rows = value if isinstance(value, (list, tuple)) else None
    if rows is None:
        problems.append(f"{where}: must be a list (of lists) of numbers, got {described(value)}")
        return
    for index, row in enumerate(rows[:MAX_ITEM_PROBLEMS * 100]):
        (_array if isinstance(row, (list, tuple)) else number)(row, f"{where}[{index}]", problems)
        if len(problems) >= MAX_ITEM_PROBLEMS:
            return


def _check_of(annotation: Any) -> Check:
    origin = typing.get_origin(annotation)
    if annotation is str or origin is Literal:
        return text
    if annotation in (float, int, bool):
        return {float: number, int: integer, bool: boolean}[annotation]
    if origin in (tuple, list, Sequence):
        item, length = item_type(annotation)
        return list_of(_check_of(item), example=_examples(item, length))
    if annotation is np.ndarray:
        return _array
    if origin in (Mapping, dict):
        return names_to(text)
    if isinstance(annotation, type) and attrs.has(annotation):
        return spec_check(annotation)
    return anything_plain


def check_for(annotation: Any) -> Check:
    """The check of a value of a parameter or field type, as a session file holds it (``X | None`` takes
    null; an indicator's ``IndicatorSpec | str`` takes its label or its fields)."""
    kinds = [m for m in members(annotation) if m not in (type(None), Unknown)]
    checks = [_check_of(kind) for kind in kinds] or [anything_plain]
    mappings = [kind for kind in kinds if isinstance(kind, type) and attrs.has(kind)]
    check = either(_check_of(next(k for k in kinds if k not in mappings)), _check_of(mappings[0])) \
        if mappings and len(kinds) > 1 else checks[0]
    return optional(check) if type(None) in members(annotation) else check


_SPEC_CHECKS: dict[type, Check] = {}


def spec_check(spec_class: type) -> Check:
    """A mapping of a spec's fields (a position, an indicator, an injection), with the ones it requires."""
    if spec_class not in _SPEC_CHECKS:
        annotations = hints(spec_class)
        known, required = {}, {}
        for field in attrs.fields(spec_class):
            if not field.init:
                continue
            optional_field = field.default is None or isinstance(field.default, attrs.Factory)
            known[field.name] = check_for(annotations[field.name] | None if optional_field else annotations[field.name])
            if field.default is attrs.NOTHING:
                required[field.name] = f"give {field.name} ({info(field).doc[:1].lower()}{info(field).doc[1:]})"
        _SPEC_CHECKS[spec_class] = fields(known, required=required)
    return _SPEC_CHECKS[spec_class]


# -- the extractor of a series or segmentation ----------------------------------------------------------------
def _path_argument(value: Any, where: str, problems: list) -> None:
    (list_of(text, example="[a.tif, b.tif]") if isinstance(value, (list, tuple)) else text)(value, where, problems)


def _extractor_arguments(value: Any, where: str, problems: list) -> None:
    from .sources import PATH_ARGUMENTS

    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append(f"{where}: its arguments must be a mapping of names to values, got {described(value)}")
        return
    for name, argument in value.items():
        if not isinstance(name, str):
            problems.append(f"{where}: the argument name {described(name)} must be text")
        elif name in PATH_ARGUMENTS:
            _path_argument(argument, f"{where}.{name}", problems)
        elif name == "sampling_frequency":
            optional(number)(argument, f"{where}.{name}", problems)
        else:
            anything_plain(argument, f"{where}.{name}", problems)


def extractor(value: Any, where: str, problems: list) -> None:
    """``{ClassName: {arguments}}``; which class names exist is checked where the extractor is made."""
    if isinstance(value, Mapping) and len(value) == 1:
        (class_name, arguments), = value.items()
        if isinstance(class_name, str):
            _extractor_arguments(arguments, f"{where}.{class_name}", problems)
