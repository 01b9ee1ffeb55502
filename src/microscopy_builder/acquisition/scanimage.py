"""ScanImage 2016 and later: ``SI.*`` lines (Software tag and file header), the JSON ``RoiGroups``
(Artist tag) and per-frame values (``frameTimestamps_sec``, ``epoch``) in each ImageDescription."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import NAIVE, Collector, flatten, floats, key_value_lines, to_bool, to_int
from .metadata import Recorded, SourceMetadata

VENDOR = "ScanImage"
SOFTWARE, ARTIST, DESCRIPTION = "Software", "Artist", "ImageDescription"


def is_scanimage(page: Any) -> bool:
    return str(page.software or "").startswith("SI.") or "SI.VERSION_MAJOR" in str(page.description or "")


def read_tiff(tif: Any, file_path: Path, timestamp_files: Sequence[Path] | None = None) -> SourceMetadata:
    """The facts of an open ScanImage 2016+ ``tifffile.TiffFile``; per-frame times from ``timestamp_files``
    (default: this file)."""
    facts = Collector(VENDOR, [file_path])
    page = tif.pages[0]
    metadata = facts.attempt("ScanImage header", lambda: tif.scanimage_metadata) or {}
    frame = metadata.get("FrameData") if isinstance(metadata, dict) else None
    if not isinstance(frame, dict) or not frame:
        if metadata:
            facts.note(f"{file_path.name}: the ScanImage header block is unreadable; read the {SOFTWARE} tag instead")
        frame = facts.attempt(SOFTWARE, lambda: key_value_lines(page.software or "")) or {}
    rois = metadata.get("RoiGroups") if isinstance(metadata, dict) else None
    if not isinstance(rois, dict):
        rois = facts.attempt(ARTIST, lambda: _artist_rois(page)) or {}
    first = facts.attempt(DESCRIPTION, lambda: key_value_lines(page.description or "")) or {}
    facts.raw = {**frame, "RoiGroups": rois, **first}
    header = _Header(facts, frame)
    volumetric = _volumetric(frame)
    _timing(header, volumetric, first)
    _geometry(header, volumetric, rois)
    channels = _channels(header)
    _devices(header, channels)
    facts.put("timestamps_s", facts.attempt("timestamps_s", lambda: _timestamps(
        timestamp_files or [file_path], *_page_steps(frame, len(channels) or 1, volumetric), volumetric)))
    return facts.build()


class _Header:
    """Facts read from the ``SI.*`` frame data, each keyed by its name."""

    def __init__(self, facts: Collector, frame: dict[str, Any]):
        self.facts, self.frame = facts, frame

    def get(self, name: str) -> Any:
        return self.frame.get(name)

    def fact(self, field: str, name: str, convert=float, **kwargs: Any) -> Recorded | None:
        return self.facts.fact(field, self.frame.get(name), f"{SOFTWARE} {name}", convert, **kwargs)

    def recorded(self, what: str, name: str, convert=float, **kwargs: Any) -> Recorded | None:
        return self.facts.recorded(what, self.frame.get(name), f"{SOFTWARE} {name}", convert, **kwargs)


def _artist_rois(page: Any) -> dict[str, Any]:
    artist = page.tags.get("Artist")
    if artist is None:
        return {}
    return json.loads(str(artist.value).rstrip("\x00")).get("RoiGroups", {})


def _volumetric(frame: dict[str, Any]) -> bool:
    enabled = frame.get("SI.hStackManager.enable", frame.get("SI.hFastZ.enable", False))
    try:
        return to_bool(enabled) and to_int(frame.get("SI.hStackManager.numSlices", 1)) > 1
    except ValueError:
        return False


def _timing(header: _Header, volumetric: bool, first: dict[str, Any]) -> None:
    version = [header.get(f"SI.VERSION_{part}") for part in ("MAJOR", "MINOR", "UPDATE")]
    if version[0] is not None:
        parts = [str(v) for v in version if v is not None and str(v) != ""]
        header.facts.fact("software_version", ".".join(parts), f"{SOFTWARE} SI.VERSION_MAJOR, VERSION_MINOR, VERSION_UPDATE", str)
    header.fact("frame_rate_hz", "SI.hRoiManager.scanFrameRate", unit="Hz")
    if volumetric:
        header.fact("volume_rate_hz", "SI.hRoiManager.scanVolumeRate", unit="Hz")
    header.facts.fact("start_time", first.get("epoch"), f"{DESCRIPTION} epoch", _epoch, note=NAIVE)


def _epoch(values: Any) -> dt.datetime:
    year, month, day, hour, minute, seconds = floats(values)
    whole = int(seconds)
    return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), whole, round((seconds - whole) * 1e6))


def _geometry(header: _Header, volumetric: bool, rois: dict[str, Any]) -> None:
    rows, columns = header.get("SI.hRoiManager.linesPerFrame"), header.get("SI.hRoiManager.pixelsPerLine")
    if rows is not None and columns is not None:
        header.facts.fact("frame_shape", (rows, columns), f"{SOFTWARE} SI.hRoiManager.linesPerFrame, pixelsPerLine",
                          lambda s: (to_int(s[0]), to_int(s[1])))
    header.fact("zoom", "SI.hRoiManager.scanZoomFactor")
    if volumetric:
        planes = header.facts.fact("planes", header.get("SI.hStackManager.numSlices"),
                                   f"{SOFTWARE} SI.hStackManager.enable, SI.hStackManager.numSlices", to_int)
        header.facts.put("plane_depths_um", header.facts.attempt("plane_depths_um", lambda: _depths(header, planes)))
    elif "SI.hStackManager.enable" in header.frame:
        header.facts.fact("planes", 1, f"{SOFTWARE} SI.hStackManager.enable", int)
    xy = header.facts.attempt("pixel_size_um", lambda: _pixel_size_xy(header, rois))
    if xy is None:
        return
    values, key = xy
    step = header.facts.attempt("pixel_size_um", lambda: _z_step(header)) if volumetric else None
    if step is not None:
        values, key = (*values, step[0]), f"{key}, {step[1]}"
    header.facts.put("pixel_size_um", Recorded(values, f"{SOFTWARE} {key}", "um"))


def _depths(header: _Header, planes: Recorded | None) -> Recorded | None:
    if planes is None:
        return None
    for name in ("SI.hStackManager.zs", "SI.hStackManager.zsRelative", "SI.hFastZ.userZs"):
        zs = floats(header.get(name)) if header.get(name) is not None else ()
        if len(zs) == planes.value:
            return Recorded(zs, f"{SOFTWARE} {name}", "um")
    step = header.get("SI.hStackManager.actualStackZStepSize") or header.get("SI.hStackManager.stackZStepSize")
    if step in (None, []):
        return None
    return Recorded(tuple(i * float(step) for i in range(planes.value)), f"{SOFTWARE} SI.hStackManager.stackZStepSize",
                    "um", "relative to the first slice")


def _pixel_size_xy(header: _Header, rois: dict[str, Any]) -> tuple[tuple[float, float], str] | None:
    """(x, y) um per pixel at the recording's zoom, and the keys it came from."""
    columns, rows = header.get("SI.hRoiManager.pixelsPerLine"), header.get("SI.hRoiManager.linesPerFrame")
    fov_um = header.get("SI.hRoiManager.imagingFovUm")
    if _corners(fov_um) and columns and rows:
        width, height = _corners(fov_um)
        return (width / float(columns), height / float(rows)), "SI.hRoiManager.imagingFovUm / pixelsPerLine, linesPerFrame"
    um_per_degree = header.get("SI.objectiveResolution")
    if um_per_degree in (None, []):
        return None
    fov_degrees = header.get("SI.hRoiManager.imagingFovDeg")
    if _corners(fov_degrees) and columns and rows:
        width, height = _corners(fov_degrees)
        scale = float(um_per_degree)
        return ((width * scale / float(columns), height * scale / float(rows)),
                "SI.hRoiManager.imagingFovDeg x SI.objectiveResolution / pixelsPerLine, linesPerFrame")
    scanfield = _first_scanfield(rois)
    if scanfield and scanfield.get("sizeXY") and scanfield.get("pixelResolutionXY"):
        (sx, sy), (px, py) = floats(scanfield["sizeXY"]), floats(scanfield["pixelResolutionXY"])
        scale = float(um_per_degree)
        return ((sx * scale / px, sy * scale / py),
                "SI.objectiveResolution x RoiGroups.imagingRoiGroup.rois.scanfields.sizeXY / pixelResolutionXY")
    return None


