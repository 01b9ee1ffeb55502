"""Builders as plain mappings and back: the form session files (YAML) take.

Each mapping names the builder calls it stands for (``microscope``, ``emission_filter``,
``channels``, ``planar``, ``line_scan``, ...) with their keyword arguments, so a file reads like
the Python chain and maps one-to-one onto it. Values are plain YAML types (text, numbers, lists,
mappings); nested values (indicators, injections, positions) are mappings of their fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..specs import ChannelSpec, IndicatorSpec, InjectionSpec, PositionSpec
from ..unknown import UNKNOWN, UNKNOWN_TEXT
from ..specs.rig import OPTICAL_SLOTS
from . import schema
from .sources import extractor_from_dict, extractor_to_dict

ILLUMINATIONS = ("line_scan", "plane_acquisition", "random_access_scan")


def from_text(value: Any) -> Any:
    """A mapping read from a file, with every ``UNKNOWN`` text (at any depth) as ``mb.UNKNOWN``."""
    if isinstance(value, str) and value == UNKNOWN_TEXT:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {name: from_text(item) for name, item in value.items()}
    if isinstance(value, list):
        return [from_text(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """A spec, tuple or array as YAML-ready values (``None`` fields left out; ``mb.UNKNOWN`` as ``UNKNOWN``)."""
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if attrs.has(type(value)):
        return spec_fields(value)
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def spec_fields(spec: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A spec's given fields by argument name; ``key`` only when it differs from the name."""
    out = {}
    for field in attrs.fields(type(spec)):
        if not field.init or field.name in skip:
            continue
        value = getattr(spec, field.name)
        if value is None or (field.name == "key" and value in (getattr(spec, "name", None), getattr(spec, "label", None))):
            continue
        if isinstance(field.default, attrs.Factory) and field.name != "key" and _derived(spec, field.name):
            continue  # the spec derives it (e.g. a band filter's type): leave it to be derived again
        out[field.alias or field.name] = plain(value)
    return out


def _derived(spec: Any, name: str) -> bool:
    """Whether a field's value is what the spec derives when the field is not given."""
    given = {f.alias or f.name: getattr(spec, f.name) for f in attrs.fields(type(spec)) if f.init and f.name != name}
    try:
        return getattr(type(spec)(**given), name) == getattr(spec, name)
    except (TypeError, ValueError):
        return False


