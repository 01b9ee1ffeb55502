"""Appends in fresh processes with sparse descriptions (placeholders), format mixing advice, locks' timeouts."""

from __future__ import annotations

import socket
import threading
import time
import warnings

import pytest

import microscopy_builder as mb
from common import read, run_child, session

SPARSE = """
import sys, warnings; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR']); warnings.simplefilter('ignore')
import microscopy_builder as mb
from common import session, imaging
rig = (mb.RigBuilder('Sparse').microscope()
       .excitation_source('Laser').emission_filter('Filter').photodetector('PMT').objective_lens('Obj')
       .channel('Green', excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0))
space = mb.ImagingSpaceBuilder('FOV').planar(pixel_size_um=(1.0, 1.0))
def s(name, seed):
    return mb.SeriesBuilder(name).from_extractor(imaging(seed=seed)[0]).rig(rig).space(space)
"""


@pytest.mark.parametrize("backend,suffix", (("hdf5", "nwb"), ("zarr", "nwb.zarr")))
@pytest.mark.parametrize("format", ("ndx-microscopy", "legacy"))
def test_a_sparse_rig_and_space_are_reused_by_an_append_in_a_fresh_process(tmp_path, format, backend, suffix):
    path = tmp_path / f"x.{suffix}"
    run_child(SPARSE + f"session({format!r}).add(s('First', 0)).write({str(path)!r}, backend={backend!r})")
    run_child(SPARSE + f"""
with mb.Session.open({str(path)!r}) as x:
    x.add(s('Second', 1))
    x.write()
""")
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["First", "Second"]


def test_the_format_mixing_error_recommends_a_translate_that_exists(tmp_path):
    path = tmp_path / "legacy.nwb"
    run_child(SPARSE + f"session('legacy').add(s('First', 0)).write({str(path)!r})")
    with pytest.raises(mb.ValidationError) as raised:
        mb.Session.open(path, format="ndx-microscopy")
    message = str(raised.value)
    assert "mb.translate" in message
    assert hasattr(mb, "translate"), f"the error recommends mb.translate, which does not exist: {message}"


def test_lock_timeout_bounds_the_wait_for_another_writer(tmp_path):
    """reliability.md: "lock_timeout= on Session.open bounds the wait" (no test in tests/ uses lock_timeout)."""
    path = tmp_path / "x.nwb"
    run_child(SPARSE + f"session().add(s('First', 0)).write({str(path)!r})")
    holder = mb.Session.open(path)
    outcome = []

    def other():
        start = time.monotonic()
        try:
            mb.Session.open(path, lock_timeout=1.0)
            outcome.append("opened")
        except mb.ValidationError as error:
            outcome.append((time.monotonic() - start, str(error)))

    t = threading.Thread(target=other)
    t.start()
    t.join(20)
    holder.close()
    assert outcome and outcome[0] != "opened" and outcome[0][0] < 5, outcome


def test_a_new_write_cannot_bound_its_wait(tmp_path):
    """Session.write has no lock_timeout: a notebook that opened the file and went to lunch blocks every
    write of that path (in any process) for as long as it stays open."""
    import inspect

    assert "lock_timeout" in inspect.signature(mb.Session.write).parameters


