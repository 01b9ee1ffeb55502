"""Frozen description of one imaging series: its data source, where it was recorded and its timing."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from ._fields import check_name, check_non_negative, check_positive, identity_field, optional_array, optional_float, optional_str
from .rig import RigSpec
from .source_checks import frames_of, series_data_problems, series_source_problems, timestamp_problems
from .space import ImagingSpaceSpec

LOCATIONS = ("acquisition", "processing")
LEGACY_SERIES_TYPES = ("TwoPhotonSeries", "OnePhotonSeries")


CONTINUITIES = ("continuous", "instantaneous", "step")


def _optional_uint8(values: Any) -> np.ndarray | None:
    if values is None:
        return None
    array = np.array(values, copy=True)
    if array.ndim != 1 or (array.size and (array.dtype.kind not in "iu" or array.min() < 0 or array.max() > 255)):
        raise ValueError("control: give one whole number 0-255 per frame")
    array = array.astype("uint8")
    array.flags.writeable = False
    return array


@attrs.frozen(kw_only=True)
class TimeSeriesOptions:
    """What NWB lets every time series say beyond its data and times (imaging series and traces alike).

    ``resolution``: the smallest meaningful difference between values, in the series' unit;
    ``comments``: free text; ``continuity``: "continuous", "instantaneous" or "step";
    ``control``: one whole number (0-255) per frame labelling it, with ``control_description``
    saying what each number means.
    """

    resolution: float | None = optional_float()
    comments: str | None = optional_str()
    continuity: str | None = optional_str()
    control: np.ndarray | None = attrs.field(default=None, converter=_optional_uint8,
                                             eq=attrs.cmp_using(eq=lambda a, b: a is b or (a is not None and b is not None
                                                                                        and np.array_equal(a, b))))
    control_description: tuple[str, ...] | None = attrs.field(default=None, converter=lambda v: None if v is None else tuple(v))

    def problems(self, where: str, frames: int | None = None) -> list[str]:
        problems: list[str] = []
        if self.continuity is not None and self.continuity not in CONTINUITIES:
            problems.append(f"{where}.continuity: must be one of {', '.join(CONTINUITIES)}, got {self.continuity!r}")
        check_non_negative(problems, where, resolution=self.resolution)
        if self.control is not None and frames is not None and len(self.control) != frames:
            problems.append(f"{where}.control: {len(self.control)} values for {frames} frames; give one per frame")
        if self.control is not None and self.control.size:
            described = len(self.control_description or ())
            if described <= int(self.control.max()):
                problems.append(f"{where}.control_description: control values go up to {int(self.control.max())}, so "
                                f"give {int(self.control.max()) + 1} descriptions (one per value), got {described}")
        return problems


@attrs.frozen(kw_only=True)
class SeriesSpec:
    """An imaging series: a roiextractors ``ImagingExtractor`` on a rig, channel and space.

    Timing overrides: ``timestamps`` (seconds, one per frame) or ``rate`` (Hz) with
    ``starting_time`` win over what the extractor reports. ``grouped`` lets the ndx-microscopy
    emitter put the series in a multi-plane / multi-channel container, named ``plane_group`` /
    ``channel_group`` when given.
    """

    name: str
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True))
    source: Any = identity_field(default=None)
    rig: RigSpec | None = None
    channel: str | None = None
    space: ImagingSpaceSpec | None = None
    description: str | None = optional_str()
    unit: str = "n.a."
    conversion: float = attrs.field(default=1.0, converter=float)
    offset: float = attrs.field(default=0.0, converter=float)
    location: str = "acquisition"
    timestamps: np.ndarray | None = optional_array()
    rate: float | None = optional_float()
    starting_time: float | None = optional_float()
    legacy_type: str | None = optional_str()
    grouped: bool = True
    plane_group: str | None = optional_str()
    channel_group: str | None = optional_str()
    options: TimeSeriesOptions = attrs.field(factory=TimeSeriesOptions)

    def channel_spec(self):
        return None if self.rig is None or self.channel is None else self.rig.channel(self.channel)

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"series {self.name!r}"
        problems: list[str] = []
        if self.source is None:
            problems.append(f"{where}.source: no data; call .from_extractor(imaging_extractor)")
        if self.rig is None:
            problems.append(f"{where}.rig: required; call .rig(rig_builder_or_spec)")
        if self.space is None:
            problems.append(f"{where}.space: required; call .space(imaging_space_builder_or_spec)")
        if self.channel is None:
            problems.append(f"{where}.channel: required; call .channel(name) with a channel of the rig")
        elif self.rig is not None and self.channel_spec() is None:
            known = ", ".join(repr(c.name) for c in self.rig.channels) or "none defined"
            problems.append(
                f"{where}.channel: rig {self.rig.name!r} has no channel {self.channel!r} (its channels: {known}); "
                f"add it with .channel({self.channel!r}, ...) on the rig or pick one of its channels"
            )
        if self.location not in LOCATIONS:
            problems.append(f"{where}.location: must be one of {LOCATIONS}, got {self.location!r}")
        if self.legacy_type is not None and self.legacy_type not in LEGACY_SERIES_TYPES:
            problems.append(f"{where}.legacy_type: must be one of {LEGACY_SERIES_TYPES}, got {self.legacy_type!r}")
        for field in ("plane_group", "channel_group"):
            name = getattr(self, field)
            if name is not None:
                check_name(problems, f"{where}.{field}", name)
        check_positive(problems, where, rate=self.rate, conversion=self.conversion)
        problems += self.options.problems(where, frames_of(self.source))

        check_non_negative(problems, where, starting_time=self.starting_time)
        if self.timestamps is not None and self.rate is not None:
            problems.append(f"{where}: give either .timestamps(...) or .rate(...), not both")
        if self.timestamps is not None:
            problems += timestamp_problems(self.timestamps, f"{where}.timestamps")
        if self.source is not None:
            problems += series_source_problems(self, where)
        return problems

    def data_problems(self, where: str | None = None) -> list[str]:
        """What makes the source's data unwritable as it is (its dtype, its first frame against its
        declared shape and dtype, native timestamps of the wrong length): ``SourceDataError`` problems."""
        return series_data_problems(self, where or f"series {self.name!r}")
