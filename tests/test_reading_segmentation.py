"""mb.MicroscopySegmentationExtractor: segmentations of either layout and backend read back as roiextractors extractors."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile
from pynwb.ophys import Fluorescence, ImageSegmentation, OpticalChannel, TwoPhotonSeries
from roiextractors import NumpySegmentationExtractor, SegmentationExtractor
from roiextractors.segmentationextractor import _RoiResponse
from roiextractors.testing import generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, START, make_imaging, new_session, read
from .test_segmentation import COLUMNS, FRAMES, ROWS, integer_id_segmentation, with_background
from . import test_volumetric as volumes

COMBINATIONS = [(format, backend, suffix) for format in FORMATS for backend, suffix in BACKENDS]
ACCEPTANCE = ("is_accepted", "is_rejected")


@pytest.fixture
def series(rig, space):
    return mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES)).rig(rig).space(space)


def dummy(**kwargs) -> SegmentationExtractor:
    options = dict(num_rois=6, num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES, sampling_frequency=30.0)
    return generate_dummy_segmentation_extractor(**{**options, **kwargs})


def write(tmp_path, format, backend, suffix, *items, name="session"):
    session = new_session(format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mb.CompatibilityWarning)  # legacy + pixel masks: warned, tested elsewhere
        for item in items:
            session.add(item)
    return session.write(tmp_path / f"{name}_{format}.{suffix}", backend=backend)


def centres_rows_columns(source: SegmentationExtractor) -> np.ndarray:
    """Mask-weighted centre of each ROI as (row, column[, plane]), computed here from the source's masks."""
    centres = []
    for mask in source.get_roi_pixel_masks():  # rows of (row, column[, plane], weight)
        weights = np.abs(mask[:, -1])
        centres.append(np.average(mask[:, :-1], axis=0, weights=weights))
    return np.array(centres)


