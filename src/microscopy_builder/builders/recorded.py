"""What the acquisition files record, as the builders' defaults: it fills what the user left out, and a
value the user gave that contradicts it is a ``validate()`` warning naming both values and the header key.

The facts come from :func:`microscopy_builder.source_metadata` (an ``mb.SourceMetadata``). They are
applied when a builder builds, so a call made before or after ``from_source`` / ``from_extractor``
wins either way. The whole header (``SourceMetadata.raw``) is kept in the series' ``comments``: the one
free-text field every imaging series type of both layouts has, so it reaches HDF5 and Zarr files of
either format without an extension (see :func:`header_comments`).
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ..acquisition.metadata import Recorded, SourceMetadata
from ..errors import ValidationError
from ..specs import ExcitationSourceSpec, ImagingSpaceSpec, ObjectiveLensSpec, OriginSpec, PhotodetectorSpec, RigSpec
from ..specs.devices import ExcitationMode
from ..specs import TraceSpec
from ..specs.facts import imaging_facts, is_imaging_source, is_segmentation_source, segmentation_facts
from ..unknown import UNKNOWN

#: the line that introduces the header in a series' comments; the JSON follows on the next line
HEADER_INTRO = "Acquisition header"
#: a header longer than this (as JSON) is not stored; the comments say so and name its files
MAX_HEADER_CHARS = 4_000_000
_RELATIVE = 1e-3  # how far apart two numbers may be and still agree (headers round)


def with_recorded(builder: Any, metadata: Any) -> Any:
    """``builder`` holding ``metadata`` (an ``mb.SourceMetadata``) as the defaults it builds with."""
    if not isinstance(metadata, SourceMetadata):
        raise ValidationError([f"{builder.where}.from_source: give an mb.SourceMetadata, e.g. "
                               f"mb.source_metadata(extractor_or_path), got {type(metadata).__name__}"])
    return attrs.evolve(builder, recorded=metadata)


def _missing(value: Any) -> bool:
    """Nothing given: ``None``, ``mb.UNKNOWN``, or a sequence holding ``mb.UNKNOWN``."""
    if value is None or value is UNKNOWN:
        return True
    return isinstance(value, (tuple, list)) and any(v is UNKNOWN for v in value)


def _agree(given: Any, header: Any) -> bool:
    if isinstance(given, str) or isinstance(header, str):
        return str(given).strip().casefold() == str(header).strip().casefold()
    given, header = np.atleast_1d(np.asarray(given, dtype=float)), np.atleast_1d(np.asarray(header, dtype=float))
    return given.shape == header.shape and bool(np.allclose(given, header, rtol=_RELATIVE, atol=0.0))


def _shown(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else repr(value)


def disagreement(place: str, given: Any, recorded: Recorded, header: Any = None) -> str:
    """The warning for a given value the header contradicts."""
    header = recorded.value if header is None else header
    unit = f" {recorded.unit}" if recorded.unit and recorded.unit != "%" else ""
    return (f"{place}: {_shown(given)}{unit} given, but the acquisition header records {_shown(header)}{unit} "
            f"({recorded.key}); the given value is written")


# -- the rig ----------------------------------------------------------------------------------------------
def _offers(facts: SourceMetadata, rig: RigSpec) -> list[tuple[str, type, dict[str, Any], dict[str, Recorded]]]:
    """(slot, spec class, fields of a new device, header values by field) for each device the header describes."""
    offers = []
    objective = {field: getattr(facts.objective, source) for field, source in
                 (("model", "name"), ("magnification", "magnification"), ("numerical_aperture", "numerical_aperture"))}
    if any(objective.values()):
        offers.append(("objective_lens", ObjectiveLensSpec, {"name": "Objective"}, objective))
    laser = facts.laser
    modes = typing.get_args(ExcitationMode)
    mode = laser.excitation_mode if laser.excitation_mode is not None and laser.excitation_mode.value in modes else None
    if laser.wavelength_nm is not None or mode is not None or laser.power is not None:
        led = mode is not None and mode.value == "one-photon"
        new = {"name": "LED" if led else "Laser", **({"source_type": "LED"} if led else {})}
        if laser.power is not None:
            unit = f" {laser.power.unit}" if laser.power.unit else ""
            new["description"] = f"Power setting {laser.power.value:g}{unit} (from {laser.power.key})."
        offers.append(("excitation_source", ExcitationSourceSpec, new, {"wavelength_nm": laser.wavelength_nm,
                                                                        "excitation_mode": mode}))
    detector = _detector(facts, rig)
    if detector is not None:
        offers.append(detector)
    return offers


def _detector(facts: SourceMetadata, rig: RigSpec) -> tuple[str, type, dict[str, Any], dict[str, Recorded]] | None:
    """The photodetector of the rig's channel (or the one saved channel): its gain, and offset in words."""
    names = {c.name for c in rig.channels}
    saved = facts.channels.saved.value if facts.channels.saved is not None else ()
    mine = [d for d in facts.detectors if d.channel in names] or [d for d in facts.detectors if d.channel in saved]
    mine = mine or list(facts.detectors)
    if len(mine) != 1 or mine[0].gain is None or not isinstance(mine[0].gain.value, (int, float)):
        return None
    detector = mine[0]
    pmt = re.search("pmt", detector.gain.key, re.IGNORECASE) is not None
    new: dict[str, Any] = {"name": "PMT" if pmt else "Detector", **({"detector_type": "PMT"} if pmt else {})}
    if detector.offset is not None:
        new["description"] = f"Offset {detector.offset.value} (from {detector.offset.key})."
    return "photodetector", PhotodetectorSpec, new, {"gain": detector.gain}


