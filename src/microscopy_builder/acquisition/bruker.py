"""Bruker PrairieView: the ``<folder>.xml`` (``PVScan``) beside the TIFFs, and the ``.env`` (``Environment``)."""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

from .common import NAIVE, Collector, empty, join_keys, parse_local, read_xml, to_int, xml_to_mapping
from .metadata import Recorded, SourceMetadata

VENDOR = "Bruker PrairieView"
ROOT = "PVScan"
VOLUME_SEQUENCES = ("ZSeries",)  # sequence types that step through depth ("TSeries ZSeries Element", "ZSeries")


def xml_file(path: Path) -> Path | None:
    """The PrairieView ``.xml`` of a folder (``<folder>/<folder>.xml`` first) or the file itself."""
    path = Path(path)
    if path.is_file():
        return path if path.suffix.lower() == ".xml" and is_prairieview(path) else None
    candidates = [path / f"{path.name}.xml", *sorted(path.glob("*.xml"))] if path.is_dir() else []
    return next((c for c in candidates if c.is_file() and is_prairieview(c)), None)


def is_prairieview(path: Path) -> bool:
    try:
        for _, element in ET.iterparse(path, events=("start",)):
            return element.tag == ROOT
    except (ET.ParseError, OSError):
        return False
    return False


def read(path: Path) -> SourceMetadata:
    """The facts a PrairieView folder's ``.xml`` (and ``.env``) record."""
    xml_path = xml_file(path)
    if xml_path is None:
        return empty(f"{path}: no PrairieView .xml found")
    env_path = xml_path.with_suffix(".env")
    files = [xml_path, *([env_path] if env_path.is_file() else [])]
    facts = Collector(VENDOR, files)
    root = facts.attempt(xml_path.name, lambda: read_xml(xml_path))
    if root is None:
        return facts.build()
    environment = facts.attempt(env_path.name, lambda: read_xml(env_path)) if env_path.is_file() else None
    facts.raw = {**xml_to_mapping(root), **(xml_to_mapping(environment) if environment is not None else {})}
    state = _State(xml_path.name, root, environment, env_path.name)
    facts.fact("software_version", root.get("version"), f"{xml_path.name} {ROOT}/@version", str)
    facts.fact("start_time", root.get("date"), f"{xml_path.name} {ROOT}/@date",
               lambda d: parse_local(d, ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S")), note=NAIVE)
    facts.fact("frame_rate_hz", *state.value("framePeriod"), lambda p: 1.0 / float(p), unit="Hz", note="1 / framePeriod")
    rows, columns = state.value("linesPerFrame"), state.value("pixelsPerLine")
    if rows[0] is not None and columns[0] is not None:
        facts.fact("frame_shape", (rows[0], columns[0]), join_keys(rows[1], columns[1]), lambda s: (to_int(s[0]), to_int(s[1])))
    facts.fact("zoom", *state.value("opticalZoom"))
    x, y = state.indexed("micronsPerPixel", "XAxis"), state.indexed("micronsPerPixel", "YAxis")
    if x[0] is not None and y[0] is not None:
        facts.fact("pixel_size_um", (x[0], y[0]), join_keys(x[1], y[1]),
                   lambda s: (float(s[0]), float(s[1])), unit="um", note="at the recording's optical zoom")
    facts.fact("objective.name", *state.value("objectiveLens"), str)
    facts.fact("objective.magnification", *state.value("objectiveLensMag"))
    facts.fact("objective.numerical_aperture", *state.value("objectiveLensNA"))
    facts.fact("laser.wavelength_nm", *state.indexed("laserWavelength", "0"), unit="nm")
    facts.fact("laser.power", *state.indexed("laserPower", "0"), note="the first Pockels cell's setting, in PrairieView's units")
    _scan(facts, state)
    _stage(facts, state)
    channels = _channels(facts, root, xml_path.name)
    _detectors(facts, state, channels)
    _frames(facts, root, xml_path.name, state)
    return facts.build()


class _State:
    """``PVStateValue`` lookups: the acquisition-wide shard of the .xml first, then the .env's."""

    def __init__(self, name: str, root: ET.Element, environment: ET.Element | None, env_name: str):
        self.sources = [(name, root.find("PVStateShard"))]
        if environment is not None:
            self.sources.append((env_name, environment.find(".//PVStateShard")))

    def element(self, key: str) -> tuple[ET.Element | None, str]:
        for name, shard in self.sources:
            found = None if shard is None else shard.find(f"PVStateValue[@key='{key}']")
            if found is not None:
                return found, f"{name} PVStateValue[@key='{key}']"
        return None, f"PVStateValue[@key='{key}']"

    def value(self, key: str) -> tuple[str | None, str]:
        element, where = self.element(key)
        return (None if element is None else element.get("value")), f"{where}/@value"

    def indexed(self, key: str, index: str) -> tuple[str | None, str]:
        element, where = self.element(key)
        found = None if element is None else element.find(f"IndexedValue[@index='{index}']")
        return (None if found is None else found.get("value")), f"{where}/IndexedValue[@index='{index}']/@value"

    def all_indexed(self, key: str) -> list[tuple[ET.Element, str]]:
        element, where = self.element(key)
        return [] if element is None else [(v, f"{where}/IndexedValue[@index='{v.get('index')}']/@value")
                                           for v in element.findall("IndexedValue")]


def _scan(facts: Collector, state: _State) -> None:
    mode, key = state.value("activeMode")
    if mode is not None and ("reson" in mode.lower() or "galvo" in mode.lower()):
        facts.fact("scan.mode", "resonant" if "reson" in mode.lower() else "galvo", key, str, note=f"PrairieView says {mode!r}")
    facts.fact("scan.line_rate_hz", *state.value("scanLinePeriod"), lambda p: 1.0 / float(p), unit="Hz",
               note="1 / scanLinePeriod")


def _stage(facts: Collector, state: _State) -> None:
    element, where = state.element("positionCurrent")
    if element is None:
        return
    values = []
    for axis in ("XAxis", "YAxis", "ZAxis"):
        first = element.find(f"SubindexedValues[@index='{axis}']/SubindexedValue")
        values.append(None if first is None else first.get("value"))
    if all(v is not None for v in values):
        facts.fact("stage_position_um", values, f"{where}/SubindexedValues (X, Y, Z)",
                   lambda v: tuple(float(x) for x in v), unit="um")


def _channels(facts: Collector, root: ET.Element, name: str) -> dict[int, str]:
    frame = root.find(".//Frame")
    files = [] if frame is None else frame.findall("File")
    channels = {to_int(f.get("channel")): f.get("channelName") or f"Ch{f.get('channel')}" for f in files
                if f.get("channel") is not None}
    ordered = tuple(channels[n] for n in sorted(channels))
    facts.fact("channels.names", ordered, f"{name} Frame/File/@channelName", tuple)
    facts.fact("channels.saved", ordered, f"{name} Frame/File/@channelName", tuple, note="the channels with files")
    return channels


def _detectors(facts: Collector, state: _State, channels: dict[int, str]) -> None:
    gains = {element.get("index"): (element.get("value"), key) for element, key in state.all_indexed("pmtGain")}
    offsets = {element.get("index"): (element.get("value"), key) for element, key in state.all_indexed("pmtOffset")}
    for number, channel in sorted(channels.items()):
        index = str(number - 1)  # PMT n records channel n
        gain = facts.recorded(f"detectors[{channel}].gain", *gains.get(index, (None, "")))
        offset = facts.recorded(f"detectors[{channel}].offset", *offsets.get(index, (None, "")))
        facts.detector(channel, gain, offset)


def _frames(facts: Collector, root: ET.Element, name: str, state: _State) -> None:
    sequences = root.findall("Sequence")
    if not sequences:
        return
    kind = sequences[0].get("type") or ""
    volumetric = any(volume in kind for volume in VOLUME_SEQUENCES)
    planes = len(sequences[0].findall("Frame")) if volumetric else 1
    facts.put("planes", Recorded(planes, f"{name} Sequence/@type" + (", Sequence[1]/Frame elements" if volumetric else ""),
                                 note=f"a {kind!r} sequence"))
    times = facts.attempt("timestamps_s", lambda: _frame_times(sequences, name))
    if times is not None:
        values, key = times
        samples = values[::planes]
        what = "the first plane of each volume" if volumetric else "each frame"
        facts.put("timestamps_s", Recorded(samples, key, "s", f"the time of {what}, from the start of the sequence"))
        facts.put("frames", Recorded(len(samples), f"{name} Frame elements" + (f" / {planes} planes" if volumetric else "")))
        if volumetric and len(samples) > 1:
            period = statistics.median(b - a for a, b in zip(samples, samples[1:]))
            facts.put("volume_rate_hz", Recorded(1.0 / period, key, "Hz", "from the median time between volumes"))
    if volumetric:
        depths = facts.attempt("plane_depths_um", lambda: _depths(sequences[0].findall("Frame"), state))
        if depths is not None:
            facts.put("plane_depths_um", Recorded(depths, f"{name} Frame/PVStateShard/PVStateValue[@key='positionCurrent']"
                                                  "/SubindexedValues[@index='ZAxis']", "um"))
        _z_step(facts, depths)


def _frame_times(sequences: list[ET.Element], name: str) -> tuple[tuple[float, ...], str] | None:
    """Every frame's time: ``relativeTime``, offset by each sequence's ``absoluteTime`` when it restarts at 0."""
    frames = [sequence.findall("Frame") for sequence in sequences]
    if not any(frames):
        return None
    restarts = len(frames) > 1 and frames[1] and float(frames[1][0].get("relativeTime")) == 0.0
    if not restarts:
        return tuple(float(f.get("relativeTime")) for group in frames for f in group), f"{name} Frame/@relativeTime"
    start = float(frames[0][0].get("absoluteTime"))
    times = [float(f.get("relativeTime")) + float(group[0].get("absoluteTime")) - start for group in frames if group
             for f in group]
    return tuple(times), f"{name} Frame/@relativeTime, Sequence/Frame[1]/@absoluteTime"


def _depths(frames: list[ET.Element], state: _State) -> tuple[float, ...] | None:
    device, _ = state.value("zDevice")
    z_index = to_int(device) if device is not None else 0
    depths = []
    for frame in frames:
        values = frame.findall("PVStateShard/PVStateValue[@key='positionCurrent']/SubindexedValues[@index='ZAxis']/SubindexedValue")
        if not values:
            return None
        depths.append(float(values[min(z_index, len(values) - 1)].get("value")))
    return tuple(depths)


def _z_step(facts: Collector, depths: tuple[float, ...] | None) -> None:
    size = facts.fields.get("pixel_size_um")
    if depths is not None and len(depths) > 1 and size is not None and len(size.value) == 2:
        step = abs(depths[1] - depths[0])
        facts.put("pixel_size_um", Recorded((*size.value, step), f"{size.key}, and the step between plane depths", "um"))
