"""SIGKILL at random moments of a safe append and of an overwrite (copy, metadata, fill, move): the file is
always the old one byte for byte or the new one whole, and the next open/write clears what was left."""

from __future__ import annotations

import hashlib
import random
import signal
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import microscopy_builder as mb
from common import popen_child, read, series, session

APPEND = """
import sys, warnings; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR']); warnings.simplefilter('ignore')
import microscopy_builder as mb
from common import series
print('go', flush=True)
with mb.Session.open({path!r}) as s:
    s.add(series('Added{k}', frames=600, rows=9, columns=13, seed={k}))
    s.write(max_workers=1)
print('done', flush=True)
"""


def digest(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("backend,suffix", (("hdf5", "nwb"), ("zarr", "nwb.zarr")))
def test_safe_appends_killed_at_random_moments(tmp_path, backend, suffix):
    rng = random.Random(11)
    path = tmp_path / f"x.{suffix}"
    session().add(series("Base", frames=2000, rows=32, columns=32)).write(path, backend=backend)
    expected = {"Base"}
    for k in range(8):
        before = digest(path)
        child = popen_child(APPEND.format(path=str(path), k=k))
        assert child.stdout.readline().strip() == "go"
        time.sleep(rng.uniform(0.0, 1.5))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        finished = "done" in out
        if finished:
            expected.add(f"Added{k}")
        else:
            assert digest(path) == before, f"kill {k}: a killed safe append changed the file"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mb.Session.open(path) as s:  # clears the dead writer's copy
                assert set(s.nwbfile.acquisition) == expected
        leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != path.name)
        assert leftovers == [], f"kill {k}: left beside the file after the next open: {leftovers}"
    with read(path) as nwbfile:
        assert set(nwbfile.acquisition) == expected


SLOW_SAFE_APPEND = """
import sys, time, warnings; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR']); warnings.simplefilter('ignore')
import numpy as np
from roiextractors import NumpyImagingExtractor
import microscopy_builder as mb
from common import rig, space
class Slow(NumpyImagingExtractor):
    def get_series(self, start_sample=None, end_sample=None):
        if start_sample:
            print('filling', flush=True); time.sleep(60)
        return super().get_series(start_sample, end_sample)
data = np.full((200, 9, 13, 1), 7, dtype='uint16')
with mb.Session.open({path!r}) as s:
    s.add(mb.SeriesBuilder('Appended').from_extractor(Slow(data, sampling_frequency=5.0)).rig(rig()).space(space()))
    s.write(buffer_bytes=9 * 13 * 2 * 32)
"""


@pytest.mark.parametrize("backend,suffix", (("hdf5", "nwb"), ("zarr", "nwb.zarr")))
def test_a_safe_append_killed_mid_fill_leaves_nothing_after_the_next_open(tmp_path, backend, suffix):
    """The copy's 1 MB space reserve is named after the copy (``..x.partial-<pid>-<hex>.reserve-...``), which the
    leftover cleanup's pattern (``.x.(partial|previous|reserve)-...``) never matches: it stays for good."""
    path = tmp_path / f"x.{suffix}"
    session().add(series("Base")).write(path, backend=backend)
    child = popen_child(SLOW_SAFE_APPEND.format(path=str(path)))
    assert child.stdout.readline().strip() == "filling"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mb.Session.open(path).close()
        session().add(series("Other")).write(tmp_path / "y.nwb")
        mb.Session.open(path).close()
    leftovers = {p.name: p.stat().st_size for p in tmp_path.iterdir() if p.name not in (path.name, "y.nwb")}
    assert leftovers == {}, f"left for good: {leftovers}"
