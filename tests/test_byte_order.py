"""Big-endian sources (ImageJ TIFFs, ``>u2`` / ``>f8`` .npy files, HDF5 datasets) are written value for
value, in native byte order, in both formats and both backends: movies, masks, traces and images."""

from __future__ import annotations

import sys

import h5py
import numpy as np
import pytest
import tifffile
from roiextractors import Hdf5ImagingExtractor, NumpyImagingExtractor, NumpySegmentationExtractor, TiffImagingExtractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, new_session, read, series_named

ROWS, COLUMNS, FRAMES = 9, 13, 24  # non-square frames catch swapped axes


def movie(dtype: str) -> np.ndarray:
    """Frames whose bytes differ when swapped: every value is distinct and not byte-symmetric."""
    values = np.arange(FRAMES * ROWS * COLUMNS, dtype="float64").reshape(FRAMES, ROWS, COLUMNS)
    if np.dtype(dtype).kind == "f":
        return (values * 1.25 + 0.5).astype(dtype)
    return (values * 37 + 258).astype(dtype)


def tiff_source(tmp_path):
    frames = movie(">u2")
    tifffile.imwrite(tmp_path / "imagej.tif", frames, byteorder=">", imagej=True)
    return TiffImagingExtractor(tmp_path / "imagej.tif", sampling_frequency=20.0), frames


def npy_source(dtype: str):
    def make(tmp_path):
        frames = movie(dtype)
        np.save(tmp_path / "movie.npy", frames[..., None])
        return NumpyImagingExtractor(tmp_path / "movie.npy", sampling_frequency=20.0), frames

    return make


def hdf5_source(tmp_path):
    frames = movie(">u2")
    with h5py.File(tmp_path / "movie.h5", "w") as file:
        file.create_dataset("mov", data=frames[None])  # roiextractors' layout: (channel, time, y, x)
    return Hdf5ImagingExtractor(tmp_path / "movie.h5", sampling_frequency=20.0), frames


SOURCES = {"imagej-tiff": tiff_source, "npy >u2": npy_source(">u2"), "npy >f8": npy_source(">f8"), "hdf5 >u2": hdf5_source}


def test_the_sources_really_are_big_endian(tmp_path):
    for name, make in SOURCES.items():
        source, _ = make(tmp_path)
        assert np.asarray(source.get_series(0, 1)).dtype.byteorder == ">", name


@pytest.mark.parametrize("source_name", SOURCES)
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_big_endian_movies_are_written_value_for_value(tmp_path, rig, space, format, backend, suffix, source_name):
    source, frames = SOURCES[source_name](tmp_path)
    session = new_session(format).add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig).space(space))
    path = session.write(tmp_path / f"out.{suffix}", backend=backend)
    with read(path) as nwbfile:
        data = series_named(nwbfile, "TwoPhotonSeries").data
        stored = np.asarray(data[:])
        assert stored.dtype == frames.dtype.newbyteorder("=")
        assert stored.dtype.byteorder in ("=", "|", "<" if sys.byteorder == "little" else ">")
        stored_rows_columns = stored.transpose(0, 2, 1) if format == "legacy" else stored  # legacy is (t, x, y)
        np.testing.assert_array_equal(stored_rows_columns, frames)
        assert stored_rows_columns.tobytes() == frames.astype(stored.dtype).tobytes()


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_big_endian_masks_traces_and_images_are_written_value_for_value(tmp_path, rig, space, format, backend, suffix):
    rng = np.random.default_rng(3)
    masks = (rng.random((ROWS, COLUMNS, 4)) * 3).astype(">f4")
    raw = (rng.random((FRAMES, 4)) * 1000).astype(">f8")
    dff = rng.normal(size=(FRAMES, 4)).astype(">f4")
    mean = (rng.random((ROWS, COLUMNS)) * 500).astype(">f4")
    segmentation = NumpySegmentationExtractor(image_masks=masks, raw=raw, dff=dff, mean_image=mean,
                                              sampling_frequency=20.0, movie_dims=(ROWS, COLUMNS))
    imaging = NumpyImagingExtractor(movie(">u2")[..., None], sampling_frequency=20.0)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)
    session = new_session(format).add(series).add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation).series(series).masks("image"))
    path = session.write(tmp_path / f"out.{suffix}", backend=backend)
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        if format == "legacy":
            table = ophys["ImageSegmentation"]["PlaneSegmentation"]
            stored_masks = np.asarray(table["image_mask"].data[:]).transpose(2, 1, 0)  # (roi, x, y) -> (y, x, roi)
            stored_raw = ophys["Fluorescence"]["RoiResponseSeries"].data[:]
            stored_dff = ophys["DfOverF"]["RoiResponseSeries"].data[:]
            stored_mean = np.asarray(ophys["SegmentationImages"]["mean"].data[:]).T
        else:
            table = ophys["SegmentationContainer"]["PlaneSegmentation"]
            stored_masks = np.asarray(table["image_mask"].data[:]).transpose(1, 2, 0)  # (roi, y, x) -> (y, x, roi)
            responses = ophys["PlaneSegmentationResponseSeries"]
            stored_raw = responses["Fluorescence"].data[:]
            stored_dff = responses["DfOverF"].data[:]
            stored_mean = np.asarray(table.summary_images["mean"].data[:])
        for stored, original in ((stored_masks, masks), (stored_raw, raw), (stored_dff, dff), (stored_mean, mean)):
            stored = np.asarray(stored)
            assert stored.dtype == original.dtype.newbyteorder("=")
            np.testing.assert_array_equal(stored, original)
