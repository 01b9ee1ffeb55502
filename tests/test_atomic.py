"""A write that dies, however it dies, leaves the destination as it was; the next write cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, new_session, read

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    import microscopy_builder as mb
    from roiextractors.testing import generate_dummy_imaging_extractor

    path, backend = sys.argv[1], sys.argv[2]
    imaging = generate_dummy_imaging_extractor(num_rows=256, num_columns=256, num_samples=20000, seed=1)  # ~2.6 GB
    rig = mb.RigBuilder("Scope").microscope(manufacturer="Thorlabs", model="Bergamo II").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    session = mb.Session(session_description="doomed", session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space))
    session.write(path, backend=backend, overwrite=True, progress=False)
    """
)


def snapshot(path: Path) -> dict[str, bytes]:
    """Every byte of a file or of every file in a folder, by relative name."""
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    return {"": path.read_bytes()}


def small_series(rig, space, seed=0, fail_at=None):
    imaging = generate_dummy_imaging_extractor(num_rows=64, num_columns=64, num_samples=400, seed=seed)
    if fail_at is not None:
        original = imaging.get_series

        def get_series(start_sample=None, end_sample=None):
            if end_sample is not None and end_sample > fail_at:
                raise KeyboardInterrupt  # the user pressing Ctrl-C mid-stream
            return original(start_sample=start_sample, end_sample=end_sample)

        imaging.get_series = get_series
    return mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_sigkill_mid_write_leaves_the_previous_file_and_the_next_write_cleans_up(tmp_path, rig, space, backend, suffix):
    destination = tmp_path / f"session.{suffix}"
    new_session().add(small_series(rig, space)).write(destination, backend=backend)
    before = snapshot(destination)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(destination), backend])
    try:
        deadline = time.monotonic() + 120
        partial = []
        while not partial and time.monotonic() < deadline and writer.poll() is None:
            partial = [p for p in tmp_path.iterdir() if p.name.startswith(f".{destination.stem}.partial-")]
            time.sleep(0.05)
        assert partial, "the writer never started its temporary file"
        time.sleep(1.0)  # well into the data
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL
    assert snapshot(destination) == before  # byte for byte
    assert any(p.name.startswith(f".{destination.stem}.partial-") for p in tmp_path.iterdir())  # the dead writer's
    new_session().add(small_series(rig, space, seed=5)).write(destination, backend=backend, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [destination.name]  # cleaned up
    with read(destination) as nwbfile:
        assert nwbfile.acquisition["TwoPhotonSeries"].data.shape == (400, 64, 64)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_keyboard_interrupt_mid_stream_keeps_the_previous_file(tmp_path, rig, space, backend, suffix):
    destination = tmp_path / f"session.{suffix}"
    new_session().add(small_series(rig, space)).write(destination, backend=backend)
    before = snapshot(destination)
    with pytest.raises(KeyboardInterrupt):
        new_session().add(small_series(rig, space, seed=3, fail_at=200)).write(
            destination, backend=backend, overwrite=True, buffer_bytes=1024**2)
    assert snapshot(destination) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [destination.name]  # nothing left behind


def test_a_zarr_store_set_aside_by_a_dead_writer_is_put_back(tmp_path, rig, space):
    destination = tmp_path / "session.nwb.zarr"
    new_session().add(small_series(rig, space)).write(destination)
    before = snapshot(destination)
    # a writer killed between its two renames: the old store aside, no new store in place
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    aside = tmp_path / f".session.nwb.previous-{dead_pid}-0123abcd.zarr"
    os.rename(destination, aside)
    with pytest.raises(mb.ValidationError, match="overwrite=True"):  # recovered first, so it exists again
        new_session().add(small_series(rig, space, seed=2)).write(destination)
    assert snapshot(destination) == before and not aside.exists()
