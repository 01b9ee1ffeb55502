"""Many sessions at once: each in its own process (the default), on a thread pool, a process pool, a dask cluster."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

from . import batch_jobs
from .batch_jobs import make_broken_session, make_session
from .conftest import read


def jobs_for(folder: Path, seeds=(1, 2, 3), broken_seed: int | None = 2) -> list[mb.SessionJob]:
    return [
        mb.SessionJob(make=make_broken_session if seed == broken_seed else make_session, args=(seed,),
                      path=folder / f"session_{seed}.nwb")
        for seed in seeds
    ]


def check_results(results, folder: Path, broken_seed: int | None = 2) -> None:
    for result, seed in zip(results, (1, 2, 3)):
        path = folder / f"session_{seed}.nwb"
        if seed == broken_seed:
            assert not result.ok and result.error_type == "ValidationError" and "series 'Other'" in result.error
            assert "Traceback" in result.traceback and not path.exists()
        else:
            assert result.ok and result.path == path and result.error is None, result
            expected = generate_dummy_imaging_extractor(num_rows=20, num_columns=24, num_samples=30, seed=seed).get_series()
            with read(path) as nwbfile:
                assert nwbfile.session_description == f"session {seed}"
                np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:], expected.transpose(0, 2, 1))


def test_default_engine_writes_every_session_and_isolates_a_failure(tmp_path):
    results = mb.write_sessions(jobs_for(tmp_path))
    check_results(results, tmp_path)
    assert "failed" in str(results[1]) and "wrote" in str(results[0])


def test_any_executor_works(tmp_path):
    with ThreadPoolExecutor(max_workers=2) as executor:
        check_results(mb.write_sessions(jobs_for(tmp_path), executor=executor), tmp_path)


def test_dask_distributed_cluster_as_the_engine(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        results = mb.write_sessions(jobs_for(tmp_path), executor=client.get_executor())
    check_results(results, tmp_path)


def test_a_job_that_cannot_even_start_is_reported(tmp_path):
    """An unpicklable builder (a lambda) fails in the pool, not in the caller."""
    jobs = [mb.SessionJob(make=lambda: make_session(1), path=tmp_path / "lambda.nwb"),
            mb.SessionJob(make=make_session, args=(3,), path=tmp_path / "session_3.nwb")]
    results = mb.write_sessions(jobs)
    assert not results[0].ok and "pickle" in (results[0].error + results[0].error_type).lower()
    assert results[1].ok and results[1].path.exists()


def test_bad_job_lists_are_refused(tmp_path):
    with pytest.raises(mb.ValidationError, match="must be a SessionJob"):
        mb.write_sessions([make_session])
    same = tmp_path / "same.nwb"
    with pytest.raises(mb.ValidationError, match="more than one job"):
        mb.write_sessions([mb.SessionJob(make=make_session, args=(1,), path=same),
                           mb.SessionJob(make=make_session, args=(2,), path=same)])
    assert mb.write_sessions([]) == []


def check_session(path: Path, seed: int) -> None:
    expected = generate_dummy_imaging_extractor(num_rows=20, num_columns=24, num_samples=30, seed=seed).get_series()
    with read(path) as nwbfile:
        assert nwbfile.session_description == f"session {seed}"
        np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:], expected.transpose(0, 2, 1))


def process_state(pid: int) -> str | None:
    """The process's state letter from /proc ("Z" for a zombie), None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def children_of_this_process() -> dict[int, str]:
    """Every child process (zombies included) with its command line, but multiprocessing's resource tracker."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        found = {}
        for child in psutil.Process().children():
            try:
                found[child.pid] = " ".join(child.cmdline()) or child.name()
            except psutil.NoSuchProcess:
                continue
    elif Path("/proc/self/stat").exists():
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == os.getpid():
                    found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (FileNotFoundError, ProcessLookupError):
                continue
    else:
        pytest.skip("neither psutil nor /proc to list child processes")
    return {pid: line for pid, line in found.items() if "resource_tracker" not in line}


def test_a_worker_that_dies_fails_only_its_own_job(tmp_path):
    """SIGKILL (what the out-of-memory killer sends) and os._exit fail their jobs; the three others are written."""
    makes = {1: make_session, 2: batch_jobs.kill_own_process, 3: make_session, 4: batch_jobs.exit_abruptly, 5: make_session}
    jobs = [mb.SessionJob(make=make, args=(seed,), path=tmp_path / f"session_{seed}.nwb") for seed, make in makes.items()]
    before = children_of_this_process()
    results = mb.write_sessions(jobs)  # no BrokenProcessPool (or anything else) escapes

    killed, exited = results[1], results[3]
    assert not killed.ok and killed.error_type == "WorkerDied" and killed.path == jobs[1].path
    assert killed.error == "the worker process was killed by SIGKILL (signal 9); out of memory?"
    assert not exited.ok and exited.error_type == "WorkerDied" and "exited with code 3" in exited.error
    assert "failed" in str(killed) and "WorkerDied" in str(exited)
    assert not jobs[1].path.exists() and not jobs[3].path.exists()
    for index in (0, 2, 4):
        assert results[index].ok and results[index].path == jobs[index].path, results[index]
        check_session(jobs[index].path, seed=index + 1)
    assert multiprocessing.active_children() == []
    assert children_of_this_process() == before


def test_a_crash_in_c_is_reported_with_the_python_stack_where_it_happened(tmp_path):
    jobs = [mb.SessionJob(make=batch_jobs.crash_in_c, args=(1,), path=tmp_path / "crash.nwb"),
            mb.SessionJob(make=make_session, args=(2,), path=tmp_path / "session_2.nwb")]
    crashed, written = mb.write_sessions(jobs)
    assert crashed.error_type == "WorkerDied" and "SIGSEGV (signal 11)" in crashed.error
    assert "Segmentation fault" in crashed.traceback and "crash_in_c" in crashed.traceback
    assert written.ok
    check_session(written.path, seed=2)


def test_children_inherit_no_open_files(tmp_path):
    """The parent's open HDF5 file and an ordinary open file are not open in the job's process."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to list a process's descriptors")
    import h5py

    held, plain = tmp_path / "held.h5", tmp_path / "held.txt"
    with h5py.File(held, "w") as file, open(plain, "w"):
        file["x"] = [1, 2, 3]
        jobs = [mb.SessionJob(make=batch_jobs.make_session_checking_files, args=(seed, str(path)),
                              path=tmp_path / f"session_{seed}.nwb") for seed, path in ((1, held), (2, plain))]
        results = mb.write_sessions(jobs)
    assert [result.ok for result in results] == [True, True], [str(result) for result in results]
    for seed, result in enumerate(results, start=1):
        check_session(result.path, seed=seed)


