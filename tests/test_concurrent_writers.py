"""Writers at once: two processes, two appends, two threads on one session; never a lost or silently
replaced file, never a live writer's temporary deleted."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import microscopy_builder as mb

from .conftest import BACKENDS, make_imaging, new_session, read

SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    import numpy as np
    import microscopy_builder as mb
    from roiextractors import NumpyImagingExtractor

    class Slow(NumpyImagingExtractor):
        def get_series(self, start_sample=None, end_sample=None):
            time.sleep(float(sys.argv[5]))
            return super().get_series(start_sample, end_sample)

    mode, path, name, go = sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    frames = np.full((60, 8, 9, 1), int(sys.argv[6]), dtype="uint16")
    rig = mb.RigBuilder("Scope").microscope(manufacturer="M", model="X").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    series = mb.SeriesBuilder(name).from_extractor(Slow(frames, sampling_frequency=10.0)).rig(rig).space(space)
    while not go.exists():
        time.sleep(0.01)
    try:
        if mode == "new":
            session = mb.Session(session_description="race", session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
            session.add(series).write(path, progress=False, buffer_bytes=8 * 9 * 2 * 32)
        else:
            with mb.Session.open(path, safe=(mode == "safe")) as session:
                session.add(series).write(progress=False, buffer_bytes=8 * 9 * 2 * 32)
        print("ok")
    except mb.ValidationError as error:
        print("ValidationError", str(error).replace(chr(10), " "))
    """
)


def start(mode: str, path: Path, name: str, go: Path, delay: float = 0.0, value: int = 1) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, mode, str(path), name, str(go), str(delay), str(value)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return out.strip().splitlines()[-1]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_two_processes_writing_one_new_file_exactly_one_succeeds(tmp_path, backend, suffix):
    path, go = tmp_path / f"race.{suffix}", tmp_path / "go"
    writers = [start("new", path, name, go, delay=0.05, value=value) for name, value in (("First", 1), ("Second", 2))]
    go.touch()
    results = sorted(finish(writer) for writer in writers)
    assert results[0] == "ValidationError" + results[0][len("ValidationError"):] and results[1] == "ok", results
    assert "already exists" in results[0]
    with read(path) as nwbfile:
        (name,) = nwbfile.acquisition
        assert np.all(nwbfile.acquisition[name].data[:] == {"First": 1, "Second": 2}[name])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", path.name]


@pytest.mark.parametrize("safe", [True, False])
def test_two_appends_to_one_file_both_land(tmp_path, rig, space, safe):
    path = new_session().add(mb.SeriesBuilder("A").from_extractor(make_imaging(rows=8, columns=9)).rig(
        mb.RigBuilder("Scope").microscope(manufacturer="M", model="X").channel(
            "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")).space(
        mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan())).write(
        tmp_path / "shared.nwb")
    go = tmp_path / "go"
    mode = "safe" if safe else "inplace"
    appenders = [start(mode, path, name, go, delay=0.05, value=value) for name, value in (("X", 3), ("Y", 4))]
    go.touch()
    assert [finish(appender) for appender in appenders] == ["ok", "ok"]
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["A", "X", "Y"]
        assert np.all(nwbfile.acquisition["X"].data[:] == 3) and np.all(nwbfile.acquisition["Y"].data[:] == 4)


def test_a_live_writers_temporary_is_never_removed_by_the_next_writer(tmp_path, rig, space):
    path, go = tmp_path / "busy.nwb", tmp_path / "go"
    slow = start("new", path, "Slow", go, delay=0.4, value=7)
    go.touch()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(".busy.partial-" in p.name for p in tmp_path.iterdir()):
        time.sleep(0.02)
    partial = [p for p in tmp_path.iterdir() if ".busy.partial-" in p.name]
    assert partial, "the slow writer started its temporary"
    done = []
    second = threading.Thread(target=lambda: done.append(
        new_session().add(mb.SeriesBuilder("Fast").from_extractor(make_imaging()).rig(rig).space(space)).write(
            path, overwrite=True)))
    second.start()
    time.sleep(0.5)
    assert partial[0].exists() and not done, "the second writer waits for the first instead of cleaning up after it"
    assert finish(slow) == "ok"
    second.join(timeout=120)
    assert done == [path]
    with read(path) as nwbfile:  # the writers ran one after the other: the last one's file is there, whole
        assert list(nwbfile.acquisition) == ["Fast"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy.nwb", "go"]


def test_one_session_written_from_two_threads_gives_two_whole_files(tmp_path, rig, space):
    frames = make_imaging(frames=200, rows=16, columns=16, seed=4)
    session = new_session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(frames).rig(rig).space(space))
    errors, barrier = [], threading.Barrier(2)

    def write(name):
        barrier.wait()
        try:
            session.write(tmp_path / name, buffer_bytes=16 * 16 * 8 * 32)
        except Exception as error:  # noqa: BLE001 - collected and checked below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"{n}.nwb",)) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for name in ("one.nwb", "two.nwb"):
        with read(tmp_path / name) as nwbfile:
            np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:], frames.get_series())


def test_opening_a_file_twice_in_one_thread_is_an_error_not_a_deadlock(tmp_path, rig, space):
    path = new_session().add(mb.SeriesBuilder("A").from_extractor(make_imaging()).rig(rig).space(space)).write(
        tmp_path / "twice.nwb")
    with mb.Session.open(path):
        with pytest.raises(mb.ValidationError, match="already being written or appended to by this thread"):
            mb.Session.open(path)
        with pytest.raises(mb.ValidationError, match="already being written"):
            new_session().add(mb.SeriesBuilder("B").from_extractor(make_imaging()).rig(rig).space(space)).write(
                path, overwrite=True)
    with mb.Session.open(path) as again:  # closed: free again
        assert again.format == "ndx-microscopy"