def test_a_socket_is_never_replaced(tmp_path):
    """reliability.md lists a socket among what is refused even with overwrite=True; no test shows it."""
    path = tmp_path / "s.nwb"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        with pytest.raises(mb.ValidationError, match="socket"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from common import series

                session().add(series()).write(path, overwrite=True)
    finally:
        server.close()


def test_a_safe_open_and_close_never_changes_the_file(tmp_path):
    """reliability.md: safe=True "the file is untouched"; close() "closes a file without saving". A file carrying
    the incomplete-append mark (from a killed in-place append, or put there by whoever made the file) is modified
    in place by Session.open(path) -- safe mode, no write() -- before any copy is made: the objects it names are
    deleted from the original."""
    import h5py
    import json

    from common import series

    path = tmp_path / "x.nwb"
    session().add(series("First")).add(series("Second", seed=1)).write(path)
    with h5py.File(path, "r+") as file:
        first_id = file["acquisition/First"].attrs["object_id"]
        file.attrs["microscopy_builder_incomplete_append"] = json.dumps([first_id])
    before = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mb.Session.open(path).close()  # safe by default; nothing saved
        except mb.ValidationError as error:
            print("open refused after changing the file:", str(error)[:120])
    try:
        with read(path) as nwbfile:
            held = sorted(nwbfile.acquisition)
    except Exception as error:  # noqa: BLE001
        held = f"nothing readable ({type(error).__name__}): 'Second' linked to the space and channel stored in 'First'"
    assert path.read_bytes() == before, f"a safe open + close changed the file: it now holds {held}"


FOREIGN = """
import datetime as dt, numpy as np, sys
from pynwb import NWBFile, NWBHDF5IO
from pynwb.ophys import OpticalChannel, TwoPhotonSeries
nwbfile = NWBFile(session_description='made by another program', identifier='x',
                  session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
device = nwbfile.create_device(name='Bergamo')
plane = nwbfile.create_imaging_plane(name='V1', optical_channel=OpticalChannel(name='Green', description='g',
    emission_lambda=525.0), description='p', device=device, excitation_lambda=920.0, imaging_rate=20.0,
    indicator='GCaMP6s', location='VISp')
nwbfile.add_acquisition(TwoPhotonSeries(name='TheirSeries', data=np.ones((5, 13, 9), dtype='uint16'),
    imaging_plane=plane, rate=20.0, unit='n.a.'))
with NWBHDF5IO(sys.argv[1], 'w') as io:
    io.write(nwbfile)
"""


def test_appending_to_a_file_another_program_wrote_with_the_same_names(tmp_path):
    """A pynwb-made legacy file holds device 'Bergamo' and ImagingPlane 'V1' (other content than ours): the
    append must be a ConflictError (or reuse), raised before writing, and the file left as it was."""
    import subprocess

    from common import PYTHON, series

    path = tmp_path / "foreign.nwb"
    subprocess.run([PYTHON, "-c", FOREIGN, str(path)], check=True)
    before = path.read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mb.Session.open(path) as s:
                s.add(series("Ours"))
                s.write()
    except mb.BuilderError as error:
        print("refused:", type(error).__name__, str(error)[:200])
        assert path.read_bytes() == before
        return
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["Ours", "TheirSeries"]


def test_legacy_objects_mixed_into_an_ndx_file_keep_it_readable_in_a_fresh_process(tmp_path):
    path = tmp_path / "ndx.nwb"
    run_child(SPARSE + f"session().add(s('First', 0)).write({str(path)!r})")
    run_child(SPARSE + f"""
rig2 = mb.RigBuilder('Legacy').microscope(manufacturer='M', model='L').channel('Green', excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator='GCaMP6s')
with mb.Session.open({str(path)!r}, format='legacy', mix_formats=True) as x:
    x.add(mb.SeriesBuilder('Second').from_extractor(imaging(seed=1)[0]).rig(rig2).space(mb.ImagingSpaceBuilder('Plane').planar(pixel_size_um=(1.0, 1.0))))
    x.write()
""")
    done = run_child(f"""
from pynwb import NWBHDF5IO
with NWBHDF5IO({str(path)!r}, 'r') as io:
    f = io.read()
    print(sorted(f.acquisition), sorted(type(o).__name__ for o in f.acquisition.values()))
""", check=False)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "First" in done.stdout and "Second" in done.stdout, done.stdout


def test_opening_a_mixed_file_without_a_format(tmp_path):
    """A file holding both layouts (made with mix_formats=True) opened with no format= (the documented default:
    "the file's own layout")."""
    from common import series

    path = tmp_path / "mixed.nwb"
    session().add(series("First")).write(path)
    rig2 = mb.RigBuilder("Legacy").microscope(manufacturer="M", model="L").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mb.Session.open(path, format="legacy", mix_formats=True) as x:
            x.add(mb.SeriesBuilder("Second").from_extractor(series("x", seed=1).build().source).rig(rig2).space(
                mb.ImagingSpaceBuilder("Plane").planar(pixel_size_um=(1.0, 1.0))))
            x.write()
        try:
            with mb.Session.open(path) as s:
                print("opened as", s.format)
        except mb.ValidationError as error:
            print("refused:", str(error)[:200])
        except ValueError as error:  # today: ValueError("unknown format 'mixed'"), the lock and the copy kept
            leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "mixed.nwb")
            try:
                mb.Session.open(path, format="legacy", mix_formats=True, lock_timeout=2).close()
                again = "reopened"
            except mb.ValidationError as second:
                again = str(second)[:160]
            pytest.fail(f"raw {error!r}; left beside the file: {leftovers}; opening it again: {again}")


@pytest.mark.parametrize("timeout", ["5", -5, float("nan")])
def test_a_bad_lock_timeout_is_a_validation_error(tmp_path, timeout):
    from common import series

    path = tmp_path / "x.nwb"
    session().add(series()).write(path)
    with pytest.raises(mb.ValidationError):
        mb.Session.open(path, lock_timeout=timeout).close()
    mb.Session.open(path, lock_timeout=1).close()  # and nothing stays locked
