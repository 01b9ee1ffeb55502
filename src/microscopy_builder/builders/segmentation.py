"""``SegmentationBuilder``: a roiextractors segmentation result on an imaging space."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import attrs

from ..errors import ValidationError
from ..specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec, TraceSpec
from ..specs.series import TimeSeriesOptions
from ._base import Builder, make_spec, resolve
from .rig import RigBuilder
from .series import SeriesBuilder
from .space import ImagingSpaceBuilder


@attrs.frozen
class SegmentationBuilder(Builder):
    """Describe a segmentation with chained calls; ``build()`` gives a ``SegmentationSpec``.

    By default everything the extractor has is written: every non-empty trace type, every summary
    image, acceptance and centroids; background components only when asked for.

    Examples
    --------
    >>> segmentation = (SegmentationBuilder("PlaneSegmentation")
    ...                 .from_extractor(segmentation_extractor)
    ...                 .space(space).series(series)
    ...                 .masks("image"))  # doctest: +SKIP
    """

    _source: Any = attrs.field(default=None, kw_only=True, alias="source", eq=False)
    _described_source: Any = attrs.field(default=None, kw_only=True, alias="described_source", eq=False)
    _space: ImagingSpaceBuilder | ImagingSpaceSpec | None = attrs.field(default=None, kw_only=True, alias="space")
    _series: SeriesBuilder | SeriesSpec | None = attrs.field(default=None, kw_only=True, alias="series")
    _rig: RigBuilder | RigSpec | None = attrs.field(default=None, kw_only=True, alias="rig")
    _channel: str | None = attrs.field(default=None, kw_only=True, alias="channel")
    _masks: str | None = attrs.field(default=None, kw_only=True, alias="masks")
    _description: str | None = attrs.field(default=None, kw_only=True, alias="description")
    _traces: tuple[str, ...] | None = attrs.field(default=None, kw_only=True, alias="traces")
    _trace_overrides: tuple[TraceSpec, ...] = attrs.field(default=(), kw_only=True, alias="trace_overrides")
    _include_background: bool = attrs.field(default=False, kw_only=True, alias="include_background")
    _include_centroids: bool = attrs.field(default=True, kw_only=True, alias="include_centroids")
    _include_acceptance: bool = attrs.field(default=True, kw_only=True, alias="include_acceptance")
    _images: tuple[str, ...] | None = attrs.field(default=None, kw_only=True, alias="images")
    _image_names: tuple[tuple[str, str], ...] = attrs.field(default=(), kw_only=True, alias="image_names")
    _image_descriptions: tuple[tuple[str, str], ...] = attrs.field(default=(), kw_only=True, alias="image_descriptions")

    def from_extractor(self, segmentation: Any) -> Self:
        """The data: any roiextractors ``SegmentationExtractor`` (Suite2p, CaImAn, EXTRACT, ...)."""
        return self._with(source=segmentation, described_source=None)

    def space(self, space: ImagingSpaceBuilder | ImagingSpaceSpec) -> Self:
        """The imaging space the ROIs lie in (defaults to the series' space)."""
        return self._with(space=space)

    def series(self, series: SeriesBuilder | SeriesSpec) -> Self:
        """The imaging series the segmentation was computed from (linked from the traces)."""
        return self._with(series=series)

    def rig(self, rig: RigBuilder | RigSpec, channel: str | None = None) -> Self:
        """The rig (and channel) the data was recorded with, when no series is given.

        The legacy format places ROIs on an ImagingPlane of a (space, rig, channel); with a series,
        its rig and channel are used.
        """
        return self._with(rig=rig, channel=channel)

    def masks(self, mask_type: str) -> Self:
        """``"image"`` (dense, one frame-sized image per ROI) or ``"pixel"`` (sparse (x, y, weight) lists).

        Default: image masks in the legacy format (what existing readers expect); in the
        ndx-microscopy format the extractor's own kind.
        """
        return self._with(masks=mask_type)

    def description(self, text: str) -> Self:
        """Describe the segmentation (algorithm, version, parameters)."""
        return self._with(description=text)

    def traces(self, *kinds: str) -> Self:
        """Write only these trace types (``"raw"``, ``"dff"``, ``"neuropil"``, ``"deconvolved"``,
        ``"denoised"``, ``"baseline"``, ``"background"``); default: every one the extractor has."""
        return self._with(traces=tuple(kinds))

    def trace(
        self,
        kind: str,
        *,
        name: str | None = None,
        unit: str | None = None,
        description: str | None = None,
        conversion: float = 1.0,
        offset: float = 0.0,
        resolution: float | None = None,
        comments: str | None = None,
        continuity: str | None = None,
        control: Sequence[int] | None = None,
        control_description: Sequence[str] | None = None,
    ) -> Self:
        """Rename or re-describe one trace type: its ``unit`` (default ``"n.a."``), with ``value * conversion +
        offset`` in that unit, and NWB's ``resolution``, ``comments``, ``continuity`` (ndx-microscopy only) and
        ``control`` (one whole number 0-255 per frame, ``control_description[k]`` saying what ``k`` means)."""
        where = f"segmentation {self.name!r}.traces[{kind!r}]"
        try:
            options = TimeSeriesOptions(resolution=resolution, comments=comments, continuity=continuity, control=control,
                                        control_description=control_description)
        except (TypeError, ValueError) as error:
            raise ValidationError([f"{where}: {error}"]) from None
        override = make_spec(TraceSpec, where, kind=kind, name=name, unit=unit, description=description,
                             conversion=conversion, offset=offset, options=options)
        kept = tuple(t for t in self._trace_overrides if t.kind != kind)
        return self._with(trace_overrides=(*kept, override))

    def include_background(self, include: bool = True) -> Self:
        """Also write background components (e.g. neuropil masks) and their traces."""
        return self._with(include_background=bool(include))

    def include_centroids(self, include: bool = True) -> Self:
        """Write ROI centroids (the extractor's, else the mask-weighted centre); default on."""
        return self._with(include_centroids=bool(include))

    def include_acceptance(self, include: bool = True) -> Self:
        """Write accepted / rejected status when the extractor has it; default on."""
        return self._with(include_acceptance=bool(include))

    def summary_images(
        self, *names: str, rename: Mapping[str, str] | None = None, describe: Mapping[str, str] | None = None
    ) -> Self:
        """Write only these summary images (default: all), optionally renamed (``rename={"mean": "MeanImage"}``)
        or described (``describe={"mean": "Mean of the registered frames."}``)."""
        selection = tuple(names) if names else self._images
        renamed = tuple(sorted({**dict(self._image_names), **dict(rename or {})}.items()))
        described = tuple(sorted({**dict(self._image_descriptions), **dict(describe or {})}.items()))
        return self._with(images=selection, image_names=renamed, image_descriptions=described)

    def to_dict(self) -> dict[str, Any]:
        """This builder as a plain mapping of its calls; rig, space and series are referred to by name."""
        from .mapping import segmentation_to_dict

        return segmentation_to_dict(self)

    @classmethod
    def from_dict(
        cls, name: str, data: Mapping[str, Any], *, rigs: Mapping[str, Any], spaces: Mapping[str, Any], series: Mapping[str, Any], base_folder: str | Path | None = None,
        where: str | None = None,
    ) -> Self:
        """The builder a mapping describes; names refer to the given builders, the extractor is created
        from ``{ClassName: {arguments}}`` with relative paths under ``base_folder``."""
        from .mapping import segmentation_from_dict

        return segmentation_from_dict(cls, name, data, where or f"segmentations.{name}", rigs=rigs, spaces=spaces, series=series, base_folder=base_folder)

    def _assemble(self, problems: list[str]) -> SegmentationSpec:
        where = f"segmentation {self.name!r}"
        series = resolve(self._series, f"{where}.series", problems)
        space = resolve(self._space, f"{where}.space", problems)
        rig = resolve(self._rig, f"{where}.rig", problems)
        if space is None and series is not None:
            space = series.space
        channel = self._channel
        if rig is not None and channel is None and len(rig.channels) == 1:
            channel = rig.channels[0].name
        return make_spec(
            SegmentationSpec,
            where,
            **self._spec_kwargs(),
            source=self._source,
            space=space,
            series=series,
            rig=rig,
            channel=channel,
            masks=self._masks,
            description=self._description,
            traces=self._traces,
            trace_overrides=self._trace_overrides,
            include_background=self._include_background,
            include_centroids=self._include_centroids,
            include_acceptance=self._include_acceptance,
            images=self._images,
            image_names=self._image_names,
            image_descriptions=self._image_descriptions,
        )