def _filled_device(device: Any, header: dict[str, Recorded], place: str, notes: list[str]) -> Any:
    """``device`` with the fields it lacks taken from ``header``; a given one that disagrees is a note."""
    changes = {}
    for field, recorded in header.items():
        if recorded is None:
            continue
        given = getattr(device, field)
        if _missing(given):
            changes[field] = recorded.value
        elif field != "model" and not _agree(given, recorded.value):
            notes.append(disagreement(f"{place}.{field}", given, recorded))
    return attrs.evolve(device, **changes) if changes else device


def fill_rig(rig: RigSpec, facts: SourceMetadata | None, where: str) -> tuple[RigSpec, list[str]]:
    """``rig`` with the devices and settings the header records where the rig had none; the disagreements."""
    notes: list[str] = []
    if facts is None or facts.is_empty:
        return rig, notes
    optics = list(rig.optics)
    for slot, spec_class, new, header in _offers(facts, rig):
        present = [i for i, (kind, _) in enumerate(optics) if kind == slot]
        if not present:
            device = spec_class(**new)
            optics.append((slot, _filled_device(device, header, f"{where}.{slot}", notes)))
        elif len(present) == 1:
            index = present[0]
            device = optics[index][1]
            optics[index] = (slot, _filled_device(device, header, f"{where}.{slot} {device.name!r}", notes))
    rig = _channel_detectors(attrs.evolve(rig, optics=tuple(optics)), facts, where, notes)
    wavelength = facts.laser.wavelength_nm
    for channel in rig.channels:
        given = channel.excitation_wavelength_nm
        if wavelength is not None and not _missing(given) and not _agree(given, wavelength.value):
            notes.append(disagreement(f"{where}.channels[{channel.name!r}].excitation_wavelength_nm", given, wavelength))
    return rig, notes


