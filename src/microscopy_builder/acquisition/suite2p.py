"""Suite2p: the ``ops.npy`` of one plane folder (the run's settings and what it learned of the movie)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import Collector, empty, to_int, to_text
from .metadata import SourceMetadata
from ..safe_pickle import LOAD_ERRORS, load_npy

VENDOR = "Suite2p"
FILE = "ops.npy"
RATE_NOTE = "the rate Suite2p was given (ops fs), not read from the raw files; check it against the acquisition"


def ops_path(path: Path) -> Path | None:
    """The ``ops.npy`` a path means: the file, a plane folder, a ``suite2p`` folder or its parent."""
    path = Path(path)
    for candidate in (path, path / FILE, path / "plane0" / FILE, path / "suite2p" / "plane0" / FILE):
        if candidate.name == FILE and candidate.is_file():
            return candidate
    return None


def read(path: Path) -> SourceMetadata:
    """The facts one plane's ``ops.npy`` records."""
    ops_file = ops_path(path)
    if ops_file is None:
        return empty(f"{path}: no Suite2p ops.npy found")
    facts = Collector(VENDOR, [ops_file])
    try:
        ops = load_npy(ops_file).item()
    except LOAD_ERRORS as error:
        return empty(f"{ops_file}: not read ({type(error).__name__}: {error})")
    if not isinstance(ops, dict):
        return empty(f"{ops_file}: holds a {type(ops).__name__}, not Suite2p's settings")
    facts.raw = ops
    _facts(facts, ops)
    return facts.build()


def _facts(facts: Collector, ops: dict[str, Any]) -> None:
    key = f"{FILE} "
    facts.fact("frame_rate_hz", ops.get("fs"), key + "fs", unit="Hz", note=RATE_NOTE)
    facts.fact("frames", ops.get("nframes"), key + "nframes", to_int)
    if ops.get("Ly") is not None and ops.get("Lx") is not None:
        facts.fact("frame_shape", (ops["Ly"], ops["Lx"]), key + "Ly, Lx", lambda s: (to_int(s[0]), to_int(s[1])))
    facts.fact("planes", ops.get("nplanes"), key + "nplanes", to_int)
    channels = facts.recorded("channels.names", ops.get("nchannels"), key + "nchannels",
                              lambda n: tuple(f"chan{i + 1}" for i in range(to_int(n))),
                              note="named as Suite2p names its output files (F.npy, F_chan2.npy)")
    facts.put("channels.names", channels)
    facts.put("channels.saved", channels)
    facts.fact("source_files", ops.get("filelist"), key + "filelist", lambda files: tuple(to_text(f) for f in files))
    if ops.get("date_proc") is not None:
        facts.note(f"{FILE} date_proc ({ops['date_proc']}) is when Suite2p ran, not when the data was recorded")