def assert_same_segmentation(
    extractor: SegmentationExtractor, source: SegmentationExtractor, *, exact_masks: bool = True, rate: float | None = None
):
    """Ids, masks, traces, acceptance, images and rate (the source's, or ``rate``) equal the source's."""
    ids = source.get_roi_ids()
    assert extractor.get_roi_ids() == ids and extractor.get_num_rois() == len(ids)
    assert tuple(extractor.get_frame_shape()) == tuple(source.get_frame_shape())
    compare = np.testing.assert_array_equal if exact_masks else lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6)
    compare(extractor.get_roi_image_masks(), source.get_roi_image_masks())
    compare(extractor.get_roi_image_masks(ids[1:3]), source.get_roi_image_masks(ids[1:3]))
    for got, expected in zip(extractor.get_roi_pixel_masks(), source.get_roi_pixel_masks(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    written = {kind: data for kind, data in source.get_traces_dict().items() if data is not None and np.any(data)}
    assert {k for k, v in extractor.get_traces_dict().items() if v is not None} == set(written)
    for kind, data in written.items():
        np.testing.assert_array_equal(extractor.get_traces(name=kind), data, err_msg=kind)
        some = (source.get_background_ids() if kind == "background" else ids)[::-2]
        np.testing.assert_array_equal(extractor.get_traces(some, 4, 9, name=kind), source.get_traces(some, 4, 9, name=kind))
    for key in ACCEPTANCE:
        if key in source.get_property_keys():
            np.testing.assert_array_equal(extractor.get_property(key, ids), source.get_property(key, ids))
    assert extractor.get_sampling_frequency() == pytest.approx(rate or source.get_sampling_frequency())
    assert extractor.get_num_samples() == source.get_num_samples()
    images = source.get_images_dict()
    assert sorted(extractor.get_images_dict()) == sorted(k for k, v in images.items() if v is not None)
    for name, image in extractor.get_images_dict().items():
        np.testing.assert_array_equal(image, images[name])


# -- one segmentation, every layout, backend and mask type ---------------------------------------------------------
@pytest.mark.parametrize("masks", ["image", "pixel"])
@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_a_segmentation_and_its_series_read_back(tmp_path, series, format, backend, suffix, masks):
    source = dummy(rejected_list=["roi_1", "roi_4"], mask_type=masks)
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series).masks(masks)
    path = write(tmp_path, format, backend, suffix, series, segmentation)

    with mb.MicroscopySegmentationExtractor(path) as extractor:
        assert isinstance(extractor, SegmentationExtractor) and extractor.format == format
        where = "SegmentationContainer" if format == "ndx-microscopy" else "ImageSegmentation"
        assert extractor.segmentation_path == f"processing/ophys/{where}/PlaneSegmentation"
        assert_same_segmentation(extractor, source, exact_masks=masks == "image")
        assert extractor._roi_masks.mask_tpe == f"nwb-{masks}_mask"  # what writers (ours, NeuroConv) read
        assert extractor.get_property("is_rejected", ["roi_0", "roi_1", "roi_4"]).tolist() == [False, True, True]
        np.testing.assert_allclose(extractor.get_property("roi_centroids", source.get_roi_ids()), centres_rows_columns(source))
        assert extractor.get_native_timestamps() is None
        np.testing.assert_allclose(extractor.get_timestamps(), np.arange(FRAMES) / 30.0)
        assert extractor.get_channel_names() == ["Green"] and extractor.get_background_ids() == []
        assert extractor._kwargs == {"path": str(path), "segmentation_name": extractor.segmentation_path}
        again = pickle.loads(pickle.dumps(extractor))
        np.testing.assert_array_equal(again.get_traces(name="dff"), source.get_traces(name="dff"))
        again.close()
    with pytest.raises(ValueError, match="closed"):
        extractor.get_traces(name="raw")


@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_integer_ids_acceptance_and_every_trace_kind(tmp_path, series, format, backend, suffix):
    source = integer_id_segmentation()  # ids 10..14, two rejected, a known roi_centroids property
    rng = np.random.default_rng(8)
    source._roi_responses[-1] = _RoiResponse("deconvolved", rng.random((FRAMES, 5)), source.get_roi_ids())
    for kind in ("neuropil", "denoised", "baseline"):  # as CaImAn's extractor holds them
        source._roi_responses.append(_RoiResponse(kind, rng.random((FRAMES, 5)).astype("float32"), source.get_roi_ids()))
    segmentation = mb.SegmentationBuilder("Cells").from_extractor(source).series(series)
    path = write(tmp_path, format, backend, suffix, series, segmentation)

    with mb.MicroscopySegmentationExtractor(path, segmentation_name="Cells") as extractor:
        assert extractor.get_roi_ids() == [10, 11, 12, 13, 14]
        assert_same_segmentation(extractor, source)
        assert list(extractor.get_traces_dict())[:6] == ["raw", "dff", "neuropil", "deconvolved", "denoised", "baseline"]
        assert extractor.get_traces(name="baseline").dtype == np.float32
        assert extractor.get_property("is_accepted", [10, 11, 12, 13, 14]).tolist() == [True, False, True, True, False]
        np.testing.assert_array_equal(extractor.get_property("roi_centroids", [10, 11, 12, 13, 14]),
                                      source.get_property("roi_centroids", [10, 11, 12, 13, 14]))
        assert extractor.get_sampling_frequency() == 15.0  # the segmentation's own rate


@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_background_components_come_back_with_their_traces(tmp_path, series, format, backend, suffix):
    source = with_background()
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series).include_background()
    path = write(tmp_path, format, backend, suffix, series, segmentation)
    with mb.MicroscopySegmentationExtractor(path) as extractor:  # the background table is not a second choice
        assert extractor.get_background_ids() == ["background0", "background1"]
        assert extractor.get_num_background_components() == 2
        np.testing.assert_array_equal(extractor.get_background_image_masks(), source.get_background_image_masks())
        np.testing.assert_array_equal(extractor.get_traces(name="background"), source.get_traces(name="background"))
        assert_same_segmentation(extractor, source)


