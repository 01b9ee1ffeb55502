"""Shared helpers of the header readers: collecting facts, plain data, XML, MATLAB values, times."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .metadata import Channels, Detector, Laser, Objective, Recorded, Scan, SourceMetadata

_GROUPS = {"channels": Channels, "objective": Objective, "laser": Laser, "scan": Scan}
#: arrays with more values than this are summarised in ``raw`` (images and per-frame traces, not settings)
LARGEST_RAW_ARRAY = 1000


class Collector:
    """Gathers the facts of one source; a value that cannot be read becomes a note, never an exception.

    Parameters
    ----------
    vendor
        The software that wrote the files.
    files
        The header files read.
    """

    def __init__(self, vendor: str, files: Iterable[Path | str] = ()):
        self.vendor = vendor
        self.files = [str(Path(f).absolute()) for f in files]
        self.fields: dict[str, Recorded] = {}
        self.groups: dict[str, dict[str, Recorded]] = {name: {} for name in _GROUPS}
        self.detectors: list[Detector] = []
        self.raw: dict[str, Any] = {}
        self.notes: list[str] = []

    def fact(self, field: str, value: Any, key: str, convert: Callable[[Any], Any] = float, *,
             unit: str | None = None, note: str | None = None) -> Recorded | None:
        """Record ``convert(value)`` under ``field`` (``"frame_rate_hz"``, ``"objective.name"``); absent
        values (``None``, empty text, empty lists) are skipped, unreadable ones become a note."""
        recorded = self.recorded(field, value, key, convert, unit=unit, note=note)
        if recorded is not None:
            self.put(field, recorded)
        return recorded

    def recorded(self, what: str, value: Any, key: str, convert: Callable[[Any], Any] = float, *,
                 unit: str | None = None, note: str | None = None) -> Recorded | None:
        """``Recorded(convert(value), key, unit, note)``, or ``None`` (with a note when unreadable)."""
        if is_absent(value):
            return None
        try:
            converted = convert(value)
        except (TypeError, ValueError, ArithmeticError, IndexError, KeyError) as error:
            self.note(f"{what}: {key} = {str(value)[:80]!r} could not be read ({type(error).__name__}: {error})")
            return None
        return None if is_absent(converted) else Recorded(converted, key, unit, note)

    def attempt(self, what: str, make: Callable[[], Any]) -> Any:
        """``make()``, or ``None`` with a note when it fails on a malformed header."""
        try:
            return make()
        except Exception as error:  # noqa: BLE001 - a malformed header is reported, never raised
            self.note(f"{what}: could not be read ({type(error).__name__}: {error})")
            return None

    def put(self, field: str, recorded: Recorded | None) -> None:
        if recorded is None:
            return
        group, _, name = field.partition(".")
        if name:
            self.groups[group][name] = recorded
        else:
            self.fields[field] = recorded

    def detector(self, channel: str, gain: Recorded | None = None, offset: Recorded | None = None) -> None:
        if gain is not None or offset is not None:
            self.detectors.append(Detector(channel=str(channel), gain=gain, offset=offset))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def build(self) -> SourceMetadata:
        groups = {name: _GROUPS[name](**values) for name, values in self.groups.items()}
        raw = self.attempt("raw header", lambda: jsonable(self.raw)) or {}
        return SourceMetadata(vendor=self.vendor, files=tuple(self.files), **self.fields, **groups,
                              detectors=tuple(self.detectors), raw=raw, notes=tuple(self.notes))


def is_absent(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    return False


def empty(note: str | None = None) -> SourceMetadata:
    """The answer for a source nothing is known about (with a note saying why, if there is a reason)."""
    return SourceMetadata(notes=() if note is None else (note,))


# -- conversions -------------------------------------------------------------------------------------
def to_int(value: Any) -> int:
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def to_bool(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"{value!r} is not a true/false value")


def to_text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def floats(value: Any) -> tuple[float, ...]:
    """A flat tuple of floats from a number, a list, or nested lists (MATLAB column vectors)."""
    return tuple(float(v) for v in flatten(value))


def flatten(value: Any) -> list[Any]:
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    if isinstance(value, (list, tuple)):
        return [item for v in value for item in flatten(v)]
    return [value]


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data; non-finite numbers become the text MATLAB writes (``Inf``, ``NaN``)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUSV" or value.size <= LARGEST_RAW_ARRAY:
            return jsonable(value.tolist())
        return f"array of shape {list(value.shape)} and dtype {value.dtype} (left out)"
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Inf" if value > 0 else "-Inf")
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, complex):
        return [jsonable(value.real), jsonable(value.imag)]
    return str(value)


# -- XML ---------------------------------------------------------------------------------------------
def read_xml(path: Path) -> ET.Element:
    """The root element of an XML file (entities are not expanded by ElementTree)."""
    return ET.parse(path).getroot()


def xml_to_mapping(element: ET.Element) -> dict[str, Any]:
    """``{tag: {"@attribute": text, child_tag: ..., "#text": text}}``; repeated children become lists."""
    return {element.tag: _element_content(element)}


def _element_content(element: ET.Element) -> Any:
    content: dict[str, Any] = {f"@{name}": value for name, value in element.attrib.items()}
    children: dict[str, list[Any]] = {}
    for child in element:
        children.setdefault(child.tag, []).append(_element_content(child))
    for tag, values in children.items():
        content[tag] = values[0] if len(values) == 1 else values
    text = (element.text or "").strip()
    if text and not content:
        return text
    if text:
        content["#text"] = text
    return content or None


# -- MATLAB values (ScanImage headers) ---------------------------------------------------------------------
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def matlab_value(text: str) -> Any:
    """A MATLAB literal as Python: ``'text'``, numbers, ``Inf``/``NaN``, ``true``, ``[1 2;3 4]``, ``{'a' 'b'}``.

    Anything else is kept as its text.
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text in ("Inf", "inf", "-Inf", "-inf", "NaN", "nan"):
        return float(text)
    if _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and re.match(r"^[-+]?\d+$", text) else number
    if text.startswith("[") and text.endswith("]"):
        rows = [row.replace(",", " ").split() for row in text[1:-1].split(";")]
        values = [[matlab_value(v) for v in row] for row in rows if row]
        if not values:
            return []
        return values[0] if len(values) == 1 else values
    if text.startswith("{") and text.endswith("}"):
        return [matlab_value(v) for v in re.findall(r"'(?:[^']|'')*'|[^\s,;']+", text[1:-1])]
    return text