def _channel_detectors(rig: RigSpec, facts: SourceMetadata, where: str, notes: list[str]) -> RigSpec:
    """Several of the rig's channels with a detector gain in the header: a rig without photodetectors gets one
    per such channel (``PMT_<channel>``, the channel naming it); a channel naming its own gets the gain it lacks."""
    gains = {d.channel: d for d in facts.detectors if d.gain is not None and isinstance(d.gain.value, (int, float))}
    if sum(c.name in gains for c in rig.channels) < 2:
        return rig
    optics, channels = list(rig.optics), list(rig.channels)
    adding = not rig.devices_in("photodetector")
    for index, channel in enumerate(channels):
        detector = gains.get(channel.name)
        if detector is None:
            continue
        if adding and channel.photodetector is None:
            name = "PMT_" + (re.sub(r"\W+", "_", channel.name).strip("_") or "channel")
            pmt = re.search("pmt", detector.gain.key, re.IGNORECASE) is not None
            offset = f"Offset {detector.offset.value} (from {detector.offset.key})." if detector.offset else None
            device = PhotodetectorSpec(name=name, detector_type="PMT" if pmt else None, gain=detector.gain.value,
                                       description=offset)
            optics.append(("photodetector", device))
            channels[index] = attrs.evolve(channel, photodetector=name)
        elif channel.photodetector is not None:
            at = next((i for i, (kind, d) in enumerate(optics) if kind == "photodetector" and d.name == channel.photodetector),
                      None)
            if at is not None:
                place = f"{where}.photodetector {channel.photodetector!r}"
                optics[at] = ("photodetector", _filled_device(optics[at][1], {"gain": detector.gain}, place, notes))
    return attrs.evolve(rig, optics=tuple(optics), channels=tuple(channels))


# -- the imaging space ------------------------------------------------------------------------------------
def _space_header(facts: SourceMetadata, volumetric: bool) -> dict[str, tuple[Recorded, Any]]:
    """Header values for the space's fields, as (recorded, value in the field's form)."""
    found: dict[str, tuple[Recorded, Any]] = {}
    size = facts.pixel_size_um
    if size is not None and len(size.value) == (3 if volumetric else 2):
        found["pixel_size_um"] = (size, tuple(float(v) for v in size.value))
    if facts.frame_shape is not None:
        rows, columns = facts.frame_shape.value
        planes = facts.planes.value if facts.planes is not None else 1
        found["dimensions"] = (facts.frame_shape, (columns, rows, planes) if volumetric else (columns, rows))
    if facts.stage_position_um is not None:
        found["origin"] = (facts.stage_position_um, tuple(float(v) for v in facts.stage_position_um.value))
    return found


def fill_space(space: ImagingSpaceSpec, facts: SourceMetadata | None, where: str,
               geometry_given: bool) -> tuple[ImagingSpaceSpec, list[str]]:
    """``space`` with the pixel size, grid, origin and plane depths the header records where the space had
    none; the disagreements."""
    notes: list[str] = []
    if facts is None or facts.is_empty:
        return space, notes
    changes: dict[str, Any] = {}
    size = facts.pixel_size_um
    if not geometry_given and facts.planes is not None and facts.planes.value > 1 and size is not None \
            and len(size.value) == 3:
        changes["geometry"] = "volumetric"
    volumetric = changes.get("geometry", space.geometry) == "volumetric"
    for field, (recorded, value) in _space_header(facts, volumetric).items():
        given = getattr(space, field)
        if field == "origin":
            given = None if given is None else (given.coordinates if given.unit == "micrometers" else value)
        if _missing(given):
            changes[field] = (OriginSpec(coordinates=value, unit="micrometers",
                                         reference_frame=f"the microscope stage's coordinates ({recorded.key})")
                              if field == "origin" else value)
        elif not _agree(given, value):
            notes.append(disagreement(f"{where}.{field}", given, recorded, value))
    depths = facts.plane_depths_um
    if depths is not None and space.description is None and len(depths.value) > 1:
        shown = ", ".join(f"{d:g}" for d in depths.value)
        changes["description"] = f"Planes at z = {shown} um (from {depths.key})."
    return (attrs.evolve(space, **changes) if changes else space), notes


# -- the series -------------------------------------------------------------------------------------------
def _header_rate(facts: SourceMetadata, volumetric: bool) -> Recorded | None:
    if volumetric:
        return facts.volume_rate_hz
    planes = facts.planes.value if facts.planes is not None else 1
    return facts.frame_rate_hz if planes == 1 or facts.volume_rate_hz is None else None


