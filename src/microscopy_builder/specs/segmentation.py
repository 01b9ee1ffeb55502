"""Frozen description of a segmentation: ROIs, their masks, traces and summary images."""

from __future__ import annotations

from typing import Any

import attrs

from ._fields import identity_field, optional_str
from .rig import RigSpec
from .series import SeriesSpec, TimeSeriesOptions
from .source_checks import segmentation_data_problems, segmentation_source_problems
from .space import ImagingSpaceSpec

MASK_TYPES = ("image", "pixel", "voxel")
# roiextractors' trace names, in the order files list them.
TRACE_KINDS = ("raw", "dff", "neuropil", "deconvolved", "denoised", "baseline", "background")


@attrs.frozen(kw_only=True)
class TraceSpec:
    """How one trace type is written: its object name, unit, description, the unit's conversion and offset
    (``value * conversion + offset`` is in ``unit``), and the options every time series has."""

    kind: str
    name: str | None = optional_str()
    unit: str | None = optional_str()
    description: str | None = optional_str()
    conversion: float = attrs.field(default=1.0, converter=float)
    offset: float = attrs.field(default=0.0, converter=float)
    options: TimeSeriesOptions = attrs.field(factory=TimeSeriesOptions)


@attrs.frozen(kw_only=True)
class SegmentationSpec:
    """A roiextractors ``SegmentationExtractor`` on an imaging space.

    ``traces`` / ``images`` are the selected trace kinds / summary-image names (``None``: all the
    extractor has); ``trace_overrides`` and ``image_names`` rename or re-describe them. ``series``
    is the imaging series the segmentation was computed from; ``rig`` and ``channel`` say which
    light path it belongs to when there is no series (the legacy ImagingPlane needs them).
    """

    name: str
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True))
    source: Any = identity_field(default=None)
    space: ImagingSpaceSpec | None = None
    series: SeriesSpec | None = None
    rig: RigSpec | None = None
    channel: str | None = None
    masks: str | None = optional_str()
    description: str | None = optional_str()
    traces: tuple[str, ...] | None = None
    trace_overrides: tuple[TraceSpec, ...] = ()
    include_background: bool = False
    include_centroids: bool = True
    include_acceptance: bool = True
    images: tuple[str, ...] | None = None
    image_names: tuple[tuple[str, str], ...] = ()
    image_descriptions: tuple[tuple[str, str], ...] = ()

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