def _checked(data: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError([f"{where}: must be a mapping of fields, got {type(data).__name__}"])
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValidationError([f"{where}: unknown field(s) {', '.join(map(str, unknown))}; known fields are {', '.join(known)}"])
    return dict(data)


# -- rigs -----------------------------------------------------------------------------------------------
def rig_to_dict(builder: Any) -> dict[str, Any]:
    out: dict[str, Any] = {} if builder.key is None else {"key": builder.key}
    if builder._description is not None:
        out["description"] = builder._description
    if builder._optical_path_scheme is not None:
        out["optical_path_scheme"] = builder._optical_path_scheme
    for slot, device in builder._devices:
        fields = spec_fields(device)
        if slot == "microscope" and fields.get("name") == builder.name:
            del fields["name"]
        if slot in out:  # several devices of one kind: a list of them
            out[slot] = [*(out[slot] if isinstance(out[slot], list) else [out[slot]]), fields]
        else:
            out[slot] = fields
    if builder._channels:
        out["channels"] = [_channel_dict(c) for c in builder._channels]
    return out


def _channel_dict(channel: Any) -> dict[str, Any]:
    fields = spec_fields(channel)
    indicator = channel.indicator
    if isinstance(indicator, IndicatorSpec) and spec_fields(indicator) == {"label": indicator.label}:
        fields["indicator"] = indicator.label
    return fields


def rig_from_dict(cls: type, name: str, data: Mapping[str, Any], where: str) -> Any:
    schema.validate(schema.RIG, data, where)
    data = _checked(data, where, ("key", "description", "optical_path_scheme", "microscope", *OPTICAL_SLOTS, "channels"))
    builder = cls(name, key=data.pop("key", None))
    for field in ("description", "optical_path_scheme"):
        if field in data:
            builder = getattr(builder, field)(data.pop(field))
    for slot in ("microscope", *OPTICAL_SLOTS):
        if slot not in data:
            continue
        given = data.pop(slot)
        entries = list(enumerate(given)) if isinstance(given, list) else [(None, given)]
        for index, entry in entries:
            place = f"{where}.{slot}" if index is None else f"{where}.{slot}[{index}]"
            fields = _checked(from_text(entry), place, _device_fields(builder, slot))
            if slot != "microscope" and "name" not in fields:
                raise ValidationError([f"{place}.name: required; name the device"])
            if isinstance(fields.get("lens_position"), Mapping):
                fields["lens_position"] = position_from_dict(fields["lens_position"], f"{place}.lens_position")
            builder = getattr(builder, slot)(**fields)
    channels = data.pop("channels", [])
    if not isinstance(channels, list):
        raise ValidationError([f"{where}.channels: must be a list of channels"])
    channel_fields = tuple(f.name for f in attrs.fields(ChannelSpec) if f.init)
    for index, channel in enumerate(channels):
        fields = _checked(from_text(channel), f"{where}.channels[{index}]", channel_fields)
        if "name" not in fields:
            raise ValidationError([f"{where}.channels[{index}].name: required; name the channel"])
        if isinstance(fields.get("indicator"), Mapping):
            fields["indicator"] = indicator_from_dict(fields["indicator"], f"{where}.channels[{index}].indicator")
        builder = builder.channel(fields.pop("name"), **fields)
    return builder


def _device_fields(builder: Any, slot: str) -> tuple[str, ...]:
    return tuple(f.alias or f.name for f in attrs.fields(schema.DEVICE_SPECS[slot]) if f.init)


def indicator_from_dict(data: Mapping[str, Any], where: str) -> IndicatorSpec:
    fields = _checked(data, where, tuple(f.name for f in attrs.fields(IndicatorSpec)))
    if isinstance(fields.get("injection"), Mapping):
        injection = _checked(fields["injection"], f"{where}.injection", tuple(f.name for f in attrs.fields(InjectionSpec)))
        if isinstance(injection.get("position"), Mapping):
            injection["position"] = position_from_dict(injection["position"], f"{where}.injection.position")
        fields["injection"] = _construct(InjectionSpec, injection, f"{where}.injection")
    return _construct(IndicatorSpec, fields, where)


def position_from_dict(data: Mapping[str, Any], where: str) -> PositionSpec:
    return _construct(PositionSpec, _checked(data, where, tuple(f.name for f in attrs.fields(PositionSpec))), where)


def _construct(spec_class: type, fields: dict[str, Any], where: str) -> Any:
    try:
        return spec_class(**fields)
    except (TypeError, ValueError) as error:
        raise ValidationError([f"{where}: {error}"]) from None


# -- imaging spaces -------------------------------------------------------------------------------------------
def space_to_dict(builder: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if builder._base is not None:
        base_key, base_name = builder._base
        out["at_depth"] = {"base": base_name, "depth_um": builder._depth_um}
        if base_key != base_name:
            out["at_depth"]["base_key"] = base_key
    if builder._base is None and builder.key is not None:
        out["key"] = builder.key
    elif builder._base is not None and builder.key != f"{builder._base[0]}_{float(builder._depth_um):g}um":
        out["key"] = builder.key
    if builder._pixel_size_um is not None:
        volumetric = builder._geometry == "volumetric"
        grid = {("voxel_size_um" if volumetric else "pixel_size_um"): list(builder._pixel_size_um)}
        if builder._dimensions is not None:
            grid["dimensions_in_voxels" if volumetric else "dimensions_in_pixels"] = list(builder._dimensions)
        out[builder._geometry] = grid
    for field in ("anatomical_target", "description"):
        if getattr(builder, f"_{field}") is not None:
            out[field] = getattr(builder, f"_{field}")
    if builder._fov_center is not None:
        out["fov_center"] = spec_fields(builder._fov_center)
    if builder._origin is not None:
        out["origin"] = spec_fields(builder._origin)
    if builder._illumination is not None:
        kind = builder._illumination.kind
        fields = spec_fields(builder._illumination)
        out[kind if kind in ILLUMINATIONS else "illumination"] = fields if kind in ILLUMINATIONS else fields.get("description")
    return out


def space_from_dict(cls: type, name: str, data: Mapping[str, Any], where: str) -> Any:
    schema.validate(schema.SPACE, data, where)
    data = _checked(from_text(data), where, ("key", "at_depth", "planar", "volumetric", "anatomical_target", "description",
                                  "fov_center", "origin", "illumination", *ILLUMINATIONS))
    depth = data.pop("at_depth", None)
    if depth is not None:
        depth = _checked(depth, f"{where}.at_depth", ("base", "base_key", "depth_um"))
        builder = cls(depth.get("base", name), key=depth.get("base_key"))
    else:
        builder = cls(name, key=data.pop("key", None))
    for geometry in ("planar", "volumetric"):
        if geometry in data:
            builder = getattr(builder, geometry)(**_checked(data.pop(geometry), f"{where}.{geometry}",
                                                         ("pixel_size_um", "dimensions_in_pixels") if geometry == "planar"
                                                         else ("voxel_size_um", "dimensions_in_voxels")))
    for field in ("anatomical_target", "description", "illumination"):
        if field in data:
            builder = getattr(builder, field)(data.pop(field))
    if "fov_center" in data:
        builder = builder.fov_center(**_checked(data.pop("fov_center"), f"{where}.fov_center",
                                                tuple(f.name for f in attrs.fields(PositionSpec))))
    if "origin" in data:
        builder = builder.origin(**_checked(data.pop("origin"), f"{where}.origin", ("coordinates", "unit", "reference_frame")))
    for kind in ILLUMINATIONS:
        if kind in data:
            builder = getattr(builder, kind)(**dict(data.pop(kind) or {}))
    if depth is not None:
        if "depth_um" not in depth:
            raise ValidationError([f"{where}.at_depth.depth_um: required; give the plane's depth in micrometres"])
        builder = builder.at_depth(depth["depth_um"], name=name, key=data.pop("key", None))
    return builder


# -- series and segmentations ------------------------------------------------------------------------------
def _sourced(builder: Any, data: Mapping[str, Any], where: str, base_folder: Any, kind: str) -> Any:
    """``builder`` reading the extractor ``data`` names, remembering how the file described it."""
    if "extractor" not in data:
        return builder
    source = extractor_from_dict(data["extractor"], f"{where}.extractor", base_folder, kind)
    return builder.from_extractor(source)._with(described_source=dict(data["extractor"]))


def _sourced_dict(builder: Any, where: str) -> dict[str, Any]:
    """The key and extractor of a series or segmentation builder, as a mapping."""
    out: dict[str, Any] = {} if builder.key is None else {"key": builder.key}
    if builder._source is not None:
        out["extractor"] = extractor_to_dict(builder._source, builder._described_source, where)
    return out


def _name_of(value: Any) -> Any:
    return None if value is None else value.name


def series_to_dict(builder: Any) -> dict[str, Any]:
    out = _sourced_dict(builder, f"series.{builder.name}")
    for field in ("rig", "space"):
        if getattr(builder, f"_{field}") is not None:
            out[field] = _name_of(getattr(builder, f"_{field}"))
    if builder._channel is not None:
        out["channel"] = builder._channel
    if builder._description is not None:
        out["description"] = builder._description
    unit, conversion, offset = builder._unit
    if (unit, conversion, offset) != ("n.a.", 1.0, 0.0):
        out["unit"] = {"unit": unit, "conversion": conversion, "offset": offset}
    if builder._location == "processing":
        out["in_processing"] = True
    if builder._timestamps is not None:
        out["timestamps"] = plain(builder._timestamps)
    if builder._rate is not None:
        rate, starting_time = builder._rate
        out["rate"] = {"rate_hz": rate} if starting_time is None else {"rate_hz": rate, "starting_time": starting_time}
    if builder._legacy_type is not None:
        out["legacy_type"] = builder._legacy_type
    grouped, planes, channels = builder._grouping
    if not grouped:
        out["grouped"] = False
    elif planes is not None or channels is not None:
        out["grouped"] = {k: v for k, v in (("planes", planes), ("channels", channels)) if v is not None}
    out.update(plain(builder._options))
    return out


def _lookup(table: Mapping[str, Any], name: Any, where: str, kind: str) -> Any:
    if name not in table:
        raise ValidationError([f"{where}: no {kind} named {name!r} in the file (its {kind}s: {', '.join(map(str, table)) or 'none'})"])
    return table[name]


def series_from_dict(cls: type, name: str, data: Mapping[str, Any], where: str, *, rigs: Mapping[str, Any],
                     spaces: Mapping[str, Any], base_folder: Any = None) -> Any:
    schema.validate(schema.SERIES, data, where)
    data = _checked(data, where, ("key", "extractor", "rig", "channel", "space", "description", "unit",
                                  "in_processing", "timestamps", "rate", "legacy_type", "grouped", *SERIES_OPTIONS))
    builder = _sourced(cls(name, key=data.get("key")), data, where, base_folder, "imaging")
    if "rig" in data:
        builder = builder.rig(_lookup(rigs, data["rig"], f"{where}.rig", "rig"))
    if "space" in data:
        builder = builder.space(_lookup(spaces, data["space"], f"{where}.space", "space"))
    for field in ("channel", "description", "legacy_type"):
        if field in data:
            builder = getattr(builder, field)(data[field])
    if "unit" in data:
        builder = builder.unit(**_checked(data["unit"], f"{where}.unit", ("unit", "conversion", "offset")))
    if data.get("in_processing"):
        builder = builder.in_processing()
    if "timestamps" in data:
        builder = builder.timestamps(data["timestamps"])
    if "rate" in data:
        rate = _checked(data["rate"], f"{where}.rate", ("rate_hz", "starting_time"))
        builder = builder.rate(rate.get("rate_hz"), starting_time=rate.get("starting_time"))
    for field in ("resolution", "comments", "continuity"):
        if field in data:
            builder = getattr(builder, field)(data[field])
    if "control" in data:
        builder = builder.control(data["control"], data.get("control_description") or ())
    grouped = data.get("grouped", True)
    if grouped is False:
        builder = builder.ungrouped()
    elif isinstance(grouped, Mapping):
        builder = builder.grouped(**_checked(grouped, f"{where}.grouped", ("planes", "channels")))
    return builder


TRACE_FIELDS = ("name", "unit", "description", "conversion", "offset", "resolution", "comments", "continuity", "control",
                "control_description")
SERIES_OPTIONS = ("resolution", "comments", "continuity", "control", "control_description")


def segmentation_to_dict(builder: Any) -> dict[str, Any]:
    out = _sourced_dict(builder, f"segmentations.{builder.name}")
    for field in ("series", "space", "rig"):
        if getattr(builder, f"_{field}") is not None:
            out[field] = _name_of(getattr(builder, f"_{field}"))
    for field in ("channel", "masks", "description"):
        if getattr(builder, f"_{field}") is not None:
            out[field] = getattr(builder, f"_{field}")
    if builder._traces is not None:
        out["traces"] = list(builder._traces)
    if builder._trace_overrides:
        out["trace"] = {t.kind: _trace_dict(t) for t in builder._trace_overrides}
    for field, default in (("include_background", False), ("include_centroids", True), ("include_acceptance", True)):
        if getattr(builder, f"_{field}") != default:
            out[field] = getattr(builder, f"_{field}")
    if builder._images is not None:
        out["summary_images"] = list(builder._images)
    if builder._image_names:
        out["rename_images"] = dict(builder._image_names)
    if builder._image_descriptions:
        out["describe_images"] = dict(builder._image_descriptions)
    return out


def _trace_dict(trace: Any) -> dict[str, Any]:
    """A trace override's given fields, its options among them; conversion 1 and offset 0 left out."""
    fields = {k: v for k, v in spec_fields(trace, skip=("kind", "options")).items()
              if (k, v) not in (("conversion", 1.0), ("offset", 0.0))}
    return {**fields, **plain(trace.options)}


def segmentation_from_dict(cls: type, name: str, data: Mapping[str, Any], where: str, *, rigs: Mapping[str, Any],
                           spaces: Mapping[str, Any], series: Mapping[str, Any], base_folder: Any = None) -> Any:
    schema.validate(schema.SEGMENTATION, data, where)
    data = _checked(data, where, ("key", "extractor", "series", "space", "rig", "channel", "masks", "description",
                                  "traces", "trace", "include_background", "include_centroids", "include_acceptance",
                                  "summary_images", "rename_images", "describe_images"))
    builder = _sourced(cls(name, key=data.get("key")), data, where, base_folder, "segmentation")
    if "series" in data:
        builder = builder.series(_lookup(series, data["series"], f"{where}.series", "series"))
    if "space" in data:
        builder = builder.space(_lookup(spaces, data["space"], f"{where}.space", "space"))
    if "rig" in data:
        builder = builder.rig(_lookup(rigs, data["rig"], f"{where}.rig", "rig"), data.get("channel"))
    for field in ("masks", "description"):
        if field in data:
            builder = getattr(builder, field)(data[field])
    if "traces" in data:
        builder = builder.traces(*data["traces"])
    for kind, fields in dict(data.get("trace") or {}).items():
        builder = builder.trace(kind, **_checked(fields, f"{where}.trace.{kind}", TRACE_FIELDS))
    for field in ("include_background", "include_centroids", "include_acceptance"):
        if field in data:
            builder = getattr(builder, field)(bool(data[field]))
    if "summary_images" in data or "rename_images" in data or "describe_images" in data:
        builder = builder.summary_images(*data.get("summary_images", ()), rename=data.get("rename_images"),
                                         describe=data.get("describe_images"))
    return builder
