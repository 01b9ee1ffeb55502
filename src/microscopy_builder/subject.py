"""The subject of a session: made from a plain mapping, and checked the way nwbinspector judges it.

nwbinspector rates a missing Subject, and a Subject without ``subject_id``, ``sex`` or ``age``
(or ``date_of_birth``), CRITICAL for every file; under its ``dandi`` configuration (what ``dandi
validate`` runs) a missing or malformed ``species`` is CRITICAL too. The forms below are the ones
nwbinspector 0.7 accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from pynwb.file import Subject

from .errors import ValidationError

#: the Subject fields a mapping may give, in the order pynwb documents them
SUBJECT_FIELDS = (
    "subject_id", "species", "sex", "age", "age__reference", "date_of_birth", "weight", "strain", "genotype",
    "description",
)
SEXES = ("M", "F", "O", "U")
_DURATION = re.compile(
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
)
_SPECIES = re.compile(r"[A-Z][a-z]* [a-z]+|http://purl\.obolibrary\.org/obo/NCBITaxon_\d+")
_WEIGHT = re.compile(r"\d+(\.\d+)? (kg|g|mg|ug|μg|ng|pg)", re.IGNORECASE)

ADVICE = {
    "subject_id": "subject_id: the animal's identifier, e.g. mouse-001",
    "species": "species: a Latin binomial such as Mus musculus, or an NCBITaxon URL such as "
    "http://purl.obolibrary.org/obo/NCBITaxon_10090",
    "sex": "sex: one of M, F, O, U",
    "age": "age: an ISO 8601 duration such as P90D, or date_of_birth",
    "weight": "weight: a number and a unit, such as 0.025 kg",
    "date_of_birth": "date_of_birth: a date and time with its UTC offset, such as 2025-12-01T00:00:00-05:00",
}


def subject_from_mapping(fields: Mapping[str, Any]) -> Subject:
    """A ``pynwb.file.Subject`` from a mapping of its fields (as a session file gives it).

    Raises ``ValidationError`` naming every unknown or mistyped field (``subject.<field>``).
    """
    problems = []
    for name, value in fields.items():
        if name not in SUBJECT_FIELDS:
            problems.append(f"subject.{name}: not a Subject field; fields are {', '.join(SUBJECT_FIELDS)}")
        elif name == "date_of_birth":
            if not isinstance(value, dt.datetime) or value.utcoffset() is None:
                problems.append(f"subject.date_of_birth: got {value!r}; give {ADVICE['date_of_birth']}")
        elif name == "weight":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                problems.append(f"subject.weight: got {value!r}; give {ADVICE['weight']} (a bare number is in kg)")
        elif name == "age" and isinstance(value, dt.timedelta):
            continue
        elif not isinstance(value, str):
            problems.append(f"subject.{name}: must be text, got {value!r} ({type(value).__name__}); "
                            f"in a session file, quote it: {name}: '{value}'")
    if problems:
        raise ValidationError(problems)
    given = {k: float(v) if k == "weight" and isinstance(v, int) else v for k, v in fields.items()}
    return Subject(**given)


def subject_problems(subject: Subject | None) -> list[str]:
    """What nwbinspector would find wrong with the subject: each names the field and what to give."""
    if subject is None:
        return ["subject: none given; give a subject with subject_id, species, sex and age (or date_of_birth)"]
    problems = []
    if not subject.subject_id:
        problems.append(f"subject.subject_id: missing; give {ADVICE['subject_id']}")
    if not subject.species:
        problems.append(f"subject.species: missing; give {ADVICE['species']}")
    elif not _SPECIES.fullmatch(subject.species):
        problems.append(f"subject.species: {subject.species!r} is neither a Latin binomial nor an NCBITaxon URL; "
                        f"give {ADVICE['species']}")
    problems += _sex_problems(subject)
    if subject.age is None and subject.date_of_birth is None:
        problems.append(f"subject.age: missing (and no date_of_birth); give {ADVICE['age']}")
    elif subject.age is not None and not _is_age(subject.age):
        problems.append(f"subject.age: {subject.age!r} is not an ISO 8601 duration; give {ADVICE['age']} "
                        f"(a range such as P60D/P90D is allowed)")
    if subject.weight is not None and not _WEIGHT.fullmatch(str(subject.weight)):
        problems.append(f"subject.weight: {subject.weight!r} is not a number and a unit; give {ADVICE['weight']}")
    return problems


def _sex_problems(subject: Subject) -> list[str]:
    worm = subject.species in ("Caenorhabditis elegans", "C. elegans")
    allowed = ("XO", "XX") if worm else SEXES
    advice = "sex: XO (male) or XX (hermaphrodite) for C. elegans" if worm else ADVICE["sex"]
    if not subject.sex:
        return [f"subject.sex: missing; give {advice}"]
    if subject.sex not in allowed:
        return [f"subject.sex: {subject.sex!r} is not allowed; give {advice}"]
    return []


def _is_age(age: str) -> bool:
    """An ISO 8601 duration, or a range of two (either side may be open: ``P90D/``)."""
    if _DURATION.fullmatch(age):
        return True
    low, slash, high = age.partition("/")
    return bool(slash) and "/" not in high and all(part == "" or _DURATION.fullmatch(part) for part in (low, high))