def wait_for_markers(folder: Path, count: int, timeout: float = 60.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        markers = sorted(folder.glob("*.pid"))
        if len(markers) == count:
            return [int(marker.read_text()) for marker in markers]
        time.sleep(0.1)
    return []


def test_interrupting_the_parent_terminates_every_child(tmp_path):
    """Ctrl-C in the parent (SIGINT to it alone) stops the children it started and is raised."""
    jobs = [mb.SessionJob(make=batch_jobs.wait_forever, args=(seed, str(tmp_path)), path=tmp_path / f"s{seed}.nwb")
            for seed in (1, 2)]
    pids = []

    def interrupt_when_both_run() -> None:
        pids.extend(wait_for_markers(tmp_path, 2))
        if pids:
            os.kill(os.getpid(), signal.SIGINT)

    before = children_of_this_process()
    interrupter = threading.Thread(target=interrupt_when_both_run)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        mb.write_sessions(jobs)
    interrupter.join()
    left = [pid for pid in pids if process_state(pid) is not None]
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # the children this test found running: do not leave them behind
    assert len(pids) == 2 and left == []
    assert multiprocessing.active_children() == [] and children_of_this_process() == before
    assert not list(tmp_path.glob("*.nwb"))


def test_a_child_ends_when_its_parent_is_killed(tmp_path):
    """No orphan goes on writing after its parent got SIGKILL."""
    root = Path(__file__).resolve().parents[1]
    script = (f"import sys; sys.path[:0] = [{str(root)!r}, {str(root / 'src')!r}]\n"
              "import microscopy_builder as mb\nfrom tests import batch_jobs\n"
              f"mb.write_sessions([mb.SessionJob(make=batch_jobs.wait_forever, args=(1, {str(tmp_path)!r}), "
              f"path={str(tmp_path / 'orphan.nwb')!r})])\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        pids = wait_for_markers(tmp_path, 1)
        assert pids, "the job never started"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while process_state(pids[0]) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.1)
    state = process_state(pids[0])
    if state not in (None, "Z"):
        os.kill(pids[0], signal.SIGKILL)  # the orphan this test found: do not leave it behind
    assert state in (None, "Z")  # gone, or ended and waiting for init to reap it


def test_a_broken_process_pool_of_the_callers_fails_its_jobs_and_says_why(tmp_path):
    """A caller's ProcessPoolExecutor breaks when a worker dies: every unfinished job says so, and names the cure."""
    jobs = [mb.SessionJob(make=batch_jobs.kill_own_process, args=(1,), path=tmp_path / "killed.nwb"),
            mb.SessionJob(make=make_session, args=(2,), path=tmp_path / "session_2.nwb")]
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as executor:
        results = mb.write_sessions(jobs, executor=executor)
    for result in results:  # one worker, busy with the first job when it died: neither job was finished
        assert not result.ok and result.error_type == "BrokenProcessPool"
        assert "worker process" in result.error and "default engine" in result.error
    assert not any(tmp_path.glob("*.nwb"))
