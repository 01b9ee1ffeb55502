"""Peak memory while writing is set by the buffer, not by the movie: measured in a fresh subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import datetime as dt, json, sys
    import microscopy_builder as mb
    from roiextractors.testing import generate_dummy_imaging_extractor
    def peak_kib():  # this process's own high-water mark: ru_maxrss would start at the pytest parent's peak
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    frames, buffer_bytes, path, backend = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    imaging = generate_dummy_imaging_extractor(num_rows=256, num_columns=256, num_samples=frames, seed=1)  # lazy
    rig = mb.RigBuilder("Scope").microscope(manufacturer="Thorlabs", model="Bergamo II").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    session = mb.Session(session_description="memory", session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                         format="ndx-microscopy")
    session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space))
    imaging.get_series(0, 1)  # the extractor's own one-off set-up, before the baseline
    base = peak_kib()
    session.write(path, backend=backend, buffer_bytes=buffer_bytes, max_workers=2, progress=False)
    peak = peak_kib()
    print(json.dumps({"base_mib": base / 1024, "peak_mib": peak / 1024}))
    """
)


def write_in_child(tmp_path, frames: int, buffer_bytes: int, backend: str) -> dict:
    """Peak and baseline resident memory (MiB) of a fresh process writing ``frames`` frames."""
    path = tmp_path / (f"movie{frames}.nwb" if backend == "hdf5" else f"movie{frames}.nwb.zarr")
    done = subprocess.run([sys.executable, "-c", CHILD, str(frames), str(buffer_bytes), str(path), backend],
                          capture_output=True, text=True, check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
def test_peak_memory_does_not_grow_with_the_movie(tmp_path, backend):
    buffer_bytes = 8 * 1024**2
    movie_mib = 2000 * 256 * 256 * 2 / 1024**2  # 250 MiB of uint16 frames, 31 buffers
    small = write_in_child(tmp_path, 250, buffer_bytes, backend)
    large = write_in_child(tmp_path, 2000, buffer_bytes, backend)
    print(backend, small, large)
    small_cost = small["peak_mib"] - small["base_mib"]
    large_cost = large["peak_mib"] - large["base_mib"]
    # the write costs a few buffers (the mock extractor builds each read as int64 first), never the movie
    assert large_cost < 0.4 * movie_mib, (small, large)
    # and eight times the frames cost about the same memory as one eighth of them
    assert large_cost < small_cost + 40, (small, large)
