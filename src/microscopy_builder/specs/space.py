"""Frozen descriptions of an imaging space: its geometry, location and illumination pattern."""

from __future__ import annotations

import math
from typing import ClassVar

import attrs

from ..unknown import UNKNOWN
from ._fields import check_positive, optional_float, optional_str
from .position import PositionSpec


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
    description: str | None = optional_str()

    def problems(self, where: str) -> list[str]:
        return []


@attrs.frozen(kw_only=True)
class LineScanSpec(IlluminationSpec):
    """Raster scanning, line by line (galvo-galvo, resonant-galvo)."""

    kind: ClassVar[str] = "line_scan"
    line_rate_hz: float | None = optional_float()
    dwell_time_s: float | None = optional_float()
    scan_direction: str | None = optional_str()

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        check_positive(problems, where, line_rate_hz=self.line_rate_hz, dwell_time_s=self.dwell_time_s)
        return problems


@attrs.frozen(kw_only=True)
class PlaneAcquisitionSpec(IlluminationSpec):
    """The whole plane at once (camera-based widefield, miniscope, light sheet)."""

    kind: ClassVar[str] = "plane_acquisition"
    plane_rate_hz: float | None = optional_float()
    illumination_angle_deg: float | None = optional_float()
    point_spread_function: str | None = optional_str()

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        check_positive(problems, where, plane_rate_hz=self.plane_rate_hz)
        return problems


@attrs.frozen(kw_only=True)
class RandomAccessScanSpec(IlluminationSpec):
    """Targeted point scanning (acousto-optic deflectors)."""

    kind: ClassVar[str] = "random_access_scan"
    max_scan_points: int | None = attrs.field(default=None, converter=lambda v: v if v is None or v is UNKNOWN else int(v))
    dwell_time_s: float | None = optional_float()
    scanning_pattern: str | None = optional_str()

    def problems(self, where: str) -> list[str]:
        problems: list[str] = []
        check_positive(problems, where, max_scan_points=self.max_scan_points, dwell_time_s=self.dwell_time_s)
        return problems


@attrs.frozen(kw_only=True)
class OriginSpec:
    """Physical location of the first pixel of the space, with its unit and reference frame."""

    coordinates: tuple[float, ...] = attrs.field(converter=lambda v: tuple(float(x) for x in v))
    unit: str = "meters"
    reference_frame: str | None = None

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

    name: str
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True))
    geometry: str = "planar"
    pixel_size_um: tuple[float, ...] | None = attrs.field(default=None, converter=lambda v: _numbers(v, float))
    dimensions: tuple[int, ...] | None = attrs.field(default=None, converter=lambda v: _numbers(v, int))
    anatomical_target: str | None = optional_str()
    description: str | None = optional_str()
    fov_center: PositionSpec | None = None
    origin: OriginSpec | None = None
    illumination: IlluminationSpec | None = None
    base_key: str | None = optional_str()
    base_name: str | None = optional_str()
    depth_um: float | None = optional_float()

    GEOMETRIES: ClassVar[tuple[str, ...]] = ("planar", "volumetric")

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
        problems: list[str] = []
        if self.geometry not in self.GEOMETRIES:
            problems.append(f"{where}.geometry: must be one of {self.GEOMETRIES}, got {self.geometry!r}")
        call = ".volumetric(voxel_size_um=(x_um, y_um, z_um))" if self.is_volumetric else ".planar(pixel_size_um=(x_um, y_um))"
        if self.pixel_size_um is None:
            problems.append(f"{where}.{self.size_field}: required; call {call}, or give mb.UNKNOWN")
        elif self.pixel_size_um is UNKNOWN:
            pass
        elif len(self.pixel_size_um) != self.ndim:
            problems.append(f"{where}.{self.size_field}: give {self.ndim} sizes {self.axes}, got {self.pixel_size_um!r}")
        else:
            check_positive(problems, where, **{self.size_field: self.pixel_size_um})
        if self.dimensions is not None:
            if len(self.dimensions) != self.ndim:
                problems.append(f"{where}.{self.dimensions_field}: give {self.ndim} counts {self.axes}, got {self.dimensions!r}")
            check_positive(problems, where, **{self.dimensions_field: tuple(float(d) for d in self.dimensions)})
        if self.depth_um is not None and self.is_volumetric:
            problems.append(f"{where}.depth_um: at_depth(...) derives one plane of a planar space, not of a volume")
        if self.depth_um is not None and not math.isfinite(self.depth_um):
            problems.append(f"{where}.depth_um: must be a finite number of micrometres, got {self.depth_um!r}")
        if self.fov_center is not None:
            problems += self.fov_center.problems(f"{where}.fov_center")
        if self.illumination is not None:
            problems += self.illumination.problems(f"{where}.{self.illumination.kind}")
        return problems
