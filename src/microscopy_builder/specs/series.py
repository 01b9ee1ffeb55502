"""Frozen description of one imaging series: its data source, where it was recorded and its timing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import attrs
import numpy as np

from .fields import (about, check_name, check_non_negative, check_positive, identity_field, optional_array,
                     optional_float, optional_str)
from .rig import RigSpec
from .source_checks import frames_of, series_data_problems, series_source_problems, timestamp_problems
from .space import ImagingSpaceSpec

Location = Literal["acquisition", "processing"]
LegacySeriesType = Literal["TwoPhotonSeries", "OnePhotonSeries"]
Continuity = Literal["continuous", "instantaneous", "step"]
LOCATIONS = get_args(Location)
LEGACY_SERIES_TYPES = get_args(LegacySeriesType)
CONTINUITIES = get_args(Continuity)


def _optional_uint8(values: Sequence[int] | np.ndarray | None) -> np.ndarray | None:
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

    resolution: float | None = optional_float("The smallest meaningful difference between values, in the series' unit",
                                              bound="non_negative", unknown=False)
    comments: str | None = optional_str("Free-text comments", unknown=False)
    continuity: Continuity | None = optional_str("Whether values are continuous, instantaneous or a step function",
                                                 unknown=False)
    control: np.ndarray | None = attrs.field(default=None, converter=_optional_uint8,
                                             eq=attrs.cmp_using(eq=lambda a, b: a is b or (a is not None and b is not None
                                                                                        and np.array_equal(a, b))),
                                             metadata=about("One whole number (0-255) per frame labelling it",
                                                            unknown=False))
    control_description: tuple[str, ...] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else tuple(v),  # any sequence of text
        metadata=about("What each control value means: item k describes the value k", unknown=False))

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

    name: str = attrs.field(metadata=about("The series' name", unknown=False))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True),
                           metadata=about("What tells this series apart in a session (default: its name)", unknown=False))
    source: Any = identity_field("The data: a roiextractors ImagingExtractor, read lazily in chunks", default=None)
    rig: RigSpec | None = attrs.field(default=None, metadata=about("The rig that recorded the series", unknown=False))
    channel: str | None = optional_str("The rig channel it was recorded on (default: the rig's only one)", unknown=False)
    space: ImagingSpaceSpec | None = attrs.field(default=None, metadata=about("The imaging space the series covers",
                                                                              unknown=False))
    description: str | None = optional_str("What was recorded, during which behaviour", unknown=False)
    unit: str = attrs.field(default="n.a.", metadata=about("The physical unit of the values", unknown=False))
    conversion: float = attrs.field(default=1.0, converter=float, metadata=about(
        "value * conversion + offset is in the unit", bound="positive", unknown=False))
    offset: float = attrs.field(default=0.0, converter=float, metadata=about("value * conversion + offset is in the unit",
                                                                             unknown=False))
    location: Location = attrs.field(default="acquisition", metadata=about("Raw data (acquisition) or processed",
                                                                           unknown=False))
    timestamps: np.ndarray | None = optional_array("Frame times from the session start (wins over the extractor's)",
                                                   unit="s")
    rate: float | None = optional_float("A regular frame rate (wins over the extractor's times)", unit="Hz",
                                        bound="positive", unknown=False)
    starting_time: float | None = optional_float("The time of the first frame", unit="s", bound="non_negative",
                                                 unknown=False)
    legacy_type: LegacySeriesType | None = optional_str(
        "Legacy output only: the series type (default: from the rig's excitation mode)", unknown=False)
    grouped: bool = attrs.field(default=True, metadata=about(
        "ndx-microscopy only: whether the series may join a multi-plane or multi-channel container", unknown=False))
    plane_group: str | None = optional_str("The name of its multi-plane container", unknown=False)
    channel_group: str | None = optional_str("The name of its multi-channel container", unknown=False)
    options: TimeSeriesOptions = attrs.field(factory=TimeSeriesOptions, metadata=about(
        "What every NWB time series may say beyond its data and times", unknown=False))

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
