"""mb.MicroscopyImagingExtractor: imaging series of either layout and backend read back as roiextractors extractors."""

from __future__ import annotations

import pickle
import subprocess
import sys
import tracemalloc

import h5py
import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile
from pynwb.ophys import OnePhotonSeries, OpticalChannel, TwoPhotonSeries
from roiextractors import ImagingExtractor, NwbImagingExtractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, START, make_imaging, new_session, read, series_named
from .test_volumetric import COLUMNS, FRAMES, PLANES, ROWS, numpy_imaging, volumetric_imaging

COMBINATIONS = [(format, backend, suffix) for format in FORMATS for backend, suffix in BACKENDS]


def write(tmp_path, format, backend, suffix, *items, name="session"):
    session = new_session(format)
    for item in items:
        session.add(item)
    return session.write(tmp_path / f"{name}_{format}.{suffix}", backend=backend)


def assert_same_movie(extractor: ImagingExtractor, source: ImagingExtractor) -> None:
    """Every frame bit-exact, with the shape, dtype and rate the source declares."""
    expected = source.get_series()
    frames = extractor.get_series()
    assert frames.dtype == expected.dtype == extractor.get_dtype()
    np.testing.assert_array_equal(frames, expected)
    assert extractor.get_num_samples() == source.get_num_samples()
    assert extractor.get_frame_shape() == tuple(source.get_frame_shape())
    assert extractor.get_image_shape() == tuple(source.get_image_shape())
    assert extractor.get_sample_shape() == tuple(source.get_sample_shape())
    assert extractor.is_volumetric == source.is_volumetric
    assert extractor.get_sampling_frequency() == pytest.approx(source.get_sampling_frequency())
    np.testing.assert_array_equal(extractor.get_series(3, 7), expected[3:7])


# -- one series, every layout and backend ------------------------------------------------------------------------
@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_a_planar_series_reads_back_bit_exact(tmp_path, rig, space, format, backend, suffix):
    source = make_imaging(rows=12, columns=17, frames=40)  # rows != columns: swapped axes would show
    path = write(tmp_path, format, backend, suffix, mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig).space(space))

    with mb.MicroscopyImagingExtractor(path) as extractor:
        assert isinstance(extractor, ImagingExtractor)
        assert (extractor.series_path, extractor.format) == ("acquisition/TwoPhotonSeries", format)
        assert_same_movie(extractor, source)
        np.testing.assert_array_equal(extractor.get_samples([7, 2, 2, 39]), source.get_series()[[7, 2, 2, 39]])
        with pytest.raises(NotImplementedError):
            extractor.get_num_planes()  # planar, as roiextractors' planar extractors say
        assert extractor.get_native_timestamps() is None and not extractor.has_time_vector()
        np.testing.assert_allclose(extractor.get_timestamps(), np.arange(40) / 30.0)
        assert extractor.get_channel_names() == ["Green"]
        assert extractor._kwargs == {"path": str(path), "series_name": "acquisition/TwoPhotonSeries"}
        again = pickle.loads(pickle.dumps(extractor))
        np.testing.assert_array_equal(again.get_series(0, 5), source.get_series(0, 5))
        again.close()
    with pytest.raises(ValueError, match="closed"):
        extractor.get_series(0, 1)


@pytest.mark.parametrize("dtype,backend,suffix", [
    (dtype, backend, suffix) for dtype in ("int16", "float64", ">u2") for backend, suffix in BACKENDS
])
def test_values_keep_their_stored_dtype(tmp_path, rig, space, dtype, backend, suffix):
    data = np.random.default_rng(4).integers(0, 60000, size=(10, 6, 9, 1)).astype(dtype)
    from roiextractors import NumpyImagingExtractor

    source = NumpyImagingExtractor(timeseries=data, sampling_frequency=10.0)
    for format in FORMATS:
        path = write(tmp_path, format, backend, suffix, mb.SeriesBuilder("Movie").from_extractor(source).rig(rig).space(space))
        with mb.MicroscopyImagingExtractor(path, series_name="Movie") as extractor:
            frames = extractor.get_series()
            assert frames.dtype == np.dtype(dtype).newbyteorder("=")
            np.testing.assert_array_equal(frames, data[..., 0])


