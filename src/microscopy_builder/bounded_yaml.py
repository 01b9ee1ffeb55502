"""YAML read with bounded resources: plain types only, and limits checked while the text is composed.

PyYAML's safe loader refuses Python tags, but not an *alias bomb*: a few hundred bytes of anchors
and aliases (``&a [x, x]``, ``&b [*a, *a]``, ...) that stand for billions of values. The loader
shares the aliased objects, so loading is quick, and whatever walks the result afterwards (checks,
copies, printing) never finishes. Here every node's expanded size (how many values it stands for,
aliases counted in full) is added up while the file is composed, before any Python object is
constructed, and composing stops at the first node over the limit. Nesting depth and the file's
size in bytes are bounded too, and a file must be a regular file (not a pipe or a device).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver


@attrs.frozen
class Limits:
    """How much a YAML file may hold."""

    #: the file's size in bytes
    max_bytes: int = 8 * 2**20
    #: values the document stands for, every alias counted as a full copy of what it names
    max_nodes: int = 1_000_000
    #: lists and mappings inside one another
    max_depth: int = 64


LIMITS = Limits()


class UnreadableYAML(ValueError):
    """A file that is not valid YAML, or holds more than the limits allow.

    ``reason`` is in this library's own words and never quotes the file; ``detail`` is the YAML
    parser's problem text, which may (e.g. for an unknown tag) quote a few characters of it.
    """

    def __init__(self, reason: str, detail: str = "", mark: Any = None):
        self.reason = reason
        self.detail = detail
        self.where = "" if mark is None else f"line {mark.line + 1}, column {mark.column + 1}"
        super().__init__(", ".join(part for part in (reason, detail, self.where) if part))


class _BoundedComposer(Composer):
    """PyYAML's composer, counting each node's expanded size and the nesting depth as it goes."""

    def __init__(self, limits: Limits):
        Composer.__init__(self)
        self._limits = limits
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values it stands for; only finished nodes

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise UnreadableYAML("an alias names a list or mapping that contains it (a structure without end)",
                                     mark=event.start_mark)
            return Composer.compose_node(self, parent, index)  # an undefined alias: PyYAML's own error
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise UnreadableYAML(f"nested more than {self._limits.max_depth} levels deep", mark=mark)
        try:
            node = Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.MappingNode):
            _refuse_repeated_keys(node)
        self._sizes[id(node)] = size = 1 + sum(self._sizes[id(child)] for child in _children(node))
        if size > self._limits.max_nodes:
            raise UnreadableYAML(f"stands for more than {self._limits.max_nodes:,} values once its aliases are "
                                 f"expanded", mark=mark)
        return node


def _refuse_repeated_keys(node: Any) -> None:
    """A key given twice in one mapping (YAML keeps only the last one, silently): refused, naming it."""
    seen: dict[Any, Any] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode):
            first = seen.setdefault((key.tag, key.value), key)
            if first is not key:
                raise UnreadableYAML(f"the key {key.value[:40]!r} is given twice in one mapping (line "
                                     f"{first.start_mark.line + 1} and here); give it once", mark=key.start_mark)


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _loader_class() -> type:
    """libyaml's parser (fast) under the bounded composer when PyYAML was built with it."""
    try:
        from yaml._yaml import CParser as parser_classes
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class PythonParser(Reader, Scanner, Parser):
            def __init__(self, stream: str):
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                Parser.__init__(self)

        parser_classes = PythonParser

    class BoundedLoader(_BoundedComposer, parser_classes, SafeConstructor, Resolver):
        def __init__(self, stream: str, limits: Limits):
            parser_classes.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            _BoundedComposer.__init__(self, limits)

    return BoundedLoader


_LOADER = _loader_class()


def load_text(text: str, limits: Limits = LIMITS) -> Any:
    """The plain Python value one YAML document stands for, within ``limits``.

    Raises
    ------
    UnreadableYAML
        The text is not one valid YAML document of plain types, or exceeds a limit.
    """
    loader = _LOADER(text, limits)
    try:
        return loader.get_single_data()
    except UnreadableYAML:
        raise
    except yaml.MarkedYAMLError as error:
        raise UnreadableYAML("not valid YAML", error.problem or "", error.problem_mark) from None
    except yaml.YAMLError as error:
        raise UnreadableYAML("not valid YAML", str(error).splitlines()[0] if str(error) else "") from None
    except (ValueError, TypeError, OverflowError) as error:  # a value the constructor cannot make: 2026-13-45, !!int x
        raise UnreadableYAML("holds a value YAML cannot represent", str(error).split(":")[0]) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise UnreadableYAML(f"nested more than {limits.max_depth} levels deep") from None
    finally:
        loader.dispose()


def load_file(path: Path, limits: Limits = LIMITS) -> Any:
    """A YAML file's value; the file must be a regular UTF-8 file of at most ``limits.max_bytes``."""
    try:
        if not path.is_file():
            raise UnreadableYAML("not a regular file" if path.exists() else "no such file")
        with open(path, "rb") as file:
            raw = file.read(limits.max_bytes + 1)  # never more, whatever the file system says its size is
    except OSError as error:  # a name too long, no permission, ...
        raise UnreadableYAML(f"cannot be read ({error.strerror or error})") from None
    if len(raw) > limits.max_bytes:
        raise UnreadableYAML(f"larger than {limits.max_bytes // 2**20} MiB; a session file is a few kilobytes "
                             f"(keep data, such as long timestamp lists, in the data files)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableYAML(f"not UTF-8 text (byte {error.start})") from None
    return load_text(text, limits)
