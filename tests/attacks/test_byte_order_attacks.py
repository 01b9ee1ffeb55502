"""Byte order beyond what tests/test_byte_order.py covers: other dtypes, volumes, sparse masks,
background components, ROI properties, uncompressed / custom-chunk movies."""

from __future__ import annotations

import numpy as np
import pytest
from roiextractors import NumpyImagingExtractor, NumpySegmentationExtractor
from roiextractors.extractors.numpyextractors import NumpyImagingExtractor as _N  # noqa: F401

import microscopy_builder as mb
from common import imaging, movie, read, rig, session, space

FORMATS = ("ndx-microscopy", "legacy")
BACKENDS = (("hdf5", "nwb"), ("zarr", "nwb.zarr"))


def stored_movie(nwbfile, format):
    series = next(o for o in nwbfile.objects.values() if type(o).__name__.endswith(("MicroscopySeries", "PhotonSeries")))
    data = np.asarray(series.data[:])
    return data.transpose(0, 2, 1) if format == "legacy" else data


@pytest.mark.parametrize("dtype", [">i2", ">u4", ">i4", ">i8", ">u8", ">f2", ">f4", ">f8"])
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_every_big_endian_dtype_movie(tmp_path, format, backend, suffix, dtype):
    frames = movie(dtype="float64") if np.dtype(dtype).kind == "f" else movie()
    frames = (frames / 4).astype(dtype)
    source = NumpyImagingExtractor(frames[..., None], sampling_frequency=20.0)
    s = session(format).add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig()).space(space()))
    path = s.write(tmp_path / f"out.{suffix}", backend=backend)
    with read(path) as nwbfile:
        np.testing.assert_array_equal(stored_movie(nwbfile, format), frames)


@pytest.mark.parametrize("compression", [mb.DatasetConfiguration(compression=None),
                                         mb.DatasetConfiguration(compression_level=0),
                                         mb.DatasetConfiguration(chunk_shape=(3, 5, 4))])
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_big_endian_movie_with_other_storage(tmp_path, backend, suffix, compression):
    source, frames = imaging(dtype=">u2")
    s = session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig()).space(space()))
    path = s.write(tmp_path / f"out.{suffix}", backend=backend, compression=compression)
    with read(path) as nwbfile:
        np.testing.assert_array_equal(stored_movie(nwbfile, "ndx-microscopy"), frames)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_big_endian_second_write_exports_value_for_value(tmp_path, format, backend, suffix):
    source, frames = imaging(frames=80, rows=64, columns=64, dtype=">u2")  # > 1 MB: streamed on export
    s = session(format).add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig()).space(space()))
    s.write(tmp_path / "first.nwb")
    path = s.write(tmp_path / f"second.{suffix}", backend=backend)
    with read(path) as nwbfile:
        np.testing.assert_array_equal(stored_movie(nwbfile, format), frames)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_big_endian_sparse_masks_ids_and_centroids(tmp_path, format, backend, suffix):
    rng = np.random.default_rng(1)
    rows, columns = 9, 13
    masks = (rng.random((rows, columns, 3)) * 3).astype(">f4")
    raw = (rng.random((20, 3)) * 1000).astype(">i4")  # integer traces, big-endian
    ids = np.array([7, 300, 70000], dtype=">i8")
    seg = NumpySegmentationExtractor(image_masks=masks, raw=raw, roi_ids=list(ids), sampling_frequency=20.0,
                                     movie_dims=(rows, columns), mean_image=rng.random((rows, columns)).astype(">i2"))
    source, _ = imaging(dtype=">u2")
    ser = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig()).space(space())
    s = session(format).add(ser).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(seg).series(ser).masks("pixel"))
    path = s.write(tmp_path / f"out.{suffix}", backend=backend)
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        table = next(o for o in nwbfile.objects.values() if type(o).__name__ in ("PlaneSegmentation", "PlanarSegmentation") and o.name == "PlaneSegmentation")
        assert list(table.id[:]) == [7, 300, 70000]
        pm = table["pixel_mask"]
        for i in range(3):
            got = np.asarray(pm[i])
            weights = {(int(r["y"] if "y" in r.dtype.names else r[1]), int(r["x"] if "x" in r.dtype.names else r[0])): float(r["weight"] if "weight" in r.dtype.names else r[2]) for r in got}
            for (y, x), w in weights.items():
                assert w == pytest.approx(float(masks[y, x, i]))
        traces = next(o for o in nwbfile.objects.values() if type(o).__name__.endswith("ResponseSeries") and "Fluorescence" in (o.name, o.parent.name))
        np.testing.assert_array_equal(np.asarray(traces.data[:]), raw)
        assert ophys is not None


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_big_endian_volume(tmp_path, format, backend, suffix):
    rng = np.random.default_rng(2)
    volume = rng.integers(1, 60000, size=(10, 9, 13, 3)).astype(">u2")  # (t, rows, columns, planes)
    from roiextractors.planarstackimagingextractor import PlanarStackImagingExtractor

    stack = PlanarStackImagingExtractor([NumpyImagingExtractor(volume[..., p, None], sampling_frequency=5.0) for p in range(3)])
    assert np.asarray(stack.get_series(0, 1)).dtype.byteorder == ">"
    vspace = mb.ImagingSpaceBuilder("Vol").volumetric(voxel_size_um=(1.0, 1.0, 2.0)).anatomical_target("VISp").line_scan()
    s = session(format).add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(stack).rig(rig()).space(vspace))
    path = s.write(tmp_path / f"out.{suffix}", backend=backend)
    with read(path) as nwbfile:
        series = next(o for o in nwbfile.objects.values() if type(o).__name__.endswith(("MicroscopySeries", "PhotonSeries")))
        data = np.asarray(series.data[:])
        expected = volume.transpose(0, 2, 1, 3) if format == "legacy" else volume.transpose(0, 3, 1, 2)
        np.testing.assert_array_equal(data, expected)
