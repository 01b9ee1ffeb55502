"""The report ``Session.validate()`` returns: every problem of a description, errors and warnings."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .errors import ValidationError

ERROR, WARNING = "error", "warning"


@attrs.frozen
class Problem:
    """One problem: where it is (builder and field), what is wrong and what to do, how serious.

    ``where`` reads like ``series 'TwoPhotonSeries'.timestamps``; ``message`` says what is wrong
    and how to fix it.
    """

    where: str
    message: str
    severity: str = ERROR

    @classmethod
    def from_text(cls, text: str, severity: str = ERROR) -> Problem:
        """Split a library message ``"<where>: <message>"`` into its parts."""
        where, _, message = text.partition(": ")
        return cls(where, message, severity) if message else cls("session", text, severity)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@attrs.frozen
class ValidationReport:
    """Every problem found in a session's description; ``errors`` stop a write, ``warnings`` do not."""

    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, errors: Iterable[str] = (), warnings: Iterable[str] = ()) -> ValidationReport:
        found = [Problem.from_text(text, ERROR) for text in dict.fromkeys(errors)]
        found += [Problem.from_text(text, WARNING) for text in dict.fromkeys(warnings)]
        return cls(tuple(found))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise ``ValidationError`` listing every error at once."""
        if self.errors:
            raise ValidationError(str(p) for p in self.errors)

    def __str__(self) -> str:
        if not self.problems:
            return "no problems found"
        return "\n".join(f"{p.severity}: {p}" for p in self.problems)
