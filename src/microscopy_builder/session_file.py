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

Relative paths are relative to the file that holds them. Every error names its place in the file:
``rigs.Bergamo.channels[0].emission_wavelength_nm``. A file may come from anyone, so it is read
defensively: plain YAML types only, within size, nesting and alias-expansion limits
(:mod:`microscopy_builder.bounded_yaml`); every value's type checked before it is used;
``include:`` only from the session file's folder and below (unless ``allow_outside_includes``);
and pickled data files checked before an extractor that unpickles reads them
(:mod:`microscopy_builder.safe_pickle`, unless ``trust_data``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from .builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder
from .builders.rig import channel_names
from .builders.schema import shown
from .builders.sources import extractor_call
from .errors import BuilderError, ValidationError
from .safe_pickle import check_extractor_data
from .session import Session
from .session_includes import INCLUDED_SECTIONS, SECTIONS, SessionFileError, Sources, included_files

__all__ = ["SECTIONS", "INCLUDED_SECTIONS", "Description", "SessionFileError", "load_session_file", "read_description"]

_KIND_SECTION = {"rig": "rigs", "space": "spaces", "series": "series", "segmentation": "segmentations"}


@attrs.frozen
class Description:
    """What a session file describes, as builders (extractors created, their data not yet read)."""

    session: dict[str, Any]
    rigs: dict[str, RigBuilder]
    spaces: dict[str, ImagingSpaceBuilder]
    series: dict[str, SeriesBuilder]
    segmentations: dict[str, SegmentationBuilder]


def read_description(path: str | Path, *, trust_data: bool = False, allow_outside_includes: bool = False) -> Description:
    """Read a session file (and the files it includes) into builders.

    Parameters
    ----------
    path
        The session file.
    trust_data
        Create extractors that unpickle without checking their pickled files first (see
        :func:`microscopy_builder.safe_pickle.check_extractor_data`). Only for data you trust.
    allow_outside_includes
        Let ``include:`` name files outside the session file's folder.
    """
    path = Path(path)
    sources = Sources(path, allow_outside_includes=allow_outside_includes)
    rigs: dict[str, RigBuilder] = {}
    spaces: dict[str, ImagingSpaceBuilder] = {}
    for holder, data in (*included_files(sources), (path, sources.data)):
        _read_shared(holder, data, rigs, spaces)
    data = sources.data
    series: dict[str, SeriesBuilder] = {}
    for name, fields in _section(path, data, "series").items():
        _check_data(path, f"series.{name}", fields, "imaging", trust_data)
        series[name] = _located(path, f"series.{name}", lambda: SeriesBuilder.from_dict(
            name, fields, rigs=rigs, spaces=spaces, base_folder=path.parent))
    segmentations: dict[str, SegmentationBuilder] = {}
    for name, fields in _section(path, data, "segmentations").items():
        _check_data(path, f"segmentations.{name}", fields, "segmentation", trust_data)
        segmentations[name] = _located(path, f"segmentations.{name}", lambda: SegmentationBuilder.from_dict(
            name, fields, rigs=rigs, spaces=spaces, series=series, base_folder=path.parent))
    session = data.get("session")
    if session is not None and not isinstance(session, Mapping):
        raise SessionFileError([f"{path}: session: must be a mapping of NWBFile fields, e.g. "
                                f"{{session_description: ..., session_start_time: ...}}"])
    return Description(dict(session or {}), rigs, spaces, series, segmentations)


def _read_shared(path: Path, data: Mapping[str, Any], rigs: dict, spaces: dict) -> None:
    for section, table, cls in (("rigs", rigs, RigBuilder), ("spaces", spaces, ImagingSpaceBuilder)):
        for name, fields in _section(path, data, section).items():
            if name in table:
                raise SessionFileError([f"{path}: {section}.{name}: defined twice (here and in an included file); "
                                        f"keep one of them"])
            builder = _located(path, f"{section}.{name}", lambda: cls.from_dict(name, fields))
            _located(path, f"{section}.{name}", builder.build, rigs={name: builder} if section == "rigs" else None)
            table[name] = builder


def _section(path: Path, data: Mapping[str, Any], section: str) -> dict[str, Any]:
    value = data.get(section)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SessionFileError([f"{path}: {section}: must be a mapping of names to descriptions"])
    odd = [name for name in value if not (isinstance(name, str) and name.isprintable() and name.strip())]
    if odd:
        raise SessionFileError([f"{path}: {section}: the name {shown(odd[0])} must be printable text on one line; "
                                f"rename it"])
    return {name: fields if fields is not None else {} for name, fields in value.items()}


def _check_data(path: Path, where: str, fields: Any, kind: str, trust_data: bool) -> None:
    """Refuse, before it is created, an extractor that would unpickle something other than plain data."""
    if trust_data or not isinstance(fields, Mapping) or "extractor" not in fields:
        return
    where = f"{where}.extractor"
    extractor_class, arguments = _located(path, where, lambda: extractor_call(fields["extractor"], where, path.parent, kind))
    _located(path, where, lambda: check_extractor_data(extractor_class.__name__, arguments, f"{where}.{extractor_class.__name__}"))


def _located(path: Path, where: str, make: Callable[[], Any], rigs: Mapping[str, RigBuilder] | None = None) -> Any:
    """Run ``make``; its problems come back as a ``SessionFileError`` naming places in the file."""
    try:
        return make()
    except ValidationError as error:
        raise SessionFileError([f"{path}: {locate(problem, rigs or {})}" for problem in error.problems]) from None
    except BuilderError as error:  # a conflict between two descriptions in the file
        raise SessionFileError([f"{path}: {where}: {str(error).splitlines()[0]}"]) from None
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as error:  # a value no check foresaw
        raise SessionFileError([f"{path}: {where}: could not be read ({type(error).__name__}: "
                                f"{str(error).splitlines()[0][:200] if str(error) else ''}); check its values' types"]) from None


def locate(problem: str, rigs: Mapping[str, RigBuilder]) -> str:
    """``rig 'Bergamo'.channels['Green'].x: ...`` as ``rigs.Bergamo.channels[0].x: ...``."""
    match = re.match(r"^(rig|space|series|segmentation) '([^']*)'(.*)$", problem, re.DOTALL)
    if match is None:
        return problem
    kind, name, rest = match.groups()
    if kind == "rig" and name in rigs:
        order = channel_names(rigs[name])
        rest = re.sub(r"channels\['([^']*)'\]", lambda m: f"channels[{order.index(m.group(1))}]" if m.group(1) in order
                      else m.group(0), rest)
    return f"{_KIND_SECTION[kind]}.{name}{rest}"


def load_session_file(path: str | Path, *, format: str | None = None, trust_data: bool = False,
                      allow_outside_includes: bool = False) -> Session:
    """The ``Session`` a session file describes, every series and segmentation added.

    ``format`` overrides the file's ``session.format``; ``trust_data`` and
    ``allow_outside_includes`` are as for :func:`read_description`.

    Raises
    ------
    SessionFileError
        Anything wrong with the file, or the files and data it names; each problem names its place.
    """
    path = Path(path)
    description = read_description(path, trust_data=trust_data, allow_outside_includes=allow_outside_includes)
    fields = session_fields(path, description.session)
    if format is not None:
        fields["format"] = format
    try:
        session = Session(**fields)
    except ValidationError as error:
        raise SessionFileError([f"{path}: session.{found}" for problem in error.problems for found in _nwb_problems(problem)]) from None
    for kind, builders in (("series", description.series), ("segmentations", description.segmentations)):
        for name, builder in builders.items():
            _located(path, f"{kind}.{name}", lambda: session.add(builder), rigs=description.rigs)
    return session


def session_fields(path: Path, given: Mapping[str, Any]) -> dict[str, Any]:
    """``Session`` keywords from a file's ``session:`` mapping: text checked, dates parsed, the subject made."""
    problems = []
    for name, value in given.items():
        if not isinstance(name, str) or not name.isprintable():
            problems.append(f"{path}: session: the field name {shown(name)} must be printable text; rename it")
        elif name == "subject":
            continue
        elif name.endswith("_time") and not isinstance(value, (str, dt.date)):
            problems.append(f"{path}: session.{name}: must be a date and time, e.g. 2026-01-05T09:30:00-05:00")
        elif isinstance(value, (list, tuple)) and not all(isinstance(item, (str, dt.datetime)) for item in value):
            problems.append(f"{path}: session.{name}: must be a list of text, e.g. [\"Doe, Jane\"]")
        elif isinstance(value, (Mapping, set)):
            problems.append(f"{path}: session.{name}: must be text (or a list of text), got a {type(value).__name__}")
    if problems:
        raise SessionFileError(problems)
    fields = dict(given)
    start = fields.get("session_start_time")
    if isinstance(start, str):
        try:
            fields["session_start_time"] = dt.datetime.fromisoformat(start)
        except ValueError:
            raise SessionFileError([f"{path}: session.session_start_time: {start[:40]!r} is not an ISO date and time; "
                                    f"write e.g. 2026-01-05T09:30:00-05:00"]) from None
    start = fields.get("session_start_time")
    if isinstance(start, dt.date) and (not isinstance(start, dt.datetime) or start.utcoffset() is None):
        timed = isinstance(start, dt.datetime)
        text, missing = (start.isoformat(), "UTC offset") if timed else (f"{start}T00:00:00", "time and UTC offset")
        raise SessionFileError([f"{path}: session.session_start_time: {start.isoformat()} has no {missing}; "
                                f"write it with one, such as {text}-05:00 (or Z for UTC)"])
    if "session_description" not in fields or "session_start_time" not in fields:
        raise SessionFileError([f"{path}: session: give session_description and session_start_time"])
    if "subject" in fields:
        fields["subject"] = _subject(path, fields["subject"])
    return fields


def _subject(path: Path, given: Any) -> Any:
    """The subject mapping, checked for shape; ``Session`` turns it into a Subject and names bad fields."""
    if not isinstance(given, Mapping):
        raise SessionFileError([f"{path}: session.subject: must be a mapping of Subject fields, e.g. "
                                f"{{subject_id: M-17, species: Mus musculus, sex: F, age: P90D}}"])
    return {str(name): value for name, value in given.items()}


_DOCVAL = re.compile(r"incorrect type for '([^']*)' \(got '(\w+)', expected '([^']*)'\)|(None is not allowed for|unrecognized "
                     r"argument:) '([^']*)'")


def _nwb_problems(problem: str) -> list[str]:
    """pynwb's ``NWBFile.__init__: incorrect type for 'lab' (got 'list', expected 'str'), ...`` as one problem a field."""
    found = []
    for name, got, expected, other, other_name in _DOCVAL.findall(problem):
        if name:
            found.append(f"{shown(name)}: must be {expected}, got {got}; give it that type")
        elif other.startswith("None"):
            found.append(f"{shown(other_name)}: must be given a value, not null")
        else:
            found.append(f"{shown(other_name)}: not a field it takes; remove it")
    if found:
        return found
    problem = re.sub(r"^(NWBFile arguments: )?\w+\.__init__: ", "", problem)
    return [problem if re.match(r"^[\w.\[\]']+: ", problem) else f"(all fields): {problem}"]
