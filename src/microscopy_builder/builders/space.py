"""``ImagingSpaceBuilder``: the region imaged, its pixel grid, location and illumination."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import attrs

from ..specs import (
    IlluminationSpec,
    ImagingSpaceSpec,
    LineScanSpec,
    OriginSpec,
    PlaneAcquisitionSpec,
    PositionSpec,
    RandomAccessScanSpec,
)
from . import schema
from .methods import ImagingSpaceMethods
from .base import Builder, declare
from .calls import REQUIRED, Call, Custom, Item, Set, arg, option
from ..specs.header_notes import remember
from .mapping import Auto, Context
from .recorded import fill_space, with_recorded


def _at_depth(builder: Any, depth_um: float, name: str | None, key: str | None) -> Any:
    """The plane at ``depth_um`` of the space ``builder`` describes (of its base, when it is a plane itself)."""
    base_key = builder.draft.get("base_key") or builder.key or builder.name
    base_name = builder.draft.get("base_name") or builder.name
    label = f"{float(depth_um):g}um"
    plane = attrs.evolve(builder, name=name or f"{base_name}_{label}", key=key or f"{base_key}_{label}")
    return plane.with_fields({"base_key": base_key, "base_name": base_name, "depth_um": depth_um})


@attrs.frozen
class AtDepth:
    """A plane at depth: ``at_depth: {base: V1, depth_um: 150}`` (``base_key`` when it differs from the base's
    name); the mapping's own name and ``key`` are the plane's."""

    def keys(self, call: Call) -> tuple[str, ...]:
        return ("at_depth",)

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        return {"at_depth": schema.fields({"base": schema.text, "base_key": schema.optional(schema.text),
                                           "depth_um": schema.number},
                                          required={"depth_um": "give the plane's depth in micrometres"})}

    def export(self, call: Call, builder: Any) -> dict[str, Any]:
        base_key, base_name, depth = (builder.draft.get(f) for f in ("base_key", "base_name", "depth_um"))
        if base_key is None:
            return {}
        at_depth = {"base": base_name, "depth_um": depth, **({"base_key": base_key} if base_key != base_name else {})}
        derived_key = builder.key == f"{base_key}_{float(depth):g}um"
        return {"at_depth": at_depth, **({"key": None} if derived_key else {})}

    def load(self, call: Call, builder: Any, data: Mapping[str, Any], where: str, context: Context) -> Any:
        depth = data.get("at_depth")
        if depth is None:
            return builder
        base = attrs.evolve(builder, name=depth.get("base", builder.name), key=depth.get("base_key"))
        return base.at_depth(depth["depth_um"], name=builder.name, key=data.get("key"))


def _illumination(name: str, spec: type) -> Item:
    return Item(name, form=Auto(null=True), spec=spec, into="illumination", positional=())


@declare
class ImagingSpaceBuilder(ImagingSpaceMethods, Builder):
    """Describe an imaging space with chained calls; ``build()`` gives an ``ImagingSpaceSpec``.

    Sizes and dimensions are (x, y) = (width, height) for a plane, (x, y, z) for a volume. The
    methods and their parameters are listed in ``docs/fields.md``.

    Examples
    --------
    >>> space = (ImagingSpaceBuilder("V1_L23")
    ...          .planar(pixel_size_um=(1.2, 1.2))
    ...          .anatomical_target("VISp2/3")
    ...          .line_scan(line_rate_hz=7910.0))
    """

    spec_class = ImagingSpaceSpec
    label = "space"
    section = "spaces"
    calls = (
        Set("planar", "A plane imaged on a pixel grid; dimensions left out are taken from the series' data.", (
            option("pixel_size_um", default=REQUIRED, annotation=tuple[float, float], items=("x", "y"),
                   doc="The size of a pixel, (x, y) = (width, height)"),
            option("dimensions_in_pixels", "dimensions", annotation=tuple[int, int], items=("x", "y"),
                   label="dimensions_in_pixels", doc="Pixels of the grid, (x, y) = (width, height)")),
            constants=(("geometry", "planar"),)),
        Set("volumetric", "A volume imaged on a voxel grid (piezo or tunable-lens z-scans, light sheet); "
            "dimensions left out are taken from the series' data.", (
                option("voxel_size_um", "pixel_size_um", REQUIRED, annotation=tuple[float, float, float],
                       items=("x", "y", "z"), label="voxel_size_um", doc="The size of a voxel, (x, y, z) = (width, height, depth)"),
                option("dimensions_in_voxels", "dimensions", annotation=tuple[int, int, int], items=("x", "y", "z"),
                       label="dimensions_in_voxels", doc="Voxels of the grid, (x, y, z) = (width, height, depth)")),
            constants=(("geometry", "volumetric"),)),
        Set("anatomical_target", "The region imaged; for mice an Allen CCF acronym such as 'VISp2/3'.",
            (arg("target", "anatomical_target"),)),
        Set("description", "Describe the space (preparation, depth below the surface, ...).", (arg("text", "description"),)),
        Item("fov_center", "The stereotactic position of the centre of the field of view (z_mm: the imaging depth); "
             "without an orientation, ndx-microscopy's required one is written as a reported placeholder.",
             spec=PositionSpec, into="fov_center", positional=()),
        Item("origin", "The physical location of the first pixel, its unit and the frame it is given in.",
             spec=OriginSpec, into="origin", positional=("coordinates",)),
        _illumination("line_scan", LineScanSpec),
        _illumination("plane_acquisition", PlaneAcquisitionSpec),
        _illumination("random_access_scan", RandomAccessScanSpec),
        Item("illumination", "An illumination pattern none of the named ones fits, described in words.",
             spec=IlluminationSpec, into="illumination", positional=("description",), required=("description",),
             at="illumination_pattern"),
        Custom("at_depth", "The plane of this planar space at depth_um, one plane of a multi-plane recording: it "
               "keeps the space's grid, target and illumination; its name and key say the depth ('V1_L23_150um') "
               "unless given.", (
                   arg("depth_um"),
                   option("name", doc="The plane's name (default: the space's name and the depth)"),
                   option("key", doc="The plane's key (default: the space's key and the depth)")),
               function=_at_depth, form=AtDepth()),
    )

    def from_source(self, metadata: Any) -> Self:
        """Take what the acquisition header records as defaults: the pixel (or voxel) size, the grid's
        dimensions, the origin (the stage position, in micrometres) and the depths of the planes.

        ``metadata`` is an ``mb.SourceMetadata`` (``mb.source_metadata(extractor_or_path)``); a header with
        several planes and a voxel size makes the space volumetric unless ``planar`` or ``volumetric`` was
        called. Values given, before or after this call, win; one the header contradicts is a
        ``validate()`` warning naming both values and the header key.
        """
        return with_recorded(self, metadata)

    def _assemble(self, problems: list[str]) -> ImagingSpaceSpec:
        space, notes = fill_space(super()._assemble(problems), self.recorded, self.where, "geometry" in self.draft)
        return remember(space, notes)
