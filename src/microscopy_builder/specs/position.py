"""Stereotactic positions: where a field of view or an injection is in the brain."""

from __future__ import annotations

import math

import attrs

from ._fields import required_number, optional_float
from ..unknown import UNKNOWN, known_numbers

ORIENTATION_LETTERS = ("AP", "LR", "SI")


@attrs.frozen(kw_only=True)
class PositionSpec:
    """A stereotactic position in millimetres.

    ``origin`` says where (0, 0, 0) is (e.g. "bregma"); ``orientation`` is three letters, one of
    A/P, L/R, S/I per axis (e.g. "RAS": x right, y anterior, z superior).
    """

    x_mm: float = attrs.field(converter=required_number)
    y_mm: float = attrs.field(converter=required_number)
    z_mm: float = attrs.field(converter=required_number)
    origin: str
    orientation: str | None = None
    anatomical_target: str | None = None
    pitch_deg: float | None = optional_float()
    yaw_deg: float | None = optional_float()
    roll_deg: float | None = optional_float()

    def problems(self, where: str) -> list[str]:
        problems = []
        for name in ("x_mm", "y_mm", "z_mm", "pitch_deg", "yaw_deg", "roll_deg"):
            value = getattr(self, name)
            if any(not math.isfinite(v) for v in known_numbers(value)):
                problems.append(f"{where}.{name}: must be a finite number, got {value!r}")
        letters = self.orientation.upper() if isinstance(self.orientation, str) else ""
        axes_covered = sorted(next((i for i, pair in enumerate(ORIENTATION_LETTERS) if c in pair), -1) for c in letters)
        given = self.orientation is not None and self.orientation is not UNKNOWN
        if given and (len(letters) != 3 or axes_covered != [0, 1, 2]):
            problems.append(
                f"{where}.orientation: must be three letters, one of A/P, L/R and S/I each (e.g. 'RAS'), "
                f"got {self.orientation!r}"
            )
        if not self.origin:
            problems.append(f"{where}.origin: say where (0, 0, 0) is, e.g. 'bregma'")
        return problems

    def summary(self) -> str:
        """One line for free-text fields: ``(x, y, z) mm from bregma, RAS``."""
        orientation = f", {self.orientation}" if self.orientation else ""
        return f"({self.x_mm:g}, {self.y_mm:g}, {self.z_mm:g}) mm from {self.origin}{orientation}"
