"""``ImagingSpaceBuilder``: the region imaged, its pixel grid, location and illumination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from ._base import Builder, make_spec


@attrs.frozen
class ImagingSpaceBuilder(Builder):
    """Describe an imaging space with chained calls; ``build()`` gives an ``ImagingSpaceSpec``.

    Examples
    --------
    >>> space = (ImagingSpaceBuilder("V1_L23")
    ...          .planar(pixel_size_um=(1.2, 1.2))
    ...          .anatomical_target("VISp2/3")
    ...          .line_scan(line_rate_hz=7910.0))
    """

    _geometry: str = attrs.field(default="planar", kw_only=True, alias="geometry")
    _pixel_size_um: tuple[float, ...] | None = attrs.field(default=None, kw_only=True, alias="pixel_size_um")
    _dimensions: tuple[int, ...] | None = attrs.field(default=None, kw_only=True, alias="dimensions")
    _anatomical_target: str | None = attrs.field(default=None, kw_only=True, alias="anatomical_target")
    _description: str | None = attrs.field(default=None, kw_only=True, alias="description")
    _fov_center: PositionSpec | None = attrs.field(default=None, kw_only=True, alias="fov_center")
    _origin: OriginSpec | None = attrs.field(default=None, kw_only=True, alias="origin")
    _illumination: IlluminationSpec | None = attrs.field(default=None, kw_only=True, alias="illumination")
    _base: tuple[str, str] | None = attrs.field(default=None, kw_only=True, alias="base")  # (key, name)
    _depth_um: float | None = attrs.field(default=None, kw_only=True, alias="depth_um")

    def planar(self, *, pixel_size_um: Sequence[float], dimensions_in_pixels: Sequence[int] | None = None) -> Self:
        """A plane imaged on a pixel grid.

        ``pixel_size_um`` and ``dimensions_in_pixels`` are (x, y) = (width, height); dimensions
        left out are taken from the series' data.
        """
        return self._with(geometry="planar", pixel_size_um=_tuple(pixel_size_um), dimensions=_tuple(dimensions_in_pixels))

    def volumetric(self, *, voxel_size_um: Sequence[float], dimensions_in_voxels: Sequence[int] | None = None) -> Self:
        """A volume imaged on a voxel grid (piezo or tunable-lens z-scans, light sheet).

        ``voxel_size_um`` and ``dimensions_in_voxels`` are (x, y, z) = (width, height, depth);
        dimensions left out are taken from the series' data.
        """
        return self._with(geometry="volumetric", pixel_size_um=_tuple(voxel_size_um), dimensions=_tuple(dimensions_in_voxels))

    def at_depth(self, depth_um: float, *, name: str | None = None, key: str | None = None) -> Self:
        """The plane of this planar space at ``depth_um`` micrometres, one plane of a multi-plane recording.

        The plane keeps the pixel grid, target and illumination of this space; its name and key say
        the depth (``"V1_L23_150um"``) unless given. Series of one rig and channel on planes of one
        base space are one multi-plane recording (grouped in the ndx-microscopy format).
        """
        base_key, base_name = self._base or (self.key or self.name, self.name)
        label = f"{float(depth_um):g}um" if isinstance(depth_um, (int, float)) else str(depth_um)
        return attrs.evolve(
            self,
            name=name or f"{base_name}_{label}",
            key=key or f"{base_key}_{label}",
            base=(base_key, base_name),
            depth_um=depth_um,
        )

    def anatomical_target(self, target: str) -> Self:
        """The region imaged; for mice an Allen CCF acronym such as ``"VISp2/3"``."""
        return self._with(anatomical_target=target)

    def description(self, text: str) -> Self:
        """Describe the space (preparation, depth below the surface, ...)."""
        return self._with(description=text)

    def fov_center(
        self,
        *,
        x_mm: float,
        y_mm: float,
        z_mm: float,
        origin: str,
        orientation: str | None = None,
        anatomical_target: str | None = None,
        pitch_deg: float | None = None,
        yaw_deg: float | None = None,
        roll_deg: float | None = None,
    ) -> Self:
        """Stereotactic position of the centre of the field of view (``z_mm``: imaging depth).

        ``orientation`` is three letters, one of A/P, L/R and S/I per axis (e.g. ``"RAS"``); left
        out, ndx-microscopy's required field is written as a reported placeholder.
        """
        position = make_spec(
            PositionSpec,
            f"space {self.name!r}.fov_center",
            x_mm=x_mm,
            y_mm=y_mm,
            z_mm=z_mm,
            origin=origin,
            orientation=orientation,
            anatomical_target=anatomical_target,
            pitch_deg=pitch_deg,
            yaw_deg=yaw_deg,
            roll_deg=roll_deg,
        )
        return self._with(fov_center=position)

    def origin(self, coordinates: Sequence[float], *, unit: str = "meters", reference_frame: str | None = None) -> Self:
        """Physical location of the first pixel, its unit and the frame it is given in."""
        origin = make_spec(
            OriginSpec, f"space {self.name!r}.origin", coordinates=coordinates, unit=unit, reference_frame=reference_frame
        )
        return self._with(origin=origin)

    def line_scan(
        self,
        *,
        line_rate_hz: float | None = None,
        dwell_time_s: float | None = None,
        scan_direction: str | None = None,
        description: str | None = None,
    ) -> Self:
        """Raster scanning line by line (galvo or resonant scanners)."""
        return self._illuminate(
            LineScanSpec,
            line_rate_hz=line_rate_hz,
            dwell_time_s=dwell_time_s,
            scan_direction=scan_direction,
            description=description,
        )

    def plane_acquisition(
        self,
        *,
        plane_rate_hz: float | None = None,
        illumination_angle_deg: float | None = None,
        point_spread_function: str | None = None,
        description: str | None = None,
    ) -> Self:
        """The whole plane at once (widefield camera, miniscope, light sheet)."""
        return self._illuminate(
            PlaneAcquisitionSpec,
            plane_rate_hz=plane_rate_hz,
            illumination_angle_deg=illumination_angle_deg,
            point_spread_function=point_spread_function,
            description=description,
        )

    def random_access_scan(
        self,
        *,
        max_scan_points: int | None = None,
        dwell_time_s: float | None = None,
        scanning_pattern: str | None = None,
        description: str | None = None,
    ) -> Self:
        """Targeted point scanning (acousto-optic deflectors)."""
        return self._illuminate(
            RandomAccessScanSpec,
            max_scan_points=max_scan_points,
            dwell_time_s=dwell_time_s,
            scanning_pattern=scanning_pattern,
            description=description,
        )

    def illumination(self, description: str) -> Self:
        """An illumination pattern none of the named ones fits, described in words."""
        return self._illuminate(IlluminationSpec, description=description)

    def _illuminate(self, spec_class: type, **fields: object) -> Self:
        pattern = make_spec(spec_class, f"space {self.name!r}.{spec_class.kind}", **fields)
        return self._with(illumination=pattern)

    def to_dict(self) -> dict[str, Any]:
        """This builder as a plain mapping of its calls (the form session files take)."""
        from .mapping import space_to_dict

        return space_to_dict(self)

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], *, where: str | None = None) -> Self:
        """The builder a mapping from :meth:`to_dict` (or a session file) describes.

        ``where`` names the mapping in messages (default ``"spaces.<name>"``).
        """
        from .mapping import space_from_dict

        return space_from_dict(cls, name, data, where or f"spaces.{name}")

    def _assemble(self, problems: list[str]) -> ImagingSpaceSpec:
        return make_spec(
            ImagingSpaceSpec,
            f"space {self.name!r}",
            **self._spec_kwargs(),
            geometry=self._geometry,
            pixel_size_um=self._pixel_size_um,
            dimensions=self._dimensions,
            anatomical_target=self._anatomical_target,
            description=self._description,
            fov_center=self._fov_center,
            origin=self._origin,
            illumination=self._illumination,
            base_key=None if self._base is None else self._base[0],
            base_name=None if self._base is None else self._base[1],
            depth_um=self._depth_um,
        )


def _tuple(values: Sequence[float] | None) -> tuple | None:
    """Sequences become tuples; a lone number stays as it is and fails validation with a clear message."""
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        return values
    return tuple(values)
