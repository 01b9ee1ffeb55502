"""What every stored time series says beyond its data, as builder calls: unit, times and options.

Shared by imaging series (``SeriesBuilder``) and traces (``SegmentationBuilder.trace``), in both
layouts. pynwb's own defaults (``resolution`` -1, ``comments`` "no comments", ``description``
"no description") mean "not given" and come back as not given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..builders import SeriesBuilder
from .devices import plain
from .emitted import PYNWB_DEFAULT_COMMENTS, PYNWB_DEFAULT_DESCRIPTION, PYNWB_DEFAULT_RESOLUTION


def own_description(series: Any, *defaults: str) -> str | None:
    """The stored description, or ``None`` when it is pynwb's default or one the emitter derives."""
    text = plain(series.description)
    return None if text in (None, PYNWB_DEFAULT_DESCRIPTION, *defaults) else text


def options(series: Any) -> dict[str, Any]:
    """``resolution``, ``comments``, ``continuity``, ``control`` and ``control_description`` that were given."""
    found: dict[str, Any] = {}
    resolution = plain(series.fields.get("resolution"))
    if resolution is not None and resolution != PYNWB_DEFAULT_RESOLUTION:
        found["resolution"] = resolution
    comments = plain(series.fields.get("comments"))
    if comments not in (None, PYNWB_DEFAULT_COMMENTS):
        found["comments"] = comments
    continuity = series.fields.get("continuity")
    if continuity is not None:
        found["continuity"] = plain(continuity)
    control = series.fields.get("control")
    if control is not None:
        found["control"] = np.asarray(control[:])
        described = series.fields.get("control_description")
        found["control_description"] = [] if described is None else [plain(v) for v in described[:]]
    return found


def unit(series: Any) -> tuple[str, float, float] | None:
    """(unit, conversion, offset) when any differs from the builders' default ("n.a.", 1, 0)."""
    given = (plain(series.unit), float(series.conversion), float(series.offset))
    return None if given == ("n.a.", 1.0, 0.0) else given


def regular_times(series: Any) -> tuple[float, float] | None:
    """(rate, starting time) of a series stored as a rate, else ``None`` (it stores timestamps)."""
    if series.rate is None:
        return None
    return float(series.rate), float(series.starting_time or 0.0)


def same_times(first: Any, second: Any) -> bool:
    """Whether two stored series have the same times (rate and start, or every timestamp)."""
    if len(first.data) != len(second.data):
        return False
    regular = regular_times(first), regular_times(second)
    if regular[0] is not None or regular[1] is not None:
        return regular[0] == regular[1]
    return bool(np.array_equal(np.asarray(first.timestamps[:]), np.asarray(second.timestamps[:])))


def with_series_fields(builder: SeriesBuilder, series: Any, default_description: str) -> SeriesBuilder:
    """``builder`` with the stored description, unit, rate and options of ``series``."""
    words = own_description(series, default_description)
    if words is not None:
        builder = builder.description(words)
    given_unit = unit(series)
    if given_unit is not None:
        builder = builder.unit(given_unit[0], conversion=given_unit[1], offset=given_unit[2])
    times = regular_times(series)
    if times is not None:  # exactly as stored (times derived from a rate give it back only to rounding)
        builder = builder.rate(times[0], starting_time=times[1])
    found = options(series)
    if "resolution" in found:
        builder = builder.resolution(found["resolution"])
    if "comments" in found:
        builder = builder.comments(found["comments"])
    if "continuity" in found:
        builder = builder.continuity(found["continuity"])
    if "control" in found:
        builder = builder.control(found["control"], found["control_description"])
    return builder
