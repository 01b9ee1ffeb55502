"""How a series' frame times are written: rate + starting time when regular, timestamps otherwise."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from ..specs import SegmentationSpec, SeriesSpec
from ..specs.facts import imaging_facts, segmentation_facts
from ..specs.sources import native_timestamps

# Timestamps whose intervals stay within this fraction of the mean interval are regular.
REGULARITY_TOLERANCE = 1e-6


@attrs.frozen
class Timing:
    """Exactly one of ``rate`` (with ``starting_time``) or ``timestamps`` is set."""

    rate: float | None = None
    starting_time: float | None = None
    timestamps: np.ndarray | None = attrs.field(default=None, eq=False)

    def series_kwargs(self) -> dict:
        if self.timestamps is not None:
            return {"timestamps": self.timestamps}
        return {"rate": self.rate, "starting_time": self.starting_time}


def resolve_timing(series: SeriesSpec) -> Timing:
    """A series' timing: its overrides first, then its extractor's."""
    return timing_of(series.source, rate=series.rate, starting_time=series.starting_time, timestamps=series.timestamps)


def timing_of(
    source, *, rate: float | None = None, starting_time: float | None = None, timestamps: np.ndarray | None = None
) -> Timing:
    """Overrides first, then the extractor's native times, then its sampling rate.

    Works for imaging and segmentation extractors alike.
    """
    if rate is not None:
        return Timing(rate=rate, starting_time=starting_time or 0.0)
    times = timestamps if timestamps is not None else native_timestamps(source)
    if times is None:
        return Timing(rate=_declared_rate(source), starting_time=starting_time or 0.0)
    return timing_from_timestamps(times, fallback_rate=lambda: _declared_rate(source))


def _declared_rate(source) -> float | None:
    """The extractor's sampling rate; ``None`` when it has none (a segmentation with no traces has no times,
    and validation refuses traces or movies that have neither a rate nor timestamps)."""
    rate = source.get_sampling_frequency()
    return None if rate is None else float(rate)


def timing_from_timestamps(times: np.ndarray, *, fallback_rate: Callable[[], float]) -> Timing:
    """Regular times become rate + starting time; others stay timestamps.

    ``fallback_rate`` is asked only when one timestamp cannot give a rate.
    """
    if times.size < 2:
        return Timing(rate=fallback_rate(), starting_time=float(times[0]) if times.size else 0.0)
    intervals = np.diff(times)
    period = (times[-1] - times[0]) / (times.size - 1)
    if np.max(np.abs(intervals - period)) <= REGULARITY_TOLERANCE * period:
        return Timing(rate=float(1.0 / period), starting_time=float(times[0]))
    return Timing(timestamps=times)


def segmentation_timing(segmentation: SegmentationSpec) -> Timing:
    """A segmentation's trace times: the extractor's own; without them, the source series' explicit times (its
    native timestamps or the user's overrides) when the frame counts match: a Suite2p folder knows only a rate,
    the movie it came from may know the real frame times."""
    series, facts = segmentation.series, segmentation_facts(segmentation.source)
    if facts.times is None and series is not None:
        movie = imaging_facts(series.source)
        series_has_times = series.timestamps is not None or series.rate is not None or movie.times is not None
        if facts.frames == movie.frames and (series_has_times or facts.rate is None):
            return resolve_timing(series)
    return timing_of(segmentation.source)
