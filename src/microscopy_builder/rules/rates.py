"""Related data whose regular rates disagree: a likely unit or metadata slip, reported as a warning."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..emit.grouping import plan_layout
from ..emit.timing import resolve_timing, segmentation_timing
from ..specs import SegmentationSpec, SeriesSpec
from ..validation import WARNING, Problem


def rate_warnings(series: Sequence[SeriesSpec], segmentations: Sequence[SegmentationSpec]) -> list[Problem]:
    """Traces at another rate than their movie; planes of one recording at different rates."""
    found = []
    for segmentation in segmentations:
        if segmentation.series is None:
            continue
        traces, movie = segmentation_timing(segmentation).rate, resolve_timing(segmentation.series).rate
        if traces and movie and not math.isclose(traces, movie, rel_tol=1e-6):
            found.append(Problem(f"segmentation {segmentation.name!r}.source",
                                 f"traces at {traces:g} Hz but series {segmentation.series.name!r} at {movie:g} Hz; "
                                 f"check the extractors' sampling rates", WARNING))
    layout = plan_layout(series)
    groups: dict[str, list[SeriesSpec]] = {}
    for item in series:
        group = layout.plane_group_of.get(item.key)
        if group is not None:
            groups.setdefault(group.name, []).append(item)
    for name, members in groups.items():
        rates = {resolve_timing(m).rate for m in members}
        if len(rates) > 1 and None not in rates:
            found.append(Problem(f"series {', '.join(repr(m.name) for m in members)}",
                                 f"planes of one recording ({name}) at different rates {sorted(rates)} Hz; planes of one "
                                 f"volume share the volume rate", WARNING))
    return found
