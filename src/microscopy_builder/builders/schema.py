"""What each place of a builder mapping (a session file's rig, space, series, segmentation) may hold.

A check is a function ``check(value, where, problems)`` that appends one problem per wrong value,
naming its place (``rigs.Bergamo.channels[0].emission_wavelength_nm: must be a number, got the
text 'big'; ...``). Checks compose (``fields``, ``list_of``, ``either``, ``optional``), and the
fields of the device, indicator and acquisition specs are derived from the specs' own attrs
annotations, so a field added to a spec is checked without being listed twice. Checks look at
types only; what the values mean (positive, finite, a known name) the specs and builders check.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..unknown import UNKNOWN_TEXT
from ..specs import (
    ChannelSpec,
    DichroicMirrorSpec,
    ExcitationSourceSpec,
    IndicatorSpec,
    InjectionSpec,
    LineScanSpec,
    MicroscopeSpec,
    ObjectiveLensSpec,
    OpticalFilterSpec,
    OriginSpec,
    PhotodetectorSpec,
    PlaneAcquisitionSpec,
    PositionSpec,
    RandomAccessScanSpec,
)

Check = Callable[[Any, str, list], None]

#: the most problems one list reports (a long list of wrong values says so once, not thousands of times)
MAX_ITEM_PROBLEMS = 3


def validate(check: Check, value: Any, where: str) -> None:
    """Raise a ``ValidationError`` listing every problem ``check`` finds in ``value``."""
    problems: list[str] = []
    check(value, where, problems)
    if problems:
        raise ValidationError(problems)


def described(value: Any) -> str:
    """A value's kind, and the value itself when it is short, for messages."""
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return f"{str(bool(value)).lower()} (a yes/no value)"
    if isinstance(value, numbers.Integral):
        digits = len(str(abs(int(value)))) if int(value).bit_length() < 10_000 else int(int(value).bit_length() * 0.30103)
        return f"the integer {int(value)}" if digits <= 20 else f"an integer of {digits} digits"
    if isinstance(value, numbers.Real):
        return f"the number {float(value)!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}" + ("..." if len(value) > 40 else "")
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return {set: "a set", frozenset: "a set", bytes: "binary data"}.get(type(value), f"a {type(value).__name__}")


def shown(name: Any) -> str:
    """A name for a message: as it is when short printable text, else quoted and cut."""
    if isinstance(name, str) and name.isprintable() and 0 < len(name) <= 40:
        return name
    return repr(name)[:40] if isinstance(name, str) else described(name)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, numbers.Real, dt.date))


# -- plain values ---------------------------------------------------------------------------------------
def text(value: Any, where: str, problems: list) -> None:
    if not isinstance(value, str):
        fix = "put it in quotes" if _scalar(value) else "give one text value"
        problems.append(f"{where}: must be text, got {described(value)}; {fix}")


def number(value: Any, where: str, problems: list) -> None:
    if value == UNKNOWN_TEXT:  # mb.UNKNOWN, as a session file spells it
        return
    if not _is_number(value):
        problems.append(f"{where}: must be a number, got {described(value)}; write a number such as 1.5, without quotes")
        return
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        problems.append(f"{where}: {described(value)} is too large for a number; check the value")
        return
    if not finite:
        problems.append(f"{where}: must be a finite number, got {described(value)}; leave the field out if it is not known")


def integer(value: Any, where: str, problems: list) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        problems.append(f"{where}: must be a whole number, got {described(value)}; write one such as 512")
    elif abs(int(value)) >= 2**63:
        problems.append(f"{where}: {described(value)} is too large; check the value")


def boolean(value: Any, where: str, problems: list) -> None:
    if not isinstance(value, (bool, np.bool_)):
        problems.append(f"{where}: must be true or false, got {described(value)}")


def anything_plain(value: Any, where: str, problems: list) -> None:
    """Text, a number, true/false, null, or a list of those (an extractor argument)."""
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if not (item is None or _scalar(item)):
                problems.append(f"{where}[{index}]: must be text, a number or true/false, got {described(item)}")
                return
    elif not (value is None or _scalar(value)):
        problems.append(f"{where}: must be text, a number, true/false or a list of those, got {described(value)}")
    elif _is_number(value):
        number(value, where, problems)


# -- combinations -------------------------------------------------------------------------------------------
def optional(check: Check) -> Check:
    """``check``, or null (the field not given)."""

    def optional_check(value: Any, where: str, problems: list) -> None:
        if value is not None:
            check(value, where, problems)

    return optional_check


