"""A full disk, for real: a small tmpfs (mounted as root; skipped otherwise) that fills up mid-write.

Safe appends (the default) and new writes leave the destination byte for byte as it was and nothing
beside it; in-place appends refuse to start without room, and one that runs out of space anyway
(something else filled the disk) takes its objects back out. A retry after freeing space works.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from roiextractors import NumpyImagingExtractor

import microscopy_builder as mb
import microscopy_builder.appending as appending

from .conftest import BACKENDS, new_session, read
from .test_atomic import snapshot

DISK_BYTES = 8 * 1024**2


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount)]).returncode:
        pytest.skip("this machine cannot mount a tmpfs")
    yield mount
    subprocess.run(["umount", str(mount)])


def noise(frames, seed):  # incompressible, so its size on disk is its raw size
    rng = np.random.default_rng(seed)
    return NumpyImagingExtractor(rng.integers(0, 2**16, (frames, 32, 32, 1), dtype="uint16"), sampling_frequency=10.0)


def fill_to(mount: Path, free: int) -> Path:
    """Fill the disk until ``free`` bytes are left."""
    filler = mount / "filler"
    available = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(filler, "wb") as file:
        file.write(b"\0" * max(0, available - free))
    return filler


def first_file(mount, rig, space, backend, suffix, format="ndx-microscopy"):
    series = mb.SeriesBuilder("A").from_extractor(noise(100, 1)).rig(rig).space(space)
    return new_session(format).add(series).write(mount / f"f.{suffix}", backend=backend)


def appended(rig, space, frames=1200):
    return mb.SeriesBuilder("B").from_extractor(noise(frames, 2)).rig(rig).space(space)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_safe_append_that_cannot_copy_is_refused_before_writing(small_disk, rig, space, backend, suffix):
    path = first_file(small_disk, rig, space, backend, suffix)
    fill_to(small_disk, 100_000)
    before = snapshot(path)
    with pytest.raises(mb.ValidationError, match="MB are free"):
        mb.Session.open(path)
    assert snapshot(path) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["f." + suffix, "filler"]


def disk_usage(path: Path) -> int:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return sum(p.stat().st_blocks * 512 for p in files)


@pytest.mark.parametrize("spare", [1_100_000, 1_500_000, 2_000_000, 2_800_000])
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_safe_append_that_fills_the_disk_leaves_the_file_byte_for_byte(small_disk, rig, space, backend, suffix, spare):
    path = first_file(small_disk, rig, space, backend, suffix)
    filler = fill_to(small_disk, disk_usage(path) + 64 * 1024 + spare)  # room for the copy, and some of the append
    before = snapshot(path)
    session = mb.Session.open(path)
    with pytest.raises(OSError):  # the copy fits, the append (2.4 MB of noise) does not
        session.add(appended(rig, space)).write()
    assert snapshot(path) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["f." + suffix, "filler"]  # the copy is gone at once
    filler.unlink()
    with mb.Session.open(path) as retry:  # the same process tries again once there is room: no crash, it works
        retry.add(appended(rig, space)).write()
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["A", "B"]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_an_in_place_append_without_room_is_refused_before_writing(small_disk, rig, space, backend, suffix):
    path = first_file(small_disk, rig, space, backend, suffix)
    fill_to(small_disk, 2_000_000)
    before = snapshot(path)
    with mb.Session.open(path, safe=False) as session:
        with pytest.raises(mb.ValidationError, match="appending in place .* needs up to"):
            session.add(appended(rig, space)).write()
    assert snapshot(path) == before


@pytest.mark.parametrize("free", [1_100_000, 1_600_000, 2_200_000, 2_900_000])
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_an_in_place_append_that_runs_out_of_space_takes_itself_back_out(small_disk, rig, space, backend, suffix, free,
                                                                          monkeypatch):
    monkeypatch.setattr(appending, "require_space", lambda *args: None)  # something else filled the disk meanwhile
    path = first_file(small_disk, rig, space, backend, suffix, format="legacy")
    with read(path) as nwbfile:
        before = nwbfile.acquisition["A"].data[:]
    filler = fill_to(small_disk, free)
    session = mb.Session.open(path, safe=False)
    with pytest.raises((OSError, RuntimeError)) as raised:  # h5py reports a failed flush as a RuntimeError
        session.add(appended(rig, space)).write()
    assert any("holds the groups and datasets it held before" in note for note in raised.value.__notes__)
    with read(path) as nwbfile:  # readable, with everything it held and nothing of the failed append
        assert list(nwbfile.acquisition) == ["A"]
        np.testing.assert_array_equal(nwbfile.acquisition["A"].data[:], before)
    filler.unlink()
    with mb.Session.open(path, safe=False) as retry:
        retry.add(appended(rig, space)).write()
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["A", "B"]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_new_write_that_fills_the_disk_leaves_the_previous_file(small_disk, rig, space, backend, suffix):
    path = first_file(small_disk, rig, space, backend, suffix)
    fill_to(small_disk, 2_000_000)
    before = snapshot(path)
    with pytest.raises(OSError):
        new_session().add(appended(rig, space)).write(path, backend=backend, overwrite=True)
    assert snapshot(path) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["f." + suffix, "filler"]


METADATA_FAILURE = """
import datetime as dt, os, sys
import numpy as np
import microscopy_builder as mb
import microscopy_builder.appending as appending
import microscopy_builder.io.space as space_module
from roiextractors import NumpyImagingExtractor

