"""Parallel compression, dataset configuration and progress: real files, read back bit for bit."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import zarr
from roiextractors import NumpyImagingExtractor
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb
from microscopy_builder.io.chunking import ImagingDataIterator, chunk_shape_for

from .conftest import BACKENDS, FORMATS, new_session, read


def movie(*, rows=40, columns=52, frames=150, dtype="uint16", seed=0):
    return generate_dummy_imaging_extractor(num_rows=rows, num_columns=columns, num_samples=frames, dtype=dtype, seed=seed)


def series_of(imaging, rig, space, name="TwoPhotonSeries"):
    return mb.SeriesBuilder(name).from_extractor(imaging).rig(rig).space(space)


def stored(path, backend, name="TwoPhotonSeries"):
    """The raw stored dataset, opened with h5py or zarr alone (no pynwb)."""
    if backend == "hdf5":
        return h5py.File(path, "r")[f"acquisition/{name}/data"]
    return zarr.open_group(str(path), mode="r")[f"acquisition/{name}/data"]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_parallel_and_serial_writes_store_identical_data(tmp_path, rig, space, backend, suffix, format):
    imaging = movie(frames=203)  # not a multiple of the chunk: the last chunk is partial
    paths = {}
    for workers in (1, 2, 4):
        paths[workers] = new_session(format).add(series_of(imaging, rig, space)).write(
            tmp_path / f"w{workers}.{suffix}", backend=backend, max_workers=workers, buffer_bytes=200_000)
    expected = imaging.get_series()
    if format == "legacy":
        expected = expected.transpose(0, 2, 1)
    for workers, path in paths.items():
        data = stored(path, backend)
        np.testing.assert_array_equal(data[:], expected, err_msg=f"{workers} workers")
        assert data.dtype == np.uint16


def test_parallel_chunks_are_standard_gzip_any_hdf5_reader_opens(tmp_path, rig, space):
    imaging = movie(frames=100)
    path = new_session().add(series_of(imaging, rig, space)).write(
        tmp_path / "gzip.nwb", max_workers=2, compression=mb.DatasetConfiguration(chunk_shape=(32, 40, 52)))
    with h5py.File(path, "r") as file:
        data = file["acquisition/TwoPhotonSeries/data"]
        assert (data.compression, data.compression_opts, data.shuffle, data.fletcher32) == ("gzip", 4, False, False)
        assert data.chunks == (32, 40, 52)
        plist = data.id.get_create_plist()
        assert [plist.get_filter(i)[0] for i in range(plist.get_nfilters())] == [h5py.h5z.FILTER_DEFLATE]
        np.testing.assert_array_equal(data[37:41], imaging.get_series(37, 41))
        # every chunk is stored, and each decompresses to its frames with a plain zlib
        import zlib

        assert data.id.get_num_chunks() == 4
        first = data.id.read_direct_chunk((0, 0, 0))[1]
        raw = np.frombuffer(zlib.decompress(first), dtype=np.uint16).reshape(32, 40, 52)
        np.testing.assert_array_equal(raw, imaging.get_series(0, 32))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"])
def test_every_dtype_round_trips_bit_exact(tmp_path, rig, space, backend, suffix, dtype):
    imaging = movie(frames=70, dtype=dtype, seed=3)
    path = new_session().add(series_of(imaging, rig, space)).write(tmp_path / f"d.{suffix}", backend=backend, max_workers=2)
    with read(path) as nwbfile:
        data = nwbfile.acquisition["TwoPhotonSeries"].data
        assert data.dtype == np.dtype(dtype)
        assert data[:].tobytes() == imaging.get_series().tobytes()


def test_boolean_frames_are_stored_losslessly_as_uint8(tmp_path, rig, space):
    """NWB imaging data is numeric: True/False become 1/0."""
    frames = np.random.default_rng(0).random((60, 20, 24, 1)) > 0.5
    imaging = NumpyImagingExtractor(timeseries=frames, sampling_frequency=10.0)
    path = new_session().add(series_of(imaging, rig, space)).write(tmp_path / "bool.nwb", max_workers=2)
    with read(path) as nwbfile:
        data = nwbfile.acquisition["TwoPhotonSeries"].data
        assert data.dtype == np.uint8
        np.testing.assert_array_equal(data[:].astype(bool), frames[..., 0])
        assert set(np.unique(data[:])) == {0, 1}


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_compression_and_chunks_can_be_chosen_per_series(tmp_path, rig, space, backend, suffix):
    other = mb.ImagingSpaceBuilder("Other").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    a, b = movie(seed=1), movie(rows=30, columns=20, seed=2)
    session = new_session().add(series_of(a, rig, space, "Raw")).add(series_of(b, rig, other, "Plain"))
    path = session.write(
        tmp_path / f"c.{suffix}",
        backend=backend,
        compression={"Raw": mb.DatasetConfiguration(compression_level=7, chunk_shape=(10, 20, 26)),
                     "Plain": mb.DatasetConfiguration(compression=None)},
    )
    raw, plain = stored(path, backend, "Raw"), stored(path, backend, "Plain")
    assert tuple(raw.chunks) == (10, 20, 26)
    if backend == "hdf5":
        assert (raw.compression, raw.compression_opts) == ("gzip", 7)
        assert plain.compression is None
    else:
        assert raw.compressor.level == 7 and plain.compressor is None
    np.testing.assert_array_equal(raw[:], a.get_series())
    np.testing.assert_array_equal(plain[:], b.get_series())


@pytest.mark.parametrize(
    "options,fragment",
    [
        ({"max_workers": 0}, "max_workers: must be a whole number"),
        ({"compression": {"Nope": mb.DatasetConfiguration()}}, r"compression\['Nope'\]: no series of that name"),
        ({"compression": mb.DatasetConfiguration(compression="lzf")}, "compression: must be one of"),
        ({"compression": mb.DatasetConfiguration(compression_level=12)}, "compression_level: must be a whole number 0-9"),
        ({"compression": mb.DatasetConfiguration(chunk_shape=(10, 500, 5))}, "does not fit the stored shape"),
        ({"compression": "gzip"}, "compression: give a DatasetConfiguration"),
    ],
)
def test_bad_write_options_are_refused_before_anything_is_written(tmp_path, rig, space, options, fragment):
    session = new_session().add(series_of(movie(), rig, space))
    with pytest.raises(mb.ValidationError, match=fragment):
        session.write(tmp_path / "x.nwb", **options)
    assert list(tmp_path.iterdir()) == []
    session.write(tmp_path / "x.nwb")  # the session is still usable
    with read(tmp_path / "x.nwb") as nwbfile:
        assert nwbfile.acquisition["TwoPhotonSeries"].data.shape == (150, 40, 52)


def test_progress_bar_shows_throughput_and_can_be_silenced(tmp_path, rig, space, capfd):
    new_session().add(series_of(movie(), rig, space)).write(tmp_path / "quiet.nwb", progress=False)
    assert capfd.readouterr().err == ""
    new_session().add(series_of(movie(), rig, space)).write(tmp_path / "loud.nwb", progress=True)
    err = capfd.readouterr().err
    assert "writing TwoPhotonSeries" in err and "150/150" in err and "frame/s" in err


def test_progress_is_off_by_default_when_not_in_a_terminal(tmp_path, rig, space, capfd):
    new_session().add(series_of(movie(), rig, space)).write(tmp_path / "default.nwb")
    assert capfd.readouterr().err == ""


def test_the_default_chunk_rule_serves_frames_and_time_courses():
    # a frame read decompresses two 4 MiB chunks (8 MiB); a pixel's time course half the movie
    assert chunk_shape_for((1500, 256, 256), 2) == (64, 128, 256)
    assert chunk_shape_for((1500, 512, 512), 2) == (16, 256, 512)
    assert chunk_shape_for((5000, 1024, 1024), 4) == (2, 512, 1024)
    assert chunk_shape_for((12, 512, 512), 2) == (12, 256, 512)  # short movies: every frame in one chunk row
    assert chunk_shape_for((100, 64, 80), 2) == (100, 64, 80)  # a movie smaller than a chunk: one chunk
    assert chunk_shape_for((10, 4096, 4096), 2) == (1, 1024, 2048)  # frames over 8 MiB: one-frame tiles
    # volumes: one plane per chunk, as many volumes as the 16 MiB read buffer holds
    assert chunk_shape_for((400, 4, 256, 256), 2, depth_axis=1) == (32, 1, 256, 256)
    assert chunk_shape_for((400, 256, 256, 4), 2, depth_axis=3) == (32, 256, 256, 1)
    for swap_xy, expected in ((False, (32, 1, 64, 80)), (True, (32, 80, 64, 1))):
        volumes = generate_dummy_imaging_extractor(num_rows=64, num_columns=80, num_planes=4, num_samples=200)
        iterator = ImagingDataIterator(volumes, swap_xy=swap_xy, buffer_bytes=32 * 64 * 80 * 4 * 2, chunk_bytes=64 * 80 * 32 * 2)
        assert tuple(iterator.chunk_shape) == expected, swap_xy
    for shape, itemsize in (((900, 300, 700), 2), ((64, 3, 512, 512), 2), ((10_000, 16, 16), 2)):
        chunks = chunk_shape_for(shape, itemsize)
        chunk_bytes = np.prod(chunks) * itemsize
        frame_read = chunks[0] * np.prod(shape[1:]) * itemsize
        assert chunk_bytes <= 4 * 1024**2 and frame_read <= 8 * 1024**2, (shape, chunks)
        assert np.prod(chunks[1:]) <= np.prod(shape[1:]) / 2, (shape, chunks)  # at most half the frame per chunk


def _stored_options(dataset, backend):
    """(level, chunks) of a stored dataset, read with h5py or zarr alone."""
    if backend == "hdf5":
        return dataset.compression_opts, dataset.chunks
    return dataset.compressor.level, dataset.chunks


@pytest.mark.parametrize("first_backend,first_suffix", BACKENDS)
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_second_write_honours_its_own_arguments(tmp_path, rig, space, first_backend, first_suffix, backend, suffix,
                                                  capfd):
    """A second write copies the first file, stored as its own compression=, buffer_bytes=, max_workers= and
    progress= say (not as the first write was)."""
    imaging = movie(frames=120)
    session = new_session().add(series_of(imaging, rig, space))
    first = session.write(tmp_path / f"first.{first_suffix}", backend=first_backend, progress=False,
                          compression=mb.DatasetConfiguration(compression_level=1, chunk_shape=(16, 40, 52)))
    second = session.write(tmp_path / f"second.{suffix}", backend=backend, max_workers=1, buffer_bytes=40 * 52 * 2 * 8,
                           progress=True, compression={"TwoPhotonSeries": mb.DatasetConfiguration(
                               compression_level=7, chunk_shape=(8, 20, 26))})
    assert _stored_options(stored(first, first_backend), first_backend) == (1, (16, 40, 52))
    data = stored(second, backend)
    assert _stored_options(data, backend) == (7, (8, 20, 26))
    np.testing.assert_array_equal(data[:], imaging.get_series())
    assert "writing TwoPhotonSeries" in capfd.readouterr().err  # the second write's progress bar


def test_traces_and_masks_are_stored_compressed_in_chunks(tmp_path, rig, space):
    """Traces and dense masks go through the same chunked, compressed writer as movies."""
    from roiextractors.testing import generate_dummy_segmentation_extractor

    segmentation = generate_dummy_segmentation_extractor(num_rois=12, num_samples=150, num_rows=40, num_columns=52, seed=3)
    session = new_session("legacy").add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation)
                                        .series(series_of(movie(frames=150), rig, space)).masks("image"))
    path = session.write(tmp_path / "rois.nwb", max_workers=2)
    with h5py.File(path, "r") as file:
        ophys = file["processing/ophys"]
        for dataset in (ophys["Fluorescence/RoiResponseSeries/data"], ophys["ImageSegmentation/PlaneSegmentation/image_mask"]):
            assert (dataset.compression, dataset.compression_opts) == ("gzip", 4) and dataset.chunks is not None
        np.testing.assert_array_equal(ophys["Fluorescence/RoiResponseSeries/data"][:], segmentation.get_traces(name="raw"))
        np.testing.assert_array_equal(ophys["ImageSegmentation/PlaneSegmentation/image_mask"][:],
                                      segmentation.get_roi_image_masks().transpose(2, 1, 0))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_pixel_masks_are_stored_in_standard_gzip(tmp_path, rig, space, format, backend, suffix):
    """The sparse mask column is deflated like every other large dataset: gzip in HDF5, the GZip codec in
    Zarr (not Blosc), and Python's own zlib inflates a stored chunk to the mask rows."""
    import zlib

    from roiextractors.testing import generate_dummy_segmentation_extractor

    segmentation = generate_dummy_segmentation_extractor(num_rois=30, num_samples=20, num_rows=40, num_columns=52, seed=5)
    session = new_session(format).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation)
                                      .space(space).rig(rig, "Green").masks("pixel"))
    path = session.write(tmp_path / f"pixels.{suffix}", backend=backend)
    container = "ImageSegmentation" if format == "legacy" else "SegmentationContainer"
    where = f"processing/ophys/{container}/PlaneSegmentation/pixel_mask"
    if backend == "hdf5":
        with h5py.File(path, "r") as file:
            dataset = file[where]
            assert (dataset.compression, dataset.compression_opts) == ("gzip", 4)
            rows = dataset[:]
            raw = zlib.decompress(dataset.id.read_direct_chunk((0,))[1])
            assert raw[: rows[:5].nbytes] == rows[:5].tobytes()
    else:
        dataset = zarr.open_group(str(path), mode="r")[where]
        assert dataset.compressor.codec_id == "gzip"
        rows = dataset[:]
    expected = np.concatenate(segmentation.get_roi_pixel_masks())
    np.testing.assert_array_equal(rows["x"], expected[:, 1])  # (x, y) = (column, row)
    np.testing.assert_array_equal(rows["y"], expected[:, 0])
    np.testing.assert_allclose(rows["weight"], expected[:, 2], rtol=1e-6)