def list_of(item: Check, *, length: int | None = None, example: str = "") -> Check:
    """A list (of ``length`` items when given) whose items each pass ``item``; ``example`` shows one."""

    def list_check(value: Any, where: str, problems: list) -> None:
        if value == UNKNOWN_TEXT:  # mb.UNKNOWN for the whole list (a pixel size nobody knows)
            return
        if not isinstance(value, (list, tuple)):
            size = "" if length is None else f" of {length} values"
            problems.append(f"{where}: must be a list{size}, got {described(value)}" + (f"; write e.g. {example}" if example else ""))
            return
        if length is not None and len(value) != length:
            problems.append(f"{where}: must be a list of {length} values, got {len(value)}")
            return
        before = len(problems)
        for index, entry in enumerate(value):
            item(entry, f"{where}[{index}]", problems)
            if len(problems) - before >= MAX_ITEM_PROBLEMS:
                break

    return list_check


def fields(known: Mapping[str, Check], required: Mapping[str, str] | None = None) -> Check:
    """A mapping of the ``known`` field names; ``required`` maps a field to what to say when it is missing."""
    required = dict(required or {})

    def fields_check(value: Any, where: str, problems: list) -> None:
        if not isinstance(value, Mapping):
            problems.append(f"{where}: must be a mapping of fields, got {described(value)}")
            return
        unknown = sorted(shown(name) for name in value if name not in known)
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown[:5])}; known fields are {', '.join(known)}")
            return
        problems.extend(f"{where}.{name}: required; {fix}" for name, fix in required.items() if name not in value)
        for name, entry in value.items():
            known[name](entry, f"{where}.{name}", problems)

    fields_check.known = tuple(known)
    return fields_check


def names_to(item: Check) -> Check:
    """A mapping of names (text) to values that each pass ``item``."""

    def names_check(value: Any, where: str, problems: list) -> None:
        if not isinstance(value, Mapping):
            problems.append(f"{where}: must be a mapping of names to values, got {described(value)}")
            return
        for name, entry in value.items():
            if not isinstance(name, str) or not name.isprintable() or not name:
                problems.append(f"{where}: the name {shown(name)} must be printable text on one line")
            else:
                item(entry, f"{where}.{name}", problems)

    return names_check


def either(scalar: Check, mapping: Check) -> Check:
    """``mapping`` for a mapping, else ``scalar`` (an indicator's label or its fields, ...)."""

    def either_check(value: Any, where: str, problems: list) -> None:
        (mapping if isinstance(value, Mapping) else scalar)(value, where, problems)

    return either_check


# -- checks derived from the specs ------------------------------------------------------------------------
_BY_ANNOTATION: dict[str, Check] = {
    "str": text, "float": number, "int": integer, "bool": boolean,
    "tuple[float, float]": list_of(number, length=2, example="[500.0, 550.0]"),
    "tuple[float, ...]": list_of(number, example="[1.0, 2.0]"), "tuple[int, ...]": list_of(integer, example="[512, 512]"),
}


def spec_checks(spec_class: type, **overrides: Check) -> dict[str, Check]:
    """A check per argument of ``spec_class``, from its annotations (``X | None`` also takes null)."""
    out: dict[str, Check] = {}
    for field in attrs.fields(spec_class):
        if not field.init:
            continue
        name = field.alias or field.name
        annotation = str(field.type)
        base = annotation.removesuffix(" | None")
        check = overrides[name] if name in overrides else _BY_ANNOTATION[base]  # KeyError: give an override
        out[name] = optional(check) if base != annotation or name == "key" else check
    return out


DEVICE_SPECS = {
    "microscope": MicroscopeSpec, "excitation_source": ExcitationSourceSpec, "excitation_filter": OpticalFilterSpec,
    "emission_filter": OpticalFilterSpec, "dichroic_mirror": DichroicMirrorSpec, "photodetector": PhotodetectorSpec,
    "objective_lens": ObjectiveLensSpec,
}


# -- the mappings ------------------------------------------------------------------------------------------
def _path_argument(value: Any, where: str, problems: list) -> None:
    (list_of(text, example="[a.tif, b.tif]") if isinstance(value, (list, tuple)) else text)(value, where, problems)


def _extractor_arguments(value: Any, where: str, problems: list) -> None:
    from .sources import PATH_ARGUMENTS

    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append(f"{where}: its arguments must be a mapping of names to values, got {described(value)}")
        return
    for name, argument in value.items():
        if not isinstance(name, str):
            problems.append(f"{where}: the argument name {described(name)} must be text")
        elif name in PATH_ARGUMENTS:
            _path_argument(argument, f"{where}.{name}", problems)
        elif name == "sampling_frequency":
            optional(number)(argument, f"{where}.{name}", problems)
        else:
            anything_plain(argument, f"{where}.{name}", problems)