appending.require_space = lambda *args, **kwargs: None
take = space_module.SpaceReserve.take
filled = []


def take_then_fill(self, *, required=False):  # something else fills the disk once the reserve is held
    taken = take(self, required=required)
    if not filled:
        free = os.statvfs(os.path.dirname(sys.argv[1])).f_bavail * os.statvfs(os.path.dirname(sys.argv[1])).f_frsize
        open(os.path.join(os.path.dirname(sys.argv[1]), "more"), "wb").write(b"\\0" * (free - int(sys.argv[2])))
        filled.append(True)
    return taken


space_module.SpaceReserve.take = take_then_fill
frames = np.random.default_rng(2).integers(0, 2**16, (1200, 32, 32, 1), dtype="uint16")
rig = mb.RigBuilder("Other").microscope(manufacturer="M", model="X").channel(
    "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
space = mb.ImagingSpaceBuilder("Elsewhere").planar(pixel_size_um=(1.2, 1.5)).anatomical_target("VISp2/3").line_scan()
session = mb.Session.open(sys.argv[1], safe=False)
try:
    session.add(mb.SeriesBuilder("B").from_extractor(NumpyImagingExtractor(frames, sampling_frequency=10.0))
                .rig(rig).space(space)).write()
except Exception as error:
    print(type(error).__name__, "|".join(getattr(error, "__notes__", [])))
"""


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_writes_on_a_disk_without_room_for_the_reserve_are_refused_before_writing(small_disk, rig, space, backend, suffix):
    path = first_file(small_disk, rig, space, backend, suffix)
    fill_to(small_disk, 500_000)
    before = snapshot(path)
    with pytest.raises(mb.ValidationError, match="too little to write safely"):
        new_session().add(appended(rig, space, frames=10)).write(path, backend=backend, overwrite=True)
    with mb.Session.open(path, safe=False) as session:
        with pytest.raises(mb.ValidationError, match="free"):
            session.add(appended(rig, space, frames=10)).write()
    assert snapshot(path) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["f." + suffix, "filler"]


@pytest.mark.parametrize("free", [2_000, 8_000, 40_000, 150_000])
def test_a_safe_append_whose_disk_fills_while_hdf5_writes_metadata_never_touches_the_file(small_disk, rig, space, free):
    """Something else fills the disk mid-append, while HDF5 writes metadata. HDF5 may then crash the writing process
    (h5py's close after a failed metadata write), so it runs in a child: whatever becomes of the child, the file is
    byte for byte what it was, and the next writer clears the copy it left."""
    path = first_file(small_disk, rig, space, "hdf5", "nwb", format="legacy")
    before = snapshot(path)
    result = subprocess.run([sys.executable, "-c", METADATA_FAILURE.replace("safe=False", "safe=True"), str(path),
                             str(free)], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, -11), result.stderr[-2000:]  # a clean error, or HDF5's own crash
    assert snapshot(path) == before
    for leftover in ("more", "filler"):
        (small_disk / leftover).unlink(missing_ok=True)
    with mb.Session.open(path) as session:  # the next writer clears what the dead one left
        session.add(appended(rig, space, frames=50)).write()
    assert sorted(p.name for p in small_disk.iterdir()) == [path.name]
    check = subprocess.run([sys.executable, "-c", READ_BACK, str(path)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout.split()[:2] == ["A", "B"], check.stdout + check.stderr


READ_BACK = """
import sys
from pynwb import NWBHDF5IO
with NWBHDF5IO(sys.argv[1], "r") as io:
    nwbfile = io.read()
    print(" ".join(sorted(nwbfile.acquisition)), int(nwbfile.acquisition["A"].data[:].sum()))
"""
