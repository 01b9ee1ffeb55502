"""Imaging spaces read back as ``ImagingSpaceBuilder`` chains, from either layout.

A space's description holds its words and the facts its format has no field for (see
:mod:`.space_text`); those are read back only when writing the space again gives exactly the
stored description, else the description stays as it is. A plane of a multi-plane recording
(``plane of space: V1 at depth 150 um``) comes back as ``base.at_depth(150)``.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from ..builders import ImagingSpaceBuilder
from ..errors import ValidationError
from ..unknown import UNKNOWN
from .described import written_position
from .devices import plain, stereotactic
from .emitted import PLACEHOLDER_TEXT, join_description, space_text
from .space_text import SpaceText, read_space_text

#: ndx-microscopy illumination pattern types -> (builder method, {stored attribute: argument})
ILLUMINATIONS = {
    "LineScan": ("line_scan", {"line_rate_in_Hz": "line_rate_hz", "dwell_time_in_s": "dwell_time_s",
                               "scan_direction": "scan_direction"}),
    "PlaneAcquisition": ("plane_acquisition", {"plane_rate_in_Hz": "plane_rate_hz",
                                               "illumination_angle_in_degrees": "illumination_angle_deg",
                                               "point_spread_function": "point_spread_function"}),
    "RandomAccessScan": ("random_access_scan", {"max_scan_points": "max_scan_points", "dwell_time_in_s": "dwell_time_s",
                                                "scanning_pattern": "scanning_pattern"}),
}


@attrs.frozen
class SpaceFields:
    """What a space says, before its description is settled: grid, target, position, pattern."""

    name: str
    volumetric: bool
    size: Any  # tuple of um, or mb.UNKNOWN
    dimensions: tuple[int, ...] | None = None
    target: Any = None
    fov_center: Any = None
    illumination: tuple[str, dict[str, Any]] | None = None


def ndx_space(space: Any) -> tuple[ImagingSpaceBuilder, SpaceText]:
    """A ``PlanarImagingSpace`` / ``VolumetricImagingSpace`` as a builder."""
    volumetric = type(space).__name__.startswith("Volumetric")
    size = plain(space.voxel_size_in_um if volumetric else space.pixel_size_in_um)
    target = plain(space.anatomical_target)
    position = space.fields.get("fov_center_coordinates")
    fields = SpaceFields(  # dimensions are those of the data on the space: left to be taken from it again
        space.name, volumetric, size,
        target=target,
        fov_center=None if position is None else stereotactic(position),
        illumination=illumination_call(space.fields.get("illumination_pattern")),
    )
    return settled(fields, plain(space.description), origin_in_text=True)


def illumination_call(pattern: Any) -> tuple[str, dict[str, Any]] | None:
    """(builder method, arguments) of a stored illumination pattern; an emitter's placeholder is ``mb.UNKNOWN``."""
    if pattern is None:
        return None
    method, attributes = ILLUMINATIONS.get(type(pattern).__name__, ("illumination", {}))
    arguments = {argument: plain(pattern.fields.get(stored)) for stored, argument in attributes.items()}
    arguments = {name: value for name, value in arguments.items() if value is not None}
    description = plain(pattern.description)
    if method == "illumination":  # the emitters' placeholder for a pattern not given is not given
        return None if description is UNKNOWN else (method, {"description": description})
    facts = [(name, _written(value)) for name, value in arguments.items()]
    default = join_description(method.replace("_", " ").capitalize(), extra=facts)
    if description is not None and description != default:
        arguments["description"] = description
    return method, arguments


def settled(fields: SpaceFields, description: str | None, *, origin_in_text: bool = False,
            fov_center_in_text: bool = False, extra: list[tuple[str, str]] = ()) -> tuple[ImagingSpaceBuilder, SpaceText]:
    """The builder of a space whose stored ``description`` ``space_text`` wrote, with the facts read from it.

    When writing the builder again would not give ``description`` back, the description is kept
    whole as the space's words.
    """
    parts = read_space_text(description)
    builder = _builder(fields, parts)
    if _writes(builder, description, origin_in_text=origin_in_text, fov_center_in_text=fov_center_in_text, extra=extra):
        return builder, parts
    whole = SpaceText(description)
    return _builder(fields, whole), whole


def _builder(fields: SpaceFields, parts: SpaceText) -> ImagingSpaceBuilder:
    base_name, depth = parts.depth if parts.depth is not None else (fields.name, None)
    builder = ImagingSpaceBuilder(base_name)
    if fields.volumetric:
        builder = builder.volumetric(voxel_size_um=fields.size, dimensions_in_voxels=fields.dimensions)
    else:
        builder = builder.planar(pixel_size_um=fields.size, dimensions_in_pixels=fields.dimensions)
    if fields.target is not None:
        builder = builder.anatomical_target(fields.target)
    center = fields.fov_center if fields.fov_center is not None else parts.fov_center
    if center is not None:
        builder = builder.fov_center(**{f.name: getattr(center, f.name) for f in attrs.fields(type(center))})
    if parts.origin is not None:
        origin = parts.origin
        builder = builder.origin(origin.coordinates, unit=origin.unit, reference_frame=origin.reference_frame)
    if fields.illumination is not None:
        method, arguments = fields.illumination
        builder = getattr(builder, method)(**arguments)
    default = _default_words(fields, depth is not None)
    if parts.words is not None and parts.words.rstrip(".") != default:
        builder = builder.description(parts.words)
    if depth is not None:
        default_name = f"{base_name}_{depth:g}um"
        builder = builder.at_depth(depth, name=None if fields.name == default_name else fields.name)
    return builder


def _default_words(fields: SpaceFields, plane: bool) -> str:
    kind = "Volumetric" if fields.volumetric else "Planar"
    target = PLACEHOLDER_TEXT if fields.target is UNKNOWN else fields.target
    return f"{kind} imaging space {fields.name}" + (f" in {target}" if target else "")


def _writes(builder: ImagingSpaceBuilder, description: str | None, **options: Any) -> bool:
    """Whether ``builder``'s space is written with exactly ``description``."""
    try:
        spec = builder.build()
    except ValidationError:
        return False
    size = spec.pixel_size_um
    written = attrs.evolve(
        spec,
        pixel_size_um=(math.nan,) * spec.ndim if size is UNKNOWN else tuple(_written(v) for v in size),
        anatomical_target=PLACEHOLDER_TEXT if spec.anatomical_target is UNKNOWN else spec.anatomical_target,
        fov_center=None if spec.fov_center is None else written_position(spec.fov_center),
    )
    return space_text(written, **options) == description


def _written(value: Any) -> Any:
    return math.nan if value is UNKNOWN else value