@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_a_segmentation_without_a_series(tmp_path, rig, space, format, backend, suffix):
    source = dummy(mask_type="pixel", has_summary_images=False, native_timestamps="unevenly_spaced")
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).space(space).rig(rig).masks("pixel")
    path = write(tmp_path, format, backend, suffix, segmentation)
    expected = (ROWS, COLUMNS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", mb.CompatibilityWarning)
        extractor = mb.MicroscopySegmentationExtractor(path)
    with extractor:
        if format == "legacy":  # pixel masks, no series, no images: nothing in the file records the frame shape
            assert any("masks' extent" in str(w.message) for w in caught)
            expected = tuple(max(int(m[:, k].max()) + 1 for m in source.get_roi_pixel_masks()) for k in (0, 1))
        assert extractor.get_frame_shape() == expected
        assert extractor.get_roi_ids() == source.get_roi_ids()
        for got, want in zip(extractor.get_roi_pixel_masks(), source.get_roi_pixel_masks(), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_array_equal(extractor.get_native_timestamps(), source.get_native_timestamps())
        np.testing.assert_array_equal(extractor.get_native_timestamps(3, 6), source.get_native_timestamps()[3:6])
        np.testing.assert_array_equal(extractor.get_traces(name="raw"), source.get_traces(name="raw"))


@pytest.mark.parametrize("masks", ["image", "voxel"])
@pytest.mark.parametrize("format,backend,suffix", COMBINATIONS)
def test_a_volumetric_segmentation(tmp_path, rig, format, backend, suffix, masks):
    volume = mb.ImagingSpaceBuilder("V1_volume").volumetric(voxel_size_um=(1.2, 1.5, 20.0)).anatomical_target("VISp").line_scan()
    source = volumes.volumetric_segmentation(sparse=masks == "voxel")
    movie = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(volumes.volumetric_imaging()).rig(rig).space(volume)
    path = write(tmp_path, format, backend, suffix, movie,
                 mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(movie).masks(masks))
    with mb.MicroscopySegmentationExtractor(path) as extractor:
        shape = (volumes.ROWS, volumes.COLUMNS, volumes.PLANES)
        assert extractor.get_frame_shape() == shape and extractor.get_num_planes() == volumes.PLANES
        dense = extractor.get_roi_image_masks()
        assert dense.shape == (shape[0], shape[1], 5, shape[2])
        np.testing.assert_allclose(dense, source.get_roi_image_masks(), rtol=1e-6)
        for got, expected in zip(extractor.get_roi_pixel_masks(), source.get_roi_pixel_masks(), strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-6)  # rows of (y, x, z, weight)
        assert extractor.get_property("is_rejected", source.get_roi_ids()).tolist() == [False, True, False, False, False]
        np.testing.assert_allclose(extractor.get_property("roi_centroids", source.get_roi_ids()), centres_rows_columns(source))
        np.testing.assert_allclose(extractor.get_images_dict()["mean"], source.get_images_dict()["mean"])
        np.testing.assert_array_equal(extractor.get_traces(name="dff"), source.get_traces(name="dff"))


@pytest.mark.parametrize("format", FORMATS)
def test_a_segmentation_without_rois(tmp_path, rig, space, format):
    source = NumpySegmentationExtractor(image_masks=np.zeros((ROWS, COLUMNS, 0)), raw=np.zeros((FRAMES, 0)),
                                        sampling_frequency=10.0, movie_dims=(ROWS, COLUMNS))
    path = write(tmp_path, format, "hdf5", "nwb", mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).space(space).rig(rig))
    with mb.MicroscopySegmentationExtractor(path) as extractor:
        assert extractor.get_roi_ids() == [] and extractor.get_num_rois() == 0
        assert extractor.get_frame_shape() == (ROWS, COLUMNS)
        assert extractor.get_roi_image_masks().shape == (ROWS, COLUMNS, 0) and extractor.get_roi_pixel_masks() == []
    with pytest.raises(ValueError, match="closed"):
        extractor.get_roi_image_masks()


# -- several segmentations ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("format", FORMATS)
def test_traces_belong_to_the_table_their_region_points_at(tmp_path, rig, space, series, format):
    other = mb.ImagingSpaceBuilder("V1_L4").planar(pixel_size_um=(1.2, 1.5)).anatomical_target("VISp4").line_scan()
    movie_b = mb.SeriesBuilder("MovieB").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, seed=2)).rig(rig).space(other)
    sources = {"Suite2pA": dummy(seed=1), "Suite2pB": dummy(seed=2, num_rois=4), "PlaneSegmentation": dummy(seed=3, num_rois=3)}
    movies = {"Suite2pA": series, "Suite2pB": movie_b, "PlaneSegmentation": series}
    items = [series, movie_b] + [mb.SegmentationBuilder(n).from_extractor(s).series(movies[n]) for n, s in sources.items()]
    path = write(tmp_path, format, "hdf5", "nwb", *items)

    with pytest.raises(mb.ValidationError, match="holds 3 segmentations") as error:
        mb.MicroscopySegmentationExtractor(path)
    where = "SegmentationContainer" if format == "ndx-microscopy" else "ImageSegmentation"
    assert all(f"processing/ophys/{where}/{name}" in str(error.value) for name in sources)
    for name, source in sources.items():
        for given in (name, f"processing/ophys/{where}/{name}"):
            with mb.MicroscopySegmentationExtractor(path, segmentation_name=given) as extractor:
                assert_same_segmentation(extractor, source)
    with pytest.raises(mb.ValidationError, match="no segmentation named 'Nope'"):
        mb.MicroscopySegmentationExtractor(path, segmentation_name="Nope")


