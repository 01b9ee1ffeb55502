"""Full disks the suite does not try: a file system out of inodes (Zarr stores are many small files),
and a disk too full for the lock file itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from roiextractors import NumpyImagingExtractor

import microscopy_builder as mb
from common import read, rig, session, space


@pytest.fixture
def tmpfs(tmp_path):
    mounts = []

    def mount(options):
        where = tmp_path / f"disk{len(mounts)}"
        where.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)]).returncode:
            pytest.skip("cannot mount tmpfs")
        mounts.append(where)
        return where

    yield mount
    for where in mounts:
        subprocess.run(["umount", str(where)])


def noise_series(name, frames, seed):
    data = np.random.default_rng(seed).integers(0, 2**16, (frames, 32, 32, 1), dtype="uint16")
    return mb.SeriesBuilder(name).from_extractor(NumpyImagingExtractor(data, sampling_frequency=10.0)).rig(rig()).space(space())


def tree(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_zarr_overwrite_on_a_file_system_out_of_inodes_leaves_the_old_store(tmpfs):
    disk = tmpfs("size=64m,nr_inodes=400")
    store = disk / "x.nwb.zarr"
    session().add(noise_series("Old", 40, 1)).write(store, backend="zarr")
    before = tree(store)
    used = sum(1 for _ in disk.rglob("*"))
    # new store: many chunks (one file each) -> runs out of inodes mid-write
    with pytest.raises(Exception) as raised:
        session().add(noise_series("New", 4000, 2)).write(store, backend="zarr", overwrite=True,
                                                           compression=mb.DatasetConfiguration(chunk_shape=(4, 32, 32)))
    print(type(raised.value).__name__, raised.value)
    assert tree(store) == before
    assert sorted(p.name for p in disk.iterdir()) == ["x.nwb.zarr"], sorted(p.name for p in disk.iterdir())
    assert isinstance(raised.value, (OSError, mb.ValidationError)), repr(raised.value)


def test_a_disk_without_an_inode_for_the_lock_file_is_a_validation_error(tmpfs):
    disk = tmpfs("size=16m,nr_inodes=4")
    path = disk / "x.nwb"
    k = 0
    while True:  # use up every inode
        try:
            (disk / f"f{k}").write_bytes(b"")
            k += 1
        except OSError:
            break
    with pytest.raises(mb.ValidationError):  # expected: refused before writing, naming the path
        session().add(noise_series("S", 10, 1)).write(path)


def test_a_full_disk_new_write_error_names_the_disk(tmpfs):
    """No room for a whole new file (but room for the 1 MB reserve): the write runs until the disk is full and
    ends in the disk's own error, with a note naming the disk and saying the destination is untouched."""
    disk = tmpfs("size=4m")
    with pytest.raises((OSError, RuntimeError)) as raised:  # how much room compressed data takes is known only after
        session().add(noise_series("S", 3000, 1)).write(disk / "x.nwb")  # 6 MB of incompressible frames
    assert any("is full; nothing was written" in note for note in raised.value.__notes__)
    assert sorted(p.name for p in disk.iterdir()) == []
