"""Destinations: symbolic links on append, paths spelled two ways, missing parents, long names, files held
open by other programs, a destination inside a Zarr store."""

from __future__ import annotations

import os
import threading
import time
import warnings

import h5py
import pytest

import microscopy_builder as mb
from common import HERE, PYTHON, REPO, imaging, popen_child, read, rig, series, session, space


def write_first(path, name="First", backend=None):
    session().add(series(name)).write(path, backend=backend)
    return path


def test_safe_append_through_a_symlink_keeps_the_link_and_updates_its_target(tmp_path):
    """reliability.md: "A link to an NWB file is written through (the link stays, its target is replaced)"."""
    real = tmp_path / "data" / "real.nwb"
    real.parent.mkdir()
    write_first(real)
    link = tmp_path / "link.nwb"
    link.symlink_to(real)
    with mb.Session.open(link) as s:
        s.add(series("Second", seed=1))
        s.write()
    with read(real) as nwbfile:
        target_series = sorted(nwbfile.acquisition)
    assert link.is_symlink(), "the symbolic link was replaced by a regular file"
    assert target_series == ["First", "Second"], f"the link's target was not updated: {target_series}"


def test_an_append_through_a_symlink_and_a_write_to_its_target_are_serialised(tmp_path):
    """reliability.md: each write and append holds the destination's lock; here one spells it through a link,
    the other directly, and they take two different lock files."""
    real = tmp_path / "data" / "real.nwb"
    real.parent.mkdir()
    write_first(real)
    link = tmp_path / "link.nwb"
    link.symlink_to(real)
    s = mb.Session.open(link)  # holds "the" lock until write()
    child = popen_child(f"""
        import sys; sys.path.insert(0, __import__('os').environ['MB_ATTACKS_DIR'])
        import microscopy_builder as mb
        from common import session, series
        try:
            session().add(series('Replaced', seed=5)).write({str(real)!r}, overwrite=True, lock_timeout=2)
            print('done')
        except mb.ValidationError as error:
            print('waited', error)
    """)
    try:
        out, err = child.communicate(timeout=60)
    finally:
        s.add(series("Appended", seed=1))
        s.write()
    assert out.startswith("waited") and "being written by another writer" in out, out + err[-500:]


def test_holder_thread_second_spelling_deadlocks(tmp_path):
    """The same, from one thread: open x.nwb, then open sub/../x.nwb (timeout 10 s to make the hang visible)."""
    path = write_first(tmp_path / "x.nwb")
    (tmp_path / "sub").mkdir()
    with mb.Session.open(path):
        start = time.monotonic()
        with pytest.raises(mb.ValidationError) as caught:
            mb.Session.open(tmp_path / "sub" / ".." / "x.nwb", lock_timeout=10)
        waited = time.monotonic() - start
    assert "already being written or appended to by this thread" in str(caught.value), (
        f"waited {waited:.0f} s for itself, then: {caught.value}")


def test_open_of_a_file_in_a_missing_folder_says_it_does_not_exist(tmp_path):
    with pytest.raises(mb.ValidationError) as caught:
        mb.Session.open(tmp_path / "missing" / "x.nwb")
    assert "does not exist" in str(caught.value), f"wrong reason: {caught.value}"


def test_a_failed_write_into_a_missing_folder_leaves_no_folders(tmp_path):
    class Failing(type(imaging()[0])):
        def get_series(self, start_sample=None, end_sample=None):
            if start_sample:
                raise RuntimeError("disk of the microscope PC went away")
            return super().get_series(start_sample, end_sample)

    source = Failing(imaging(frames=200)[1][..., None], sampling_frequency=20.0)
    destination = tmp_path / "a" / "b" / "x.nwb"
    with pytest.raises(RuntimeError):
        session().add(mb.SeriesBuilder("S").from_extractor(source).rig(rig()).space(space())).write(
            destination, buffer_bytes=9 * 13 * 2 * 32)
    assert not (tmp_path / "a").exists(), f"left behind: {sorted(p.name for p in (tmp_path / 'a').rglob('*'))}"


@pytest.mark.parametrize("backend,suffix", (("hdf5", ".nwb"), ("zarr", ".nwb.zarr")))
def test_a_long_but_legal_file_name_is_written_or_refused_clearly(tmp_path, backend, suffix):
    name = "s" * (250 - len(suffix)) + suffix  # 250 characters: legal on ext4/tmpfs (NAME_MAX 255)
    try:
        session().add(series()).write(tmp_path / name, backend=backend)
    except mb.ValidationError:
        return
    with read(tmp_path / name) as nwbfile:
        assert nwbfile.acquisition


