"""ThorImageLS: the ``Experiment.xml`` written beside the TIFFs of every acquisition."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .common import Collector, parse_local, read_xml, to_int, xml_to_mapping, zoned
from .metadata import Recorded, SourceMetadata

VENDOR = "ThorImageLS"
FILE = "Experiment.xml"
#: ThorImageLS' LSM scan modes (its ScanMode enum)
SCAN_MODES = {0: "two-way", 1: "forward", 2: "backward"}
CHANNEL_LETTERS = "ABCD"


def read(xml_path: Path) -> SourceMetadata:
    """The facts ``Experiment.xml`` records (``xml_path`` is the file or its folder)."""
    xml_path = Path(xml_path)
    if xml_path.is_dir():
        xml_path = xml_path / FILE
    facts = Collector(VENDOR, [xml_path])
    root = facts.attempt(FILE, lambda: read_xml(xml_path))
    if root is None:
        return facts.build()
    facts.raw = xml_to_mapping(root)
    header = _Header(root)
    facts.fact("software_version", header.get("Software", "version"), header.key("Software", "version"), str)
    facts.put("start_time", facts.attempt("start_time", lambda: _start_time(header)))
    facts.fact("frame_rate_hz", header.get("LSM", "frameRate"), header.key("LSM", "frameRate"), unit="Hz")
    _frames(facts, header)
    facts.put("frame_shape", facts.attempt("frame_shape", lambda: _frame_shape(header)))
    facts.fact("objective.name", header.get("Magnification", "name"), header.key("Magnification", "name"), str)
    facts.fact("objective.magnification", header.get("Magnification", "mag"), header.key("Magnification", "mag"))
    _planes(facts, header)
    _pixel_size(facts, header)
    _channels(facts, header)
    _laser(facts, header)
    _scan(facts, header)
    return facts.build()


class _Header:
    """Attribute lookups in Experiment.xml, with the key each one names."""

    def __init__(self, root: ET.Element):
        self.root = root

    def get(self, path: str, name: str) -> str | None:
        element = self.root.find(path)
        return None if element is None else element.get(name)

    @staticmethod
    def key(path: str, *names: str) -> str:
        return f"{FILE} " + ", ".join(f"{path}/@{name}" for name in names)


def _start_time(header: _Header) -> Recorded | None:
    date, unix = header.get("Date", "date"), header.get("Date", "uTime")
    if date is None and unix is None:
        return None
    local = None if date is None else parse_local(date, ("%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"))
    value, note = zoned(local, None if unix is None else float(unix))
    names = [n for n, v in (("date", date), ("uTime", unix)) if v is not None]
    return Recorded(value, header.key("Date", *names), note=note)


def _frames(facts: Collector, header: _Header) -> None:
    if header.get("Streaming", "enable") == "1":
        facts.fact("frames", header.get("Streaming", "frames"), header.key("Streaming", "frames"), to_int)
    else:
        facts.fact("frames", header.get("Timelapse", "timepoints"), header.key("Timelapse", "timepoints"), to_int)


def _frame_shape(header: _Header) -> Recorded | None:
    rows, columns = header.get("LSM", "pixelY"), header.get("LSM", "pixelX")
    if rows is None or columns is None:
        return None
    return Recorded((to_int(rows), to_int(columns)), header.key("LSM", "pixelY", "pixelX"))


def _fast_z(header: _Header) -> bool:
    return header.get("Streaming", "enable") == "1" and header.get("Streaming", "zFastEnable") == "1"


def _planes(facts: Collector, header: _Header) -> None:
    steps, step = header.get("ZStage", "steps"), header.get("ZStage", "stepSizeUM")
    if not _fast_z(header):
        note = None
        if steps not in (None, "0", "1"):
            note = f"ZStage describes {steps} steps, but streaming without fast Z (Streaming/@zFastEnable = 0) images one plane"
        if header.get("Streaming", "enable") == "1":
            facts.fact("planes", 1, header.key("Streaming", "zFastEnable"), int, note=note)
        return
    count = facts.fact("planes", steps, header.key("ZStage", "steps"), to_int)
    if count is not None and step is not None:
        facts.fact("plane_depths_um", step, header.key("ZStage", "steps", "stepSizeUM"),
                   lambda s: tuple(i * float(s) for i in range(count.value)), unit="um",
                   note="relative to the first plane")


def _pixel_size(facts: Collector, header: _Header) -> None:
    size = header.get("LSM", "pixelSizeUM")
    if _fast_z(header) and header.get("ZStage", "stepSizeUM") is not None:
        facts.fact("pixel_size_um", size, header.key("LSM", "pixelSizeUM") + ", " + header.key("ZStage", "stepSizeUM")[len(FILE) + 1:],
                   lambda s: (float(s), float(s), float(header.get("ZStage", "stepSizeUM"))), unit="um")
    else:
        facts.fact("pixel_size_um", size, header.key("LSM", "pixelSizeUM"), lambda s: (float(s), float(s)), unit="um")


def _channels(facts: Collector, header: _Header) -> None:
    names = tuple(w.get("name") for w in header.root.findall("Wavelengths/Wavelength") if w.get("name"))
    facts.fact("channels.names", names, f"{FILE} Wavelengths/Wavelength/@name", tuple)
    mask = header.get("Wavelengths/ChannelEnable", "Set")
    acquired = facts.recorded("channels.acquired", mask, header.key("Wavelengths/ChannelEnable", "Set"),
                              lambda m: _enabled(to_int(m), names), note="a bit per channel: A = 1, B = 2, C = 4, D = 8")
    facts.put("channels.acquired", acquired)
    if acquired is not None and header.get("RawData", "onlyEnabledChannels") == "1":
        facts.fact("channels.saved", acquired.value, header.key("RawData", "onlyEnabledChannels") + ", "
                   + acquired.key[len(FILE) + 1:], tuple)
    for name in names:
        letter = name[-1].upper()
        if letter not in CHANNEL_LETTERS:
            continue
        gain = facts.recorded(f"detectors[{name}].gain", header.get("PMT", f"gain{letter}"), header.key("PMT", f"gain{letter}"))
        offset = facts.recorded(f"detectors[{name}].offset", header.get("PMT", f"offset{letter}Volts"),
                                header.key("PMT", f"offset{letter}Volts"), unit="V")
        facts.detector(name, gain, offset)


def _enabled(mask: int, names: tuple[str, ...]) -> tuple[str, ...]:
    letters = [letter for bit, letter in enumerate(CHANNEL_LETTERS) if mask & (1 << bit)]
    by_letter = {name[-1].upper(): name for name in names}
    if not all(letter in by_letter for letter in letters):
        raise ValueError(f"the mask names channels {letters}, the Wavelengths {list(names)}")
    return tuple(by_letter[letter] for letter in letters)


def _laser(facts: Collector, header: _Header) -> None:
    facts.fact("laser.power", header.get("Pockels", "start"), f"{FILE} Pockels[1]/@start", unit="%",
               note="the first Pockels cell's power at the start of the acquisition")
    for attribute in ("wavelength", "wavelengthNM"):
        facts.fact("laser.wavelength_nm", header.get("MultiPhotonLaser", attribute), header.key("MultiPhotonLaser", attribute),
                   unit="nm")
    modality = header.get("Modality", "name")
    if modality is not None and "multiphoton" in modality.lower():
        facts.fact("laser.excitation_mode", "two-photon", header.key("Modality", "name"), str,
                   note=f"the modality is {modality!r}")


def _scan(facts: Collector, header: _Header) -> None:
    name = header.get("LSM", "name")
    if name is not None and ("reson" in name.lower() or "galvo" in name.lower()):
        mode = "resonant" if "reson" in name.lower() else "galvo"
        facts.fact("scan.mode", mode, header.key("LSM", "name"), str, note=f"the scanner is {name!r}")
    facts.fact("scan.bidirectional", header.get("LSM", "scanMode"), header.key("LSM", "scanMode"),
               lambda m: SCAN_MODES[to_int(m)] == "two-way", note="ThorImageLS scan modes: 0 two-way, 1 forward, 2 backward")
    if header.get("LSM", "averageMode") not in (None, "0"):
        facts.note(f"frames are averages of {header.get('LSM', 'averageNum')} scans ({FILE} LSM/@averageMode, LSM/@averageNum)")

