"""Frozen descriptions of an imaging space: its geometry, location and illumination pattern."""

from __future__ import annotations

from typing import ClassVar

import attrs

from ._fields import check_positive, optional_float, optional_str
from .position import PositionSpec


def _numbers(values, kind):
    """A tuple of numbers; anything else (a lone number, text) raises ``TypeError``."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"expected a sequence of numbers, got {values!r}")
    return tuple(kind(v) for v in values)


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
    max_scan_points: int | None = attrs.field(default=None, converter=lambda v: None if v is None else int(v))
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
    """A region imaged: planar (pixel grid) now, volumetric later.

    Sizes and dimensions are (x, y) = (width, height), the order NWB metadata uses.
    ``dimensions`` left as ``None`` are taken from the series' data.
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

    GEOMETRIES: ClassVar[tuple[str, ...]] = ("planar",)

    @property
    def ndim(self) -> int:
        return 2

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"space {self.name!r}"
        problems: list[str] = []
        if self.geometry not in self.GEOMETRIES:
            problems.append(f"{where}.geometry: must be one of {self.GEOMETRIES}, got {self.geometry!r}")
        if self.pixel_size_um is None:
            problems.append(f"{where}.pixel_size_um: required; call .planar(pixel_size_um=(x_um, y_um))")
        elif len(self.pixel_size_um) != self.ndim:
            problems.append(f"{where}.pixel_size_um: give {self.ndim} sizes (x, y), got {self.pixel_size_um!r}")
        else:
            check_positive(problems, where, pixel_size_um=self.pixel_size_um)
        if self.dimensions is not None:
            if len(self.dimensions) != self.ndim:
                problems.append(f"{where}.dimensions_in_pixels: give {self.ndim} counts (x, y), got {self.dimensions!r}")
            check_positive(problems, where, dimensions_in_pixels=tuple(float(d) for d in self.dimensions))
        if self.fov_center is not None:
            problems += self.fov_center.problems(f"{where}.fov_center")
        if self.illumination is not None:
            problems += self.illumination.problems(f"{where}.{self.illumination.kind}")
        return problems
