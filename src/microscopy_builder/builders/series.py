"""``SeriesBuilder``: an imaging movie from a roiextractors extractor, on a rig, channel and space."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import attrs
import numpy as np

from ..errors import ValidationError
from ..specs import ImagingSpaceSpec, RigSpec, SeriesSpec
from ..specs.series import TimeSeriesOptions
from ..specs._fields import frozen_array
from ._base import Builder, make_spec, resolve
from .rig import RigBuilder
from .space import ImagingSpaceBuilder


@attrs.frozen
class SeriesBuilder(Builder):
    """Describe an imaging series with chained calls; ``build()`` gives a ``SeriesSpec``.

    Examples
    --------
    >>> series = (SeriesBuilder("TwoPhotonSeries")
    ...           .from_extractor(imaging)
    ...           .rig(rig).channel("Green").space(space))  # doctest: +SKIP
    """

    _source: Any = attrs.field(default=None, kw_only=True, alias="source", eq=False)
    _described_source: Any = attrs.field(default=None, kw_only=True, alias="described_source", eq=False)
    _rig: RigBuilder | RigSpec | None = attrs.field(default=None, kw_only=True, alias="rig")
    _channel: str | None = attrs.field(default=None, kw_only=True, alias="channel")
    _space: ImagingSpaceBuilder | ImagingSpaceSpec | None = attrs.field(default=None, kw_only=True, alias="space")
    _description: str | None = attrs.field(default=None, kw_only=True, alias="description")
    _unit: tuple[str, float, float] = attrs.field(default=("n.a.", 1.0, 0.0), kw_only=True, alias="unit")
    _location: str = attrs.field(default="acquisition", kw_only=True, alias="location")
    _timestamps: Any = attrs.field(default=None, kw_only=True, alias="timestamps", eq=False)
    _rate: tuple[float, float | None] | None = attrs.field(default=None, kw_only=True, alias="rate")
    _legacy_type: str | None = attrs.field(default=None, kw_only=True, alias="legacy_type")
    _grouping: tuple[bool, str | None, str | None] = attrs.field(default=(True, None, None), kw_only=True, alias="grouping")
    _options: TimeSeriesOptions = attrs.field(factory=TimeSeriesOptions, kw_only=True, alias="options")

    def from_extractor(self, imaging: Any) -> Self:
        """The data: any roiextractors ``ImagingExtractor``; it is read lazily, in chunks, at write time."""
        return self._with(source=imaging, described_source=None)

    def rig(self, rig: RigBuilder | RigSpec) -> Self:
        """The rig that recorded the series (a builder or a built spec)."""
        return self._with(rig=rig)

    def channel(self, name: str) -> Self:
        """The rig channel the series was recorded on; optional when the rig has a single channel."""
        return self._with(channel=name)

    def space(self, space: ImagingSpaceBuilder | ImagingSpaceSpec) -> Self:
        """The imaging space the series covers."""
        return self._with(space=space)

    def description(self, text: str) -> Self:
        """Describe the series (what was recorded, during which behaviour)."""
        return self._with(description=text)

    def unit(self, unit: str, *, conversion: float = 1.0, offset: float = 0.0) -> Self:
        """Physical unit of the values; ``value * conversion + offset`` is in ``unit``. Default ``"n.a."``."""
        return self._with(unit=(unit, conversion, offset))

    def in_processing(self) -> Self:
        """Store the series in ``processing/ophys`` (motion-corrected or otherwise processed movies)."""
        return self._with(location="processing")

    def in_acquisition(self) -> Self:
        """Store the series in ``acquisition`` (the default: raw data)."""
        return self._with(location="acquisition")

    def timestamps(self, timestamps: Sequence[float] | np.ndarray) -> Self:
        """Frame times in seconds from the session start; wins over the extractor's times and any rate."""
        try:
            copied = frozen_array(timestamps)
        except (TypeError, ValueError):
            raise ValidationError([f"series {self.name!r}.timestamps: must be numbers (seconds), got {timestamps!r:.80}"]) from None
        return self._with(timestamps=copied, rate=None)

    def rate(self, rate_hz: float, *, starting_time: float | None = None) -> Self:
        """A regular frame rate in Hz (and first-frame time); wins over the extractor's times."""
        return self._with(rate=(rate_hz, starting_time), timestamps=None)

    def legacy_type(self, series_type: str) -> Self:
        """Legacy output only: ``"TwoPhotonSeries"`` or ``"OnePhotonSeries"``.

        The default follows the rig's excitation mode (one-photon gives OnePhotonSeries).
        """
        return self._with(legacy_type=series_type)

    def grouped(self, *, planes: str | None = None, channels: str | None = None) -> Self:
        """Name the containers the ndx-microscopy format groups this series into (grouping is on by default).

        Series of one rig and channel on planes of one base space (``space.at_depth(...)``) form a
        ``MultiPlaneMicroscopyContainer`` named ``planes``; series of different channels on the same
        space(s) form a ``MultiChannelMicroscopyContainer`` named ``channels``. Series of one group
        must agree on its name. The legacy format has no such containers and ignores this.
        """
        return self._with(grouping=(True, planes, channels))

    def resolution(self, smallest_step: float) -> Self:
        """The smallest meaningful difference between values, in the series' unit (NWB ``resolution``)."""
        return self._option(resolution=smallest_step)

    def comments(self, text: str) -> Self:
        """Free-text comments on the series (NWB ``comments``)."""
        return self._option(comments=text)

    def continuity(self, kind: str) -> Self:
        """``"continuous"``, ``"instantaneous"`` or ``"step"`` (NWB ``continuity``; ndx-microscopy only)."""
        return self._option(continuity=kind)

    def control(self, values: Sequence[int], descriptions: Sequence[str]) -> Self:
        """One whole number (0-255) per frame labelling it (a stimulus condition, say), and what each number
        means: ``descriptions[k]`` describes the value ``k``."""
        try:
            return self._option(control=values, control_description=tuple(descriptions))
        except (TypeError, ValueError) as error:
            raise ValidationError([f"series {self.name!r}.control: {error}"]) from None

    def _option(self, **changes: Any) -> Self:
        try:
            return self._with(options=attrs.evolve(self._options, **changes))
        except (TypeError, ValueError) as error:
            raise ValidationError([f"series {self.name!r}: {error}"]) from None

    def ungrouped(self) -> Self:
        """Never put this series in a multi-plane or multi-channel container: it stands on its own."""
        return self._with(grouping=(False, None, None))

    def to_dict(self) -> dict[str, Any]:
        """This builder as a plain mapping of its calls; rig, space and series are referred to by name."""
        from .mapping import series_to_dict

        return series_to_dict(self)

    @classmethod
    def from_dict(
        cls, name: str, data: Mapping[str, Any], *, rigs: Mapping[str, Any], spaces: Mapping[str, Any], base_folder: str | Path | None = None,
        where: str | None = None,
    ) -> Self:
        """The builder a mapping describes; names refer to the given builders, the extractor is created
        from ``{ClassName: {arguments}}`` with relative paths under ``base_folder``."""
        from .mapping import series_from_dict

        return series_from_dict(cls, name, data, where or f"series.{name}", rigs=rigs, spaces=spaces, base_folder=base_folder)

    def _assemble(self, problems: list[str]) -> SeriesSpec:
        where = f"series {self.name!r}"
        rig = resolve(self._rig, f"{where}.rig", problems)
        space = resolve(self._space, f"{where}.space", problems)
        channel = self._channel
        if channel is None and rig is not None and len(rig.channels) == 1:
            channel = rig.channels[0].name
        unit, conversion, offset = self._unit
        rate, starting_time = self._rate if self._rate is not None else (None, None)
        return make_spec(
            SeriesSpec,
            where,
            **self._spec_kwargs(),
            source=self._source,
            rig=rig,
            channel=channel,
            space=space,
            description=self._description,
            unit=unit,
            conversion=conversion,
            offset=offset,
            location=self._location,
            timestamps=self._timestamps,
            rate=rate,
            starting_time=starting_time,
            legacy_type=self._legacy_type,
            grouped=self._grouping[0],
            plane_group=self._grouping[1],
            channel_group=self._grouping[2],
            options=self._options,
        )
