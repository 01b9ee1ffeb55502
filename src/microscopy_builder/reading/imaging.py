"""``MicroscopyImagingExtractor``: a roiextractors ``ImagingExtractor`` over an imaging series in an NWB file.

Either layout: ndx-microscopy ``PlanarMicroscopySeries`` (stored (frames, height, width)) and
``VolumetricMicroscopySeries`` (frames, depth, height, width), wherever placed; legacy
``TwoPhotonSeries`` / ``OnePhotonSeries`` (frames, x, y[, z]). Frames come out in roiextractors'
order, (time, rows, columns[, planes]), with the stored dtype and values, read from the file only
for the samples asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from roiextractors import ImagingExtractor

from ..errors import ValidationError
from .chunks import read_frames
from .files import NDX_SERIES_TYPES, SERIES_TYPES, FileBacked, NwbHandle, choose, has_type
from .times import SeriesTimes


# stored axes -> roiextractors' (time, rows, columns[, planes]), by (format, number of dimensions)
_TO_ROIEXTRACTORS = {
    ("ndx-microscopy", 3): (0, 1, 2),  # (frames, height, width)
    ("ndx-microscopy", 4): (0, 2, 3, 1),  # (frames, depth, height, width)
    ("legacy", 3): (0, 2, 1),  # (frames, x, y)
    ("legacy", 4): (0, 2, 1, 3),  # (frames, x, y, z)
}


class MicroscopyImagingExtractor(FileBacked, ImagingExtractor):
    """An imaging series of an NWB file (HDF5 or Zarr, ndx-microscopy or legacy layout).

    Parameters
    ----------
    path
        The NWB file (an HDF5 file or a Zarr folder).
    series_name
        The series' name or its path in the file (``acquisition/TwoPhotonSeries``); ``None`` picks
        the file's only imaging series.

    Raises
    ------
    ValidationError
        When ``path`` is not an NWB file, or ``series_name`` picks no series or several (the
        message lists the file's series by path).

    Notes
    -----
    The file stays open (data is read on demand) until ``close()``, or the end of a ``with``
    block. Native timestamps are the stored timestamps; for a series stored as a rate, the true
    times ``starting_time + index / rate`` when ``starting_time`` is not 0, else ``None``, so
    ``get_timestamps()`` is right either way; ``has_time_vector()`` keeps roiextractors' base
    meaning (times set with ``set_times``, or cached by ``get_timestamps()``). Values are the stored ones (``conversion`` and
    ``offset`` are not applied), as roiextractors' own NWB reader returns them.
    """

    extractor_name = "MicroscopyImaging"

    def __init__(self, path: str | Path, series_name: str | None = None):
        handle = NwbHandle(path)
        try:
            series_path, series = choose(
                handle.objects(SERIES_TYPES), series_name, what="imaging series", field="series_name", path=handle.path
            )
            _check_readable(series, series_path)
        except BaseException:
            handle.close()
            raise
        super().__init__(path=str(handle.path), series_name=series_path)
        self._handle = handle
        self._series = series
        self._series_path = series_path
        self._format = "ndx-microscopy" if has_type(series, NDX_SERIES_TYPES) else "legacy"
        self._data = series.data
        shape = tuple(int(n) for n in self._data.shape)
        self._axes = _TO_ROIEXTRACTORS[(self._format, len(shape))]
        self._num_samples = shape[0]
        self._sample_shape = tuple(shape[axis] for axis in self._axes[1:])
        self.is_volumetric = len(shape) == 4
        self._timing = SeriesTimes(series, self._num_samples)
        self._channel_names = _channel_names(series)

    # -- what the file says -------------------------------------------------------------------------
    @property
    def series_path(self) -> str:
        """Where the series is stored in the file, e.g. ``acquisition/TwoPhotonSeries``."""
        return self._series_path

    @property
    def format(self) -> str:
        """``"ndx-microscopy"`` or ``"legacy"``: the layout of the series."""
        return self._format

    def get_image_shape(self) -> tuple[int, int]:
        return self._sample_shape[:2]

    def get_num_planes(self) -> int:
        if not self.is_volumetric:
            return super().get_num_planes()  # raises, as roiextractors' planar extractors do
        return self._sample_shape[2]

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_dtype(self) -> np.dtype:
        return np.dtype(self._data.dtype)

    def get_sampling_frequency(self) -> float:
        return self._timing.sampling_frequency()

    def get_native_timestamps(self, start_sample: int | None = None, end_sample: int | None = None) -> np.ndarray | None:
        self._check_open()
        return self._timing.native(start_sample, end_sample)

    def get_channel_names(self) -> list[str]:
        """The series' channel: its ``MicroscopyChannel`` (ndx) or its plane's ``OpticalChannel`` names."""
        return list(self._channel_names)

    # -- frames -----------------------------------------------------------------------------------
    def get_series(self, start_sample: int | None = None, end_sample: int | None = None) -> np.ndarray:
        self._check_open()
        start, stop, _ = slice(start_sample, end_sample).indices(self._num_samples)
        return read_frames(self._data, start, max(start, stop), self._axes)

    def get_samples(self, sample_indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """The samples at ``sample_indices`` (any order, repeats allowed), reading only those samples."""
        self._check_open()
        indices = np.asarray(sample_indices, dtype="int64").reshape(-1)
        if indices.size and (indices.min() < 0 or indices.max() >= self._num_samples):
            raise IndexError(f"sample indices must be in [0, {self._num_samples}); got {indices.min()}..{indices.max()}")
        wanted = np.unique(indices)
        breaks = np.flatnonzero(np.diff(wanted) != 1) + 1
        runs = [run for run in np.split(wanted, breaks) if run.size]
        blocks = [np.asarray(self._data[int(run[0]) : int(run[-1]) + 1]) for run in runs]
        stored = np.concatenate(blocks) if blocks else np.zeros((0, *self._data.shape[1:]), dtype=self.get_dtype())
        return stored[np.searchsorted(wanted, indices)].transpose(self._axes)


def _check_readable(series: Any, series_path: str) -> None:
    problems = []
    external = getattr(series, "external_file", None)
    if external is not None and len(external):
        problems.append(f"series_name: {series_path} stores its frames in external files, not in the NWB file")
    elif len(series.data.shape) not in (3, 4):
        problems.append(
            f"series_name: {series_path} has data of shape {tuple(series.data.shape)}; an imaging series is "
            f"3 dimensions (frames and a plane) or 4 (frames and a volume)"
        )
    if problems:
        raise ValidationError(problems)


def _channel_names(series: Any) -> list[str]:
    channel = getattr(series, "microscopy_channel", None)
    if channel is not None:
        return [channel.name]
    plane = getattr(series, "imaging_plane", None)
    return [] if plane is None else [optical.name for optical in plane.optical_channel]
