"""An imaging space's description read back: its words, grid, and the facts either format keeps there.

Both emitters write ``space_text``: the space's words (or a default naming it), ``Pixel size 1.2 x
1.5 um (x, y)``, then facts the format has no field for, ``; ``-separated:

* ``origin of the first pixel: (0.001, 0.002, 0.0) meters (bregma)`` (ndx-microscopy);
* ``plane of space: V1 at depth 150 um`` (either: a plane of a multi-plane recording);
* ``field of view centre: (x, y, z) mm from bregma, RAS`` (legacy);
* ``indicator: GCaMP6s, <description>, from <maker>`` and ``injection of GCaMP6s: <construct>, 0.2 uL,
  ...`` (legacy: the channel's indicator, which an ImagingPlane holds only as a label).

:func:`read_space_text` splits a description into these parts; callers check the result by
writing it again (:func:`~microscopy_builder.emit.text.space_text`) and keep the text whole when
it differs.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import attrs

from ..specs import IndicatorSpec, InjectionSpec, OriginSpec
from .described import read_number, read_position

_GRID = re.compile(
    r"^(?P<words>.+?)\. (?P<grid>(?:Pixel|Voxel) size .+? um \(x, y(?:, z)?\))(?:\. (?P<facts>.+))?\.$", re.DOTALL
)
_FACT_START = re.compile(r"; (?=(?:origin of the first pixel|field of view centre|plane of space|indicator|injection of [^:;]+): )")
_ORIGIN = re.compile(r"^(?P<coordinates>\(.*?\)) (?P<unit>\S+)(?: \((?P<frame>.*)\))?$")
_DEPTH = re.compile(r"^(?P<base>.+) at depth (?P<depth>\S+) um$")
_MARKERS = ("titer ", "vector from ", "on ", "at (")


@attrs.frozen
class SpaceText:
    """The parts of a space description (``words`` ``None``: the text holds none of the known parts)."""

    words: str | None
    origin: OriginSpec | None = None
    depth: tuple[str, float] | None = None  # (base space name, depth in um)
    fov_center: Any = None
    indicator: tuple[str, str] | None = None  # (label, what the fact says after "indicator: ")
    injection: tuple[str, str] | None = None  # (label, what the fact says after "injection of <label>: ")


def read_space_text(text: str | None) -> SpaceText:
    """Split a space description into its words and facts; ``SpaceText(text)`` when it is not one."""
    match = _GRID.match(text or "")
    if match is None:
        return SpaceText(text)
    found: dict[str, Any] = {}
    try:
        for fact in _FACT_START.split(match["facts"] or ""):
            if fact:
                _read_fact(fact, found)
    except (ValueError, SyntaxError, TypeError):
        return SpaceText(text)
    return SpaceText(match["words"] + ".", **found)


def _read_fact(fact: str, found: dict[str, Any]) -> None:
    label, colon, value = fact.partition(": ")
    if not colon:
        raise ValueError(fact)
    if label == "origin of the first pixel":
        origin = _ORIGIN.match(value)
        if origin is None:
            raise ValueError(value)
        coordinates = ast.literal_eval(origin["coordinates"])
        found["origin"] = OriginSpec(coordinates=coordinates if isinstance(coordinates, tuple) else (coordinates,),
                                     unit=origin["unit"], reference_frame=origin["frame"])
    elif label == "plane of space":
        depth = _DEPTH.match(value)
        if depth is None:
            raise ValueError(value)
        found["depth"] = (depth["base"], float(depth["depth"]))
    elif label == "field of view centre":
        found["fov_center"] = read_position(value)
    elif label == "indicator":
        found["indicator"] = (value.split(", ")[0], value)
    elif label.startswith("injection of "):
        found["injection"] = (label.removeprefix("injection of "), value)
    else:
        raise ValueError(label)


def indicator_from_facts(label: Any, indicator_fact: str | None, injection_fact: str | None) -> IndicatorSpec:
    """The indicator the legacy facts describe (label, description, maker, injection)."""
    description = manufacturer = None
    if indicator_fact is not None:
        about = indicator_fact.removeprefix(f"{label}, ") if indicator_fact.startswith(f"{label}, ") else indicator_fact
        parts = about.split(", ")
        if parts[-1].startswith("from "):
            manufacturer, parts = parts[-1].removeprefix("from "), parts[:-1]
        description = ", ".join(parts) + "." if parts else None
    injection = None if injection_fact is None else injection_from_fact(injection_fact)
    return IndicatorSpec(label=label, description=description, manufacturer=manufacturer, injection=injection)


def injection_from_fact(text: str) -> InjectionSpec:
    """``"<construct>, 0.2 uL, titer 1e+13 vg/mL, vector from X, <vector words>, on <date>, at <position>, <words>"``.

    Optional parts are recognised by their leading words; free words before the date and position
    are the vector's description, after them the injection's. ``ValueError`` when the construct
    and volume cannot be told.
    """
    tokens = text.split(", ")
    if len(tokens) < 2 or not tokens[1].endswith(" uL"):
        raise ValueError(text)
    fields: dict[str, Any] = {"construct_name": tokens[0], "volume_ul": read_number(tokens[1].removesuffix(" uL"))}
    rest, free_before, free_after = tokens[2:], [], []
    while rest:
        token = rest.pop(0)
        if token.startswith("titer ") and token.endswith(" vg/mL") and "titer_vg_per_ml" not in fields:
            fields["titer_vg_per_ml"] = read_number(token.removeprefix("titer ").removesuffix(" vg/mL"))
        elif token.startswith("vector from ") and "vector_manufacturer" not in fields:
            fields["vector_manufacturer"] = token.removeprefix("vector from ")
        elif token.startswith("on ") and "date" not in fields and not free_after:
            fields["date"] = token.removeprefix("on ")
        elif token.startswith("at (") and "position" not in fields and not free_after:
            fields["position"], rest = _position_tokens(token, rest)
        elif "date" in fields or "position" in fields:
            free_after.append(token)
        else:
            free_before.append(token)
    if free_before:
        fields["vector_description"] = ", ".join(free_before) + "."
    if free_after:
        fields["description"] = ", ".join(free_after) + "."
    return InjectionSpec(**fields)


def _position_tokens(first: str, rest: list[str]) -> tuple[Any, list[str]]:
    """A position summary split over several ``, `` tokens, read back; the tokens after it."""
    taken = [first.removeprefix("at ")]
    while rest and ") mm from " not in ", ".join(taken):
        taken.append(rest.pop(0))
    if rest and re.fullmatch(r"[APLRSIaplrsi]{3}", rest[0]):
        taken.append(rest.pop(0))
    return read_position(", ".join(taken)), rest


def plain_injection_fallback(text: str) -> InjectionSpec:
    """The injection as construct, volume and everything else as its description: writes the same text."""
    tokens = text.split(", ")
    if len(tokens) < 2 or not tokens[1].endswith(" uL"):
        raise ValueError(text)
    rest = ", ".join(tokens[2:])
    return InjectionSpec(construct_name=tokens[0], volume_ul=read_number(tokens[1].removesuffix(" uL")),
                         description=rest or None)
