"""Visible stand-ins for required NWB fields the user did not give, and the report of them."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import attrs

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)

PLACEHOLDER_TEXT = "unknown"
PLACEHOLDER_NUMBER = float("nan")


class PlaceholderWarning(UserWarning):
    """A required NWB field was filled with a placeholder because the description lacked it."""


@attrs.frozen
class Placeholder:
    """One field filled with a placeholder: the object it is on, the field, and how to give it."""

    object_path: str
    field: str
    fix: str

    def __str__(self) -> str:
        return f"{self.object_path}.{self.field} was not given and is written as a placeholder; {self.fix}"


@attrs.define
class PlaceholderReport:
    """Collects placeholders as objects are emitted; the session exposes them."""

    items: list[Placeholder] = attrs.field(factory=list)
    quiet: bool = False  # collect without warning (a dry run)

    def text(self, object_path: str, field: str, fix: str) -> str:
        self._record(Placeholder(object_path, field, fix))
        return PLACEHOLDER_TEXT

    def number(self, object_path: str, field: str, fix: str) -> float:
        self._record(Placeholder(object_path, field, fix))
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
