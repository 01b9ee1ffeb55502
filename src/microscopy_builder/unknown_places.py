"""Where a session file still says ``UNKNOWN``: each place by its path in the file and its line."""

from __future__ import annotations

from pathlib import Path

import yaml

from .bounded_yaml import LIMITS
from .unknown import UNKNOWN_TEXT


def unknown_places(path: str | Path) -> list[str]:
    """``"rigs.Rig.channels[0].indicator (line 12)"`` for every ``UNKNOWN`` value, in file order; none for a file
    YAML cannot read (the loader reports that)."""
    try:
        if Path(path).stat().st_size > LIMITS.max_bytes:
            return []  # the loader refuses it, and says so
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []
    found: list[str] = []
    stack, seen = [(root, "")], set()
    while stack:
        node, place = stack.pop()
        if id(node) in seen or len(seen) > LIMITS.max_nodes:
            continue  # an alias names a node already walked: each node once, so an alias bomb costs nothing
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [(value, f"{place}.{key.value}".lstrip(".")) for key, value in reversed(node.value)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(value, f"{place}[{i}]") for i, value in reversed(list(enumerate(node.value)))]
        elif isinstance(node, yaml.ScalarNode) and node.value == UNKNOWN_TEXT and node.style is None:
            found.append(f"{place} (line {node.start_mark.line + 1})")
    return found
