"""Appending the way the field does it: the first write in one process, the append in a fresh interpreter
that has imported nothing but microscopy_builder; placeholders reused as themselves; layouts never mixed
silently; an in-place append killed mid-way removed by the next Session.open."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, new_session, read

COMMON = textwrap.dedent(
    """
    import datetime as dt, sys, time, warnings
    import numpy as np
    import microscopy_builder as mb
    from roiextractors import NumpyImagingExtractor

    warnings.simplefilter("ignore")
    format, backend, path, step = sys.argv[1:5]
    rig = (mb.RigBuilder("Scope").microscope(model="Homebuilt")              # no manufacturer: a placeholder
           .objective_lens("Objective", magnification=16.0)                 # no numerical aperture: a placeholder
           .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0))  # no indicator
    space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0)).line_scan()       # no target

    def movie(value, frames=30):
        return NumpyImagingExtractor(np.full((frames, 6, 7, 1), value, dtype="uint16"), sampling_frequency=10.0)
    """
)

STEP = COMMON + textwrap.dedent(
    """
    if step == "first":
        session = mb.Session(session_description="two processes", format=format,
                             session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        session.add(mb.SeriesBuilder("First").from_extractor(movie(1)).rig(rig).space(space)).write(path, backend=backend)
    else:
        assert "ndx_microscopy" not in sys.modules
        with mb.Session.open(path) as session:
            session.add(mb.SeriesBuilder("Second").from_extractor(movie(2)).rig(rig).space(space)).write()
    print("ok")
    """
)


def run(script: str, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_an_append_in_a_fresh_process_reuses_the_rig_with_its_placeholders(tmp_path, format, backend, suffix):
    path = tmp_path / f"s.{suffix}"
    for step in ("first", "append"):
        result = run(STEP, format, backend, str(path), step)
        assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["First", "Second"]
        assert np.all(nwbfile.acquisition["Second"].data[:] == 2)
        assert sorted(nwbfile.devices) == ["Objective", "Scope"]  # reused, not duplicated or renamed
        if format == "ndx-microscopy":
            first, second = nwbfile.acquisition["First"], nwbfile.acquisition["Second"]
            assert first.microscopy_rig.object_id == second.microscopy_rig.object_id
            assert np.isnan(nwbfile.device_models["ObjectiveModel"].numerical_aperture)


def existing(tmp_path, format, rig, space):
    from .conftest import make_imaging

    return new_session(format).add(mb.SeriesBuilder("A").from_extractor(make_imaging()).rig(rig).space(space)).write(
        tmp_path / f"{format}.nwb")


@pytest.mark.parametrize("held,asked", [("legacy", "ndx-microscopy"), ("ndx-microscopy", "legacy")])
def test_appending_the_other_layout_is_refused_unless_asked_for(tmp_path, rig, space, held, asked):
    path = existing(tmp_path, held, rig, space)
    with pytest.raises(mb.ValidationError, match=f"holds .*{held.split('-')[0]}.* objects; appending {asked}") as raised:
        mb.Session.open(path, format=asked)
    assert "mb.translate" in str(raised.value) and "mix_formats=True" in str(raised.value)
    with mb.Session.open(path, format=asked, mix_formats=True) as session:
        assert session.format == asked
    with mb.Session.open(path) as session:  # its own layout, read from the file
        assert session.format == held


def test_a_file_without_optical_physiology_takes_either_layout(tmp_path):
    from pynwb import NWBHDF5IO, NWBFile

    from .conftest import START

    path = tmp_path / "empty.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(NWBFile(session_description="behaviour only", identifier="x", session_start_time=START))
    for format in FORMATS:
        with mb.Session.open(path, format=format) as session:
            assert session.format == format


KILLED = COMMON + textwrap.dedent(
    """
    class Slow(NumpyImagingExtractor):
        def get_series(self, start_sample=None, end_sample=None):
            time.sleep(0.2)
            return super().get_series(start_sample, end_sample)

    session = mb.Session.open(path, safe=False)
    slow = Slow(np.full((4000, 6, 7, 1), 3, dtype="uint16"), sampling_frequency=10.0)
    print("filling", flush=True)
    session.add(mb.SeriesBuilder("Killed").from_extractor(slow).rig(rig).space(space)).write(buffer_bytes=6 * 7 * 2 * 32)
    """
)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_an_in_place_append_killed_mid_way_is_removed_by_the_next_open(tmp_path, backend, suffix):
    path = tmp_path / f"s.{suffix}"
    assert run(STEP, "legacy", backend, str(path), "first").returncode == 0
    with read(path) as nwbfile:
        before = nwbfile.acquisition["First"].data[:]
    writer = subprocess.Popen([sys.executable, "-c", KILLED, "legacy", backend, str(path), "x"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "filling"
    time.sleep(2.0)  # hdmf has written the new objects; the frames are being filled
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = mb.Session.open(path, safe=False)
    assert any("did not finish" in str(w.message) and "acquisition/Killed" in str(w.message) for w in caught)
    from .conftest import make_imaging

    rig = (mb.RigBuilder("Scope").microscope(model="Homebuilt").objective_lens("Objective", magnification=16.0)
           .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0))
    space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0)).line_scan()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session.add(mb.SeriesBuilder("Killed").from_extractor(make_imaging(rows=6, columns=7, rate=10.0)).rig(rig).space(space)).write()
    with read(path) as nwbfile:  # the same name appended again: no conflict with the half-written one
        assert sorted(nwbfile.acquisition) == ["First", "Killed"]
        np.testing.assert_array_equal(nwbfile.acquisition["First"].data[:], before)
        assert nwbfile.acquisition["Killed"].data.shape == (40, 7, 6)
