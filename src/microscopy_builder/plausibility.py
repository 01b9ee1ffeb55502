"""Values in the wrong unit, caught as warnings: 9.2e-7 as a wavelength is metres, not nanometres.

Every spec field says its unit in its name (``excitation_wavelength_nm``, ``pixel_size_um``,
``line_rate_hz``, ``power_w``), so one table of ranges covers every field of that kind, wherever it
is declared. A value outside its range is a ``validate()`` warning naming the field and, when
another unit would put it in range, the likely slip.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import attrs

from .specs.walk import plain_values
from .unknown import known_numbers


@attrs.frozen
class Plausible:
    """The range a kind of value falls in, in the unit its field names; ``slips`` are units people confuse it with."""

    pattern: str
    low: float
    high: float
    unit: str
    slips: tuple[tuple[str, float], ...] = ()  # (other unit, its size in this field's unit)

    def problem(self, value: float, where: str) -> str | None:
        if self.low <= value <= self.high:
            return None
        slip = next((f"; {value:g} {other} would be {value * size:g} {self.unit}" for other, size in self.slips
                     if self.low <= value * size <= self.high), "")
        unit = f" {self.unit}" if self.unit else ""
        return (f"{where}: {value:g}{unit} is outside the range such values take ({self.low:g}-{self.high:g}{unit})"
                f"{slip}: check the unit")


RANGES = (
    Plausible(r"wavelength.*_nm$|_wavelength_nm$|_band_nm$", 200.0, 2000.0, "nm", (("m", 1e9), ("um", 1e3))),
    Plausible(r"^(pixel|voxel)_size_um$", 0.01, 1000.0, "um", (("m", 1e6), ("mm", 1e3), ("nm", 1e-3))),
    Plausible(r"^line_rate_hz$", 0.0, 100e3, "Hz", (("kHz", 1e3),)),
    Plausible(r"^(rate|plane_rate_hz|frame_rate_hz)$", 0.0, 10e3, "Hz", (("mHz", 1e-3),)),
    Plausible(r"^numerical_aperture$", 0.0, 1.7, "", ()),
    Plausible(r"(^|_)power_w$", 0.0, 10.0, "W", (("mW", 1e-3),)),
)


def implausible_values(specs: Iterable[Any]) -> list[str]:
    """Warnings for every number in ``specs`` (and the specs they hold) outside its kind's range."""
    found = [p for spec in specs for where, name, value in plain_values(spec) for p in _check(name, value, f"{where}.{name}")]
    return list(dict.fromkeys(found))


def _check(name: str, value: Any, where: str) -> list[str]:
    rule = next((r for r in RANGES if re.search(r.pattern, name)), None)
    if rule is None or isinstance(value, bool):
        return []
    numbers = [v for v in known_numbers(value) if isinstance(v, (int, float)) and math.isfinite(v)]
    return [p for p in (rule.problem(float(v), where) for v in numbers) if p is not None][:1]


def source_rate_problems(series: Any) -> list[str]:
    """A series' frame rate as its extractor reports it, when no override gives it (``rate`` is checked with the fields)."""
    if series.rate is not None or series.timestamps is not None or not hasattr(series.source, "get_sampling_frequency"):
        return []
    try:
        rate = float(series.source.get_sampling_frequency())
    except (TypeError, ValueError):
        return []
    return _check("rate", rate, f"series {series.name!r}.source sampling frequency") if math.isfinite(rate) else []
