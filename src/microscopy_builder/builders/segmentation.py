"""``SegmentationBuilder``: a roiextractors segmentation result on an imaging space."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec, TraceSpec
from .methods import SegmentationMethods
from .base import Builder, channel_of, declare
from .calls import Custom, Item, Param, Set, arg, option
from .mapping import ByKey, Extractor, Flat
from .recorded import header_traces
from .rig import RigBuilder
from .series import SeriesBuilder, from_extractor, source_param
from .space import ImagingSpaceBuilder

NUMPY_ADVICE = ("make a roiextractors extractor of it: roiextractors.NumpySegmentationExtractor(image_masks=..., "
                "raw=..., sampling_frequency=...)")


def _summary_images(builder: Any, names: tuple[str, ...], rename: Mapping[str, str] | None,
                    describe: Mapping[str, str] | None) -> Any:
    """Select images (``names``: the selection so far when none), and add to their new names and descriptions."""
    def merged(field: str, more: Mapping[str, str] | None) -> dict[str, str] | None:
        return {**dict(builder.draft.get(field) or {}), **dict(more or {})} or None

    return builder.with_fields({"images": tuple(names) if names else builder.draft.get("images"),
                                "image_names": merged("image_names", rename),
                                "image_descriptions": merged("image_descriptions", describe)})


def _include(what: str, field: str) -> Set:
    return Set(field, f"Whether to write {what}.", (Param("include", field, True),))


@declare
@attrs.frozen
class SegmentationBuilder(SegmentationMethods, Builder):
    """Describe a segmentation with chained calls; ``build()`` gives a ``SegmentationSpec``.

    By default everything the extractor has is written: every non-empty trace type, every summary
    image, acceptance and centroids; background components only when asked for. The methods and
    their parameters are listed in ``docs/fields.md``.

    Examples
    --------
    >>> segmentation = (SegmentationBuilder("PlaneSegmentation")
    ...                 .from_extractor(segmentation_extractor)
    ...                 .space(space).series(series)
    ...                 .masks("image"))  # doctest: +SKIP
    """

    spec_class = SegmentationSpec
    derived_from = {"series": ("space",), "rig": ("channel",)}
    label = "segmentation"
    section = "segmentations"
    calls = (
        Custom("from_extractor", "The data: any roiextractors SegmentationExtractor (Suite2p, CaImAn, EXTRACT, ...).",
               (source_param("segmentation", "A roiextractors SegmentationExtractor"),),
               function=lambda builder, source: from_extractor(builder, source, NUMPY_ADVICE),
               form=Extractor("segmentation")),
        Set("series", "The imaging series the segmentation was computed from (linked from the traces).",
            (arg("series", annotation=SeriesBuilder | SeriesSpec, refers_to="series"),)),
        Set("space", "The imaging space the ROIs lie in (default: the series' space).",
            (arg("space", annotation=ImagingSpaceBuilder | ImagingSpaceSpec, refers_to="spaces"),)),
        Set("rig", "The rig (and channel) the data was recorded with, when no series is given: the legacy format "
            "places ROIs on the ImagingPlane of a (space, rig, channel).",
            (arg("rig", annotation=RigBuilder | RigSpec, refers_to="rigs"), Param("channel", "channel", None)),
            form=Flat()),
        Set("masks", "The kind of ROI masks: 'image' (one frame-sized image per ROI), 'pixel' or 'voxel' (sparse "
            "lists); default: image masks in the legacy format, the extractor's own kind in ndx-microscopy.",
            (arg("mask_type", "masks"),)),
        Set("description", "Describe the segmentation (algorithm, version, parameters).", (arg("text", "description"),)),
        Set("traces", "Write only these trace types; default: every one the extractor has.",
            (Param("kinds", "traces", (), "varargs"),)),
        Item("trace", "Rename or re-describe one trace type: its unit (default 'n.a.'), with value * conversion + "
             "offset in that unit, and NWB's resolution, comments, continuity (ndx-microscopy only) and control.",
             form=ByKey("trace"), spec=TraceSpec, into="trace_overrides", key="kind", positional=("kind",),
             expand=("options",), at="traces[{key!r}]"),
        _include("background components (e.g. neuropil masks) and their traces", "include_background"),
        _include("ROI centroids (the extractor's, else the mask-weighted centre); default on", "include_centroids"),
        _include("accepted / rejected status when the extractor has it; default on", "include_acceptance"),
        Custom("summary_images", "Write only these summary images (default: all), optionally renamed "
               "(rename={'mean': 'MeanImage'}) or described (describe={'mean': 'Mean of the registered frames.'}).",
               (Param("names", "images", (), "varargs", file_key="summary_images"),
                option("rename", "image_names", file_key="rename_images"),
                option("describe", "image_descriptions", file_key="describe_images")),
               function=_summary_images, form=Flat()),
    )

    described_source: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True, eq=False)

    def _derived(self, fields: dict[str, Any]) -> dict[str, Any]:
        space = fields.get("space")
        if space is None and fields.get("series") is not None:
            space = fields["series"].space
        fields = {**fields, "space": space, "channel": channel_of(fields.get("rig"), fields.get("channel"))}
        if self.recorded is None or not self.recorded.raw:
            return fields
        return {**fields, "trace_overrides": header_traces(fields, self.recorded)}  # the header kept with the traces