def _corners(value: Any) -> tuple[float, float] | None:
    """Width and height of a ScanImage corner-point matrix ([x y; x y; ...])."""
    points = value if isinstance(value, list) and value and isinstance(value[0], list) else None
    if not points or len(points) < 2 or not all(len(p) == 2 for p in points):
        return None
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    return max(xs) - min(xs), max(ys) - min(ys)


def _first_scanfield(rois: dict[str, Any]) -> dict[str, Any] | None:
    group = rois.get("imagingRoiGroup", {}) if isinstance(rois, dict) else {}
    roi = group.get("rois") if isinstance(group, dict) else None
    roi = roi[0] if isinstance(roi, list) and roi else roi
    fields = roi.get("scanfields") if isinstance(roi, dict) else None
    fields = fields[0] if isinstance(fields, list) and fields else fields
    return fields if isinstance(fields, dict) else None


def _z_step(header: _Header) -> tuple[float, str] | None:
    for name in ("SI.hStackManager.actualStackZStepSize", "SI.hStackManager.stackZStepSize"):
        if header.get(name) not in (None, []):
            return abs(float(header.get(name))), name
    return None


def _channels(header: _Header) -> tuple[str, ...]:
    names = header.get("SI.hChannels.channelName")
    names = [str(n) for n in flatten(names)] if names is not None else []
    header.facts.fact("channels.names", names, f"{SOFTWARE} SI.hChannels.channelName", tuple)
    chosen: dict[str, tuple[str, ...]] = {}
    for field, name in (("acquired", "SI.hChannels.channelsActive"), ("saved", "SI.hChannels.channelSave")):
        recorded = header.recorded(f"channels.{field}", name, lambda v: _named(v, names))
        header.facts.put(f"channels.{field}", recorded)
        chosen[field] = () if recorded is None else recorded.value
    return chosen["saved"]


