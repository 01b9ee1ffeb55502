"""UCLA Miniscope (Miniscope-DAQ-QT-Software): the device folder's ``metaData.json`` and ``timeStamps.csv``,
and the session folder's ``metaData.json`` one level up (its ``recordingStartTime``)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from .common import Collector, empty, to_int, zoned
from .metadata import Recorded, SourceMetadata

VENDOR = "UCLA Miniscope"
META, TIMES = "metaData.json", "timeStamps.csv"
TIME_COLUMN = "Time Stamp (ms)"
DEVICE_KEYS = ("deviceType", "deviceName", "frameRate", "ROI", "led0", "gain", "ewl")


def is_device_folder(folder: Path) -> bool:
    """A folder whose ``metaData.json`` describes a Miniscope (not a session of several devices)."""
    metadata = _load(folder / META)
    return isinstance(metadata, dict) and any(key in metadata for key in DEVICE_KEYS) and "miniscopes" not in metadata


def device_folder(path: Path) -> Path | None:
    """The device folder a path means: the folder, the folder of its ``metaData.json`` / ``timeStamps.csv``
    / videos, or the first Miniscope a session folder lists."""
    path = Path(path)
    folder = path.parent if path.is_file() else path
    if is_device_folder(folder):
        return folder
    session = _load(folder / META)
    if isinstance(session, dict):
        for name in session.get("miniscopes") or []:
            if is_device_folder(folder / str(name)):
                return folder / str(name)
    return None


def read(path: Path) -> SourceMetadata:
    """The facts a Miniscope device folder (and its session folder) record."""
    folder = device_folder(path)
    if folder is None:
        return empty(f"{path}: no Miniscope metaData.json found")
    device = _load(folder / META)
    session_path = folder.parent / META
    session = _load(session_path) if session_path.is_file() else None
    times_path = folder / TIMES
    files = [folder / META, *([session_path] if isinstance(session, dict) else []), *([times_path] if times_path.is_file() else [])]
    facts = Collector(VENDOR, files)
    facts.raw = {META: device, **({f"../{META}": session} if isinstance(session, dict) else {})}
    key = f"{META} "
    facts.fact("microscope", device.get("deviceType"), key + "deviceType", str)
    facts.fact("frame_rate_hz", device.get("frameRate"), key + "frameRate", _rate, unit="Hz",
               note=f"the configured rate; {TIMES} records each frame's time")
    roi = device.get("ROI")
    if isinstance(roi, dict) and roi.get("height") is not None and roi.get("width") is not None:
        facts.fact("frame_shape", (roi["height"], roi["width"]), key + "ROI/height, ROI/width",
                   lambda s: (to_int(s[0]), to_int(s[1])))
    facts.fact("laser.power", device.get("led0"), key + "led0", unit="%", note="the excitation LED's power setting")
    facts.fact("laser.excitation_mode", "one-photon", key + "deviceType", str,
               note="a Miniscope excites with an LED through its own optics")
    name = str(device.get("deviceName") or "Miniscope")
    facts.detector(name, gain=facts.recorded(f"detectors[{name}].gain", device.get("gain"), key + "gain", _gain,
                                             note="the image sensor's gain setting"))
    if isinstance(session, dict):
        facts.put("start_time", facts.attempt("start_time", lambda: _start_time(session)))
    if times_path.is_file():
        times = facts.attempt("timestamps_s", lambda: _timestamps(times_path))
        facts.put("timestamps_s", times)
        if times is not None:
            facts.put("frames", Recorded(len(times.value), f"{TIMES} rows"))
    return facts.build()


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _rate(value: Any) -> float:
    """``"30FPS"``, ``"30"`` or ``30`` as 30.0."""
    match = re.match(r"^\s*([0-9.]+)", str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a frame rate")
    return float(match.group(1))


def _gain(value: Any) -> Any:
    """A number when the setting is one, else the setting's name (``"Low"``, ``"Medium"``, ``"High"``)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _start_time(session: dict[str, Any]) -> Recorded | None:
    fields = session.get("recordingStartTime", session)
    where = f"../{META} recordingStartTime" if "recordingStartTime" in session else f"../{META}"
    names = ("year", "month", "day", "hour", "minute", "second")
    local = None
    if all(n in fields for n in names):
        local = dt.datetime(*(int(fields[n]) for n in names), microsecond=int(fields.get("msec", 0)) * 1000)
    epoch = fields.get("msecSinceEpoch")
    if local is None and epoch is None:
        return None
    value, note = zoned(local, None if epoch is None else float(epoch) / 1000.0)
    keys = [*(["year..msec"] if local is not None else []), *(["msecSinceEpoch"] if epoch is not None else [])]
    return Recorded(value, f"{where} {', '.join(keys)}", note=note)


def _timestamps(path: Path) -> Recorded:
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        column = next((c for c in reader.fieldnames or () if c.strip() == TIME_COLUMN), None)
        if column is None:
            raise ValueError(f"no {TIME_COLUMN!r} column (columns: {reader.fieldnames})")
        times = tuple(float(row[column]) / 1000.0 for row in reader if row.get(column, "").strip())
    return Recorded(times, f"{TIMES} {TIME_COLUMN}", "s", "from the start of the recording")
