"""Visible stand-ins for required NWB fields the user did not give, and the report of them."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import attrs

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)

PLACEHOLDER_TEXT = "unknown"
UNKNOWN_REASON = "was given as mb.UNKNOWN"
PLACEHOLDER_NUMBER = float("nan")


class PlaceholderWarning(UserWarning):
    """A required NWB field was filled with a placeholder because the description lacked it."""


@attrs.frozen
class Placeholder:
    """One field filled with a placeholder: the object it is on, the field, and how to give it."""

    object_path: str
    field: str
    fix: str
    reason: str = "was not given"  # or "was given as mb.UNKNOWN"

    def __str__(self) -> str:
        return f"{self.object_path}.{self.field} {self.reason} and is written as a placeholder; {self.fix}"

    @property
    def given_unknown(self) -> bool:
        """Whether the description said ``mb.UNKNOWN`` (rather than leaving the field out)."""
        return self.reason == UNKNOWN_REASON


@attrs.define
class PlaceholderReport:
    """Collects placeholders as objects are emitted; the session exposes them."""

    items: list[Placeholder] = attrs.field(factory=list)
    quiet: bool = False  # collect without warning (a dry run)

    def text(self, object_path: str, field: str, fix: str, *, unknown: bool = False) -> str:
        """Record a text field written as ``"unknown"``; ``unknown``: the description said ``mb.UNKNOWN``."""
        self._record(Placeholder(object_path, field, fix, UNKNOWN_REASON if unknown else "was not given"))
        return PLACEHOLDER_TEXT

    def number(self, object_path: str, field: str, fix: str, *, unknown: bool = False) -> float:
        """Record a number written as NaN; ``unknown``: the description said ``mb.UNKNOWN``."""
        self._record(Placeholder(object_path, field, fix, UNKNOWN_REASON if unknown else "was not given"))
        return PLACEHOLDER_NUMBER

    def _record(self, placeholder: Placeholder) -> None:
        if placeholder not in self.items:
            self.items.append(placeholder)
            if not self.quiet:
                warnings.warn(str(placeholder), PlaceholderWarning, stacklevel=_caller_stacklevel())


def _caller_stacklevel() -> int:
    """The stack level of the first frame outside this package, so warnings point at user code."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level
