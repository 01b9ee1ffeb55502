"""Typed errors: every message names the field at fault and what to do about it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class BuilderError(Exception):
    """Base class of every error microscopy-builder raises on purpose."""


class ConflictError(BuilderError):
    """One key was given two different contents.

    Parameters
    ----------
    kind
        What the key names (``"rig"``, ``"device"``, ``"space"``, ...).
    key
        The key both descriptions share.
    fields
        Dotted paths of the fields whose values differ.
    """

    def __init__(self, kind: str, key: str, fields: Sequence[str], message: str | None = None):
        self.kind = kind
        self.key = key
        self.fields = tuple(fields)
        super().__init__(
            message
            or f"{kind} key {key!r} is already registered with different content "
            f"(differing fields: {', '.join(self.fields)}). Give one of them another key "
            f"(key=...) or make the two descriptions identical."
        )


class ValidationError(BuilderError):
    """A description is incomplete or inconsistent; ``problems`` lists every issue found."""

    def __init__(self, problems: Iterable[str]):
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(f"- {p}" for p in self.problems)
        super().__init__(message)


class SourceDataError(BuilderError):
    """An extractor returned data that disagrees with what it declared about itself."""
