"""DANDI's rules: the metadata ``dandi validate`` requires, and where a file goes in a dandiset.

Facts from dandi-cli 0.81 (``dandi/organize.py``, ``dandi/files/bases.py``):

- ``dandi validate`` runs pynwb's validator and nwbinspector with its ``dandi`` configuration, whose
  CRITICAL checks (errors for DANDI) are the subject's: a Subject, its ``subject_id``, ``sex``,
  ``species`` and ``age`` or ``date_of_birth`` (see :mod:`microscopy_builder.subject`).
- A file's place is ``sub-<subject_id>/sub-<subject_id>[_ses-<session_id>][_desc-<label>]_<modality>.nwb``.
  Labels may not hold ``_ * \\ / < > : | " ' ? % @ ; .``; ``dandi organize`` turns those (and ``,`` and
  white space) into ``-``. Here a label is stricter: ASCII letters, digits and hyphens (BIDS
  labels plus DANDI's hyphen), so an id means the same everywhere it goes.
- Without a ``session_id``, ``dandi organize`` names the session from its start time:
  ``YYYYMMDD`` plus ``THHMMSS`` unless the time is midnight, in the start time's own offset.
- ``dandi organize`` takes the modality (``ophys``) only from core pynwb types, so a file holding
  only ndx-microscopy types gets none; the path is made here instead, ``_ophys`` for either format.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path, PurePosixPath
from typing import Any

import attrs

from .errors import ValidationError
from .subject import subject_problems

MODALITY = "ophys"
_LABEL = re.compile(r"[A-Za-z0-9-]+")


@attrs.frozen
class DandiName:
    """Where a session goes in a dandiset, and whether its session id was derived from the start time."""

    subject_id: str
    session_id: str
    session_id_derived: bool
    desc: str | None = None

    @property
    def relative_path(self) -> PurePosixPath:
        """``sub-<id>/sub-<id>_ses-<id>[_desc-<label>]_ophys.nwb``."""
        stem = f"sub-{self.subject_id}_ses-{self.session_id}" + (f"_desc-{self.desc}" if self.desc else "")
        return PurePosixPath(f"sub-{self.subject_id}", f"{stem}_{MODALITY}.nwb")


def is_label(value: Any) -> bool:
    """A DANDI label as written here: ASCII letters, digits and hyphens."""
    return isinstance(value, str) and _LABEL.fullmatch(value) is not None


def as_label(value: str) -> str:
    """``value`` with every character that is not a letter, digit or hyphen replaced by ``-``."""
    return re.sub(r"[^A-Za-z0-9-]", "-", value)


def session_id_from_start(start: dt.datetime) -> str:
    """The session id ``dandi organize`` derives from a start time: ``20240305T143000`` (``20240305`` at midnight)."""
    day = f"{start.year:04d}{start.month:02d}{start.day:02d}"
    return day if (start.hour, start.minute, start.second) == (0, 0, 0) else f"{day}T{start:%H%M%S}"


def label_problems(nwbfile: Any, desc: str | None = None) -> list[str]:
    """Ids that cannot name a path in a dandiset, each with the label to use instead."""
    checked = [("session.session_id", nwbfile.session_id), ("desc", desc)]
    if nwbfile.subject is not None:
        checked.insert(0, ("subject.subject_id", nwbfile.subject.subject_id))
    problems = []
    for where, value in checked:
        if value is not None and value != "" and not is_label(value):
            suggestion = f"; use e.g. {as_label(value)!r}" if isinstance(value, str) and as_label(value).strip("-") else ""
            problems.append(f"{where}: {value!r} is not a DANDI label (letters, digits and hyphens only){suggestion}")
    return problems


def dandi_problems(nwbfile: Any, desc: str | None = None) -> list[str]:
    """Everything ``dandi validate`` would reject in this file's metadata, and ids unfit for its path."""
    return [*subject_problems(nwbfile.subject), *label_problems(nwbfile, desc)]


def dandi_notes(nwbfile: Any) -> list[str]:
    """What DANDI will decide for the user: a session id derived from the start time."""
    if nwbfile.session_id:
        return []
    derived = session_id_from_start(nwbfile.session_start_time)
    return [f"session.session_id: not given; the DANDI path names the session {derived!r} from session_start_time "
            f"(as dandi organize does); give session_id to choose it"]


def subject_report(nwbfile: Any, *, dandi: bool) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the subject and ids: DANDI's requirements are errors only when ``dandi``."""
    if dandi:
        return dandi_problems(nwbfile), dandi_notes(nwbfile)
    return [], subject_problems(nwbfile.subject)


def dandi_name(nwbfile: Any, desc: str | None = None) -> DandiName:
    """The file's DANDI name; ``ValidationError`` listing every DANDI problem when it has none."""
    problems = dandi_problems(nwbfile, desc)
    if problems:
        raise ValidationError(problems)
    given = nwbfile.session_id
    session_id = given or session_id_from_start(nwbfile.session_start_time)
    return DandiName(nwbfile.subject.subject_id, session_id, session_id_derived=not given, desc=desc or None)


def dandi_destination(folder: str | Path, nwbfile: Any, desc: str | None = None) -> tuple[Path, DandiName]:
    """The file to write for ``nwbfile`` in the dandiset ``folder`` (which may exist), and its name."""
    folder = Path(folder)
    problems = [] if not folder.exists() or folder.is_dir() else [f"folder: {str(folder)!r} is a file, not a folder"]
    try:
        name = dandi_name(nwbfile, desc)
    except ValidationError as error:
        raise ValidationError([*problems, *error.problems]) from None
    if problems:
        raise ValidationError(problems)
    return folder.joinpath(*name.relative_path.parts), name


def layout_problem(path: Path, nwbfile: Any) -> str | None:
    """Why ``path`` is not where DANDI expects this file (``sub-<id>/sub-<id>...``), or None."""
    if nwbfile.subject is None or not is_label(nwbfile.subject.subject_id):
        return None
    subject = f"sub-{nwbfile.subject.subject_id}"
    name_ok = re.fullmatch(rf"{subject}(_ses-[A-Za-z0-9-]+)?(_desc-[A-Za-z0-9-]+)?(_[a-z]+(\+[a-z]+)*)?\.nwb", path.name)
    if name_ok and path.parent.name == subject:
        return None
    expected = f"{subject}/{subject}_ses-{nwbfile.session_id or session_id_from_start(nwbfile.session_start_time)}_{MODALITY}.nwb"
    return f"path: {path.parent.name}/{path.name} is not where DANDI expects this file; its place is {expected}"


def write_into_dandiset(session: Any, nwbfile: Any, folder: str | Path, desc: str | None, overwrite: bool,
                        **write_options: Any) -> Path:
    """``Session.write_dandi``: the session (whose file, not yet emitted, is ``nwbfile``) written where DANDI
    expects it in ``folder`` (see there)."""
    report = session.validate(dandi=True)
    try:
        if write_options.get("backend", "hdf5") != "hdf5":
            raise ValidationError(["backend: DANDI's layout names .nwb (HDF5) files; write_dandi writes HDF5"])
        path, _ = dandi_destination(folder, nwbfile, desc)
    except ValidationError as error:
        raise ValidationError(dict.fromkeys([*map(str, report.errors), *error.problems])) from None
    report.raise_for_errors()
    made = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return session.write(path, overwrite=overwrite, **write_options)
    except BaseException:
        for created in made:  # leave no empty folders behind a refused or failed write
            if created.exists() and not any(created.iterdir()):
                created.rmdir()
        raise
