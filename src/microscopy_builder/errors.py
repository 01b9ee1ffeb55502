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

    #: how to resolve a conflict, by kind (the default: re-key one of the two)
    FIXES = {
        "device model": "two devices of one kind give one model= text but different model details: give them "
        "different model= values, or identical model details (manufacturer, type, wavelengths, ...)",
        "indicator": "give one indicator another key: mb.Indicator(label=..., key=...)",
    }

    def __init__(self, kind: str, key: str, fields: Sequence[str], message: str | None = None):
        self.kind = kind
        self.key = key
        self.fields = tuple(fields)
        fix = self.FIXES.get(kind, "give one of them another key (key=...) or make the two descriptions identical")
        super().__init__(
            message
            or f"{kind} key {key!r} is already registered with different content "
            f"(differing fields: {', '.join(self.fields)}); {fix}."
        )


class ValidationError(BuilderError):
    """A description is incomplete or inconsistent; ``problems`` lists every issue found."""

    def __init__(self, problems: Iterable[str] | str):
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(f"- {p}" for p in self.problems)
        super().__init__(message)


class SourceDataError(ValidationError):
    """A source's data cannot be written as it is: an unsupported dtype, frames or timestamps that
    disagree with what the extractor declares about itself. ``problems`` lists every issue found."""


class CompatibilityWarning(UserWarning):
    """A valid choice that existing readers of the chosen format will not understand, or that drops data."""
