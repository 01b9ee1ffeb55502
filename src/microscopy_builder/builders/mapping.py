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
from ..specs import IndicatorSpec, InjectionSpec, PositionSpec
from ..specs.rig import OPTICAL_SLOTS

ILLUMINATIONS = ("line_scan", "plane_acquisition", "random_access_scan")


def plain(value: Any) -> Any:
    """A spec, tuple or array as YAML-ready values (``None`` fields left out)."""
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
        out[field.alias or field.name] = plain(value)
    return out


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
    for slot, device in builder._devices:
        fields = spec_fields(device)
        if slot == "microscope" and fields.get("name") == builder.name:
            del fields["name"]
        out[slot] = fields
    if builder._channels:
        out["channels"] = [_channel_dict(c) for c in builder._channels]
    return out


def _channel_dict(channel: Any) -> dict[str, Any]:
    fields = spec_fields(channel)
    indicator = channel.indicator
    if indicator is not None and spec_fields(indicator) == {"label": indicator.label}:
        fields["indicator"] = indicator.label
    return fields


def rig_from_dict(cls: type, name: str, data: Mapping[str, Any], where: str) -> Any:
    data = _checked(data, where, ("key", "description", "microscope", *OPTICAL_SLOTS, "channels"))
    builder = cls(name, key=data.pop("key", None))
    if "description" in data:
        builder = builder.description(data.pop("description"))
    for slot in ("microscope", *OPTICAL_SLOTS):
        if slot in data:
            fields = _checked(data.pop(slot), f"{where}.{slot}", _device_fields(builder, slot))
            if slot != "microscope" and "name" not in fields:
                raise ValidationError([f"{where}.{slot}.name: required; name the device"])
            builder = getattr(builder, slot)(**fields)
    channels = data.pop("channels", [])
    if not isinstance(channels, list):
        raise ValidationError([f"{where}.channels: must be a list of channels"])
    for index, channel in enumerate(channels):
        fields = _checked(channel, f"{where}.channels[{index}]",
                          ("name", "excitation_wavelength_nm", "emission_wavelength_nm", "indicator", "description"))
        if "name" not in fields:
            raise ValidationError([f"{where}.channels[{index}].name: required; name the channel"])
        if isinstance(fields.get("indicator"), Mapping):
            fields["indicator"] = indicator_from_dict(fields["indicator"], f"{where}.channels[{index}].indicator")
        builder = builder.channel(fields.pop("name"), **fields)
    return builder


def _device_fields(builder: Any, slot: str) -> tuple[str, ...]:
    from ..specs import (
        DichroicMirrorSpec,
        ExcitationSourceSpec,
        MicroscopeSpec,
        ObjectiveLensSpec,
        OpticalFilterSpec,
        PhotodetectorSpec,
    )

    spec_class = {
        "microscope": MicroscopeSpec,
        "excitation_source": ExcitationSourceSpec,
        "excitation_filter": OpticalFilterSpec,
        "emission_filter": OpticalFilterSpec,
        "dichroic_mirror": DichroicMirrorSpec,
        "photodetector": PhotodetectorSpec,
        "objective_lens": ObjectiveLensSpec,
    }[slot]
    return tuple(f.alias or f.name for f in attrs.fields(spec_class) if f.init)


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
    data = _checked(data, where, ("key", "at_depth", "planar", "volumetric", "anatomical_target", "description",
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
