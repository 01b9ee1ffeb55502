"""``mb.UNKNOWN`` in a description becomes NWB's visible placeholder, reported, before anything is emitted.

Specs keep ``mb.UNKNOWN`` as it was given; the emitters see a copy where each one is the placeholder
its field's type calls for (NaN for a number, NaN for every item of a pair or grid, ``"unknown"``
for text, a placeholder indicator for a channel's indicator), each recorded in the session's
placeholder report. Both formats therefore handle an explicit unknown exactly like a required
field that was left out.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..specs import ChannelSpec, ImagingSpaceSpec
from ..unknown import UNKNOWN
from .placeholders import PLACEHOLDER_NUMBER, PLACEHOLDER_TEXT, PlaceholderReport

FIX = "give the value once it is known"


def resolve_unknowns(spec: Any, report: PlaceholderReport, where: str, replace: dict[str, Any] | None = None) -> Any:
    """``spec`` with every ``mb.UNKNOWN`` (in it and in the specs it holds) replaced by its placeholder.

    ``replace`` gives fields already resolved (a series' rig and space, resolved once for all).
    """
    if not attrs.has(type(spec)):
        return spec
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(spec)):
        if not field.init:
            continue
        value = getattr(spec, field.name)
        if replace and field.name in replace:
            if replace[field.name] is not value:
                changes[field.alias or field.name] = replace[field.name]
            continue
        resolved = _resolved(spec, field, value, report, f"{where}.{field.name}" if attrs.has(type(value)) else where)
        if resolved is not value:
            changes[field.alias or field.name] = resolved
    return attrs.evolve(spec, **changes) if changes else spec


def _resolved(spec: Any, field: attrs.Attribute, value: Any, report: PlaceholderReport, where: str) -> Any:
    if value is UNKNOWN:
        if isinstance(spec, ChannelSpec) and field.name == "indicator":
            return None  # the emitters write (and report) their placeholder indicator for a channel that names none
        placeholder = _placeholder(spec, field)
        (report.number if _is_number(field) else report.text)(where, field.name, FIX, unknown=True)
        return placeholder
    if isinstance(value, tuple) and any(item is UNKNOWN for item in value):
        report.number(where, field.name, FIX, unknown=True)
        return tuple(PLACEHOLDER_NUMBER if item is UNKNOWN else item for item in value)
    if isinstance(value, tuple) and value and all(isinstance(p, tuple) and len(p) == 2 and attrs.has(type(p[1])) for p in value):
        pairs = tuple((slot, resolve_unknowns(device, report, f"{where}.{slot}")) for slot, device in value)  # a rig's optics
        return pairs if any(a[1] is not b[1] for a, b in zip(pairs, value)) else value
    if isinstance(value, tuple) and value and all(attrs.has(type(item)) for item in value):
        items = tuple(resolve_unknowns(item, report, f"{where}.{field.name}[{_label(item, i)}]") for i, item in enumerate(value))
        return items if any(a is not b for a, b in zip(items, value)) else value
    if attrs.has(type(value)):
        return resolve_unknowns(value, report, where)
    return value


def _placeholder(spec: Any, field: attrs.Attribute) -> Any:
    kind = str(field.type)
    if "tuple" in kind:
        count = spec.ndim if isinstance(spec, ImagingSpaceSpec) else 2
        return (PLACEHOLDER_NUMBER,) * count
    return PLACEHOLDER_NUMBER if _is_number(field) else PLACEHOLDER_TEXT


def _is_number(field: attrs.Attribute) -> bool:
    kind = str(field.type)
    return any(word in kind for word in ("float", "int", "tuple"))


def _label(item: Any, index: int) -> str:
    name = getattr(item, "name", None)
    return repr(name) if isinstance(name, str) else str(index)


class Resolver:
    """Resolves a session's specs once each: rigs and spaces by key, then the series and segmentations on them."""

    def __init__(self, report: PlaceholderReport):
        self.report = report
        self._done: dict[tuple[str, str], Any] = {}

    def rig(self, rig: Any) -> Any:
        return self._once("rig", rig, lambda: resolve_unknowns(rig, self.report, f"rig {rig.name!r}"))

    def space(self, space: Any) -> Any:
        return self._once("space", space, lambda: resolve_unknowns(space, self.report, f"space {space.name!r}"))

    def series(self, series: Any) -> Any:
        replace = {"rig": self.rig(series.rig), "space": self.space(series.space)}
        return self._once("series", series, lambda: resolve_unknowns(series, self.report, f"series {series.name!r}", replace))

    def segmentation(self, segmentation: Any) -> Any:
        replace = {
            "series": None if segmentation.series is None else self.series(segmentation.series),
            "rig": None if segmentation.rig is None else self.rig(segmentation.rig),
            "space": None if segmentation.space is None else self.space(segmentation.space),
        }
        where = f"segmentation {segmentation.name!r}"
        return self._once("segmentation", segmentation, lambda: resolve_unknowns(segmentation, self.report, where, replace))

    def _once(self, kind: str, spec: Any, make: Any) -> Any:
        if spec is None:
            return None
        identity = (kind, spec.key)
        if identity not in self._done:
            self._done[identity] = make()
        return self._done[identity]
