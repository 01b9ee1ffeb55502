"""A file's session metadata as ``mb.Session`` keywords, and what of the file translation does not carry.

Every text and time field of the ``NWBFile`` that the file sets comes back under its own name;
``identifier`` is left out (a new file is a new file, and gets a new one), so is
``file_create_date``. The subject is a mapping of its fields, which ``mb.Session`` turns into a new
``Subject``. Translation carries the optical-physiology part of a file; everything else the file
holds (behaviour in ``acquisition``, trials, units, other processing modules, ...) is listed by
:func:`not_carried` so it can be reported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..subject import SUBJECT_FIELDS
from .devices import plain

#: NWBFile fields copied as they are
TEXT_FIELDS = (
    "session_description", "session_start_time", "timestamps_reference_time", "experimenter", "experiment_description",
    "session_id", "institution", "lab", "keywords", "notes", "pharmacology", "protocol", "related_publications", "slices",
    "source_script", "source_script_file_name", "data_collection", "surgery", "virus", "stimulus_notes",
    "was_generated_by",
)
_LISTS = frozenset({"experimenter", "keywords", "related_publications"})
#: NWBFile groups that hold no optical physiology, by field
OTHER_GROUPS = ("analysis", "stimulus", "stimulus_template", "intervals", "events", "scratch", "electrode_groups",
                "icephys_electrodes", "ogen_sites")
OTHER_TABLES = ("units", "electrodes", "sweep_table", "intracellular_recordings")


def session_kwargs(nwbfile: Any) -> dict[str, Any]:
    """``mb.Session`` keywords for the file's session: every field it sets, ``identifier`` aside."""
    found: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        value = nwbfile.fields.get(field)
        if value is None:
            continue
        if field == "timestamps_reference_time" and value == nwbfile.session_start_time:
            continue
        if field in _LISTS or hasattr(value, "shape") or isinstance(value, (list, tuple)):
            value = [_item(v) for v in (value[:] if hasattr(value, "shape") else value)]
        found[field] = value
    if nwbfile.subject is not None:
        found["subject"] = subject_fields(nwbfile.subject)
    return found


def _item(value: Any) -> Any:
    if isinstance(value, (list, tuple)) or (hasattr(value, "shape") and getattr(value, "ndim", 0) > 0):
        return [_item(v) for v in value]
    return plain(value)


def subject_fields(subject: Any) -> dict[str, Any]:
    """The fields a ``Subject`` sets, as the mapping ``mb.Session(subject=...)`` takes."""
    found = {}
    for field in SUBJECT_FIELDS:
        value = subject.fields.get(field)
        if value is None:
            continue
        if field == "age__reference" and value == "birth":  # pynwb's default
            continue
        found[field] = value if isinstance(value, dt.datetime) else plain(value)
    return found


def not_carried(nwbfile: Any, carried: set[str]) -> list[str]:
    """Paths of what the file holds beside its optical physiology, which a translation leaves out.

    ``carried`` are the object ids of the objects translated (series, static images, tables and
    what they hold).
    """
    left = []
    for name, obj in nwbfile.acquisition.items():
        if obj.object_id not in carried:
            left.append(f"acquisition/{name} ({type(obj).__name__})")
    for module_name, module in nwbfile.processing.items():
        for name, obj in module.data_interfaces.items():
            if obj.object_id not in carried:
                left.append(f"processing/{module_name}/{name} ({type(obj).__name__})")
    for field in OTHER_GROUPS:
        for name, obj in (nwbfile.fields.get(field) or {}).items():
            left.append(f"{field}/{name} ({type(obj).__name__})")
    for field in OTHER_TABLES:
        if nwbfile.fields.get(field) is not None:
            left.append(f"{field} ({type(nwbfile.fields[field]).__name__})")
    for name, obj in nwbfile.lab_meta_data.items():
        if obj.object_id not in carried:
            left.append(f"general/{name} ({type(obj).__name__})")
    return left
