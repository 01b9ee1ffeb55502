"""Type fuzzer for session files: every value of examples/session.yaml (and its included rig file) replaced,
one at a time, by a hostile value; each result is loaded, validated and written.

Expected (issue 11): "Wrong types anywhere in a session file give an error with its place in the file, never a
TypeError or OverflowError"; a write that succeeds is readable. Prints every other outcome.

Run: cd /work/wt-a1 && PYTHONPATH=src /work/main/.venv/bin/python adversarial/fuzz_session_file_types.py
"""

from __future__ import annotations

import copy
import shutil
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
import microscopy_builder as mb  # noqa: E402
from microscopy_builder.session_file import load_session_file  # noqa: E402

from common import REPO, read  # noqa: E402

HOSTILE = {
    "empty list": [],
    "empty mapping": {},
    "null": None,
    "true": True,
    "400 digits": int("9" * 400),
    "inf": float("inf"),
    "nan": float("nan"),
    "negative": -1,
    "nested": [[{"a": [1]}]],
    "NUL text": "a\x00b",
    "bytes": b"\x00\x01",
    "date": __import__("datetime").date(2026, 1, 1),
    "long text": "x" * 5000,
}


def leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,)
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield path + (index,)
            yield from leaves(value, path + (index,))


def replaced(data, path, value):
    data = copy.deepcopy(data)
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


def outcome(folder: Path) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            session = load_session_file(folder / "session.yaml")
            out = folder / "out.nwb"
            session.write(out, overwrite=True)
        except mb.BuilderError:
            return None
        except Exception as error:  # noqa: BLE001
            frame = traceback.extract_tb(error.__traceback__)[-1]
            return f"RAW {type(error).__name__}: {str(error)[:140]!r} at {Path(frame.filename).name}:{frame.lineno}"
        try:
            with read(out) as nwbfile:
                nwbfile.acquisition  # noqa: B018
        except Exception as error:  # noqa: BLE001
            return f"UNREADABLE {type(error).__name__}: {str(error)[:140]!r}"
    return None


def main() -> int:
    example = REPO / "examples"
    base = Path(tempfile.mkdtemp(prefix="fuzz-session-"))
    found: dict[str, list[str]] = {}
    try:
        for name in ("session.yaml", "rigs/bergamo.yaml"):
            original = yaml.safe_load((example / name).read_text())
            for path in leaves(original):
                for label, value in HOSTILE.items():
                    folder = base / "case"
                    shutil.rmtree(folder, ignore_errors=True)
                    shutil.copytree(example, folder, ignore=shutil.ignore_patterns("*.py"))
                    text = yaml.dump(replaced(original, path, value), allow_unicode=True)
                    (folder / name).write_text(text)
                    result = outcome(folder)
                    if result:
                        found.setdefault(result, []).append(f"{name}:{'.'.join(map(str, path))} = {label}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    for result, places in sorted(found.items()):
        print(f"{result}\n    {len(places)} case(s), e.g. " + "; ".join(places[:4]))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
