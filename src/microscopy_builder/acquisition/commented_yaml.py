"""A small YAML writer whose values can carry a comment (``frameRate: 22.279  # from ...``).

PyYAML drops comments, so session files pre-filled from headers are written here: mappings and
lists of mappings in block style, lists of scalars in flow style, scalars quoted by PyYAML itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import yaml


@attrs.frozen
class Commented:
    """A value and the comment written after it (or after its key, for a mapping or list)."""

    value: Any
    comment: str | None = None


def dump(document: Mapping[str, Any], header: list[str] = ()) -> str:
    """The YAML text of ``document``, after ``header`` written as comment lines."""
    lines = [_comment_line(text) for text in header]
    _mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def _comment_line(text: str) -> str:
    return f"# {text}".rstrip()


def _mapping(mapping: Mapping[str, Any], indent: int, lines: list[str]) -> None:
    for key, value in mapping.items():
        comment = None
        if isinstance(value, Commented):
            value, comment = value.value, value.comment
        prefix = " " * indent + f"{scalar(key)}:"
        _entry(prefix, value, comment, indent, lines)


def _entry(prefix: str, value: Any, comment: str | None, indent: int, lines: list[str]) -> None:
    suffix = f"  # {comment}" if comment else ""
    if isinstance(value, Mapping) and value:
        lines.append(prefix + suffix)
        _mapping(value, indent + 2, lines)
    elif isinstance(value, (list, tuple)) and value and any(isinstance(v, Mapping) for v in value):
        lines.append(prefix + suffix)
        for item in value:
            _list_item(item, indent + 2, lines)
    else:
        lines.append(f"{prefix} {scalar(value)}{suffix}")


def _list_item(item: Any, indent: int, lines: list[str]) -> None:
    if not isinstance(item, Mapping):
        lines.append(" " * indent + f"- {scalar(item)}")
        return
    block: list[str] = []
    _mapping(item, indent + 2, block)
    first = block[0]
    block[0] = " " * indent + "- " + first[indent + 2:]
    lines.extend(block)


def scalar(value: Any) -> str:
    """One value in flow style, quoted only when YAML needs it (PyYAML decides)."""
    if isinstance(value, Commented):
        value = value.value
    if isinstance(value, tuple):
        value = list(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True).strip()
    return text[: -len("...")].strip() if text.endswith("...") else text
