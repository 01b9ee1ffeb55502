"""Segmentations read back as ``SegmentationBuilder`` chains, from either layout.

The data source is a :class:`~.stored.StoredSegmentation` over the stored table (masks, traces,
summary images and columns as stored, read only when written). What the emitters would derive is
left to them: trace names and descriptions that are a format's defaults, summary-image
descriptions that are the defaults of their names, a table description naming its space. A trace
whose kind the builders do not know is reported, not carried over.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from ..builders import SegmentationBuilder
from ..specs import TRACE_KINDS
from .emitted import (
    TRACES,
    default_table_description,
    image_description,
    legacy_images_name,
    legacy_trace_name,
)
from .files import RESPONSE_TYPES, NwbHandle
from .layout import background_of, is_background
from .masks import TableMasks
from .stored import StoredSegmentation
from .timeseries import options, own_description, same_times, unit
from .traces import collect_traces

_PLANE_WORDS = re.compile(r" Plane 0 of \d+\.$")


@attrs.frozen
class SegmentationSource:
    """A stored ROI table and what links it: its space, movie and (without a movie) rig and channel."""

    path: str
    table: Any
    space: Any = None  # the space's builder
    series: Any = None  # the series' builder
    stored_series: Any = None
    rig_channel: tuple[Any, str] | None = None
    space_is_series_space: bool = True


def segmentation_builders(handle: NwbHandle, sources: list[SegmentationSource], *, format: str,
                          note: Callable[[str], None]) -> dict[str, Any]:
    """Builders of every ROI table of ``sources`` (background tables go with their table), by name; ``note``
    is told of every trace series the builders cannot carry (no roiextractors kind, or a second of one kind)."""
    tables = [source.table for source in sources]
    responses = list(handle.objects(RESPONSE_TYPES).values())
    found = {}
    for source in sources:
        if is_background(source.table, tables):
            continue
        background = background_of(source.table, tables)
        found[source.table.name] = _builder(handle, source, background, responses, format, len(sources) == 1)
        for path in unknown_trace_kinds(handle, source.table, tables):
            note(f"trace series {path!r} of ROI table {source.table.name!r}: roiextractors has no trace kind for it "
                 f"(its kinds are {', '.join(TRACE_KINDS)}, one series each), so it is not carried over")
    return found


def _builder(handle: NwbHandle, source: SegmentationSource, background: Any, responses: list, format: str,
             only_table: bool) -> SegmentationBuilder:
    table = source.table
    traces = collect_traces(responses, table, background)
    linked = source.stored_series is not None and bool(traces) and same_times(traces[0][1], source.stored_series)
    extractor = StoredSegmentation(handle.path, source.path, series_times=linked)
    builder = SegmentationBuilder(table.name).from_extractor(extractor)
    if source.series is not None:
        builder = builder.series(source.series)
    if source.space is not None and (source.series is None or not source.space_is_series_space):
        builder = builder.space(source.space)
    if source.rig_channel is not None and source.series is None:
        builder = builder.rig(*source.rig_channel)
    space_name = None if source.space is None else source.space.name
    words = table.description
    if words and (space_name is None or words != default_table_description(space_name)):
        builder = builder.description(words)
    kind = TableMasks(table, format=format).kind
    if kind in ("pixel", "voxel"):
        builder = builder.masks(kind)
    for trace_kind, series in traces:
        builder = _trace(builder, trace_kind, series, table.name)
    described = _image_descriptions(handle, table, format, only_table)
    if described:
        builder = builder.summary_images(describe=described)
    if background is not None:
        builder = builder.include_background()
    if "ROICentroids" not in table.colnames:
        builder = builder.include_centroids(False)
    return builder


def _trace(builder: SegmentationBuilder, kind: str, series: Any, table: str) -> SegmentationBuilder:
    """``builder`` with ``.trace(kind, ...)`` for what a trace series gives beyond the defaults."""
    if kind not in TRACE_KINDS:
        return builder
    defaults = {TRACES[kind].microscopy_name, legacy_trace_name(kind, table)}
    fields: dict[str, Any] = {}
    if series.name not in defaults:
        fields["name"] = series.name
    words = own_description(series, TRACES[kind].description)
    if words is not None:
        fields["description"] = words
    given_unit = unit(series)
    if given_unit is not None:
        fields.update(unit=given_unit[0], conversion=given_unit[1], offset=given_unit[2])
    fields.update(options(series))
    return builder.trace(kind, **fields) if fields else builder


def unknown_trace_kinds(handle: NwbHandle, table: Any, tables: list[Any]) -> list[str]:
    """Stored trace series of ``table`` whose kind the builders do not know (they are not carried over)."""
    responses = list(handle.objects(RESPONSE_TYPES).values())
    found = collect_traces(responses, table, background_of(table, tables))
    return [f"{handle.path_of(series)}" for kind, series in found if kind not in TRACE_KINDS]


def _image_descriptions(handle: NwbHandle, table: Any, format: str, only_table: bool) -> dict[str, str]:
    """Summary images' descriptions that are not the default for their names."""
    stored: dict[str, str] = {}
    if format == "ndx-microscopy":
        for name, image in (getattr(table, "summary_images", None) or {}).items():
            stored[name] = image.description
    else:
        containers = {c.name: c for c in handle.objects(("Images",)).values()}
        container = containers.get(legacy_images_name(table.name))
        if container is None and only_table:
            container = containers.get(legacy_images_name("PlaneSegmentation"))
        for name, image in ({} if container is None else container.images).items():
            if name.endswith("_plane0") and _PLANE_WORDS.search(image.description or ""):
                stored[name.removesuffix("_plane0")] = _PLANE_WORDS.sub("", image.description)
            elif not re.search(r"_plane\d+$", name):
                stored[name] = image.description
    return {name: words for name, words in stored.items() if words and words != image_description(name)}
