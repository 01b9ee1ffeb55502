"""The session's registry: every spec by (kind, key), identical repeats harmless, conflicts loud."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .errors import ConflictError
from .specs import IndicatorSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec


def differing_fields(first: Any, second: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the fields where two specs differ (recursing into nested specs)."""
    if type(first) is not type(second) or not attrs.has(type(first)):
        return [prefix or "(type)"] if first != second else []
    paths: list[str] = []
    for field in attrs.fields(type(first)):
        a, b = getattr(first, field.name), getattr(second, field.name)
        path = f"{prefix}.{field.name}" if prefix else field.name
        equal = field.eq_key(a) == field.eq_key(b) if field.eq_key else _equal(a, b)
        if equal:
            continue
        if attrs.has(type(a)) and type(a) is type(b):
            paths += differing_fields(a, b, path)
        elif _is_slotted(a) and _is_slotted(b):  # a rig's devices: compared by kind and name
            paths += _differing_devices(a, b, prefix)
        elif isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(attrs.has(type(x)) for x in a):
            for index, (x, y) in enumerate(zip(a, b)):
                paths += differing_fields(x, y, f"{path}[{index}]")
        else:
            paths.append(path)
    return paths


def _is_slotted(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 and attrs.has(type(p[1])) for p in value)


def _differing_devices(first: tuple, second: tuple, prefix: str) -> list[str]:
    """``objective_lens.numerical_aperture`` (or ``photodetector['PMT_Red'].gain`` among several of a kind)."""
    a = {(slot, device.name): device for slot, device in first}
    b = {(slot, device.name): device for slot, device in second}
    paths = []
    for slot, name in dict.fromkeys([*a, *b]):
        several = sum(s == slot for s, _ in a) > 1 or sum(s == slot for s, _ in b) > 1
        where = (f"{prefix}." if prefix else "") + (f"{slot}[{name!r}]" if several else slot)
        if (slot, name) not in a or (slot, name) not in b:
            paths.append(where)
        else:
            paths += differing_fields(a[slot, name], b[slot, name], where)
    return paths


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # arrays compared element-wise
        return a is b


def registrations(spec: Any) -> list[tuple[str, str, Any]]:
    """Every (kind, key, spec) a spec brings into a session: a series brings its rig and space, a
    segmentation its space and its series or rig."""
    if isinstance(spec, SegmentationSpec):
        found = [] if spec.series is None else registrations(spec.series)
        found += [] if spec.rig is None else registrations(spec.rig)
        return [*found, ("space", spec.space.key, spec.space), ("segmentation", spec.key, spec)]
    if isinstance(spec, SeriesSpec):
        return [*registrations(spec.rig), ("space", spec.space.key, spec.space), ("series", spec.key, spec)]
    if isinstance(spec, StaticImageSpec):
        return [*registrations(spec.rig), ("space", spec.space.key, spec.space), ("static image", spec.key, spec)]
    if isinstance(spec, RigSpec):
        found: list[tuple[str, str, Any]] = [("rig", spec.key, spec)]
        for _, device in spec.devices():
            found.append(("device", device.key, device))
            model = device.model_spec()
            if model is not None:
                found.append(("device model", model.key, model))
        for channel in spec.channels:
            if isinstance(channel.indicator, IndicatorSpec):  # not None, not mb.UNKNOWN
                found.append(("indicator", channel.indicator.key, channel.indicator))
        return found
    return [("space", spec.key, spec)]


class Registry:
    """Specs by (kind, key) in the order they were first added."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], Any] = {}

    def register(self, entries: Iterable[tuple[str, str, Any]]) -> None:
        """Register all entries or none: every conflict is checked before anything is stored."""
        for identity, spec in self.check(entries).items():
            self._specs.setdefault(identity, spec)

    def check(self, entries: Iterable[tuple[str, str, Any]]) -> dict[tuple[str, str], Any]:
        """Raise ``ConflictError`` if an entry conflicts with a registered one or another entry;
        return the entries by (kind, key)."""
        pending: dict[tuple[str, str], Any] = {}
        for kind, key, spec in entries:
            known = pending.get((kind, key), self._specs.get((kind, key)))
            if known is not None and known is not spec:
                fields = differing_fields(known, spec)
                if fields:
                    raise ConflictError(kind, key, fields)
            pending.setdefault((kind, key), spec)
        return pending

    def of_kind(self, kind: str) -> list[Any]:
        return [spec for (k, _), spec in self._specs.items() if k == kind]

    def identities(self) -> set[tuple[str, str]]:
        """Every (kind, key) registered."""
        return set(self._specs)

    def get(self, kind: str, key: str) -> Any:
        return self._specs.get((kind, key))
