"""Reading a session file and the files it includes, without reaching where it should not.

``include:`` names files of rigs and spaces shared by many sessions. An included file is resolved
(symbolic links followed) and must lie in the session file's folder or below, unless the caller
allows files outside it. Included files may include others; each is read once, and a file that
includes itself (through any chain) is an error. Only a file that looks like a session file
(a mapping with at least one known section) is ever described in a message: of anything else,
errors say only that it is not a session file, never quoting its content or its keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .bounded_yaml import UnreadableYAML, load_file
from .errors import ValidationError

SECTIONS = ("include", "session", "rigs", "spaces", "series", "segmentations")
INCLUDED_SECTIONS = ("include", "rigs", "spaces")
#: files one session file may include, directly or through others
MAX_INCLUDES = 64


class SessionFileError(ValidationError):
    """A session file is unreadable or describes something wrong; each problem names its place."""


def read_yaml(path: Path, *, included: bool = False) -> dict[str, Any]:
    """A session file's sections, read within :mod:`microscopy_builder.bounded_yaml`'s limits.

    ``included`` files may hold only ``include``, ``rigs`` and ``spaces``.
    """
    try:
        data = load_file(path)
    except UnreadableYAML as error:
        raise SessionFileError([_unreadable(path, error, included)]) from None
    wanted = "an included file must hold rigs and/or spaces" if included else f"a session file is a mapping of the sections {', '.join(SECTIONS)}"
    if not (isinstance(data, Mapping) and all(isinstance(k, str) for k in data) and set(data) & set(SECTIONS)):
        raise SessionFileError([f"{path}: not a session file; {wanted}"])
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise SessionFileError([f"{path}: unknown section(s) {shown}; sections are {', '.join(SECTIONS)}"])
    misplaced = [section for section in data if section not in INCLUDED_SECTIONS] if included else []
    if misplaced:
        raise SessionFileError([f"{path}: {section}: an included file may hold only {', '.join(INCLUDED_SECTIONS)}; "
                                f"move {section} into the session file" for section in misplaced])
    return dict(data)


def _unreadable(path: Path, error: UnreadableYAML, included: bool) -> str:
    at = f" at {error.where}" if error.where else ""
    if error.reason in ("no such file", "not a regular file"):
        return f"{path}: {error.reason}; give the path of a session file"
    if error.reason == "not valid YAML" or error.reason.startswith("holds a value"):
        if included:  # the parser's own words may quote the file
            return f"{path}: not a session file (not valid YAML{at}); include only files of rigs and spaces"
        details = ", ".join(part for part in (error.detail, error.where) if part)
        return f"{path}: {error.reason}" + (f" ({details})" if details else "") + "; correct the YAML"
    return f"{path}: {error.reason}{at}; a session file needs far less, so it is refused (check where it came from)"


class Sources:
    """A session file read, and what its includes may reach: its folder (or anywhere, when allowed)."""

    def __init__(self, path: Path, *, allow_outside_includes: bool = False):
        self.path = path
        self.root = path.parent.resolve()
        self.allow_outside_includes = allow_outside_includes
        self.data = read_yaml(path)


def included_files(sources: Sources) -> list[tuple[Path, dict[str, Any]]]:
    """Every file the session file includes, with its sections: an included file's own includes first."""
    found: list[tuple[Path, dict[str, Any]]] = []
    _include(sources, sources.path, sources.data, (sources.path.resolve(),), set(), found)
    return found


def _include(sources: Sources, path: Path, data: Mapping[str, Any], chain: tuple[Path, ...], seen: set[Path],
             found: list) -> None:
    entries = data.get("include")
    if entries is None:
        return
    if not isinstance(entries, list):
        raise SessionFileError([f"{path}: include: must be a list of paths, e.g. [rigs/bergamo.yaml]"])
    for index, entry in enumerate(entries):
        target = _target(sources, path, index, entry)
        if target in chain:
            loop = " -> ".join(str(p) for p in (*chain[chain.index(target):], target))
            raise SessionFileError([f"{path}: include[{index}]: closes a cycle of includes ({loop}); remove one of them"])
        if target in seen:
            continue  # included twice (a shared file of two included files): read once
        seen.add(target)
        if len(seen) > MAX_INCLUDES:
            raise SessionFileError([f"{path}: include[{index}]: more than {MAX_INCLUDES} files included in all; "
                                    f"merge some of them"])
        shared = read_yaml(target, included=True)
        _include(sources, target, shared, (*chain, target), seen, found)
        found.append((target, shared))


def _target(sources: Sources, path: Path, index: int, entry: Any) -> Path:
    """The resolved file an include entry names, refused when outside the session file's folder."""
    where = f"{path}: include[{index}]"
    if not isinstance(entry, str) or not entry.strip():
        raise SessionFileError([f"{where}: must be the path of a file (text), e.g. rigs/bergamo.yaml"])
    if "\x00" in entry or len(entry.encode()) > 4096:
        raise SessionFileError([f"{where}: {entry[:40]!r}... is not a path a file system takes (a NUL character, or "
                                f"longer than 4096 bytes); give the included file's path"])
    try:
        target = (path.parent / entry).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of symbolic links, a name too long
        raise SessionFileError([f"{where}: {entry[:80]!r} cannot be resolved (a loop of symbolic links, or a name "
                                f"too long?)"]) from None
    if not sources.allow_outside_includes and not target.is_relative_to(sources.root):
        lexical = Path(os.path.normpath(path.parent.resolve() / entry))  # where it seems to be, links not followed
        through = " (through a symbolic link)" if lexical.is_relative_to(sources.root) else ""
        raise SessionFileError([f"{where}: {entry!r} is outside the session file's folder {sources.root}{through}; "
                                f"keep included files in that folder or below, or allow them "
                                f"(--allow-outside-includes, allow_outside_includes=True) if you trust them"])
    return target
