"""A session's new ``NWBFile``: its arguments checked first, every problem named at once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from pynwb import NWBFile

from .errors import ValidationError
from .specs.fields import nul_problems
from .subject import subject_from_mapping


def new_nwbfile(session_description: str, session_start_time: dt.datetime, extra_problems: list[str],
                **nwbfile_kwargs: Any) -> NWBFile:
    """The ``NWBFile`` of a new session; ``ValidationError`` listing ``extra_problems`` and every problem of the
    arguments. ``subject`` may be a mapping of its fields; ``identifier`` is a fresh UUID when omitted."""
    problems = list(extra_problems)
    if not isinstance(session_start_time, dt.datetime):
        problems.append(f"session_start_time: must be a datetime, got {type(session_start_time).__name__}")
    elif session_start_time.tzinfo is None or session_start_time.utcoffset() is None:
        problems.append("session_start_time: must be timezone-aware; pass e.g. "
                        "datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo('America/New_York'))")
    if not session_description:
        problems.append("session_description: required; say what the session recorded")
    texts = {"session_description": session_description, **{k: v for k, v in nwbfile_kwargs.items() if k != "subject"}}
    problems += [p for name, value in texts.items() for p in nul_problems(value, name)]
    subject = nwbfile_kwargs.get("subject")
    if subject is not None and hasattr(subject, "fields"):  # a pynwb Subject: its text fields too
        problems += nul_problems({k: v for k, v in subject.fields.items() if isinstance(v, (str, list))}, "subject")
    elif isinstance(subject, Mapping):
        problems += nul_problems(dict(subject), "subject")
        try:
            nwbfile_kwargs["subject"] = subject_from_mapping(subject)
        except ValidationError as error:
            problems += error.problems
    if problems:
        raise ValidationError(problems)
    nwbfile_kwargs.setdefault("identifier", str(uuid.uuid4()))
    try:
        return NWBFile(session_description=session_description, session_start_time=session_start_time, **nwbfile_kwargs)
    except (TypeError, ValueError) as error:
        raise ValidationError([f"NWBFile arguments: {error}"]) from None
