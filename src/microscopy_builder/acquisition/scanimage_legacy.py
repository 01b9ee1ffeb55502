"""ScanImage 3.x: ``state.*`` key=value lines, separated by ``\\r``, in each page's ImageDescription."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import NAIVE, Collector, floats, key_value_lines, parse_local, to_bool, to_int
from .metadata import Recorded, SourceMetadata

VENDOR = "ScanImage"
TAG = "ImageDescription"
CHANNELS = 4  # ScanImage 3.x has four numbered channels


def is_legacy(description: str) -> bool:
    return description.lstrip().startswith("state.")


def read_description(description: str, file_path: Path) -> SourceMetadata:
    """The facts of a ScanImage 3.x header (the first page's ImageDescription)."""
    facts = Collector(VENDOR, [file_path])
    header = facts.attempt(TAG, lambda: key_value_lines(description)) or {}
    facts.raw = header

    def fact(field: str, name: str, convert=float, **kwargs: Any) -> Recorded | None:
        return facts.fact(field, header.get(name), f"{TAG} {name}", convert, **kwargs)

    fact("software_version", "state.software.version", lambda v: str(v))
    fact("frame_rate_hz", "state.acq.frameRate", unit="Hz")
    fact("frames", "state.acq.numberOfFrames", to_int)
    fact("zoom", "state.acq.zoomFactor")
    rows, columns = header.get("state.acq.linesPerFrame"), header.get("state.acq.pixelsPerLine")
    if rows is not None and columns is not None:
        facts.fact("frame_shape", (rows, columns), f"{TAG} state.acq.linesPerFrame, state.acq.pixelsPerLine",
                   lambda s: (to_int(s[0]), to_int(s[1])))
    fact("start_time", "state.internal.triggerTimeString",
         lambda t: parse_local(str(t), ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S")), note=NAIVE)
    planes = fact("planes", "state.acq.numberOfZSlices", to_int)
    if planes is not None and planes.value > 1:
        fact("plane_depths_um", "state.acq.zStepSize", lambda s: tuple(i * float(s) for i in range(planes.value)),
             unit="um", note="relative to the first slice")
    position = [header.get(f"state.motor.abs{axis}Position") for axis in "XYZ"]
    if all(p is not None for p in position):
        facts.fact("stage_position_um", position, f"{TAG} state.motor.absXPosition, absYPosition, absZPosition",
                   floats, unit="um")
    _channels(facts, header)
    fact("scan.bidirectional", "state.acq.bidirectionalScan", to_bool)
    fact("scan.line_rate_hz", "state.acq.msPerLine", lambda ms: 1000.0 / float(ms), unit="Hz", note="1000 / msPerLine")
    if header.get("state.acq.zoomFactor") is not None:
        facts.note(f"ScanImage 3.x records the zoom ({TAG} state.acq.zoomFactor) but no micrometres per pixel or "
                   "per degree: give the pixel size from the rig's calibration")
    return facts.build()


def _channels(facts: Collector, header: dict[str, Any]) -> None:
    numbers = range(1, CHANNELS + 1)
    names = tuple(f"Channel {n}" for n in numbers if f"state.acq.acquiringChannel{n}" in header)
    if not names:
        return
    facts.fact("channels.names", names, f"{TAG} state.acq.acquiringChannel1-{CHANNELS}", tuple,
               note="ScanImage 3.x numbers its channels; the names are ScanImage's 'Channel N'")
    for field, flag in (("acquired", "acquiringChannel"), ("saved", "savingChannel")):
        chosen = facts.attempt(f"channels.{field}", lambda: tuple(
            f"Channel {n}" for n in numbers if to_bool(header.get(f"state.acq.{flag}{n}", 0))))
        facts.fact(f"channels.{field}", chosen, f"{TAG} state.acq.{flag}1-{CHANNELS}", tuple)
    for n in numbers:
        name = f"state.acq.pmtOffsetChannel{n}"
        facts.detector(f"Channel {n}", offset=facts.recorded(f"detectors[Channel {n}].offset", header.get(name), f"{TAG} {name}"))