@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_a_volumetric_series_comes_out_as_time_rows_columns_planes(tmp_path, rig, format, backend, suffix):
    volume = (mb.ImagingSpaceBuilder("V1_volume").volumetric(voxel_size_um=(1.2, 1.5, 20.0)).anatomical_target("VISp")
              .line_scan(line_rate_hz=7910.0))
    source = volumetric_imaging()
    path = write(tmp_path, format, backend, suffix, mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig).space(volume))

    with mb.MicroscopyImagingExtractor(path) as extractor:
        assert extractor.get_series().shape == (FRAMES, ROWS, COLUMNS, PLANES)
        assert_same_movie(extractor, source)
        assert extractor.get_num_planes() == PLANES
        assert extractor.get_volume_shape() == (ROWS, COLUMNS, PLANES)
        np.testing.assert_array_equal(extractor.get_samples([4, 1]), source.get_series()[[4, 1]])
        np.testing.assert_array_equal(extractor.select_plane(2).get_series(), source.get_series()[..., 2])


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_planes_in_a_multi_plane_container_are_found_by_name_or_path(tmp_path, rig, backend, suffix):
    base = mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1.2, 1.5)).anatomical_target("VISp").plane_acquisition(plane_rate_hz=10.0)
    volume = volumetric_imaging()
    series = [
        mb.SeriesBuilder(f"Plane{index}").from_extractor(volume.select_plane(index)).rig(rig).space(base.at_depth(100 + 30 * index))
        for index in range(PLANES)
    ]
    for format in FORMATS:
        path = write(tmp_path, format, backend, suffix, *series)
        with pytest.raises(mb.ValidationError, match="holds 3 imaging series") as error:
            mb.MicroscopyImagingExtractor(path)
        where = "acquisition/MultiPlane_V1_Green/" if format == "ndx-microscopy" else "acquisition/"
        assert all(f"{where}Plane{index}" in str(error.value) for index in range(PLANES))
        for index in range(PLANES):
            for name in (f"Plane{index}", f"{where}Plane{index}", f"/{where}Plane{index}"):
                with mb.MicroscopyImagingExtractor(path, series_name=name) as extractor:
                    assert extractor.series_path == f"{where}Plane{index}"
                    np.testing.assert_array_equal(extractor.get_series(), volume.get_series()[..., index])


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_each_channel_of_a_multi_channel_container(tmp_path, rig, space, backend, suffix):
    two_colour = rig.channel("Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0, indicator="tdTomato")
    green, red = numpy_imaging(1), numpy_imaging(2)
    series = [mb.SeriesBuilder("GreenSeries").from_extractor(green).rig(two_colour).channel("Green").space(space),
              mb.SeriesBuilder("RedSeries").from_extractor(red).rig(two_colour).channel("Red").space(space)]
    for format in FORMATS:
        path = write(tmp_path, format, backend, suffix, *series)
        with read(path) as nwbfile:  # the layout under test: ndx groups the two channels
            assert ("MultiChannel_V1_L23" in nwbfile.acquisition) == (format == "ndx-microscopy")
        for name, source, channel in (("GreenSeries", green, "Green"), ("RedSeries", red, "Red")):
            with mb.MicroscopyImagingExtractor(path, series_name=name) as extractor:
                assert_same_movie(extractor, source)
                assert extractor.get_channel_names() == [channel]


# -- time ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_irregular_timestamps_are_native_timestamps(tmp_path, rig, space, format, backend, suffix):
    source = make_imaging(native_timestamps="unevenly_spaced")
    path = write(tmp_path, format, backend, suffix, mb.SeriesBuilder("Movie").from_extractor(source).rig(rig).space(space))
    with mb.MicroscopyImagingExtractor(path) as extractor:
        times = source.get_native_timestamps()
        np.testing.assert_array_equal(extractor.get_native_timestamps(), times)
        np.testing.assert_array_equal(extractor.get_native_timestamps(5, 9), times[5:9])
        np.testing.assert_array_equal(extractor.get_timestamps(), times)
        assert extractor.get_sampling_frequency() == pytest.approx(1 / np.median(np.diff(times)))


@pytest.mark.parametrize("format", FORMATS)
def test_a_starting_time_other_than_zero_is_kept(tmp_path, rig, space, format):
    source = make_imaging(rate=20.0)
    series = mb.SeriesBuilder("Movie").from_extractor(source).rig(rig).space(space).rate(20.0, starting_time=5.0)
    path = write(tmp_path, format, "hdf5", "nwb", series)
    expected = 5.0 + np.arange(40) / 20.0
    with mb.MicroscopyImagingExtractor(path) as extractor:
        assert extractor.get_sampling_frequency() == 20.0
        np.testing.assert_allclose(extractor.get_native_timestamps(), expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(extractor.get_timestamps(10, 12), expected[10:12], rtol=0, atol=1e-12)
        copied = write(tmp_path, format, "hdf5", "nwb", mb.SeriesBuilder("Movie").from_extractor(extractor).rig(rig).space(space),
                       name="copy")
    with read(copied) as nwbfile:  # written again as rate + starting time
        movie = series_named(nwbfile, "Movie")
        assert movie.timestamps is None
        assert movie.rate == pytest.approx(20.0) and movie.starting_time == pytest.approx(5.0)


def test_a_series_in_processing_is_found(tmp_path, rig, space):
    source = make_imaging()
    path = write(tmp_path, "ndx-microscopy", "hdf5", "nwb",
                 mb.SeriesBuilder("Corrected").from_extractor(source).rig(rig).space(space).in_processing())
    with mb.MicroscopyImagingExtractor(path) as extractor:
        assert extractor.series_path == "processing/ophys/Corrected"
        assert_same_movie(extractor, source)


# -- reading lazily ----------------------------------------------------------------------------------------------------
def test_only_the_requested_frames_are_read(tmp_path, rig, space):
    source = make_imaging(rows=64, columns=64, frames=320)  # 2.6 MB; chunks of 32 frames (256 KB)
    path = write(tmp_path, "ndx-microscopy", "hdf5", "nwb", mb.SeriesBuilder("Movie").from_extractor(source).rig(rig).space(space))
    movie_bytes = 320 * 64 * 64 * 2
    with mb.MicroscopyImagingExtractor(path) as extractor:
        extractor.get_series(0, 1)  # h5py's own set-up, before measuring
        for read_some in (lambda: extractor.get_series(100, 102), lambda: extractor.get_samples([0, 300]),
                          lambda: extractor.get_dtype(), lambda: extractor.get_native_timestamps()):
            tracemalloc.start()
            read_some()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert peak < movie_bytes / 8, peak
        tracemalloc.start()
        extractor.get_series()
        assert tracemalloc.get_traced_memory()[1] >= movie_bytes  # the measure sees a whole read
        tracemalloc.stop()


# -- files from other writers ------------------------------------------------------------------------------------------
def test_a_file_made_by_plain_pynwb(tmp_path):
    rng = np.random.default_rng(2)
    stored = rng.integers(0, 1000, size=(15, 9, 5), dtype="uint16")  # (frames, x, y): 5 rows, 9 columns
    nwbfile = NWBFile(session_description="by hand", identifier="hand", session_start_time=START)
    device = nwbfile.create_device(name="Microscope")
    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane", optical_channel=[OpticalChannel(name="Green", description="green", emission_lambda=525.0)],
        description="a plane", device=device, excitation_lambda=920.0, indicator="GCaMP6s", location="VISp",
    )
    nwbfile.add_acquisition(TwoPhotonSeries(name="TwoPhotonSeries", imaging_plane=plane, data=stored, unit="n.a.",
                                            rate=7.5, starting_time=2.0))
    nwbfile.add_acquisition(OnePhotonSeries(name="OnePhotonSeries", imaging_plane=plane, data=stored[:4] + 1,
                                            unit="n.a.", timestamps=[0.0, 0.1, 0.3, 0.4]))
    path = tmp_path / "hand.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)

    with mb.MicroscopyImagingExtractor(path, series_name="TwoPhotonSeries") as extractor:
        reference = NwbImagingExtractor(path)  # roiextractors' own reader of the legacy layout
        np.testing.assert_array_equal(extractor.get_series(), stored.transpose(0, 2, 1))
        np.testing.assert_array_equal(extractor.get_series(), reference.get_series())
        assert extractor.get_frame_shape() == reference.get_frame_shape() == (5, 9)
        assert extractor.get_channel_names() == ["Green"] and extractor.get_sampling_frequency() == 7.5
        np.testing.assert_allclose(extractor.get_timestamps(), 2.0 + np.arange(15) / 7.5)
    with mb.MicroscopyImagingExtractor(path, series_name="acquisition/OnePhotonSeries") as extractor:
        np.testing.assert_array_equal(extractor.get_series(), (stored[:4] + 1).transpose(0, 2, 1))
        np.testing.assert_array_equal(extractor.get_native_timestamps(), [0.0, 0.1, 0.3, 0.4])


def test_a_file_made_by_neuroconv(tmp_path):
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile

    source = make_imaging(rows=12, columns=17, frames=40)
    nwbfile = NWBFile(session_description="neuroconv", identifier="nc", session_start_time=START)
    add_imaging_to_nwbfile(imaging=source, nwbfile=nwbfile, photon_series_type="TwoPhotonSeries")
    path = tmp_path / "neuroconv.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    with mb.MicroscopyImagingExtractor(path) as extractor:  # its default name, MicroscopySeries, is found
        assert extractor.series_path == "acquisition/MicroscopySeries" and extractor.format == "legacy"
        assert_same_movie(extractor, source)


def test_a_fresh_process_reads_an_ndx_microscopy_file(tmp_path, rig, space):
    """The reading process has imported nothing of the extension before: the file still reads with its classes."""
    source = make_imaging()
    path = write(tmp_path, "ndx-microscopy", "zarr", "nwb.zarr", mb.SeriesBuilder("Movie").from_extractor(source).rig(rig).space(space))
    code = (
        "import sys, numpy as np, microscopy_builder as mb\n"
        "x = mb.MicroscopyImagingExtractor(sys.argv[1])\n"
        "print(x.format, x.get_channel_names()[0], int(np.asarray(x.get_series(), dtype='int64').sum()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ndx-microscopy", "Green", str(int(source.get_series().astype("int64").sum()))]


# -- streaming into a new file -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_an_extractor_over_an_ndx_file_streams_into_a_new_file(tmp_path, rig, space, backend, suffix):
    source = make_imaging(rows=12, columns=17, frames=40, native_timestamps="unevenly_spaced")
    original = write(tmp_path, "ndx-microscopy", backend, suffix,
                     mb.SeriesBuilder("TwoPhotonSeries").from_extractor(source).rig(rig).space(space))
    with mb.MicroscopyImagingExtractor(original) as extractor:
        series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(extractor).rig(rig).space(space)
        copies = {format: write(tmp_path, format, backend, suffix, series, name="copy") for format in FORMATS}
    with read(original) as nwbfile:
        movie = nwbfile.acquisition["TwoPhotonSeries"]
        stored, times = movie.data[:], movie.timestamps[:]
    for format, copy in copies.items():
        with read(copy) as nwbfile:
            movie = nwbfile.acquisition["TwoPhotonSeries"]
            np.testing.assert_array_equal(movie.data[:], stored if format == "ndx-microscopy" else stored.transpose(0, 2, 1))
            np.testing.assert_array_equal(movie.timestamps[:], times)


# -- errors ---------------------------------------------------------------------------------------------------------------
def test_what_is_not_an_nwb_file_is_refused_clearly(tmp_path, rig, space):
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"not HDF5 at all")
    plain_hdf5 = tmp_path / "plain.h5"
    with h5py.File(plain_hdf5, "w") as file:
        file["x"] = np.arange(3)
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in (garbage, plain_hdf5, folder):
        with pytest.raises(mb.ValidationError, match=r"not an NWB file \(HDF5 or Zarr\)"):
            mb.MicroscopyImagingExtractor(path)
    with pytest.raises(mb.ValidationError, match="does not exist"):
        mb.MicroscopyImagingExtractor(tmp_path / "missing.nwb")

    from roiextractors.testing import generate_dummy_segmentation_extractor

    rois = generate_dummy_segmentation_extractor(num_rows=12, num_columns=17, num_samples=10)
    only_rois = write(tmp_path, "ndx-microscopy", "hdf5", "nwb",
                      mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois).space(space).rig(rig))
    with pytest.raises(mb.ValidationError, match="holds no imaging series") as error:
        mb.MicroscopyImagingExtractor(only_rois)
    assert error.value.problems[0].startswith("series_name:")
    movie = write(tmp_path, "legacy", "hdf5", "nwb", mb.SeriesBuilder("Movie").from_extractor(make_imaging()).rig(rig).space(space))
    with pytest.raises(mb.ValidationError, match="no imaging series named 'Other'.*choices: acquisition/Movie"):
        mb.MicroscopyImagingExtractor(movie, series_name="Other")
