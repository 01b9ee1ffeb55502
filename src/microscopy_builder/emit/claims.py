"""Where a format puts every named object of a description, as :class:`~microscopy_builder.naming.Claim`\\ s.

What both formats share (devices and their models, series and segmentation placement, ROI table
columns, traces) is listed here once; each emitter adds what only its layout has through
``rig_claims``, ``series_claims`` and ``segmentation_claims``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..naming import Claim
from ..specs import TRACE_KINDS, DeviceModelSpec, RigSpec, SegmentationSpec, SeriesSpec
from ..specs.properties import column_keys
from ..specs.facts import is_segmentation_source, segmentation_facts

if TYPE_CHECKING:
    from .base import Emitter

CORE = "core"
#: columns every ROI table may get beside the type's own (acceptance, centroids, string ids)
FIXED_COLUMNS = ("Accepted", "Rejected", "ROICentroids", "roi_name")


def description_claims(
    emitter: Emitter, rigs: Sequence[RigSpec], series: Sequence[SeriesSpec], segmentations: Sequence[SegmentationSpec]
) -> list[Claim]:
    """Every name the emitter would write for these specs, with the group it goes in."""
    claims: list[Claim] = []
    model_names = dict(emitter.held_model_kinds())
    for rig in {r.key: r for r in (*rigs, *(s.rig for s in (*series, *segmentations) if s.rig is not None))}.values():
        claims += device_claims(rig, model_names)
        claims += emitter.rig_claims(rig)
    layout = emitter.plan_layout(series)
    for item in series:
        groups = layout.parents(item.key)
        top = groups[0] if groups else None
        name, identity = (top.name, ("group",) + top.identity) if top else (item.name, ("series", item.key))
        what = f"{top.kind} group {top.name!r}" if top else f"series {item.name!r}"
        claims.append(Claim(_place(item.location), name, what, identity, _module_type(item.location)))
        claims += emitter.series_claims(item)
    for segmentation in segmentations:
        claims += _segmentation_claims(emitter, segmentation)
    return claims


def device_claims(rig: RigSpec, model_names: dict[str, str]) -> list[Claim]:
    """Devices go in ``general/devices``, their models in ``general/devices/models``.

    ``model_names`` (NWB name -> model kind) is shared by every rig of a description, so the names
    claimed are the ones :func:`model_name` gives when the models are emitted.
    """
    claims = []
    for slot, device in rig.devices():
        what = f"{slot.replace('_', ' ')} {device.name!r} of rig {rig.name!r}"
        claims.append(Claim("general/devices", device.name, what, ("device", device.key)))
        model = device.model_spec()
        if model is not None:
            name = model_name(model, model_names)
            claims.append(Claim("general/devices/models", name, f"device model {name!r} of {what}",
                                ("device model", model.key)))
    return claims


def model_name(model: DeviceModelSpec, taken: dict[str, str]) -> str:
    """A device model's NWB name: its own, or with its kind appended when a model of another kind has that
    name (``taken`` maps NWB names to kinds and is updated)."""
    name = model.name
    if taken.get(name, model.device_kind) != model.device_kind:
        name = f"{model.name}_{model.device_kind}"
    taken.setdefault(name, model.device_kind)
    return name


def _segmentation_claims(emitter: Emitter, segmentation: SegmentationSpec) -> list[Claim]:
    container, table_type = emitter.segmentation_container(segmentation)
    claims = [Claim(_place("processing"), container, f"segmentation {segmentation.name!r}'s container",
                    ("container", container), _module_type("processing"))]
    tables = [(segmentation.name, f"segmentation {segmentation.name!r}")]
    if segmentation.include_background:
        tables.append((f"Background{segmentation.name}", f"background table of segmentation {segmentation.name!r}"))
    table_parent = f"the ROI table of segmentation {segmentation.name!r}"
    for name, what in tables:
        claims.append(Claim(f"processing/ophys/{container}", name, what, ("table", segmentation.key, name)))
    for column in FIXED_COLUMNS:
        claims.append(Claim(table_parent, column, f"column {column!r}", ("column", column), table_type))
    for original in segmentation_images(segmentation):
        written = segmentation.image_name(original)
        claims += emitter.image_claims(segmentation, written, table_parent, table_type)
    for kind in written_trace_kinds(segmentation):
        override = segmentation.trace_spec(kind)
        name = override.name or emitter.trace_name(segmentation, kind)
        parent, parent_type = emitter.trace_parent(segmentation, kind)
        claims.append(Claim(parent, name, f"{kind!r} traces of segmentation {segmentation.name!r}",
                            ("trace", segmentation.key, kind), parent_type))
    claims += emitter.segmentation_claims(segmentation, table_parent, table_type)
    return claims + property_claims(segmentation, table_parent, table_type)  # last: a clash names the property


def property_claims(segmentation: SegmentationSpec, table: str, table_type: tuple[str, str]) -> list[Claim]:
    """A column per per-ROI property, named as its key (see ``specs.properties``)."""
    if not is_segmentation_source(segmentation.source):
        return []
    facts = segmentation_facts(segmentation.source)
    keys = column_keys(facts, acceptance=segmentation.include_acceptance, centroids=segmentation.include_centroids,
                       axes=len(facts.mask_shape))
    return [
        Claim(table, key, f"ROI property {key!r} of the extractor of segmentation {segmentation.name!r}",
              ("property", key), table_type,
              fix=f"rename the property in the extractor; every property becomes a column named as its key, and "
                  f"{key!r} cannot be one here")
        for key in keys if isinstance(key, str)
    ]


def written_trace_kinds(segmentation: SegmentationSpec) -> list[str]:
    """Trace kinds the extractor has (non-empty arrays) that the segmentation selects."""
    available = set(segmentation_facts(segmentation.source).traces)
    selected = segmentation.traces or TRACE_KINDS
    if not segmentation.include_background:
        available.discard("background")
    return [kind for kind in TRACE_KINDS if kind in available and kind in selected]


def segmentation_images(segmentation: SegmentationSpec) -> list[str]:
    """Names (as the extractor has them) of the summary images to write."""
    images = segmentation_facts(segmentation.source).images
    selected = segmentation.images if segmentation.images is not None else tuple(images)
    return [name for name in selected if name in images]


def _place(location: str) -> str:
    return "acquisition" if location == "acquisition" else "processing/ophys"


def _module_type(location: str) -> tuple[str, str] | None:
    return None if location == "acquisition" else (CORE, "ProcessingModule")
