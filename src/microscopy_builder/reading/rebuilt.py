"""What reading a file gives: builders by name, and notes on what the builders cannot say."""

from __future__ import annotations

from typing import Any

import attrs

from ..builders import SeriesBuilder
from ..errors import ValidationError
from .emitted import plan_layout


@attrs.define
class Rebuilt:
    """Builders by their names in the file, as a person would have written them to produce it."""

    format: str
    rigs: dict[str, Any] = attrs.field(factory=dict)
    spaces: dict[str, Any] = attrs.field(factory=dict)
    series: dict[str, Any] = attrs.field(factory=dict)
    segmentations: dict[str, Any] = attrs.field(factory=dict)
    static_images: dict[str, Any] = attrs.field(factory=dict)
    #: what the file holds that no builder call says, each naming the object and field
    notes: list[str] = attrs.field(factory=list)
    #: the rigs' parts as read (devices, channels), for checks of what another format keeps
    rig_parts: dict[str, Any] = attrs.field(factory=dict)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def grouping_calls(series: dict[str, SeriesBuilder], held: dict[str, tuple[tuple[str, str], ...]]) -> dict[str, SeriesBuilder]:
    """Series builders that group as the file does: ``held`` gives each series' (kind, name) containers,
    outermost first. Where the builders' own plan differs, the series are named into the file's
    containers (``.grouped(planes=..., channels=...)``) or marked ``.ungrouped()``."""
    try:
        specs = {name: builder.build() for name, builder in series.items()}
        layout = plan_layout(list(specs.values()))
    except ValidationError:
        return series
    changed = dict(series)
    for name, spec in specs.items():
        planned = tuple((group.kind, group.name) for group in layout.parents(spec.key))
        stored = held.get(name, ())
        if planned == stored:
            continue
        if not stored:
            changed[name] = changed[name].ungrouped()
            continue
        names = dict(stored)
        changed[name] = changed[name].grouped(planes=names.get("plane"), channels=names.get("channel"))
    return changed