def series_timing(fields: dict[str, Any], facts: SourceMetadata) -> dict[str, Any]:
    """The header's frame times, else its rate, for a series whose extractor has neither (no native times,
    no usable rate) and to which the user gave neither."""
    source = fields.get("source")
    if not is_imaging_source(source) or fields.get("timestamps") is not None or fields.get("rate") is not None:
        return {}
    imaging = imaging_facts(source)
    if (imaging.times is not None and len(imaging.times) == imaging.frames) or imaging.rate is not None:
        return {}
    if facts.timestamps_s is not None and len(facts.timestamps_s.value) == imaging.frames:
        return {"timestamps": np.asarray(facts.timestamps_s.value, dtype="float64")}
    rate = _header_rate(facts, len(imaging.shape) == 3)
    return {} if rate is None else {"rate": float(rate.value)}


def series_notes(series: Any, facts: SourceMetadata | None, where: str) -> list[str]:
    """A rate given (or the extractor's own) that the header contradicts."""
    if facts is None or facts.is_empty or not is_imaging_source(series.source) or series.timestamps is not None:
        return []
    imaging = imaging_facts(series.source)
    header_rate = _header_rate(facts, len(imaging.shape) == 3)
    native = imaging.times is not None and len(imaging.times) == imaging.frames
    given, whose = (series.rate, "given") if series.rate is not None else (None if native else imaging.rate, "extractor")
    if given is None or header_rate is None or _agree(given, header_rate.value):
        return []
    place = f"{where}.rate" if whose == "given" else f"{where}.source sampling frequency"
    return [disagreement(place, float(given), header_rate)]


def series_channel(channel: str | None, rig: Any, facts: SourceMetadata) -> str | None:
    """The channel the header saved, when the user named none and the rig has a channel of that name."""
    if channel is not None or not isinstance(rig, RigSpec):
        return channel
    for recorded in (facts.channels.saved, facts.channels.acquired, facts.channels.names):
        names = [str(n) for n in recorded.value] if recorded is not None and recorded.value else []
        if names:
            known = [n for n in names if any(c.name == n for c in rig.channels)]
            return known[0] if len(names) == 1 and known else None
    return None


def header_comments(comments: str | None, facts: SourceMetadata) -> str | None:
    """The series' comments followed by the whole header: a line naming its software and files, then the
    header as one line of JSON (``json.loads`` of the last line gives ``SourceMetadata.raw``)."""
    if not facts.raw:
        return comments
    files = ", ".join(Path(f).name for f in facts.files) or "its files"
    try:
        text = json.dumps(facts.raw, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        kept = [f"{HEADER_INTRO} ({facts.vendor}; {files}): not stored, it is not plain data ({error})."]
    else:
        if len(text) > MAX_HEADER_CHARS:
            kept = [f"{HEADER_INTRO} ({facts.vendor}; {files}): not stored, its {len(text)} characters of JSON are more "
                    f"than the {MAX_HEADER_CHARS} kept; keep the files beside this one."]
        else:
            kept = [f"{HEADER_INTRO} ({facts.vendor}; {files}), whole, under its own key names, as JSON on the next "
                    "line:", text]
    return "\n".join([*([comments] if comments else []), *kept])


def header_traces(fields: dict[str, Any], facts: SourceMetadata) -> tuple[TraceSpec, ...]:
    """A segmentation's trace overrides with the whole header in the comments of its first trace written (the raw
    fluorescence when it has it): a segmentation has no comments of its own, its traces do."""
    overrides = tuple(fields.get("trace_overrides") or ())
    source = fields.get("source")
    if not facts.raw or not is_segmentation_source(source):
        return overrides
    kinds = [k for k in (fields.get("traces") or segmentation_facts(source).traces) if k]
    kind = "raw" if "raw" in kinds else (kinds[0] if kinds else None)
    if kind is None:
        return overrides
    given = next((t for t in overrides if t.kind == kind), TraceSpec(kind=kind))
    kept = attrs.evolve(given, options=attrs.evolve(given.options, comments=header_comments(given.options.comments, facts)))
    return (*(t for t in overrides if t.kind != kind), kept)


def header_in(comments: str | None) -> dict[str, Any] | None:
    """The header :func:`header_comments` kept in a series' comments, else ``None``."""
    lines = (comments or "").split("\n")
    if len(lines) >= 2 and lines[-2].startswith(HEADER_INTRO) and lines[-2].endswith("JSON on the next line:"):
        return json.loads(lines[-1])
    return None