def _named(indices: Any, names: list[str]) -> tuple[str, ...]:
    """1-based channel numbers as names (``Channel N`` when the header names none)."""
    numbers = [to_int(i) for i in flatten(indices)]
    return tuple(names[n - 1] if 0 < n <= len(names) else f"Channel {n}" for n in numbers)


def _devices(header: _Header, saved: tuple[str, ...]) -> None:
    facts = header.facts
    names = [str(n) for n in flatten(header.get("SI.hChannels.channelName") or [])]
    for channel in saved:
        index = names.index(channel) if channel in names else None
        if index is None:
            continue
        gains, offsets = header.get("SI.hPmts.gains"), header.get("SI.hPmts.offsets")
        gain = facts.recorded(f"detectors[{channel}].gain", _item(gains, index), f"{SOFTWARE} SI.hPmts.gains[{index + 1}]")
        offset = facts.recorded(f"detectors[{channel}].offset", _item(offsets, index), f"{SOFTWARE} SI.hPmts.offsets[{index + 1}]")
        facts.detector(channel, gain, offset)
    facts.fact("laser.power", _item(header.get("SI.hBeams.powers"), 0), f"{SOFTWARE} SI.hBeams.powers[1]", unit="%")
    mode = header.get("SI.hScan2D.scanMode") or header.get("SI.hScan2D.scannerType")
    mode_key = "SI.hScan2D.scanMode" if header.get("SI.hScan2D.scanMode") else "SI.hScan2D.scannerType"
    facts.fact("scan.mode", mode, f"{SOFTWARE} {mode_key}", _scan_mode, note=f"ScanImage says {mode!r}")
    header.fact("scan.bidirectional", "SI.hScan2D.bidirectional", to_bool)
    header.fact("scan.line_rate_hz", "SI.hRoiManager.linePeriod", lambda p: 1.0 / float(p), unit="Hz",
                note="1 / linePeriod")
    for name in ("SI.hMotors.samplePosition", "SI.hMotors.motorPosition", "SI.hMotors.axesPosition"):
        if header.fact("stage_position_um", name, _xyz, unit="um") is not None:
            break


def _item(values: Any, index: int) -> Any:
    flat = flatten(values) if values is not None else []
    return flat[index] if index < len(flat) and flat[index] != [] else None


def _xyz(values: Any) -> tuple[float, float, float]:
    position = floats(values)
    if len(position) < 3:
        raise ValueError(f"expected x, y, z, got {list(position)}")
    return position[:3]


def _scan_mode(value: Any) -> str:
    text = str(value).lower()
    if "reson" in text or text.startswith("rg"):
        return "resonant"
    if text in ("linear", "gg", "galvo") or "galvo" in text:
        return "galvo"
    raise ValueError(f"unknown ScanImage scanner {value!r}")


def _page_steps(frame: dict[str, Any], channels: int, volumetric: bool) -> tuple[int, int]:
    """(first page, pages per time point) of the first saved channel's samples.

    A volume is channels x (slices x frames per slice + flyback frames) pages; its time is the
    time of its last imaged plane, as roiextractors' ScanImageImagingExtractor gives it.
    """
    if not volumetric:
        return 0, channels
    imaged = to_int(frame.get("SI.hStackManager.numSlices", 1)) * to_int(frame.get("SI.hStackManager.framesPerSlice", 1) or 1)
    flyback = to_int(frame.get("SI.hStackManager.numFramesPerVolumeWithFlyback", 0) or 0) - to_int(
        frame.get("SI.hStackManager.numFramesPerVolume", 0) or 0)
    return channels * (imaged - 1), channels * (imaged + max(flyback, 0))


def _timestamps(files: Sequence[Path], first: int, per_sample: int, volumetric: bool) -> Recorded | None:
    import tifffile

    times: list[float] = []
    offset = first  # index of the next page to read, counted from the start of the current file
    for path in files:
        with tifffile.TiffFile(path) as tif:
            count = len(tif.pages)
            for index in range(offset, count, per_sample):
                value = key_value_lines(tif.pages[index].description or "").get("frameTimestamps_sec")
                if value is None and times:
                    raise ValueError(f"page {index + 1} of {Path(path).name} has no frameTimestamps_sec")
                if value is None:
                    return None  # a ScanImage version that records no frame times
                times.append(float(value))
            offset = offset - count if offset >= count else (offset - count) % per_sample
    what = "the last plane of each volume" if volumetric else "each frame"
    what += " of the first saved channel"
    return Recorded(tuple(times), f"{DESCRIPTION} frameTimestamps_sec", "s", f"the time of {what}") if times else None