def key_value_lines(text: str) -> dict[str, Any]:
    """``key = value`` lines (separated by ``\\r`` or ``\\n``) as a mapping of MATLAB values."""
    out: dict[str, Any] = {}
    for line in re.split(r"[\r\n]+", text):
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip()] = matlab_value(value)
    return out


# -- times -------------------------------------------------------------------------------------------
NAIVE = "no time zone recorded: the local time of the acquisition computer"


def zoned(local: dt.datetime | None, epoch_seconds: float | None) -> tuple[dt.datetime, str | None]:
    """The start time from a local clock reading and/or a Unix time, as aware as the two allow.

    Both given: the local time with the UTC offset the two imply (rounded to 15 minutes). Only the
    Unix time: that instant in UTC. Only the local time: naive, with a note saying so.
    """
    if epoch_seconds is not None:
        instant = dt.datetime.fromtimestamp(float(epoch_seconds), tz=dt.timezone.utc)
        if local is None:
            return instant, "a UTC instant; the local time zone is not recorded"
        offset = (local - instant.replace(tzinfo=None)).total_seconds()
        quarter_hours = round(offset / 900)
        if abs(offset - quarter_hours * 900) <= 60 and abs(quarter_hours) <= 14 * 4:
            zone = dt.timezone(dt.timedelta(minutes=15 * quarter_hours))
            return instant.astimezone(zone), "UTC offset from the local time and the Unix time the header records"
        return instant, "a UTC instant; the local time recorded beside it does not match it"
    if local is None:
        raise ValueError("no time")
    return local, NAIVE


def parse_local(text: str, formats: Iterable[str]) -> dt.datetime:
    """The first of ``formats`` that reads ``text`` (fractions of a second allowed after ``%S``)."""
    text = text.strip()
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"{text!r} matches none of the formats {', '.join(formats)}")


def join_keys(*keys: str) -> str:
    """``"a.xml X, a.xml Y"`` as ``"a.xml X, Y"``: the file is named once."""
    first = keys[0].split(" ", 1)[0]
    rest = [k.split(" ", 1)[1] if k.startswith(first + " ") and " " in k else k for k in keys[1:]]
    return ", ".join([keys[0], *rest])


def natural_key(path: Path) -> list[Any]:
    """Sort key that orders ``file_2`` before ``file_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]
