"""Frozen descriptions of an imaging space: its geometry, location and illumination pattern."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

import attrs

from ..unknown import UNKNOWN
from .fields import about, field_problems, optional_float, optional_int, optional_str
from .position import PositionSpec, position_problems

Geometry = Literal["planar", "volumetric"]


def _numbers(values, kind):
    """A tuple of numbers; anything else (a lone number, text) raises ``TypeError``. ``mb.UNKNOWN`` stands
    alone for all of them, or for single items."""
    if values is None or values is UNKNOWN:
        return values
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"expected a sequence of numbers, got {values!r}")
    return tuple(v if v is UNKNOWN else kind(v) for v in values)


@attrs.frozen(kw_only=True)
class IlluminationSpec:
    """How the space was illuminated; subclasses name the pattern."""

    kind: ClassVar[str] = "illumination_pattern"
    description: str | None = optional_str("How the space was illuminated, in words")

    def problems(self, where: str) -> list[str]:
        return field_problems(self, where)


@attrs.frozen(kw_only=True)
class LineScanSpec(IlluminationSpec):
    """Raster scanning, line by line (galvo-galvo, resonant-galvo)."""

    kind: ClassVar[str] = "line_scan"
    line_rate_hz: float | None = optional_float("Lines scanned per second", unit="Hz", bound="positive")
    dwell_time_s: float | None = optional_float("Time spent on each pixel", unit="s", bound="positive")
    scan_direction: str | None = optional_str("The direction of the scan, e.g. 'left to right'")


@attrs.frozen(kw_only=True)
class PlaneAcquisitionSpec(IlluminationSpec):
    """The whole plane at once (camera-based widefield, miniscope, light sheet)."""

    kind: ClassVar[str] = "plane_acquisition"
    plane_rate_hz: float | None = optional_float("Planes acquired per second", unit="Hz", bound="positive")
    illumination_angle_deg: float | None = optional_float("The angle of the illumination (light sheet)", unit="degrees")
    point_spread_function: str | None = optional_str("The point spread function, in words")


@attrs.frozen(kw_only=True)
class RandomAccessScanSpec(IlluminationSpec):
    """Targeted point scanning (acousto-optic deflectors)."""

    kind: ClassVar[str] = "random_access_scan"
    max_scan_points: int | None = optional_int("The most points scanned", bound="positive")
    dwell_time_s: float | None = optional_float("Time spent on each point", unit="s", bound="positive")
    scanning_pattern: str | None = optional_str("The pattern of points, in words")


@attrs.frozen(kw_only=True)
class OriginSpec:
    """Physical location of the first pixel of the space, with its unit and reference frame."""

    coordinates: tuple[float, ...] = attrs.field(converter=lambda v: tuple(float(x) for x in v),
                                                 metadata=about("Where the first pixel is", unknown=False))
    unit: str = attrs.field(default="meters", metadata=about("The unit of the coordinates", unknown=False))
    reference_frame: str | None = optional_str("The frame the coordinates are given in, e.g. 'bregma, RAS'")

    def summary(self) -> str:
        frame = f" ({self.reference_frame})" if self.reference_frame else ""
        return f"{tuple(self.coordinates)} {self.unit}{frame}"


@attrs.frozen(kw_only=True)
class ImagingSpaceSpec:
    """A region imaged: a plane on a pixel grid, or a volume on a voxel grid.

    Sizes and dimensions are listed x first: (x, y) = (width, height) for a plane, (x, y, z) =
    (width, height, depth) for a volume, the order NWB metadata uses. ``dimensions`` left as
    ``None`` are taken from the series' data. A plane derived with ``at_depth`` keeps the key of
    the space it came from in ``base_key`` and its depth in ``depth_um``; planes of one base are
    the planes of one multi-plane recording.
    """

    name: str = attrs.field(metadata=about("The space's name", unknown=False))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True),
                           metadata=about("What tells this space apart in a session (default: its name)", unknown=False))
    geometry: Geometry = attrs.field(default="planar", metadata=about("A plane or a volume", unknown=False))
    pixel_size_um: tuple[float, ...] | None = attrs.field(
        default=None, converter=lambda v: _numbers(v, float),
        metadata=about("The size of a pixel (x, y), or of a voxel (x, y, z)", unit="um", bound="positive"))
    dimensions: tuple[int, ...] | None = attrs.field(
        default=None, converter=lambda v: _numbers(v, int),
        metadata=about("Pixels (x, y), or voxels (x, y, z), of the grid (default: from the data)", bound="positive",
                       unknown=False))
    anatomical_target: str | None = optional_str("The region imaged; for mice an Allen CCF acronym such as 'VISp2/3'")
    description: str | None = optional_str("Free text about the space (preparation, depth below the surface, ...)")
    fov_center: PositionSpec | None = attrs.field(
        default=None, metadata=about("The stereotactic position of the centre of the field of view"))
    origin: OriginSpec | None = attrs.field(default=None, metadata=about("Where the first pixel is", unknown=False))
    illumination: IlluminationSpec | None = attrs.field(default=None, metadata=about("How the space was illuminated",
                                                                                     unknown=False))
    base_key: str | None = optional_str("The key of the space this plane was derived from", unknown=False)
    base_name: str | None = optional_str("The name of the space this plane was derived from", unknown=False)
    depth_um: float | None = optional_float("The depth of this plane of a multi-plane recording", unit="um",
                                            bound="finite", unknown=False)

    GEOMETRIES: ClassVar[tuple[str, ...]] = get_args(Geometry)

    @property
    def ndim(self) -> int:
        """Spatial axes: 2 for a plane, 3 for a volume."""
        return 3 if self.geometry == "volumetric" else 2

    @property
    def is_volumetric(self) -> bool:
        return self.geometry == "volumetric"

    @property
    def axes(self) -> str:
        return "(x, y, z)" if self.is_volumetric else "(x, y)"

    @property
    def size_field(self) -> str:
        """The builder argument naming the grid spacing, for messages."""
        return "voxel_size_um" if self.is_volumetric else "pixel_size_um"

    @property
    def dimensions_field(self) -> str:
        return "dimensions_in_voxels" if self.is_volumetric else "dimensions_in_pixels"

    def data_dimensions(self, data_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(x, y[, z]) of data given as roiextractors' (rows, columns[, planes])."""
        return (data_shape[1], data_shape[0], *data_shape[2:])

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"space {self.name!r}"
        grids = {"pixel_size_um": (self.pixel_size_um, self.size_field, "sizes"),
                 "dimensions": (self.dimensions, self.dimensions_field, "counts")}
        wrong_length = tuple(name for name, (value, _, _) in grids.items()
                             if isinstance(value, tuple) and len(value) != self.ndim)
        problems = field_problems(self, where, labels={name: label for name, (_, label, _) in grids.items()},
                                  skip=wrong_length)
        call = ".volumetric(voxel_size_um=(x_um, y_um, z_um))" if self.is_volumetric else ".planar(pixel_size_um=(x_um, y_um))"
        if self.pixel_size_um is None:
            problems.append(f"{where}.{self.size_field}: required; call {call}, or give mb.UNKNOWN")
        for name in wrong_length:
            value, label, items = grids[name]
            problems.append(f"{where}.{label}: give {self.ndim} {items} {self.axes}, got {value!r}")
        if self.depth_um is not None and self.is_volumetric:
            problems.append(f"{where}.depth_um: at_depth(...) derives one plane of a planar space, not of a volume")
        problems += position_problems(self.fov_center, f"{where}.fov_center")
        if isinstance(self.illumination, IlluminationSpec):
            problems += self.illumination.problems(f"{where}.{self.illumination.kind}")
        elif self.illumination is not None:
            problems.append(f"{where}.illumination: give an illumination pattern (.line_scan(...), ...), got "
                            f"{self.illumination!r:.80}")
        return problems
