"""In-place appends killed at various moments (SIGKILL), then opened again in a fresh process."""

from __future__ import annotations

import signal
import warnings

import numpy as np
import pytest

import microscopy_builder as mb
from common import popen_child, read, series, session

SLOW_APPEND = """
import sys, time; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR'])
import numpy as np
from roiextractors import NumpyImagingExtractor
import microscopy_builder as mb
import microscopy_builder.appending as appending
from common import rig, space
{patch}
class Slow(NumpyImagingExtractor):
    def get_series(self, start_sample=None, end_sample=None):
        if start_sample:
            print('filling', flush=True); time.sleep(60)
        return super().get_series(start_sample, end_sample)
data = np.full((200, 9, 13, 1), 7, dtype='uint16')
s = mb.Session.open({path!r}, safe=False, backend={backend!r})
s.add(mb.SeriesBuilder('Appended').from_extractor(Slow(data, sampling_frequency=5.0)).rig(rig()).space(space()))
s.write(buffer_bytes=9 * 13 * 2 * 32)
"""

# Between hdmf's write of the new objects' metadata (closed, complete) and the mark being stored: the
# window is short in real life (closing, re-allocating the 1 MB reserve, reopening the file); a slow
# disk or a busy machine widens it. The patch only stretches it so that SIGKILL lands there every time.
BEFORE_MARK = """
real_mark = appending.mark
def mark(root, ids):
    print('filling', flush=True); time.sleep(60)
    real_mark(root, ids)
appending.mark = mark
"""


def kill_when_filling(path, backend, patch=""):
    child = popen_child(SLOW_APPEND.format(path=str(path), backend=backend, patch=patch))
    line = child.stdout.readline().strip()
    assert line == "filling", line + child.stderr.read()
    child.send_signal(signal.SIGKILL)
    child.wait()


@pytest.mark.parametrize("backend,suffix", (("hdf5", "nwb"), ("zarr", "nwb.zarr")))
@pytest.mark.parametrize("moment", ["during fill", "after metadata, before the mark"])
def test_killed_in_place_append_is_removed_by_the_next_open(tmp_path, backend, suffix, moment):
    path = tmp_path / f"x.{suffix}"
    session().add(series("Original")).write(path, backend=backend)
    kill_when_filling(path, backend, patch=BEFORE_MARK if moment.startswith("after") else "")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mb.Session.open(path) as s:
            held = sorted(s.nwbfile.acquisition)
    with read(path) as nwbfile:
        after = {name: np.asarray(obj.data[:]) for name, obj in nwbfile.acquisition.items()}
    assert held == ["Original"] and sorted(after) == ["Original"], (
        f"{moment}: the killed append's series is still in the file, read as complete: "
        f"{ {k: (v.shape, int(v.max())) for k, v in after.items()} }; warnings: {[str(w.message)[:80] for w in caught]}")