def test_a_file_without_segmentations_is_refused_clearly(tmp_path, series):
    path = write(tmp_path, "legacy", "hdf5", "nwb", series)
    with pytest.raises(mb.ValidationError, match="holds no segmentation") as error:
        mb.MicroscopySegmentationExtractor(path)
    assert error.value.problems[0].startswith("segmentation_name:")
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"\x89HDF nope")
    with pytest.raises(mb.ValidationError, match=r"not an NWB file \(HDF5 or Zarr\)"):
        mb.MicroscopySegmentationExtractor(garbage)


# -- files from other writers ------------------------------------------------------------------------------------------
def test_a_file_made_by_plain_pynwb(tmp_path):
    """A TwoPhotonSeries and a PlaneSegmentation (image masks (x, y), a pixel-mask table, a custom column) by hand."""
    rng = np.random.default_rng(6)
    nwbfile = NWBFile(session_description="by hand", identifier="hand", session_start_time=START)
    device = nwbfile.create_device(name="Microscope")
    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane", optical_channel=[OpticalChannel(name="Red", description="red", emission_lambda=600.0)],
        description="a plane", device=device, excitation_lambda=1040.0, indicator="jRGECO1a", location="VISp",
    )
    nwbfile.add_acquisition(TwoPhotonSeries(name="TwoPhotonSeries", imaging_plane=plane, unit="n.a.", rate=10.0,
                                            data=rng.integers(0, 100, size=(8, 9, 5), dtype="uint16")))  # (t, x, y)
    module = nwbfile.create_processing_module("ophys", "ophys")
    segmentations = ImageSegmentation()
    module.add(segmentations)
    masks_xy = rng.random((3, 9, 5))  # three ROIs on a 5-row, 9-column frame, stored (ROI, x, y)
    table = segmentations.create_plane_segmentation(name="PlaneSegmentation", description="hand", imaging_plane=plane)
    table.add_column(name="snr", description="signal to noise")
    for mask, snr in zip(masks_xy, (1.5, 2.5, 3.5)):
        table.add_roi(image_mask=mask, snr=snr)
    sparse = segmentations.create_plane_segmentation(name="Sparse", description="hand", imaging_plane=plane)
    sparse.add_roi(pixel_mask=[(7, 1, 0.5), (8, 4, 0.25)])  # (x, y, weight)
    raw = rng.random((8, 3))
    fluorescence = Fluorescence()
    module.add(fluorescence)
    fluorescence.create_roi_response_series(
        name="RoiResponseSeries", data=raw, rois=table.create_roi_table_region("all", region=[0, 1, 2]), unit="n.a.",
        timestamps=np.arange(8) * 0.1 + 1.0)
    path = tmp_path / "hand.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)

    with mb.MicroscopySegmentationExtractor(path, segmentation_name="PlaneSegmentation") as extractor:
        assert extractor.get_roi_ids() == [0, 1, 2] and extractor.get_frame_shape() == (5, 9)
        np.testing.assert_array_equal(extractor.get_roi_image_masks(), masks_xy.transpose(2, 1, 0))
        np.testing.assert_array_equal(extractor.get_traces(name="raw"), raw)
        np.testing.assert_allclose(extractor.get_native_timestamps(), np.arange(8) * 0.1 + 1.0)
        assert extractor.get_sampling_frequency() == pytest.approx(10.0)
        assert extractor.get_property_keys() == ["snr"]
        np.testing.assert_array_equal(extractor.get_property("snr", [0, 1, 2]), [1.5, 2.5, 3.5])
        assert extractor.get_channel_names() == ["Red"]
    with mb.MicroscopySegmentationExtractor(path, segmentation_name="Sparse") as extractor:
        assert extractor.get_frame_shape() == (5, 9)  # from the series on the same ImagingPlane
        np.testing.assert_allclose(extractor.get_roi_pixel_masks()[0], [[1, 7, 0.5], [4, 8, 0.25]])  # (y, x, weight)
        assert extractor.get_roi_image_masks()[4, 8, 0] == 0.25
        assert extractor.get_traces_dict()["raw"] is None  # the traces are the other table's


