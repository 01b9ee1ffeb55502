"""Rules of a description that span specs: pure functions over the registered specs returning ``Problem``\\ s.

Each spec checks itself (its ``problems()``); these rules check what only the whole description
shows: two keys claiming one NWB name, two planes claiming one depth, data of different grids on
one space, rates that disagree. :mod:`.report` assembles everything ``Session.validate`` reports.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ..errors import ConflictError, ValidationError
from ..validation import Problem


@attrs.frozen
class Conflict:
    """A problem that is a ``ConflictError``: one key (or name) claimed by two different descriptions."""

    kind: str
    key: str
    fields: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return self.message


def raise_problems(problems: Iterable[Problem | Conflict]) -> None:
    """Raise the first conflict as a ``ConflictError``, else every problem as one ``ValidationError``."""
    problems = list(problems)
    conflict = next((p for p in problems if isinstance(p, Conflict)), None)
    if conflict is not None:
        raise ConflictError(conflict.kind, conflict.key, conflict.fields, conflict.message)
    if problems:
        raise ValidationError([str(p) for p in problems])
