"""Frozen description of a segmentation: ROIs, their masks, traces and summary images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

import attrs

from .fields import about, identity_field, optional_str
from .rig import RigSpec
from .series import SeriesSpec, TimeSeriesOptions
from .source_checks import segmentation_data_problems, segmentation_source_problems
from .space import ImagingSpaceSpec

MaskType = Literal["image", "pixel", "voxel"]
# roiextractors' trace names, in the order files list them.
TraceKind = Literal["raw", "dff", "neuropil", "deconvolved", "denoised", "baseline", "background"]
MASK_TYPES = get_args(MaskType)
TRACE_KINDS = get_args(TraceKind)


def _by_name(value: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """Text by image name, as sorted (name, text) pairs."""
    return tuple(sorted(dict(value or {}).items()))


@attrs.frozen(kw_only=True)
class TraceSpec:
    """How one trace type is written: its object name, unit, description, the unit's conversion and offset
    (``value * conversion + offset`` is in ``unit``), and the options every time series has."""

    kind: TraceKind = attrs.field(metadata=about("The trace type", unknown=False))
    name: str | None = optional_str("The name of its object in the file", unknown=False)
    unit: str | None = optional_str("The physical unit of the values (default: 'n.a.')", unknown=False)
    description: str | None = optional_str("What the traces are", unknown=False)
    conversion: float = attrs.field(default=1.0, converter=float, metadata=about(
        "value * conversion + offset is in the unit", unknown=False))
    offset: float = attrs.field(default=0.0, converter=float, metadata=about("value * conversion + offset is in the unit",
                                                                             unknown=False))
    options: TimeSeriesOptions = attrs.field(factory=TimeSeriesOptions, metadata=about(
        "What every NWB time series may say beyond its data and times", unknown=False))


@attrs.frozen(kw_only=True)
class SegmentationSpec:
    """A roiextractors ``SegmentationExtractor`` on an imaging space.

    ``traces`` / ``images`` are the selected trace kinds / summary-image names (``None``: all the
    extractor has); ``trace_overrides`` and ``image_names`` rename or re-describe them. ``series``
    is the imaging series the segmentation was computed from; ``rig`` and ``channel`` say which
    light path it belongs to when there is no series (the legacy ImagingPlane needs them).
    """

    name: str = attrs.field(metadata=about("The segmentation's name", unknown=False))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True), metadata=about(
        "What tells this segmentation apart in a session (default: its name)", unknown=False))
    source: Any = identity_field("The data: a roiextractors SegmentationExtractor (Suite2p, CaImAn, EXTRACT, ...)",
                                 default=None)
    space: ImagingSpaceSpec | None = attrs.field(default=None, metadata=about(
        "The imaging space the ROIs lie in (default: the series' space)", unknown=False))
    series: SeriesSpec | None = attrs.field(default=None, metadata=about(
        "The imaging series it was computed from (linked from the traces)", unknown=False))
    rig: RigSpec | None = attrs.field(default=None, metadata=about(
        "The rig the data was recorded with, when no series is given", unknown=False))
    channel: str | None = optional_str("The rig's channel, when no series is given (default: the rig's only one)",
                                       unknown=False)
    masks: MaskType | None = optional_str("The kind of ROI masks written (default: image masks in the legacy format, "
                                          "the extractor's own kind in ndx-microscopy)", unknown=False)
    description: str | None = optional_str("The algorithm, its version and parameters", unknown=False)
    traces: tuple[TraceKind, ...] | None = attrs.field(default=None, metadata=about(
        "The trace types written (default: every one the extractor has)", unknown=False))
    trace_overrides: tuple[TraceSpec, ...] = attrs.field(default=(), metadata=about(
        "Names, units and descriptions given to trace types", unknown=False))
    include_background: bool = attrs.field(default=False, metadata=about(
        "Whether background components (e.g. neuropil masks) and their traces are written", unknown=False))
    include_centroids: bool = attrs.field(default=True, metadata=about(
        "Whether ROI centroids are written (the extractor's, else the mask-weighted centre)", unknown=False))
    include_acceptance: bool = attrs.field(default=True, metadata=about(
        "Whether accepted / rejected status is written when the extractor has it", unknown=False))
    images: tuple[str, ...] | None = attrs.field(default=None, metadata=about(
        "The summary images written (default: all)", unknown=False))
    image_names: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_by_name, metadata=about(
        "New names of summary images, by their extractor names", unknown=False))
    image_descriptions: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_by_name, metadata=about(
        "Descriptions of summary images, by their extractor names", unknown=False))

    def trace_spec(self, kind: str) -> TraceSpec:
        return next((t for t in self.trace_overrides if t.kind == kind), TraceSpec(kind=kind))

    def image_name(self, image: str) -> str:
        return dict(self.image_names).get(image, image)

    def image_description(self, image: str) -> str | None:
        """The description given to a summary image (``None``: the default for its kind)."""
        return dict(self.image_descriptions).get(image)

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"segmentation {self.name!r}"
        problems: list[str] = []
        if self.source is None:
            problems.append(f"{where}.source: no data; call .from_extractor(segmentation_extractor)")
        if self.space is None:
            problems.append(f"{where}.space: required; call .space(imaging_space) (or .series(series) to use its space)")
        if self.masks is not None and self.masks not in MASK_TYPES:
            problems.append(f"{where}.masks: must be one of {MASK_TYPES}, got {self.masks!r}")
        if self.space is not None and self.masks in ("pixel", "voxel"):
            fitting = "voxel" if self.space.is_volumetric else "pixel"
            if self.masks != fitting:
                problems.append(
                    f"{where}.masks: {self.masks!r} masks do not fit the {self.space.geometry} space "
                    f"{self.space.name!r}; use 'image' or {fitting!r}"
                )
        for override in self.trace_overrides:
            problems += override.options.problems(f"{where}.traces[{override.kind!r}]")
        for kind in (*(self.traces or ()), *(t.kind for t in self.trace_overrides)):
            if kind not in TRACE_KINDS:
                problems.append(f"{where}.traces: unknown trace type {kind!r}; known types are {', '.join(TRACE_KINDS)}")
        if self.series is not None and self.space is not None and self.series.space is not None:
            if self.series.space.key != self.space.key:
                problems.append(
                    f"{where}.space: space {self.space.name!r} differs from the space {self.series.space.name!r} "
                    f"of series {self.series.name!r}; a segmentation lies on the space of its series"
                )
        if self.channel is not None and self.rig is not None and self.rig.channel(self.channel) is None:
            problems.append(f"{where}.channel: rig {self.rig.name!r} has no channel {self.channel!r}")
        if self.source is not None:
            problems += segmentation_source_problems(self, where, TRACE_KINDS)
        return problems

    def data_problems(self, where: str | None = None) -> list[str]:
        """What makes the source's data unwritable as it is (dtypes of traces, masks and images; native
        timestamps of the wrong length): ``SourceDataError`` problems."""
        return segmentation_data_problems(self, where or f"segmentation {self.name!r}")
