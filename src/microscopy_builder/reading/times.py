"""Frame times of a stored NWB time series, as roiextractors' timing calls report them.

roiextractors derives ``get_timestamps()`` from the sampling rate starting at 0 when an extractor
has no native timestamps, so a series stored as ``rate`` + ``starting_time`` with a start other
than 0 would lose its start. The choice made here: native timestamps are

* the stored ``timestamps`` when the series has them;
* ``starting_time + index / rate`` when the series is regular and starts after (or before) 0;
* ``None`` when it is regular and starts at 0 (the rate alone says everything).

Writers that turn regular timestamps back into a rate (this library, NeuroConv) then write the
same ``rate`` and ``starting_time`` again.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SeriesTimes:
    """The times of one NWB ``TimeSeries`` (read lazily from the file)."""

    def __init__(self, series: Any, num_samples: int):
        self._num_samples = int(num_samples)
        timestamps = series.timestamps
        if timestamps is not None and hasattr(timestamps, "timestamps"):  # linked to another series' times
            timestamps = timestamps.timestamps
        self._timestamps = timestamps
        self.rate = None if series.rate is None else float(series.rate)
        self.starting_time = float(series.starting_time or 0.0) if self.rate is not None else None

    @property
    def stored(self) -> bool:
        """Whether the file holds a timestamp per sample."""
        return self._timestamps is not None

    def sampling_frequency(self) -> float:
        """The stored rate, or 1 / the median interval of the stored timestamps (NaN for one sample)."""
        if self.rate is not None:
            return self.rate
        if self._num_samples < 2:
            return float("nan")
        intervals = np.diff(np.asarray(self._timestamps[:], dtype="float64"))
        return float(1.0 / np.median(intervals))

    def native(self, start_sample: int | None = None, end_sample: int | None = None) -> np.ndarray | None:
        """Times (s) of samples ``start_sample`` to ``end_sample`` (exclusive), or ``None`` (see the module)."""
        start = 0 if start_sample is None else int(start_sample)
        end = self._num_samples if end_sample is None else int(end_sample)
        if self._timestamps is not None:
            return np.asarray(self._timestamps[start:end], dtype="float64")
        if self.rate is None or not self.starting_time:
            return None
        return self.starting_time + np.arange(start, end, dtype="float64") / self.rate