def test_a_file_made_by_neuroconv(tmp_path):
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile, add_segmentation_to_nwbfile

    source = dummy(rejected_list=["roi_2"])
    nwbfile = NWBFile(session_description="neuroconv", identifier="nc", session_start_time=START)
    add_imaging_to_nwbfile(imaging=make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES), nwbfile=nwbfile,
                           photon_series_type="TwoPhotonSeries")
    add_segmentation_to_nwbfile(segmentation_extractor=source, nwbfile=nwbfile)
    path = tmp_path / "neuroconv.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    with mb.MicroscopySegmentationExtractor(path) as extractor:
        assert extractor.get_roi_ids() == source.get_roi_ids()  # from its roi_name column
        np.testing.assert_array_equal(extractor.get_roi_image_masks(), source.get_roi_image_masks())
        for kind in ("raw", "dff", "neuropil", "deconvolved"):  # dF/F stored as Fluorescence/DfOverF
            np.testing.assert_array_equal(extractor.get_traces(name=kind), source.get_traces(name=kind), err_msg=kind)
        for key in ACCEPTANCE:  # written as columns of the property names
            np.testing.assert_array_equal(extractor.get_property(key, source.get_roi_ids()), source.get_property(key, source.get_roi_ids()))
        np.testing.assert_array_equal(extractor.get_images_dict()["mean_image"], source.get_images_dict()["mean"])
        assert extractor.get_sampling_frequency() == 30.0


# -- streaming into a new file -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_an_extractor_over_an_ndx_file_feeds_the_builders(tmp_path, series, backend, suffix):
    source = dummy(rejected_list=["roi_3"], native_timestamps="unevenly_spaced")
    original = write(tmp_path, "ndx-microscopy", backend, suffix, series,
                     mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series))
    with mb.MicroscopySegmentationExtractor(original) as extractor:
        again = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(extractor).series(series)
        copies = {format: write(tmp_path, format, backend, suffix, series, again, name="copy") for format in FORMATS}
    for format, copy in copies.items():
        with mb.MicroscopySegmentationExtractor(copy) as extractor, read(copy) as nwbfile:
            assert extractor.format == format
            times = source.get_native_timestamps()  # irregular: stored as timestamps, the rate is their median's
            assert_same_segmentation(extractor, source, rate=1 / np.median(np.diff(times)))
            np.testing.assert_array_equal(extractor.get_native_timestamps(), source.get_native_timestamps())
            np.testing.assert_allclose(extractor.get_property("roi_centroids", source.get_roi_ids()), centres_rows_columns(source))
            ophys = nwbfile.processing["ophys"]
            table = (ophys["SegmentationContainer"].segmentations if format == "ndx-microscopy" else ophys["ImageSegmentation"])["PlaneSegmentation"]
            assert table["Rejected"].data[:].tolist() == [0, 0, 0, 1, 0, 0]


def test_neuroconv_takes_an_ndx_microscopy_file_as_input(tmp_path, rig, space):
    """Any roiextractors consumer reads ndx-microscopy files through the two extractors: NeuroConv here."""
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile, add_segmentation_to_nwbfile

    movie = make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES)
    source = dummy(rejected_list=["roi_5"])
    movie_series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie).rig(rig).space(space)
    original = write(tmp_path, "ndx-microscopy", "hdf5", "nwb", movie_series,
                     mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(movie_series))
    nwbfile = NWBFile(session_description="neuroconv", identifier="nc", session_start_time=START)
    with mb.MicroscopyImagingExtractor(original) as imaging, mb.MicroscopySegmentationExtractor(original) as rois:
        add_imaging_to_nwbfile(imaging=imaging, nwbfile=nwbfile, photon_series_type="TwoPhotonSeries")
        add_segmentation_to_nwbfile(segmentation_extractor=rois, nwbfile=nwbfile)
        path = tmp_path / "neuroconv.nwb"
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwbfile)
    with mb.MicroscopyImagingExtractor(path) as imaging:
        np.testing.assert_array_equal(imaging.get_series(), movie.get_series())
    with mb.MicroscopySegmentationExtractor(path) as extractor:
        assert extractor.get_roi_ids() == source.get_roi_ids()
        np.testing.assert_array_equal(extractor.get_roi_image_masks(), source.get_roi_image_masks())
        for kind in ("raw", "dff", "neuropil", "deconvolved"):
            np.testing.assert_array_equal(extractor.get_traces(name=kind), source.get_traces(name=kind), err_msg=kind)
        assert extractor.get_property("is_rejected", source.get_roi_ids()).tolist() == [False] * 5 + [True]
        np.testing.assert_allclose(extractor.get_property("roi_centroids", source.get_roi_ids()), centres_rows_columns(source))
