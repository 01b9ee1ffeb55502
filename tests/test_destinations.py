"""A destination is sacred: only NWB files and stores are ever replaced, writes are flushed to disk
before they are moved into place, and read-only places are refused before anything is written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import microscopy_builder as mb
from microscopy_builder.io import atomic

from .conftest import BACKENDS, make_imaging, new_session, read
from .test_atomic import snapshot


def session_with(rig, space, name="TwoPhotonSeries", seed=0):
    return new_session().add(mb.SeriesBuilder(name).from_extractor(make_imaging(seed=seed)).rig(rig).space(space))


def test_a_folder_that_is_not_an_nwb_store_is_never_replaced(tmp_path, rig, space):
    project = tmp_path / "project"
    (project / "raw").mkdir(parents=True)
    (project / "raw" / "movie.tif").write_bytes(b"irreplaceable raw data")
    before = snapshot(project)
    for backend in ("zarr", "hdf5"):
        with pytest.raises(mb.ValidationError, match="project"):
            session_with(rig, space).write(project, backend=backend, overwrite=True)
    assert snapshot(project) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_a_file_that_is_not_nwb_is_never_replaced(tmp_path, rig, space):
    tiff = tmp_path / "movie.nwb"
    tiff.write_bytes(b"II*\x00 a TIFF someone named .nwb")
    with pytest.raises(mb.ValidationError, match="not an NWB file"):
        session_with(rig, space).write(tiff, overwrite=True)
    assert tiff.read_bytes() == b"II*\x00 a TIFF someone named .nwb"


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
def test_devices_fifos_and_links_to_them_are_refused(tmp_path, rig, space, backend):
    fifo = tmp_path / "pipe.nwb"
    os.mkfifo(fifo)
    to_null = tmp_path / "null.nwb"
    to_null.symlink_to("/dev/null")
    for path in (Path("/dev/null"), fifo, to_null):
        with pytest.raises(mb.ValidationError, match="not an NWB file|FIFO|device"):
            session_with(rig, space).write(path, backend=backend, overwrite=True)
    assert Path("/dev/null").is_char_device() and fifo.is_fifo() and to_null.is_symlink()
    assert os.readlink(to_null) == "/dev/null"


def test_the_root_and_the_home_folder_are_refused(rig, space):
    for path in (Path("/"), Path.home()):
        with pytest.raises(mb.ValidationError, match="root or your home"):
            session_with(rig, space).write(path, backend="zarr", overwrite=True)
    assert Path.home().is_dir()


def test_a_link_to_an_nwb_file_is_written_through(tmp_path, rig, space):
    real = session_with(rig, space, name="Old").write(tmp_path / "real.nwb")
    link = tmp_path / "link.nwb"
    link.symlink_to(real)
    session_with(rig, space, name="New", seed=1).write(link, overwrite=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    with read(real) as nwbfile:
        assert list(nwbfile.acquisition) == ["New"]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_an_nwb_file_or_store_is_replaced_when_asked(tmp_path, rig, space, backend, suffix):
    path = session_with(rig, space, name="Old").write(tmp_path / f"s.{suffix}", backend=backend)
    session_with(rig, space, name="New", seed=1).write(path, backend=backend, overwrite=True)
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["New"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary, no lock file left


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_files_and_folders_are_flushed_before_the_final_move(tmp_path, rig, space, backend, suffix, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace, real_link, real_rename = os.fsync, os.replace, os.link, os.rename

    def fsync(descriptor):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        return real_fsync(descriptor)

    def moved(name, real):
        def move(source, destination, *args, **kwargs):
            events.append((name, str(destination)))
            return real(source, destination, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", moved("replace", real_replace))
    monkeypatch.setattr(os, "link", moved("link", real_link))
    monkeypatch.setattr(os, "rename", moved("rename", real_rename))
    monkeypatch.setattr(atomic, "_renameat2", moved("rename", atomic._renameat2))  # Linux's renameat2, through ctypes
    destination = tmp_path / f"s.{suffix}"
    session_with(rig, space).write(destination, backend=backend)
    move = next(i for i, (kind, where) in enumerate(events) if kind in ("replace", "link", "rename") and where == str(destination))
    flushed_before = {where for kind, where in events[:move] if kind == "fsync"}
    partial = {where for where in flushed_before if ".partial-" in where}
    assert partial, "the temporary was flushed before it was moved into place"
    if backend == "zarr":  # every file of the store, and its folders
        assert any(where.endswith(".zgroup") for where in partial) and any(where.endswith(".zattrs") for where in partial)
    assert ("fsync", str(tmp_path)) in events[move:], "the folder is flushed after the move"


def test_a_zarr_store_is_exchanged_with_the_old_one_in_one_step(tmp_path, rig, space, monkeypatch):
    path = session_with(rig, space, name="Old").write(tmp_path / "s.nwb.zarr")
    set_aside = []
    real_rename = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (set_aside.append((a, b)), real_rename(a, b))[1])
    session_with(rig, space, name="New", seed=1).write(path, overwrite=True)
    assert not [a for a, b in set_aside if Path(a) == path], "the old store was never moved aside: no gap"
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["New"]


def test_a_store_left_set_aside_is_put_back_by_session_open(tmp_path, rig, space, monkeypatch):
    path = session_with(rig, space, name="Old").write(tmp_path / "s.nwb.zarr")
    before = snapshot(path)
    aside = tmp_path / ".s.nwb.previous-999999-0123abcd.zarr"  # a replacement killed between its two renames
    os.rename(path, aside)
    with mb.Session.open(path) as session:  # not "does not exist": put back first
        assert session.format == "ndx-microscopy"
    assert snapshot(path) == before and not aside.exists()


def read_only_mount(tmp_path: Path) -> Path:
    """A small tmpfs remounted read-only (needs root), with an NWB file written while it was writable."""
    mount = tmp_path / "ro"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode:
        pytest.skip("mounting a read-only file system needs root")
    return mount


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_read_only_destinations_are_a_validation_error_naming_the_path(tmp_path, rig, space, backend, suffix):
    mount = read_only_mount(tmp_path)
    try:
        existing = session_with(rig, space).write(mount / f"s.{suffix}", backend=backend)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for path, overwrite in ((mount / f"new.{suffix}", False), (existing, True)):
            with pytest.raises(mb.ValidationError, match="read-only") as raised:
                session_with(rig, space, seed=2).write(path, backend=backend, overwrite=overwrite)
            assert str(mount) in str(raised.value)
        with pytest.raises(mb.ValidationError, match="read-only"):
            mb.Session.open(existing, safe=False)
        with read(existing) as nwbfile:
            assert list(nwbfile.acquisition) == ["TwoPhotonSeries"]
    finally:
        subprocess.run(["umount", str(mount)])


def test_exchange_falls_back_to_rename_aside_where_the_system_cannot(tmp_path, rig, space, monkeypatch):
    monkeypatch.setattr(atomic, "_renameat2", lambda *args: False)
    path = session_with(rig, space, name="Old").write(tmp_path / "s.nwb.zarr")
    session_with(rig, space, name="New", seed=1).write(path, overwrite=True)
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["New"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
