"""Stereotactic positions: where a field of view or an injection is in the brain."""

from __future__ import annotations

from typing import Any

import attrs

from .fields import about, field_problems, optional_float, optional_str, required_number
from ..unknown import UNKNOWN

ORIENTATION_LETTERS = ("AP", "LR", "SI")


@attrs.frozen(kw_only=True)
class PositionSpec:
    """A stereotactic position in millimetres.

    ``origin`` says where (0, 0, 0) is (e.g. "bregma"); ``orientation`` is three letters, one of
    A/P, L/R, S/I per axis (e.g. "RAS": x right, y anterior, z superior).
    """

    x_mm: float = attrs.field(converter=required_number, metadata=about("The x coordinate", unit="mm", bound="finite"))
    y_mm: float = attrs.field(converter=required_number, metadata=about("The y coordinate", unit="mm", bound="finite"))
    z_mm: float = attrs.field(converter=required_number, metadata=about("The z coordinate", unit="mm", bound="finite"))
    origin: str = attrs.field(metadata=about("Where (0, 0, 0) is, e.g. 'bregma'"))
    orientation: str | None = optional_str("Three letters, one of A/P, L/R and S/I per axis, e.g. 'RAS'")
    anatomical_target: str | None = optional_str("The region at the position")
    pitch_deg: float | None = optional_float("Rotation about the left-right axis", unit="degrees", bound="finite")
    yaw_deg: float | None = optional_float("Rotation about the superior-inferior axis", unit="degrees", bound="finite")
    roll_deg: float | None = optional_float("Rotation about the anterior-posterior axis", unit="degrees", bound="finite")

    def problems(self, where: str) -> list[str]:
        problems = field_problems(self, where)
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


def position_problems(position: Any, where: str) -> list[str]:
    """The problems of an optional position, or that it is not an ``mb.Position``."""
    if position is None or isinstance(position, PositionSpec):
        return [] if position is None else position.problems(where)
    return [f"{where}: give an mb.Position(...), got {position!r:.80}"]
