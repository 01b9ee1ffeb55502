"""Names and words for spec fields, shared by both emitters.

The ndx-microscopy emitter stores a field under its ndx-ophys-devices attribute name; the legacy
emitter, which has only core ``Device`` / ``DeviceModel``, writes the same fields into descriptions
as ``label: value unit`` text. Both read this one table, so a field added to a spec needs one entry
here to reach both formats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

# spec field -> ndx-ophys-devices / ndx-microscopy attribute. Fields absent here have no typed home
# (e.g. an excitation source's operating wavelength) and go into the description in both formats.
NDX_ATTRIBUTE = {
    "technique": "technique",
    "source_type": "source_type",
    "excitation_mode": "excitation_mode",
    "wavelength_range_nm": "wavelength_range_in_nm",
    "power_w": "power_in_W",
    "intensity_w_per_m2": "intensity_in_W_per_m2",
    "exposure_time_s": "exposure_time_in_s",
    "pulse_rate_hz": "pulse_rate_in_Hz",
    "pulse_width_s": "pulse_width_in_s",
    "peak_power_w": "peak_power_in_W",
    "peak_pulse_energy_j": "peak_pulse_energy_in_J",
    "filter_type": "filter_type",
    "center_wavelength_nm": "center_wavelength_in_nm",
    "bandwidth_nm": "bandwidth_in_nm",
    "cut_wavelength_nm": "cut_wavelength_in_nm",
    "slope_percent_cut_wavelength": "slope_in_percent_cut_wavelength",
    "slope_starting_transmission_percent": "slope_starting_transmission_in_percent",
    "slope_ending_transmission_percent": "slope_ending_transmission_in_percent",
    "cut_on_wavelength_nm": "cut_on_wavelength_in_nm",
    "cut_off_wavelength_nm": "cut_off_wavelength_in_nm",
    "reflection_band_nm": "reflection_band_in_nm",
    "transmission_band_nm": "transmission_band_in_nm",
    "angle_of_incidence_deg": "angle_of_incidence_in_degrees",
    "detector_type": "detector_type",
    "gain": "gain",
    "gain_unit": "gain_unit",
    "numerical_aperture": "numerical_aperture",
    "magnification": "magnification",
}

_UNIT_SUFFIXES = (
    ("_w_per_m2", "W/m^2"),
    ("_percent_cut_wavelength", "% of cut wavelength"),
    ("_percent", "%"),
    ("_nm", "nm"),
    ("_hz", "Hz"),
    ("_deg", "degrees"),
    ("_w", "W"),
    ("_s", "s"),
    ("_j", "J"),
)


def describe_value(field: str, value: Any) -> str:
    """``"wavelength_nm", 920.0`` -> ``"wavelength: 920 nm"``."""
    label, unit = field, ""
    for suffix, suffix_unit in _UNIT_SUFFIXES:
        if field.endswith(suffix):
            label, unit = field[: -len(suffix)], f" {suffix_unit}"
            break
    if isinstance(value, tuple):
        shown = "-".join(number_text(v) for v in value)
    elif isinstance(value, float):
        shown = number_text(value)
    else:
        shown = str(value)
    return f"{label.replace('_', ' ')}: {shown}{unit}"


def number_text(value: float) -> str:
    """A number as text; NaN (an unknown's placeholder) as ``unknown``."""
    return "unknown" if isinstance(value, float) and math.isnan(value) else f"{value:g}"


def join_description(*parts: str | None, extra: Iterable[tuple[str, Any]] = ()) -> str | None:
    """Join free text and ``field: value`` pairs into one description (``None`` when empty)."""
    words = [p.strip().rstrip(".") for p in parts if p and p.strip()]
    facts = [describe_value(f, v) for f, v in extra]
    if facts:
        words.append("; ".join(facts))
    return ". ".join(words) + "." if words else None


def split_typed(values: Sequence[tuple[str, Any]]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Split (field, value) pairs into those with an ndx attribute (by attribute name) and the rest."""
    typed = {NDX_ATTRIBUTE[f]: v for f, v in values if f in NDX_ATTRIBUTE}
    untyped = [(f, v) for f, v in values if f not in NDX_ATTRIBUTE]
    return typed, untyped