def test_an_nwb_file_open_for_writing_elsewhere_is_not_called_not_nwb(tmp_path):
    """Another program has the NWB file open (h5py, mode 'a'): overwrite says it is "not an NWB file"."""
    path = write_first(tmp_path / "busy.nwb")
    holder = popen_child(f"""
        import h5py, sys, time
        f = h5py.File({str(path)!r}, 'a')
        print('open', flush=True)
        time.sleep(30)
    """)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(mb.ValidationError) as caught:
            mb.Session.open(path, safe=False)
        message = str(caught.value)
        with pytest.raises(mb.ValidationError) as caught2:
            session().add(series()).write(path, overwrite=False)
    finally:
        holder.kill()
        holder.wait()
    assert "not an NWB file" not in message and "cannot be read as an NWB file" not in message, message


def test_overwrite_of_an_nwb_file_open_for_writing_elsewhere(tmp_path):
    path = write_first(tmp_path / "busy.nwb")
    holder = popen_child(f"""
        import h5py, sys, time
        f = h5py.File({str(path)!r}, 'a')
        print('open', flush=True)
        time.sleep(30)
    """)
    try:
        assert holder.stdout.readline().strip() == "open"
        try:
            session().add(series()).write(path, overwrite=True)
            outcome = "replaced"
        except mb.ValidationError as error:
            outcome = str(error)
    finally:
        holder.kill()
        holder.wait()
    assert "not an NWB file" not in outcome, f"an NWB file held open by another program is called {outcome!r}"


def test_a_destination_inside_an_nwb_zarr_store_is_refused_or_harmless(tmp_path):
    store = write_first(tmp_path / "outer.nwb.zarr", backend="zarr")
    try:
        session().add(series("Inner")).write(store / "acquisition" / "inner.nwb.zarr", backend="zarr")
    except mb.ValidationError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with read(store) as nwbfile:  # the outer store must stay readable
            assert sorted(nwbfile.acquisition) == ["First"]
        with mb.Session.open(store) as s:  # and appendable
            s.add(series("Second", seed=2))
            s.write()
        with read(store) as nwbfile:
            assert sorted(nwbfile.acquisition) == ["First", "Second"]


def test_a_symlink_loop_destination_is_a_validation_error(tmp_path):
    (tmp_path / "a.nwb").symlink_to(tmp_path / "b.nwb")
    (tmp_path / "b.nwb").symlink_to(tmp_path / "a.nwb")
    with pytest.raises(mb.ValidationError):  # today: RuntimeError('Symlink loop from ...') from Path.resolve
        session().add(series()).write(tmp_path / "a.nwb")


def test_a_read_only_nwb_file_is_treated_alike_by_overwrite_and_append():
    """A user marks a finished file read-only (chmod 444) in their own folder. Session.open refuses it as
    read-only; write(path, overwrite=True) deletes and replaces it without a word. Run as an ordinary account
    (root ignores file modes)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from common import PYTHON, REPO

    base = Path(tempfile.mkdtemp(prefix="adv-ro-", dir="/tmp"))
    os.chmod(base, 0o755)
    home = base / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    code = f"""
import os, sys, warnings; sys.path.insert(0, {str(HERE)!r}); warnings.simplefilter('ignore')
import microscopy_builder as mb
from common import session, series
p = {str(home / 'final.nwb')!r}
session().add(series('Final')).write(p)
os.chmod(p, 0o444)
try:
    mb.Session.open(p).close(); print('append: opened')
except mb.ValidationError as e:
    print('append: refused', 'read-only' in str(e))
try:
    session().add(series('Other')).write(p, overwrite=True); print('overwrite: replaced')
except mb.ValidationError as e:
    print('overwrite: refused')
"""
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PYTHON, "-c", code],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src"), "HOME": str(home)})
    shutil.rmtree(base, ignore_errors=True)
    lines = done.stdout.split("\n")
    assert done.returncode == 0, done.stderr[-1500:]
    assert not ("append: refused True" in lines and "overwrite: replaced" in lines), done.stdout


def test_an_open_session_saves_to_its_file_after_the_working_folder_changed(tmp_path, monkeypatch):
    """A notebook: Session.open('x.nwb') (relative), then %cd elsewhere, then write(): the copy is looked for in
    the new working folder (raw FileNotFoundError) and the copy beside x.nwb is left behind."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    write_first(tmp_path / "a" / "x.nwb")
    s = mb.Session.open("x.nwb")
    monkeypatch.chdir(tmp_path / "b")
    s.add(series("Second", seed=1))
    s.write()
    with read(tmp_path / "a" / "x.nwb") as nwbfile:
        assert sorted(nwbfile.acquisition) == ["First", "Second"]


def test_a_chain_of_links_to_an_nwb_file_is_written_through(tmp_path):
    real = write_first(tmp_path / "real.nwb")
    (tmp_path / "l1.nwb").symlink_to(real)
    (tmp_path / "l2.nwb").symlink_to(tmp_path / "l1.nwb")
    session().add(series("New")).write(tmp_path / "l2.nwb", overwrite=True)
    assert (tmp_path / "l2.nwb").is_symlink() and (tmp_path / "l1.nwb").is_symlink()
    with read(real) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["New"]
