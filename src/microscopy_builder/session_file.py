"""Declarative session files: one YAML file describes a session, its rigs, spaces, series and segmentations.

The file maps one-to-one onto the builders (see ``to_dict()`` / ``from_dict()`` on each)::

    include: [rigs/bergamo.yaml]          # rigs and spaces shared by many sessions
    session:
      session_description: V1 two-photon imaging
      session_start_time: 2026-01-05T09:30:00-05:00
      format: legacy
      subject: {subject_id: M1, species: Mus musculus, sex: F, age: P90D}
    spaces:
      V1_L23: {planar: {pixel_size_um: [1.2, 1.2]}, anatomical_target: VISp2/3, line_scan: {}}
    series:
      TwoPhotonSeries:
        extractor: {TiffImagingExtractor: {file_path: movie.tif, sampling_frequency: 30.0}}
        rig: Bergamo
        space: V1_L23
    segmentations:
      PlaneSegmentation:
        extractor: {Suite2pSegmentationExtractor: {folder_path: suite2p}}
        series: TwoPhotonSeries

The file is loaded safely (plain YAML types only). Relative paths are relative to the file that
holds them. Every error names its place in the file: ``rigs.Bergamo.channels[0].emission_wavelength_nm``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from .builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder
from .errors import ValidationError
from .session import Session

SECTIONS = ("include", "session", "rigs", "spaces", "series", "segmentations")
_KIND_SECTION = {"rig": "rigs", "space": "spaces", "series": "series", "segmentation": "segmentations"}


class SessionFileError(ValidationError):
    """A session file is unreadable or describes something wrong; each problem names its place."""


@attrs.frozen
class Description:
    """What a session file describes, as builders (before any data is read)."""

    session: dict[str, Any]
    rigs: dict[str, RigBuilder]
    spaces: dict[str, ImagingSpaceBuilder]
    series: dict[str, SeriesBuilder]
    segmentations: dict[str, SegmentationBuilder]


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping, loaded safely."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SessionFileError([f"{path}: no such file"]) from None
    except yaml.YAMLError as error:
        raise SessionFileError([f"{path}: not valid YAML ({str(error).splitlines()[0]})"]) from None
    if not isinstance(data, dict):
        raise SessionFileError([f"{path}: must hold a mapping with sections {', '.join(SECTIONS)}"])
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise SessionFileError([f"{path}: unknown section(s) {', '.join(map(str, unknown))}; sections are {', '.join(SECTIONS)}"])
    return data


def read_description(path: str | Path) -> Description:
    """Read a session file (and the files it includes) into builders; no extractor data is read yet."""
    path = Path(path)
    data = read_yaml(path)
    rigs: dict[str, RigBuilder] = {}
    spaces: dict[str, ImagingSpaceBuilder] = {}
    for included in data.get("include") or []:
        other = path.parent / included
        shared = read_yaml(other)
        _read_shared(other, shared, rigs, spaces)
    _read_shared(path, data, rigs, spaces)
    series: dict[str, SeriesBuilder] = {}
    for name, fields in _section(path, data, "series").items():
        series[name] = _located(path, lambda: SeriesBuilder.from_dict(name, fields, rigs=rigs, spaces=spaces, base_folder=path.parent))
    segmentations = {
        name: _located(path, lambda: SegmentationBuilder.from_dict(name, fields, rigs=rigs, spaces=spaces, series=series,
                                                                   base_folder=path.parent))
        for name, fields in _section(path, data, "segmentations").items()
    }
    session = data.get("session") or {}
    if not isinstance(session, Mapping):
        raise SessionFileError([f"{path}: session: must be a mapping of NWBFile fields"])
    return Description(dict(session), rigs, spaces, series, segmentations)


def _read_shared(path: Path, data: dict[str, Any], rigs: dict, spaces: dict) -> None:
    for section, table, cls in (("rigs", rigs, RigBuilder), ("spaces", spaces, ImagingSpaceBuilder)):
        for name, fields in _section(path, data, section).items():
            if name in table:
                raise SessionFileError([f"{path}: {section}.{name}: defined twice (here and in an included file)"])
            builder = _located(path, lambda: cls.from_dict(name, fields))
            _located(path, builder.build, rigs={name: builder} if section == "rigs" else None)  # check it now
            table[name] = builder


def _section(path: Path, data: Mapping[str, Any], section: str) -> dict[str, Any]:
    value = data.get(section) or {}
    if not isinstance(value, Mapping):
        raise SessionFileError([f"{path}: {section}: must be a mapping of names to descriptions"])
    return {str(name): fields if fields is not None else {} for name, fields in value.items()}


def _located(path: Path, make, rigs: Mapping[str, RigBuilder] | None = None) -> Any:
    """Run ``make``; its problems come back as a ``SessionFileError`` naming places in the file."""
    try:
        return make()
    except ValidationError as error:
        raise SessionFileError([f"{path}: {locate(problem, rigs or {})}" for problem in error.problems]) from None


def locate(problem: str, rigs: Mapping[str, RigBuilder]) -> str:
    """``rig 'Bergamo'.channels['Green'].x: ...`` as ``rigs.Bergamo.channels[0].x: ...``."""
    match = re.match(r"^(rig|space|series|segmentation) '([^']*)'(.*)$", problem, re.DOTALL)
    if match is None:
        return problem
    kind, name, rest = match.groups()
    if kind == "rig" and name in rigs:
        order = [c.name for c in rigs[name]._channels]
        rest = re.sub(r"channels\['([^']*)'\]", lambda m: f"channels[{order.index(m.group(1))}]" if m.group(1) in order
                      else m.group(0), rest)
    return f"{_KIND_SECTION[kind]}.{name}{rest}"


def load_session_file(path: str | Path, *, format: str | None = None) -> Session:
    """The ``Session`` a session file describes, every series and segmentation added.

    ``format`` overrides the file's ``session.format``.
    """
    path = Path(path)
    description = read_description(path)
    fields = dict(description.session)
    if format is not None:
        fields["format"] = format
    start = fields.get("session_start_time")
    if isinstance(start, str):
        try:
            fields["session_start_time"] = dt.datetime.fromisoformat(start)
        except ValueError:
            raise SessionFileError([f"{path}: session.session_start_time: {start!r} is not an ISO date and time; "
                                    f"write e.g. 2026-01-05T09:30:00-05:00"]) from None
    start = fields.get("session_start_time")
    if isinstance(start, dt.date) and (not isinstance(start, dt.datetime) or start.utcoffset() is None):
        timed = isinstance(start, dt.datetime)
        text, missing = (start.isoformat(), "UTC offset") if timed else (f"{start}T00:00:00", "time and UTC offset")
        raise SessionFileError([f"{path}: session.session_start_time: {start.isoformat()} has no {missing}; "
                                f"write it with one, such as {text}-05:00 (or Z for UTC)"])
    if "session_description" not in fields or "session_start_time" not in fields:
        raise SessionFileError([f"{path}: session: give session_description and session_start_time"])
    try:
        session = Session(**fields)
    except ValidationError as error:
        raise SessionFileError([f"{path}: session.{problem}" for problem in error.problems]) from None
    for builder in (*description.series.values(), *description.segmentations.values()):
        _located(path, lambda: session.add(builder), rigs=description.rigs)
    return session
