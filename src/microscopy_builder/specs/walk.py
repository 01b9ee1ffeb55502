"""Every plain value of a spec and of the specs it holds, with its place: for checks that apply to a kind
of value wherever it is declared (units, text a file can hold)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

#: fields holding specs that are checked on their own (a series' rig and space)
CHECKED_APART = ("rig", "space", "series")


def spec_label(spec: Any) -> str:
    """``rig 'Bergamo'``, ``space 'V1'``, ``series 'TwoPhotonSeries'``: a spec as messages name it."""
    kind = {"RigSpec": "rig", "ImagingSpaceSpec": "space", "SeriesSpec": "series",
            "SegmentationSpec": "segmentation"}.get(type(spec).__name__, "spec")
    return f"{kind} {getattr(spec, 'name', '')!r}"


def plain_values(spec: Any, where: str | None = None) -> Iterator[tuple[str, str, Any]]:
    """(place, field name, value) for every field of ``spec`` that holds no spec, at any depth."""
    yield from _walk(spec, where or spec_label(spec), set())


def _walk(spec: Any, where: str, seen: set[int]) -> Iterator[tuple[str, str, Any]]:
    if id(spec) in seen or not attrs.has(type(spec)):
        return
    seen.add(id(spec))
    for field in attrs.fields(type(spec)):
        if field.name in CHECKED_APART:
            continue
        value = getattr(spec, field.name)
        place = f"{where}.{field.name}"
        if attrs.has(type(value)):
            yield from _walk(value, place, seen)
        elif isinstance(value, tuple) and value and all(attrs.has(type(v)) for v in value):
            for item in value:
                yield from _walk(item, f"{place}[{_name(item)}]", seen)
        elif isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 and attrs.has(type(v[1]))
                                                        for v in value):
            for slot, item in value:  # a rig's optics
                yield from _walk(item, f"{where}.{slot}", seen)
        else:
            yield where, field.name, value


def _name(spec: Any) -> str:
    return repr(getattr(spec, "name", getattr(spec, "label", "?")))