def extractor(value: Any, where: str, problems: list) -> None:
    """``{ClassName: {arguments}}``; which class names exist is checked where the extractor is made."""
    if isinstance(value, Mapping) and len(value) == 1:
        (class_name, arguments), = value.items()
        if isinstance(class_name, str):
            _extractor_arguments(arguments, f"{where}.{class_name}", problems)


_text = optional(text)
POSITION = fields(spec_checks(PositionSpec), required={"x_mm": "give x_mm, y_mm and z_mm", "y_mm": "give x_mm, y_mm and z_mm",
                                                      "z_mm": "give x_mm, y_mm and z_mm"})
_BY_ANNOTATION["PositionSpec"] = POSITION  # a lens's position, wherever a device has one
INJECTION = fields(spec_checks(InjectionSpec, position=optional(POSITION)),
                   required={"construct_name": "name the injected construct", "volume_ul": "give the volume in microlitres"})
INDICATOR = fields(spec_checks(IndicatorSpec, injection=optional(INJECTION)), required={"label": "name the indicator"})
CHANNEL = fields(spec_checks(ChannelSpec, indicator=optional(either(text, INDICATOR))))
def _devices_of(spec_class: type) -> Check:
    """One device of a kind (a mapping), or several (a list of mappings, each with its name)."""
    one = fields(spec_checks(spec_class))
    return either(list_of(fields(spec_checks(spec_class), required={"name": "name the device"})), one)


RIG = fields({"key": _text, "description": _text, "optical_path_scheme": _text, "microscope": fields(spec_checks(MicroscopeSpec)),
              **{slot: _devices_of(spec) for slot, spec in DEVICE_SPECS.items() if slot != "microscope"},
              "channels": list_of(CHANNEL)})


def _acquisition(spec_class: type) -> Check:
    return optional(fields(spec_checks(spec_class)))


def _space_checks() -> dict[str, Check]:
    sizes = optional(list_of(integer, example="[512, 512]"))
    return {
        "key": _text, "anatomical_target": text, "description": text, "illumination": text,
        "at_depth": fields({"base": text, "base_key": _text, "depth_um": number}),
        "planar": fields({"pixel_size_um": list_of(number, example="[1.2, 1.2]"), "dimensions_in_pixels": sizes},
                         required={"pixel_size_um": "give the pixel size in micrometres, e.g. [1.2, 1.2]"}),
        "volumetric": fields({"voxel_size_um": list_of(number, example="[1.2, 1.2, 5.0]"), "dimensions_in_voxels": sizes},
                             required={"voxel_size_um": "give the voxel size in micrometres, e.g. [1.2, 1.2, 5.0]"}),
        "fov_center": POSITION,
        "origin": fields(spec_checks(OriginSpec), required={"coordinates": "give the origin's coordinates"}),
        "line_scan": _acquisition(LineScanSpec), "plane_acquisition": _acquisition(PlaneAcquisitionSpec),
        "random_access_scan": _acquisition(RandomAccessScanSpec),
    }


SPACE = fields(_space_checks())
SERIES = fields({
    "key": _text, "extractor": extractor, "rig": text, "channel": text, "space": text, "description": text,
    "unit": fields({"unit": text, "conversion": number, "offset": number}, required={"unit": "name the unit"}),
    "in_processing": boolean, "timestamps": list_of(number, example="[0.0, 0.033, 0.067]"), "legacy_type": text,
    "rate": fields({"rate_hz": number, "starting_time": optional(number)}, required={"rate_hz": "give the rate in Hz"}),
    "grouped": either(boolean, fields({"planes": _text, "channels": _text})),
    "resolution": number, "comments": text, "continuity": text,
    "control": list_of(integer, example="[0, 0, 1, 1]"), "control_description": list_of(text, example="[rest, stimulus]"),
})
SEGMENTATION = fields({
    "key": _text, "extractor": extractor, "series": text, "space": text, "rig": text, "channel": text, "masks": text,
    "description": text, "traces": list_of(text, example="[raw, dff]"),
    "trace": optional(names_to(fields({"name": _text, "unit": _text, "description": _text, "conversion": number,
                                       "offset": number, "resolution": number, "comments": text, "continuity": text,
                                       "control": list_of(integer), "control_description": list_of(text)}))),
    "include_background": boolean, "include_centroids": boolean, "include_acceptance": boolean,
    "summary_images": list_of(text, example="[mean, correlation]"), "rename_images": names_to(text),
    "describe_images": names_to(text),
})
