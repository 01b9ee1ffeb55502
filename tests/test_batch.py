"""Many sessions at once, on a process pool (the default), a thread pool and a dask.distributed cluster."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

from .conftest import read

START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.timezone.utc)


def make_session(seed: int, *, frames: int = 30) -> mb.Session:
    """A module-level builder function, as workers must import it: one session per seed."""
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


def test_default_process_pool_writes_every_session_and_isolates_a_failure(tmp_path):
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
