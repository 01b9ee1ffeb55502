"""``SeriesBuilder``: an imaging movie from a roiextractors extractor, on a rig, channel and space."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..specs import ImagingSpaceSpec, RigSpec, SeriesSpec
from .methods import SeriesMethods
from .base import Builder, channel_of, declare
from .calls import Custom, Set, arg, option
from .mapping import Auto, Extractor, Flat
from ..acquisition.source import source_metadata
from ..specs.header_notes import remember
from ..specs.series import TimeSeriesOptions
from .recorded import header_comments, series_channel, series_notes, series_timing
from .rig import RigBuilder
from .space import ImagingSpaceBuilder

NUMPY_ADVICE = ("wrap the array in an extractor: roiextractors.NumpyImagingExtractor(array[..., None], "
                "sampling_frequency=...) (frames, rows, columns, with a channel axis added)")


def from_extractor(builder: Any, source: Any, advice: str = NUMPY_ADVICE) -> Any:
    """``builder`` with a new data source (and no description of it from a file)."""
    if isinstance(source, np.ndarray):
        raise ValidationError([f"{builder.where}.source: a numpy array is not an extractor; {advice}"])
    recorded = None if source is None else source_metadata(source)
    return attrs.evolve(builder.with_fields({"source": source}), described_source=None, recorded=recorded)


def source_param(name: str, doc: str) -> Any:
    return arg(name, "source", doc=doc)


@declare
@attrs.frozen
class SeriesBuilder(SeriesMethods, Builder):
    """Describe an imaging series with chained calls; ``build()`` gives a ``SeriesSpec``.

    The methods and their parameters are listed in ``docs/fields.md``.

    Examples
    --------
    >>> series = (SeriesBuilder("TwoPhotonSeries")
    ...           .from_extractor(imaging)
    ...           .rig(rig).channel("Green").space(space))  # doctest: +SKIP
    """

    spec_class = SeriesSpec
    derived_from = {"rig": ("channel",)}
    label = "series"
    section = "series"
    calls = (
        Custom("from_extractor", "The data: any roiextractors ImagingExtractor; it is read lazily, in chunks, at write "
               "time.", (source_param("imaging", "A roiextractors ImagingExtractor"),), function=from_extractor,
               form=Extractor("imaging")),
        Set("rig", "The rig that recorded the series.", (arg("rig", annotation=RigBuilder | RigSpec, refers_to="rigs"),)),
        Set("channel", "The rig channel the series was recorded on; optional when the rig has a single channel.",
            (arg("name", "channel"),)),
        Set("space", "The imaging space the series covers.",
            (arg("space", annotation=ImagingSpaceBuilder | ImagingSpaceSpec, refers_to="spaces"),)),
        Set("description", "Describe the series (what was recorded, during which behaviour).", (arg("text", "description"),)),
        Set("unit", "The physical unit of the values; value * conversion + offset is in unit (default 'n.a.').",
            (arg("unit"), option("conversion", default=1.0), option("offset", default=0.0))),
        Set("in_processing", "Store the series in processing/ophys (motion-corrected or otherwise processed movies).",
            constants=(("location", "processing"),)),
        Set("in_acquisition", "Store the series in acquisition (the default: raw data).",
            constants=(("location", "acquisition"),)),
        Set("timestamps", "Frame times in seconds from the session start; they win over the extractor's times and any "
            "rate.", (arg("timestamps"),), clears=("rate", "starting_time")),
        Set("rate", "A regular frame rate (and the first frame's time); it wins over the extractor's times.",
            (arg("rate_hz", "rate"), option("starting_time")), clears=("timestamps",)),
        Set("legacy_type", "Legacy output only: 'TwoPhotonSeries' or 'OnePhotonSeries' (default: from the rig's "
            "excitation mode).", (arg("series_type", "legacy_type"),)),
        Set("grouped", "Name the multi-plane / multi-channel containers the ndx-microscopy format groups this series "
            "into (grouping is on by default; series of one group must agree on its name; the legacy format ignores "
            "this).", (option("planes", "plane_group"), option("channels", "channel_group")),
            constants=(("grouped", True),), form=Auto(flag=True)),
        Set("ungrouped", "Never put this series in a multi-plane or multi-channel container: it stands on its own.",
            constants=(("grouped", False),), clears=("plane_group", "channel_group"), form=Auto(key="grouped", flag=False)),
        Set("resolution", "The smallest meaningful difference between values, in the series' unit (NWB resolution).",
            (arg("smallest_step", "options.resolution"),)),
        Set("comments", "Free-text comments on the series (NWB comments).", (arg("text", "options.comments"),)),
        Set("continuity", "'continuous', 'instantaneous' or 'step' (NWB continuity; ndx-microscopy only).",
            (arg("kind", "options.continuity"),)),
        Set("control", "One whole number (0-255) per frame labelling it (a stimulus condition, say), and what each "
            "number means: descriptions[k] describes the value k.",
            (arg("values", "options.control", file_key="control"),
             arg("descriptions", "options.control_description", default=(), file_key="control_description")),
            form=Flat()),
    )

    described_source: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True, eq=False)

    def _assemble(self, problems: Any) -> SeriesSpec:
        series = super()._assemble(problems)
        return remember(series, series_notes(series, self.recorded, self.where))

    def _derived(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The channel from the rig; what the source's header records where nothing was given (the timing, the
        channel), and the whole header in the comments."""
        fields = {**fields, "channel": channel_of(fields.get("rig"), fields.get("channel"))}
        facts = self.recorded
        if facts is None or facts.is_empty:
            return fields
        timing = series_timing(fields, facts)
        options = fields.get("options") or TimeSeriesOptions()
        comments = header_comments(options.comments, facts)
        return {**fields, **timing, "channel": series_channel(fields["channel"], fields.get("rig"), facts),
                "options": attrs.evolve(options, comments=comments)}
