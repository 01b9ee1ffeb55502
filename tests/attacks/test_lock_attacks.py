"""Locks: a lock file left by another account's killed process, a Session dropped without close(),
two processes racing with overwrite=True, a writer killed mid-write."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import microscopy_builder as mb
from common import HERE, PYTHON, REPO, popen_child, read, run_child, series, session


def test_a_lock_file_left_by_another_accounts_killed_writer():
    """A lab share (group/world-writable folder): user A's writer was SIGKILLed and left its lock file (mode 0644,
    A's). User B's write of that path raises a raw PermissionError from filelock instead of writing (the OS lock
    is gone) or a ValidationError that says what to remove."""
    import tempfile
    from pathlib import Path

    base = Path(tempfile.mkdtemp(prefix="adv-share-", dir="/tmp"))
    os.chmod(base, 0o755)
    shared, home = base / "share", base / "home"
    shared.mkdir()
    home.mkdir()
    os.chmod(shared, 0o777)
    os.chown(home, 65534, 65534)
    os.chmod(home, 0o700)
    (shared / ".x.nwb.lock").write_bytes(b"")  # left by root's killed writer
    os.chmod(shared / ".x.nwb.lock", 0o644)
    code = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
import microscopy_builder as mb
from common import session, series
try:
    session().add(series()).write({str(shared / 'x.nwb')!r})
    print('written')
except mb.ValidationError as error:
    print('ValidationError', error)
except Exception as error:
    print('RAW', type(error).__name__, error)
"""
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PYTHON, "-c", code],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src"), "HOME": str(home),
                               "MPLCONFIGDIR": str(home)})
    import shutil

    shutil.rmtree(base, ignore_errors=True)
    assert done.stdout.startswith(("written", "ValidationError")), done.stdout + done.stderr[-500:]


def test_a_session_dropped_without_close_leaves_its_file_locked_for_this_thread(tmp_path):
    """``mb.Session.open(p).add(x)`` failing in a notebook: the session is unreachable, its lock is never
    released (no __del__ / finaliser), and every later open of p in this thread is refused for good."""
    path = tmp_path / "x.nwb"
    session().add(series("First")).write(path)
    with pytest.raises(mb.BuilderError):
        mb.Session.open(path).add(series("First"))  # a name the file holds: ConflictError; the session is lost
    gc.collect()
    with mb.Session.open(path, lock_timeout=5) as s:  # expected: the lost session's lock is gone
        s.add(series("Second", seed=1))
        s.write()


def test_a_session_dropped_without_close_blocks_other_threads_forever(tmp_path):
    path = tmp_path / "x.nwb"
    session().add(series("First")).write(path)
    try:
        mb.Session.open(path).add(series("First"))
    except mb.BuilderError:
        pass
    gc.collect()
    outcome = []

    def other():
        try:
            with mb.Session.open(path, lock_timeout=5) as s:
                s.add(series("Second", seed=1))
                s.write()
            outcome.append("ok")
        except Exception as error:  # noqa: BLE001
            outcome.append(error)

    t = threading.Thread(target=other)
    t.start()
    t.join(30)
    assert outcome == ["ok"], outcome


def test_two_processes_racing_with_overwrite_leave_one_whole_file(tmp_path):
    path = tmp_path / "race.nwb"
    code = """
        import sys; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR'])
        from common import session, series, imaging
        source, _ = imaging(frames=400, rows=64, columns=64, seed={seed})
        session().add(series('S{seed}', source=source)).write({path!r}, overwrite=True)
        print('done')
    """
    for round_ in range(3):
        children = [popen_child(code.format(seed=k, path=str(path))) for k in (1, 2)]
        outs = [c.communicate(timeout=120) for c in children]
        assert all(c.returncode == 0 for c in children), outs
        with read(path) as nwbfile:
            (name,) = nwbfile.acquisition
            assert nwbfile.acquisition[name].data.shape[0] == 400
        leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "race.nwb")
        assert leftovers == [], leftovers


def test_killed_writer_leaves_destination_whole_and_next_write_cleans_up(tmp_path):
    path = tmp_path / "x.nwb"
    session().add(series("Old")).write(path)
    before = path.read_bytes()
    child = popen_child(f"""
        import sys; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR'])
        import numpy as np, time
        from roiextractors import NumpyImagingExtractor
        import microscopy_builder as mb
        from common import session, rig, space
        class Slow(NumpyImagingExtractor):
            def get_series(self, start_sample=None, end_sample=None):
                if start_sample:
                    print('filling', flush=True); time.sleep(60)
                return super().get_series(start_sample, end_sample)
        data = np.ones((200, 16, 16, 1), dtype='uint16')
        s = session().add(mb.SeriesBuilder('New').from_extractor(Slow(data, sampling_frequency=5.0)).rig(rig()).space(space()))
        s.write({str(path)!r}, overwrite=True, buffer_bytes=16*16*2*32)
    """)
    assert child.stdout.readline().strip() == "filling"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert path.read_bytes() == before
    assert any(p.name.startswith(".x.partial-") for p in tmp_path.iterdir())
    session().add(series("Newer")).write(path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.nwb"]
