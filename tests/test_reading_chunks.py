"""Frames read with chunks inflated in parallel are exactly the frames h5py and zarr read, any range, any layout."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import zarr

from microscopy_builder.reading.chunks import read_frames

SHAPE, CHUNKS = (50, 20, 12), (8, 10, 12)
RANGES = [(0, 50), (3, 45), (8, 16), (7, 9), (40, 50), (0, 8)]  # aligned, misaligned, one chunk, less than a chunk


@pytest.fixture
def movie() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 60000, size=SHAPE, dtype="uint16")


@pytest.mark.parametrize("options", [dict(compression="gzip", compression_opts=4),  # read in parallel
                                     dict(compression="gzip", shuffle=True), dict(compression="lzf"), {}])  # by h5py
def test_hdf5_reads_match_h5py(tmp_path, movie, options):
    with h5py.File(tmp_path / "movie.h5", "w") as file:
        file.create_dataset("data", data=movie, chunks=CHUNKS, **options)
    with h5py.File(tmp_path / "movie.h5", "r") as file:
        data = file["data"]
        for start, stop in RANGES:
            for axes in ((0, 1, 2), (0, 2, 1)):
                read = read_frames(data, start, stop, axes)
                assert read.dtype == movie.dtype
                parallel = options == dict(compression="gzip", compression_opts=4) and stop - start >= CHUNKS[0]
                assert read.flags.c_contiguous or not parallel  # transposed by the threads that inflated it
                np.testing.assert_array_equal(read, movie[start:stop].transpose(axes))


def test_chunks_never_written_read_as_the_fill_value(tmp_path, movie):
    with h5py.File(tmp_path / "sparse.h5", "w") as file:
        data = file.create_dataset("data", shape=SHAPE, dtype="uint16", chunks=CHUNKS, compression="gzip", fillvalue=7)
        data[:8] = movie[:8]  # one chunk row written, the rest left to the fill value
    expected = np.full(SHAPE, 7, dtype="uint16")
    expected[:8] = movie[:8]
    with h5py.File(tmp_path / "sparse.h5", "r") as file:
        np.testing.assert_array_equal(read_frames(file["data"], 0, 50), expected)
        np.testing.assert_array_equal(read_frames(file["data"], 5, 30, (0, 2, 1)), expected[5:30].transpose(0, 2, 1))


@pytest.mark.parametrize("compressor", [zarr.GZip(level=4), zarr.Zlib(level=4), None])
def test_zarr_reads_match_zarr(tmp_path, movie, compressor):
    array = zarr.open(str(tmp_path / "movie.zarr"), mode="w", shape=SHAPE, chunks=CHUNKS, dtype="uint16",
                      compressor=compressor)
    array[:] = movie
    for start, stop in RANGES:
        np.testing.assert_array_equal(read_frames(array, start, stop, (0, 2, 1)), movie[start:stop].transpose(0, 2, 1))


def test_volumes_and_big_endian_data(tmp_path):
    volume = np.random.default_rng(1).random((20, 6, 5, 3)).astype(">f4")
    with h5py.File(tmp_path / "volume.h5", "w") as file:
        file.create_dataset("data", data=volume, chunks=(4, 6, 5, 3), compression="gzip")
    with h5py.File(tmp_path / "volume.h5", "r") as file:
        read = read_frames(file["data"], 2, 19, (0, 2, 3, 1))
        np.testing.assert_array_equal(read, volume[2:19].transpose(0, 2, 3, 1))
        assert read.dtype == volume.dtype
