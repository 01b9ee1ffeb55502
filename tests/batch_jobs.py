"""Module-level session builders for tests/test_batch.py: child processes and dask workers import them.

Some of them misbehave on purpose, the way real conversions do: they kill their own process,
end it abruptly, crash in C, or wait until they are stopped.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import signal
import time
from pathlib import Path

from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.timezone.utc)


def make_session(seed: int, *, frames: int = 30) -> mb.Session:
    """One small legacy session per seed."""
    rig = mb.RigBuilder("Scope").microscope(manufacturer="Thorlabs", model="Bergamo II").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    imaging = generate_dummy_imaging_extractor(num_rows=20, num_columns=24, num_samples=frames, seed=seed)
    session = mb.Session(session_description=f"session {seed}", session_start_time=START, format="legacy")
    return session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space))


def make_broken_session(seed: int) -> mb.Session:
    """A session whose description is wrong: the failure must stay in its own result."""
    session = make_session(seed)
    session.add(mb.SeriesBuilder("Other").rig(mb.RigBuilder("Scope")))
    return session


def kill_own_process(seed: int) -> mb.Session:
    """What the out-of-memory killer does: SIGKILL, no cleanup, no exception."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: SIGKILL cannot be caught")


def exit_abruptly(seed: int) -> mb.Session:
    """A library that ends the process itself, skipping every ``finally``."""
    os._exit(3)


def crash_in_c(seed: int) -> mb.Session:
    """A segmentation fault in C code: reading address 0 (with no core file left behind)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return ctypes.string_at(0)


def wait_forever(seed: int, folder: str) -> mb.Session:
    """Leave ``<folder>/<seed>.pid`` holding this process's id, then wait to be stopped."""
    marker = Path(folder) / f"{seed}.pid"
    marker.with_suffix(".tmp").write_text(str(os.getpid()))
    marker.with_suffix(".tmp").rename(marker)  # complete when it appears
    time.sleep(120)
    return make_session(seed)


def make_session_checking_files(seed: int, forbidden: str) -> mb.Session:
    """Fail if this process holds a file descriptor on ``forbidden`` (a file the parent had open)."""
    fd_folder = Path("/proc/self/fd")
    held = []
    for entry in fd_folder.iterdir():
        try:
            held.append(os.readlink(entry))
        except OSError:  # the descriptor iterdir itself used, now closed
            pass
    if os.path.realpath(forbidden) in held:
        raise RuntimeError(f"inherited a descriptor on {forbidden}: {held}")
    return make_session(seed)