@pytest.mark.parametrize("first,second", [("hdf5", "hdf5"), ("hdf5", "zarr"), ("zarr", "hdf5"), ("zarr", "zarr")])
def test_a_second_write_copies_pixel_masks_compressed(tmp_path, rig, space, first, second):
    """A second write exports the first file: its compound pixel-mask column (which hdmf reads back
    wrapped in a table-dataset view) is found, copied value for value and deflated again."""
    from roiextractors.testing import generate_dummy_segmentation_extractor

    segmentation = generate_dummy_segmentation_extractor(num_rois=15, num_samples=30, num_rows=30, num_columns=34, seed=8)
    session = new_session("legacy").add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation)
                                        .space(space).rig(rig, "Green").masks("pixel"))
    suffix = {"hdf5": "nwb", "zarr": "nwb.zarr"}
    session.write(tmp_path / f"first.{suffix[first]}", backend=first)
    path = session.write(tmp_path / f"second.{suffix[second]}", backend=second)
    where = "processing/ophys/ImageSegmentation/PlaneSegmentation/pixel_mask"
    if second == "hdf5":
        with h5py.File(path, "r") as file:
            assert (file[where].compression, file[where].compression_opts) == ("gzip", 4)
            rows = file[where][:]
    else:
        dataset = zarr.open_group(str(path), mode="r")[where]
        assert dataset.compressor.codec_id == "gzip"
        rows = dataset[:]
    expected = np.concatenate(segmentation.get_roi_pixel_masks())
    np.testing.assert_array_equal(rows["x"], expected[:, 1])
    np.testing.assert_array_equal(rows["y"], expected[:, 0])
