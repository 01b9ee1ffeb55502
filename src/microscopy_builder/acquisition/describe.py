"""A session file pre-filled from what a source's files record, ``UNKNOWN`` where a person must fill in.

The file has the layout :mod:`microscopy_builder.session_file` reads (``session``, ``rigs``,
``spaces``, ``series`` or ``segmentations``); every value read from a header carries a comment
naming the key it came from.
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import Any

from ..errors import SourceDataError
from .commented_yaml import Commented, dump
from .common import join_keys
from .guess import SourceGuess, guess_source
from .metadata import Recorded, SourceMetadata
from .source import READERS

UNKNOWN = "UNKNOWN"
RIG, SPACE = "Rig", "ImagingSpace"
#: software that names the microscope's manufacturer
MANUFACTURERS = {"ThorImageLS": "Thorlabs", "Bruker PrairieView": "Bruker"}
SCANNERS = ("ScanImage", "ThorImageLS", "Bruker PrairieView")


def describe(source: str | Path, *, extractor: str | None = None, output: str | Path | None = None) -> str:
    """The text of a session file describing ``source`` (a file or folder).

    Parameters
    ----------
    source
        What to describe; the extractor is guessed from its contents unless ``extractor`` names one.
    extractor
        A roiextractors extractor class name (``"ScanImageImagingExtractor"``, ...).
    output
        Where the file will be written; paths inside it are made relative to its folder.

    Raises
    ------
    SourceDataError
        Nothing recognisable at ``source`` and no ``extractor`` given, or an unknown extractor name.
    """
    path = Path(source).absolute()
    if not path.exists():
        raise SourceDataError(f"{source}: no such file or folder")
    guess = _chosen(path, extractor)
    facts = READERS[guess.format](guess.header) if guess.format in READERS else SourceMetadata()
    folder = Path(output).absolute().parent if output is not None else Path.cwd()
    document = _document(guess, facts, folder)
    return dump(document, _header(path, guess, facts))


def _chosen(path: Path, extractor: str | None) -> SourceGuess:
    guess = guess_source(path)
    if extractor is None:
        if guess is None:
            raise SourceDataError(f"{path}: no known acquisition or analysis files here; name the roiextractors "
                                  "extractor that reads it with --extractor")
        return guess
    if guess is not None and guess.extractor == extractor:
        return guess
    return _named_extractor(path, extractor, guess)


def _named_extractor(path: Path, name: str, guess: SourceGuess | None) -> SourceGuess:
    import roiextractors

    cls = getattr(roiextractors, name, None)
    bases = (roiextractors.ImagingExtractor, roiextractors.SegmentationExtractor)
    if not (isinstance(cls, type) and issubclass(cls, bases)):
        raise SourceDataError(f"--extractor {name}: not a roiextractors extractor class")
    arguments, missing = {}, []
    for parameter in inspect.signature(cls.__init__).parameters.values():
        if parameter.name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if (parameter.name, path.is_dir()) in (("file_path", False), ("folder_path", True)):
            arguments[parameter.name] = str(path)
        elif parameter.default is inspect.Parameter.empty:
            missing.append(parameter.name)
    kind = "segmentation" if issubclass(cls, roiextractors.SegmentationExtractor) else "imaging"
    return SourceGuess(name, arguments, guess.format if guess else "unknown", guess.header if guess else path,
                       kind=kind, missing=tuple(missing))


def _header(path: Path, guess: SourceGuess, facts: SourceMetadata) -> list[str]:
    lines = [f"Session file pre-filled by `microscopy-builder describe` from {path}",
             f"({facts.vendor or 'no header recognised'}; read with roiextractors' {guess.extractor}).",
             "Values marked '# from ...' were read from the acquisition files; replace every UNKNOWN",
             "before `microscopy-builder convert`."]
    lines += [f"note: {note}" for note in facts.notes]
    if facts.source_files is not None:
        lines += [f"{facts.vendor} read these files ({facts.source_files.key}):",
                  *(f"  {name}" for name in facts.source_files.value)]
    if facts.frame_rate_hz is not None and guess.kind == "segmentation":
        lines.append(f"rate: {facts.frame_rate_hz.value:g} Hz ({_comment(facts.frame_rate_hz)})")
    return lines


def _comment(recorded: Recorded) -> str:
    return f"from {recorded.key}" + (f"; {recorded.note}" if recorded.note else "")


def _given(recorded: Recorded | None, convert=lambda v: v) -> Any:
    """A header value with its comment, or ``UNKNOWN``."""
    return UNKNOWN if recorded is None else Commented(convert(recorded.value), _comment(recorded))


def _document(guess: SourceGuess, facts: SourceMetadata, folder: Path) -> dict[str, Any]:
    channels = _channel_names(facts)
    document: dict[str, Any] = {
        "session": _session(facts),
        "rigs": {RIG: _rig(facts, channels)},
        "spaces": {SPACE: _space(facts)},
    }
    section = "segmentations" if guess.kind == "segmentation" else "series"
    document[section] = _sources(guess, facts, channels, folder)
    return document


def _session(facts: SourceMetadata) -> dict[str, Any]:
    start = facts.start_time
    if start is None:
        when: Any = UNKNOWN
    elif start.value.tzinfo is None:
        when = Commented(UNKNOWN, f"from {start.key}: {start.value.isoformat()} local time, no time zone recorded; "
                                  f"write it with its UTC offset, e.g. {start.value.isoformat()}-05:00")
    else:
        when = Commented(start.value.isoformat(), _comment(start))
    subject = {field: UNKNOWN for field in ("subject_id", "species", "sex", "age")}
    return {"session_description": UNKNOWN, "session_start_time": when, "subject": subject}


def _channel_names(facts: SourceMetadata) -> list[str]:
    recorded = _channels_recorded(facts)
    return ["Channel"] if recorded is None else [str(name) for name in recorded.value]


def _channels_recorded(facts: SourceMetadata) -> Recorded | None:
    """The channels the series are made of: those saved, else acquired, else named."""
    for recorded in (facts.channels.saved, facts.channels.acquired, facts.channels.names):
        if recorded is not None and recorded.value:
            return recorded
    return None


def _rig(facts: SourceMetadata, channels: list[str]) -> dict[str, Any]:
    rig: dict[str, Any] = {"microscope": _microscope(facts), "excitation_source": _excitation(facts)}
    detector = _photodetector(facts, channels)
    if detector is not None:
        rig["photodetector"] = detector
    if any(getattr(facts.objective, f) is not None for f in ("name", "magnification", "numerical_aperture")):
        rig["objective_lens"] = {
            "name": "Objective", "manufacturer": UNKNOWN, **({"model": _given(facts.objective.name, str)}
                                                             if facts.objective.name else {}),
            "magnification": _given(facts.objective.magnification),
            "numerical_aperture": _given(facts.objective.numerical_aperture),
        }
    rig["channels"] = [_channel(facts, name, len(channels) > 1) for name in channels]
    return rig


def _microscope(facts: SourceMetadata) -> dict[str, Any]:
    made = MANUFACTURERS.get(facts.vendor or "")
    microscope: dict[str, Any] = {"manufacturer": Commented(made, f"the files were written by {facts.vendor}, {made}'s "
                                                                  "acquisition software")
                                  if made else UNKNOWN}
    if facts.microscope is not None:
        microscope["model"] = _given(facts.microscope, str)
    if facts.scan.mode is not None:
        microscope["technique"] = _given(facts.scan.mode, lambda mode: f"{mode} scanning")
    if facts.software_version is not None:
        microscope["description"] = _given(facts.software_version, lambda v: f"Recorded with {facts.vendor} {v}.")
    return microscope


def _excitation(facts: SourceMetadata) -> dict[str, Any]:
    laser = facts.laser
    led = laser.excitation_mode is not None and laser.excitation_mode.value == "one-photon"
    source: dict[str, Any] = {
        "name": "LED" if led else "Laser",
        "manufacturer": UNKNOWN,
        "excitation_mode": _given(laser.excitation_mode, str),
        "source_type": Commented("LED", _comment(laser.excitation_mode)) if led else UNKNOWN,
        "wavelength_nm": _given(laser.wavelength_nm, float),
    }
    if laser.power is not None:
        unit = f" {laser.power.unit}" if laser.power.unit else ""
        source["description"] = Commented(f"Power setting {laser.power.value:g}{unit}.", _comment(laser.power))
    return source


def _photodetector(facts: SourceMetadata, channels: list[str]) -> dict[str, Any] | None:
    if not facts.detectors:
        return None
    keys = [r.key for d in facts.detectors for r in (d.gain, d.offset) if r is not None]
    pmt = next((key for key in keys if re.search(r"pmt", key, re.IGNORECASE)), None)
    detector: dict[str, Any] = {"name": "PMT" if pmt else "Detector", "manufacturer": UNKNOWN,
                                "detector_type": Commented("PMT", f"the header keeps PMT settings ({pmt})") if pmt
                                else UNKNOWN}
    mine = [d for d in facts.detectors if d.channel in channels] or list(facts.detectors)
    if len(mine) == 1 and mine[0].gain is not None and isinstance(mine[0].gain.value, float):
        detector["gain"] = _given(mine[0].gain)
    elif len(mine) == 1 and mine[0].gain is not None:
        detector["description"] = Commented(f"Gain setting {mine[0].gain.value}.", _comment(mine[0].gain))
    return detector


def _channel(facts: SourceMetadata, name: str, several: bool) -> dict[str, Any]:
    recorded = _channels_recorded(facts)
    channel: dict[str, Any] = {"name": name if recorded is None else Commented(name, _comment(recorded)),
                               "emission_wavelength_nm": UNKNOWN, "indicator": UNKNOWN}
    detector = next((d for d in facts.detectors if d.channel == name), None)
    if detector is not None and several:
        settings = [f"{field} {getattr(detector, field).value}" for field in ("gain", "offset")
                    if getattr(detector, field) is not None]
        channel["description"] = Commented(f"Detector {', '.join(settings)}.", "; ".join(
            _comment(getattr(detector, f)) for f in ("gain", "offset") if getattr(detector, f) is not None))
    return channel


def _space(facts: SourceMetadata) -> dict[str, Any]:
    planes = facts.planes.value if facts.planes is not None else 1
    volumetric = planes > 1
    grid_field, size_field, dims_field = (("volumetric", "voxel_size_um", "dimensions_in_voxels") if volumetric
                                          else ("planar", "pixel_size_um", "dimensions_in_pixels"))
    size = facts.pixel_size_um
    grid: dict[str, Any] = {size_field: _given(size, list) if size is not None and len(size.value) == (3 if volumetric else 2)
                            else UNKNOWN}
    if facts.frame_shape is not None:
        rows, columns = facts.frame_shape.value
        dims = [columns, rows, planes] if volumetric else [columns, rows]
        grid[dims_field] = Commented(dims, _comment(facts.frame_shape) + " (x = columns, y = rows)")
    space: dict[str, Any] = {grid_field: grid, "anatomical_target": UNKNOWN}
    if facts.plane_depths_um is not None:
        depths = ", ".join(f"{d:g}" for d in facts.plane_depths_um.value)
        space["description"] = Commented(f"Planes at z = {depths} um.", _comment(facts.plane_depths_um))
    illumination = _illumination(facts)
    if illumination is not None:
        space.update(illumination)
    return space


def _illumination(facts: SourceMetadata) -> dict[str, Any] | None:
    if facts.laser.excitation_mode is not None and facts.laser.excitation_mode.value == "one-photon":
        return {"plane_acquisition": {"plane_rate_hz": _given(facts.frame_rate_hz)} if facts.frame_rate_hz else {}}
    if facts.vendor not in SCANNERS:
        return None
    scan: dict[str, Any] = {}
    if facts.scan.line_rate_hz is not None:
        scan["line_rate_hz"] = _given(facts.scan.line_rate_hz)
    if facts.scan.bidirectional is not None:
        scan["scan_direction"] = _given(facts.scan.bidirectional, lambda b: "bidirectional" if b else "unidirectional")
    return {"line_scan": scan}


def _sources(guess: SourceGuess, facts: SourceMetadata, channels: list[str], folder: Path) -> dict[str, Any]:
    several = len(channels) > 1 and guess.channel_argument is not None
    base = _series_name(guess, facts)
    out: dict[str, Any] = {}
    for name in channels if several else channels[:1]:
        chosen = guess.with_channel(name if several else None)
        arguments = {key: _relative(value, folder) for key, value in chosen.arguments.items()}
        arguments.update({key: UNKNOWN for key in chosen.missing})
        rate = facts.frame_rate_hz
        if "sampling_frequency" in arguments and rate is not None and arguments["sampling_frequency"] == rate.value:
            arguments["sampling_frequency"] = _given(rate)
        entry: dict[str, Any] = {"extractor": {chosen.extractor: arguments}}
        if guess.kind == "segmentation":
            entry.update(space=SPACE, rig=RIG, channel=name)
        else:
            entry.update(rig=RIG, channel=name, space=SPACE)
            if facts.frames is not None and rate is not None:
                entry["description"] = Commented(f"{facts.frames.value} frames at {rate.value:g} Hz.",
                                                 f"from {join_keys(facts.frames.key, rate.key)}")
        out[base + (re.sub(r"\W", "", name) if several else "")] = entry
    return out


def _series_name(guess: SourceGuess, facts: SourceMetadata) -> str:
    if guess.kind == "segmentation":
        return "PlaneSegmentation"
    mode = facts.laser.excitation_mode.value if facts.laser.excitation_mode is not None else None
    return "OnePhotonSeries" if mode == "one-photon" else "TwoPhotonSeries"


def _relative(value: Any, folder: Path) -> Any:
    """A path under ``folder`` as a relative path (session files resolve those against their folder)."""
    if not isinstance(value, str) or not os.path.isabs(value):
        return value
    try:
        return str(Path(value).relative_to(folder))
    except ValueError:
        return value
