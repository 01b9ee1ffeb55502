"""Where a built spec disagrees with what the acquisition files record: the warnings ``validate()`` reports.

A builder that was given a source's header (``from_source``, ``from_extractor``) compares what the user
gave with what the header records when it builds; each contradiction is a message naming both values
and the header key. The messages belong to the spec object built, not to its value (two equal specs,
one built from a header and one not, are the same description), so they are kept beside it, by
identity, for as long as the spec lives.
"""

from __future__ import annotations

import weakref
from typing import Any

_NOTES: dict[int, tuple[str, ...]] = {}


def remember(spec: Any, messages: list[str]) -> Any:
    """Keep ``messages`` as the header disagreements of ``spec``; return ``spec``."""
    if messages:
        key = id(spec)
        _NOTES[key] = tuple(dict.fromkeys(messages))
        weakref.finalize(spec, _NOTES.pop, key, None)
    return spec


def header_disagreements(spec: Any) -> tuple[str, ...]:
    """The disagreements with the acquisition header kept for ``spec`` (none for a spec built without one)."""
    return _NOTES.get(id(spec), ())
