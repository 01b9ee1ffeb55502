"""Facts the emitters wrote into descriptions, read back: ``"The laser. wavelength: 920 nm; power: 0.05 W."``.

The emitters write fields a format has no place for as ``label: value unit`` facts after the
description (:func:`~microscopy_builder.emit.fields.join_description`). Reading them back is
reliable only where that text format is: a description is split into words and facts only when
every fact names a field of the object's kind, every value reads as that field's type, and
writing the words and facts again gives exactly the text read. Otherwise the text stays as it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ..specs import PositionSpec
from ..unknown import UNKNOWN
from .emitted import PLACEHOLDER_TEXT, describe_value, join_description

_NUMBER = r"[-+0-9.eE]+|nan|unknown"
_POSITION = re.compile(
    rf"^\((?P<x>{_NUMBER}), (?P<y>{_NUMBER}), (?P<z>{_NUMBER})\) mm from (?P<origin>.+?)(?:, (?P<orientation>[A-Za-z]{{3}}|unknown))?$"
)


def label_and_unit(field: str) -> tuple[str, str]:
    """How :func:`describe_value` labels a field: ``"wavelength_nm"`` -> ``("wavelength", " nm")``."""
    text = describe_value(field, "\x00")
    label, _, rest = text.partition(": ")
    return label, rest.split("\x00", 1)[1]


def field_kind(spec_class: type, field: str) -> str:
    """``"pair"``, ``"int"``, ``"float"`` or ``"text"``: how a spec field's value is written."""
    kind = str(attrs.fields_dict(spec_class)[field].type)
    if "tuple" in kind:
        return "pair"
    if "int" in kind:
        return "int"
    if "float" in kind:
        return "float"
    return "text"


def read_number(text: str) -> Any:
    """A written number back: ``"unknown"`` / ``"nan"`` (a placeholder) is ``mb.UNKNOWN``."""
    if text in ("unknown", "nan"):
        return UNKNOWN
    value = float(text)
    return UNKNOWN if math.isnan(value) else value


def read_value(kind: str, text: str) -> Any:
    """A fact's value as the field's type; ``ValueError`` when it does not read as one."""
    if kind == "pair":
        for index, character in enumerate(text):
            if character == "-" and index > 0 and text[index - 1] not in "eE":
                return (read_number(text[:index]), read_number(text[index + 1 :]))
        raise ValueError(text)
    if kind == "int":
        return UNKNOWN if text in ("unknown", "nan") else int(text)
    if kind == "float":
        return read_number(text)
    return UNKNOWN if text == PLACEHOLDER_TEXT else text


def split_words_and_facts(text: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    """``"Words. a: 1; b: 2."`` -> ``("Words.", [("a", "1"), ("b", "2")])``; text without facts -> (text, [])."""
    if not text or not text.endswith("."):
        return text, []
    body = text[:-1]
    head, dot, tail = body.rpartition(". ")
    candidate = tail if dot else body
    facts = []
    for part in candidate.split("; "):
        label, colon, value = part.partition(": ")
        if not colon or not label or not value:
            return text, []
        facts.append((label, value))
    return (head + "." if dot else None), facts


def read_facts(
    text: str | None, spec_class: type, fields: Sequence[str], *, default: str, extra: dict[str, Any] | None = None
) -> tuple[str | None, dict[str, Any]]:
    """The words and fields of a description ``join_description(words or default, extra=facts)`` wrote.

    ``fields`` are the spec fields that may appear as facts, in the order they are written;
    ``extra`` maps other fact labels to readers (``{"lens position": read_position}``). Returns the
    words (``None`` when they are ``default``) and the fields read; on any doubt, ``(text, {})``.
    """
    words, facts = split_words_and_facts(text)
    labels = {label_and_unit(field)[0]: field for field in fields}
    values: dict[str, Any] = {}
    readers = extra or {}
    try:
        for label, written in facts:
            if label in readers:
                values[label] = readers[label](written)
                continue
            field = labels[label]
            unit = label_and_unit(field)[1]
            if unit and not written.endswith(unit):
                raise ValueError(written)
            values[field] = read_value(field_kind(spec_class, field), written.removesuffix(unit) if unit else written)
    except (KeyError, ValueError):
        return _unchanged(text, default)
    if not facts:
        return _unchanged(text, default)
    ordered = [(f, values[f]) for f in fields if f in values] + [(label, values[label]) for label in readers if label in values]
    if rendered(words or default, ordered) != text:
        return _unchanged(text, default)
    return (None if words is None or _same_words(words, default) else words), values


def rendered(words: str, facts: Iterable[tuple[str, Any]]) -> str | None:
    """``join_description`` of words and facts, positions written as their summary."""
    written = [(name, written_position(value).summary() if isinstance(value, PositionSpec) else _placeholder(value))
               for name, value in facts]
    return join_description(words, extra=written)


def written_position(position: PositionSpec) -> PositionSpec:
    """A position as the emitters write it: ``mb.UNKNOWN`` numbers as NaN, text as ``"unknown"``."""
    changes = {f.name: (math.nan if "float" in str(f.type) or f.name.endswith("_mm") else PLACEHOLDER_TEXT)
               for f in attrs.fields(PositionSpec) if getattr(position, f.name) is UNKNOWN}
    return attrs.evolve(position, **changes) if changes else position


def _placeholder(value: Any) -> Any:
    if value is UNKNOWN:
        return float("nan")
    if isinstance(value, tuple):
        return tuple(float("nan") if v is UNKNOWN else v for v in value)
    return value


def _unchanged(text: str | None, default: str) -> tuple[str | None, dict[str, Any]]:
    return (None if text is None or _same_words(text, default) else text), {}


def _same_words(words: str, default: str) -> bool:
    return words.rstrip(".") == default.rstrip(".")


def read_position(text: str) -> PositionSpec:
    """A position written by ``PositionSpec.summary()``: ``"(-2.5, -3.4, 0) mm from bregma, RAS"``."""
    match = _POSITION.match(text)
    if match is None:
        raise ValueError(text)
    orientation = UNKNOWN if match["orientation"] == PLACEHOLDER_TEXT else match["orientation"]
    return PositionSpec(x_mm=read_number(match["x"]), y_mm=read_number(match["y"]), z_mm=read_number(match["z"]),
                        origin=match["origin"], orientation=orientation)


def exact_in_text(value: Any) -> bool:
    """Whether a number survives being written as text (``:g``, six significant digits)."""
    if isinstance(value, tuple):
        return all(exact_in_text(v) for v in value)
    if not isinstance(value, float) or math.isnan(value):
        return True
    return float(f"{value:g}") == value
