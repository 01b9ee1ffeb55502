"""Segmentations in both formats, read back with pynwb and roiextractors' NwbSegmentationExtractor."""

from __future__ import annotations

import numpy as np
import pytest
from roiextractors import NumpySegmentationExtractor, NwbSegmentationExtractor
from roiextractors.testing import generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, make_imaging, new_session, read, registered

ROWS, COLUMNS, FRAMES = 12, 17, 40


def dummy_segmentation(**kwargs):
    options = dict(num_rois=6, num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES, sampling_frequency=30.0)
    return generate_dummy_segmentation_extractor(**{**options, **kwargs})


def integer_id_segmentation(num_rois: int = 5) -> NumpySegmentationExtractor:
    """Integer ROI ids, acceptance, and a known centroid property."""
    rng = np.random.default_rng(3)
    masks = np.zeros((ROWS, COLUMNS, num_rois))
    for index in range(num_rois):
        masks[2 + index, 3 + 2 * index : 6 + 2 * index, index] = rng.random(3) + 0.1
    extractor = NumpySegmentationExtractor(
        image_masks=masks,
        raw=rng.random((FRAMES, num_rois)),
        dff=rng.random((FRAMES, num_rois)),
        deconvolved=np.zeros((FRAMES, num_rois)),  # all zero: data like any other, written
        mean_image=rng.random((ROWS, COLUMNS)),
        roi_ids=[10 + i for i in range(num_rois)],
        accepted_list=[10, 12, 13],
        rejected_list=[11, 14],
        sampling_frequency=15.0,
        movie_dims=(ROWS, COLUMNS),
    )
    extractor.set_property("roi_centroids", np.array([[2.0 + i, 4.0 + 2 * i] for i in range(num_rois)]), extractor.get_roi_ids())
    return extractor


def expected_centroids_xy(extractor) -> np.ndarray:
    """Mask-weighted centre of each ROI as (x, y) = (column, row), computed here independently."""
    centres = []
    for mask in extractor.get_roi_pixel_masks():  # rows of (row, column, weight)
        weights = np.abs(mask[:, 2])
        centres.append((np.sum(mask[:, 1] * weights) / weights.sum(), np.sum(mask[:, 0] * weights) / weights.sum()))
    return np.array(centres)


@pytest.fixture
def series(rig, space):
    return mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES)).rig(rig).space(space)


def _write(tmp_path, format, series, *segmentations, backend="hdf5", suffix="nwb"):
    session = new_session(format).add(series)
    for segmentation in segmentations:
        session.add(segmentation)
    return session.write(tmp_path / f"{format}.{suffix}", backend=backend)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_legacy_segmentation_reads_back_with_roiextractors_defaults(tmp_path, series, backend, suffix):
    source = dummy_segmentation(rejected_list=["roi_1", "roi_4"])
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series)
    path = _write(tmp_path, "legacy", series, segmentation, backend=backend, suffix=suffix)
    reader = NwbSegmentationExtractor(path)
    assert reader.get_roi_ids() == list(range(6))
    np.testing.assert_allclose(reader.get_roi_image_masks(), source.get_roi_image_masks())
    for kind in ("raw", "dff", "neuropil", "deconvolved"):
        np.testing.assert_allclose(reader.get_traces(name=kind), source.get_traces(name=kind))
    assert {k for k, v in reader.get_traces_dict().items() if v is not None} == {"raw", "dff", "neuropil", "deconvolved"}
    for name in ("mean", "correlation"):
        np.testing.assert_allclose(reader.get_image(name), source.get_image(name))
    np.testing.assert_array_equal(reader.get_property("accepted", reader.get_roi_ids()), [1, 0, 1, 1, 0, 1])
    np.testing.assert_array_equal(reader.get_property("rejected", reader.get_roi_ids()), [0, 1, 0, 0, 1, 0])
    np.testing.assert_allclose(
        reader.get_property("roi_centroids", reader.get_roi_ids()), expected_centroids_xy(source)[:, ::-1]
    )
    assert reader.get_sampling_frequency() == 30.0
    with read(path) as nwbfile:
        table = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert list(table["roi_name"].data[:]) == source.get_roi_ids()
        assert table.imaging_plane.object_id == nwbfile.acquisition["TwoPhotonSeries"].imaging_plane.object_id


def test_legacy_integer_ids_acceptance_and_given_centroids(tmp_path, series):
    source = integer_id_segmentation()
    path = _write(tmp_path, "legacy", series, mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series))
    reader = NwbSegmentationExtractor(path)
    assert reader.get_roi_ids() == [10, 11, 12, 13, 14]
    np.testing.assert_array_equal(reader.get_property("accepted", reader.get_roi_ids()), [1, 0, 1, 1, 0])
    np.testing.assert_allclose(reader.get_property("roi_centroids", reader.get_roi_ids()), source.get_property("roi_centroids", source.get_roi_ids()))
    assert {k for k, v in reader.get_traces_dict().items() if v is not None} == {"raw", "dff", "deconvolved"}
    np.testing.assert_array_equal(reader.get_traces(name="deconvolved"), np.zeros((FRAMES, 5)))  # all zero, written
    assert reader.get_sampling_frequency() == 15.0
    with read(path) as nwbfile:
        assert "roi_name" not in nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"].colnames


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("mask_type", ["image", "pixel"])
def test_ndx_segmentation_shares_the_space_and_links_the_series(tmp_path, series, backend, suffix, mask_type):
    source = dummy_segmentation(mask_type=mask_type, rejected_list=["roi_2"])
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series).description("suite2p")
    path = _write(tmp_path, "ndx-microscopy", series, segmentation, backend=backend, suffix=suffix)
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        table = ophys["SegmentationContainer"].segmentations["PlaneSegmentation"]
        movie = nwbfile.acquisition["TwoPhotonSeries"]
        assert type(table).__name__ == "PlanarSegmentation" and table.description == "suite2p"
        assert table.planar_imaging_space.object_id == movie.planar_imaging_space.object_id
        assert list(table["roi_name"].data[:]) == source.get_roi_ids()
        np.testing.assert_array_equal(table["Accepted"].data[:], [1, 1, 0, 1, 1, 1])
        if mask_type == "image":
            np.testing.assert_allclose(table["image_mask"].data[:], source.get_roi_image_masks().transpose(2, 0, 1))
        else:
            for index, expected in enumerate(source.get_roi_pixel_masks()):
                stored = np.array([tuple(row) for row in table["pixel_mask"][index]])
                np.testing.assert_allclose(stored[:, 0], expected[:, 1])  # x = column
                np.testing.assert_allclose(stored[:, 1], expected[:, 0])  # y = row
                np.testing.assert_allclose(stored[:, 2], expected[:, 2], rtol=1e-6)
        np.testing.assert_allclose(table["ROICentroids"].data[:], expected_centroids_xy(source), rtol=1e-6)
        assert sorted(table.summary_images) == ["correlation", "mean"]
        np.testing.assert_allclose(table.summary_images["mean"].data[:], source.get_image("mean"))
        responses = ophys["PlaneSegmentationResponseSeries"].microscopy_response_series
        assert sorted(responses) == ["Deconvolved", "DfOverF", "Fluorescence", "Neuropil"]
        for name, kind in (("Fluorescence", "raw"), ("DfOverF", "dff"), ("Neuropil", "neuropil"), ("Deconvolved", "deconvolved")):
            trace = responses[name]
            np.testing.assert_allclose(trace.data[:], source.get_traces(name=kind))
            assert trace.rate == 30.0 and trace.rois.table.object_id == table.object_id
            assert trace.microscopy_series.object_id == movie.object_id


def test_ndx_default_mask_type_follows_the_extractor(tmp_path, series):
    path = _write(tmp_path, "ndx-microscopy", series,
                  mb.SegmentationBuilder("PlaneSegmentation").from_extractor(dummy_segmentation(mask_type="pixel")).series(series))
    with read(path) as nwbfile:
        columns = nwbfile.processing["ophys"]["SegmentationContainer"].segmentations["PlaneSegmentation"].colnames
        assert "pixel_mask" in columns and "image_mask" not in columns


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_choices_of_traces_images_and_columns(tmp_path, series, format):
    source = dummy_segmentation()
    segmentation = (
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series)
        .traces("raw", "dff")
        .trace("dff", name="DeltaF", unit="%", description="dF/F in percent")
        .summary_images("mean", rename={"mean": "MeanImage"})
        .include_centroids(False)
        .include_acceptance(False)
    )
    path = _write(tmp_path, format, series, segmentation)
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        if format == "legacy":
            table = ophys["ImageSegmentation"]["PlaneSegmentation"]
            assert list(ophys["DfOverF"].roi_response_series) == ["DeltaF"]
            dff = ophys["DfOverF"]["DeltaF"]
            assert list(ophys["Fluorescence"].roi_response_series) == ["RoiResponseSeries"]
            assert list(ophys["SegmentationImages"].images) == ["MeanImage"]
        else:
            table = ophys["SegmentationContainer"].segmentations["PlaneSegmentation"]
            responses = ophys["PlaneSegmentationResponseSeries"].microscopy_response_series
            assert sorted(responses) == ["DeltaF", "Fluorescence"]
            dff = responses["DeltaF"]
            assert list(table.summary_images) == ["MeanImage"]
        assert (dff.unit, dff.description) == ("%", "dF/F in percent")
        assert "ROICentroids" not in table.colnames and "Accepted" not in table.colnames


def with_background(num_rois: int = 3, num_background: int = 2) -> NumpySegmentationExtractor:
    """A segmentation with background components, stored the way roiextractors' CaImAn reader does:
    background masks after the cell masks under ids "background<i>", and a "background" response."""
    from roiextractors.segmentationextractor import _RoiResponse, _ROIMasks

    rng = np.random.default_rng(5)
    source = NumpySegmentationExtractor(
        image_masks=rng.random((ROWS, COLUMNS, num_rois)), raw=rng.random((FRAMES, num_rois)),
        sampling_frequency=30.0, movie_dims=(ROWS, COLUMNS),
    )
    cells = source.get_roi_ids()
    background_ids = [f"background{i}" for i in range(num_background)]
    masks = np.concatenate([source.get_roi_image_masks(), rng.random((ROWS, COLUMNS, num_background))], axis=2)
    source._roi_masks = _ROIMasks(
        data=masks, mask_tpe="nwb-image_mask", field_of_view_shape=(ROWS, COLUMNS),
        roi_id_map={roi_id: index for index, roi_id in enumerate([*cells, *background_ids])},
    )
    source._roi_responses.append(_RoiResponse("background", rng.random((FRAMES, num_background)), background_ids))
    return source


def test_background_components_when_asked(tmp_path, series):
    source = with_background()
    assert source.get_background_ids() == ["background0", "background1"]
    plain = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series)
    for format in ("ndx-microscopy", "legacy"):
        without = _write(tmp_path / "without", format, series, plain)
        included = _write(tmp_path / "with", format, series, plain.include_background())
        with read(without) as nwbfile:
            assert "Background" not in str(list(nwbfile.processing["ophys"].data_interfaces.values()))
        with read(included) as nwbfile:
            ophys = nwbfile.processing["ophys"]
            if format == "legacy":
                background_table = ophys["ImageSegmentation"]["BackgroundPlaneSegmentation"]
                trace = ophys["Fluorescence"]["Background"]
            else:
                background_table = ophys["SegmentationContainer"].segmentations["BackgroundPlaneSegmentation"]
                trace = ophys["PlaneSegmentationResponseSeries"].microscopy_response_series["Background"]
            assert len(background_table) == 2
            assert trace.rois.table.object_id == background_table.object_id
            np.testing.assert_allclose(trace.data[:], source.get_traces(name="background"))


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_two_segmentations_stay_apart(tmp_path, rig, space, format):
    plane_a = space
    plane_b = mb.ImagingSpaceBuilder("V1_L4").planar(pixel_size_um=(1.2, 1.5)).anatomical_target("VISp4").line_scan()
    movie_a = mb.SeriesBuilder("MovieA").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, seed=1)).rig(rig).space(plane_a)
    movie_b = mb.SeriesBuilder("MovieB").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, seed=2)).rig(rig).space(plane_b)
    first = dummy_segmentation(seed=1)
    second = dummy_segmentation(seed=2, num_rois=4)
    third = dummy_segmentation(seed=3, num_rois=3)
    session = new_session(format).add(movie_a).add(movie_b)
    session.add(mb.SegmentationBuilder("Suite2pA").from_extractor(first).series(movie_a))
    session.add(mb.SegmentationBuilder("Suite2pB").from_extractor(second).series(movie_b))
    session.add(mb.SegmentationBuilder("CaimanA").from_extractor(third).series(movie_a))  # second algorithm, same plane
    path = session.write(tmp_path / "two.nwb")
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        if format == "legacy":
            tables = ophys["ImageSegmentation"].plane_segmentations
            assert sorted(tables) == ["CaimanA", "Suite2pA", "Suite2pB"]
            assert tables["Suite2pA"].imaging_plane.object_id == tables["CaimanA"].imaging_plane.object_id
            assert tables["Suite2pB"].imaging_plane.name == "V1_L4"
            raw = ophys["Fluorescence"].roi_response_series
            assert set(raw) == {
                f"{kind}_{name}" for name in ("CaimanA", "Suite2pA", "Suite2pB") for kind in ("Deconvolved", "Neuropil", "RoiResponseSeries")
            }
            assert set(ophys["DfOverF"].roi_response_series) == {f"RoiResponseSeries_{n}" for n in ("CaimanA", "Suite2pA", "Suite2pB")}
            assert raw["RoiResponseSeries_Suite2pB"].rois.table.object_id == tables["Suite2pB"].object_id
            np.testing.assert_allclose(raw["RoiResponseSeries_CaimanA"].data[:], third.get_traces(name="raw"))
        else:
            tables = ophys["SegmentationContainer"].segmentations
            assert sorted(tables) == ["CaimanA", "Suite2pA", "Suite2pB"]
            assert tables["Suite2pA"].planar_imaging_space.object_id == nwbfile.acquisition["MovieA"].planar_imaging_space.object_id
            assert tables["CaimanA"].planar_imaging_space.object_id == tables["Suite2pA"].planar_imaging_space.object_id
            assert tables["Suite2pB"].planar_imaging_space.object_id == nwbfile.acquisition["MovieB"].planar_imaging_space.object_id
            b_traces = ophys["Suite2pBResponseSeries"].microscopy_response_series
            assert b_traces["Fluorescence"].microscopy_series.object_id == nwbfile.acquisition["MovieB"].object_id
            assert b_traces["Fluorescence"].data.shape == (FRAMES, 4)
            np.testing.assert_allclose(ophys["CaimanAResponseSeries"]["Fluorescence"].data[:], third.get_traces(name="raw"))


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_segmentation_without_a_series(tmp_path, rig, space, format):
    source = dummy_segmentation()
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).space(space).rig(rig, "Green")
    path = new_session(format).add(segmentation).write(tmp_path / "alone.nwb")
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        if format == "legacy":
            plane = ophys["ImageSegmentation"]["PlaneSegmentation"].imaging_plane
            assert plane.name == "V1_L23" and plane.imaging_rate == 30.0 and plane.indicator == "GCaMP6s"
        else:
            table = ophys["SegmentationContainer"].segmentations["PlaneSegmentation"]
            np.testing.assert_array_equal(table.planar_imaging_space.dimensions_in_pixels[:], [COLUMNS, ROWS])
            assert ophys["PlaneSegmentationResponseSeries"]["Fluorescence"].microscopy_series is None


def test_irregular_segmentation_times_are_written_as_timestamps(tmp_path, series):
    source = dummy_segmentation(native_timestamps="unevenly_spaced")
    path = _write(tmp_path, "legacy", series, mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series))
    with read(path) as nwbfile:
        trace = nwbfile.processing["ophys"]["Fluorescence"]["RoiResponseSeries"]
        assert trace.rate is None
        np.testing.assert_allclose(trace.timestamps[:], source.get_native_timestamps())


@pytest.mark.parametrize(
    "make,fragment",
    [
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation()), "space: required"),
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation()).space(space).masks("blob"), "masks: must be one of"),
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation()).series(s).traces("spikes"), "unknown trace type 'spikes'"),
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation()).series(s).traces("denoised"), "no 'denoised' traces"),
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation(num_rows=30)).series(s), "masks are 30 rows x 17 columns"),
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation(num_samples=39)).series(s), "traces have 39 frames"),
        (lambda s, space: mb.SegmentationBuilder("P").from_extractor(dummy_segmentation()).series(s).summary_images("max"), "no 'max' image"),
    ],
)
def test_bad_segmentations_are_refused_before_writing(tmp_path, series, space, make, fragment):
    session = new_session().add(series)
    before = registered(session)
    with pytest.raises(mb.ValidationError, match=fragment):
        session.add(make(series, space))
    assert registered(session) == before  # nothing of the refused segmentation registered
    with read(session.write(tmp_path / "still.nwb")) as nwbfile:
        assert "ophys" not in nwbfile.processing


def test_trace_roi_count_must_match_the_rois(series):
    rng = np.random.default_rng(0)
    source = NumpySegmentationExtractor(
        image_masks=rng.random((ROWS, COLUMNS, 4)), raw=rng.random((FRAMES, 4)), sampling_frequency=30.0, movie_dims=(ROWS, COLUMNS)
    )
    source._roi_responses[0].data = rng.random((FRAMES, 3))  # a broken extractor: 3 trace columns for 4 ROIs
    with pytest.raises(mb.ValidationError, match="'raw' traces have 3 columns but the segmentation has 4 ROIs"):
        new_session().add(mb.SegmentationBuilder("P").from_extractor(source).series(series))


def test_legacy_segmentation_needs_a_series_or_a_rig(space):
    segmentation = mb.SegmentationBuilder("P").from_extractor(dummy_segmentation()).space(space)
    new_session("ndx-microscopy").add(segmentation)  # fine: ROIs sit on the space
    with pytest.raises(mb.ValidationError, match=r"give .series\(series\) or .rig\(rig, channel\)"):
        new_session("legacy").add(segmentation)


def test_image_masks_are_built_a_few_rois_at_a_time(tmp_path, series, monkeypatch):
    from microscopy_builder.emit import rois

    monkeypatch.setattr(rois, "MASK_CHUNK_BYTES", ROWS * COLUMNS * 4 * 2)  # two float32 ROI masks per chunk
    source = dummy_segmentation(num_rois=20, mask_type="pixel")
    largest = []
    original = source.get_roi_image_masks

    def recording(roi_ids=None):
        masks = original(roi_ids)
        largest.append(masks.shape[-1])
        return masks

    source.get_roi_image_masks = recording
    path = _write(tmp_path, "legacy", series, mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series))
    assert max(largest) <= 8  # a buffer of four two-ROI chunks, never all 20 ROIs
    reader = NwbSegmentationExtractor(path)
    np.testing.assert_allclose(reader.get_roi_image_masks(), original())


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_traces_take_the_movies_times_when_the_segmentation_has_none(tmp_path, rig, space, format):
    movie = make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES, native_timestamps="unevenly_spaced")
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie).rig(rig).space(space)
    path = _write(tmp_path, format, series, mb.SegmentationBuilder("PlaneSegmentation").from_extractor(dummy_segmentation()).series(series))
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        trace = ophys["Fluorescence"]["RoiResponseSeries"] if format == "legacy" else ophys["PlaneSegmentationResponseSeries"]["Fluorescence"]
        np.testing.assert_array_equal(trace.timestamps[:], movie.get_native_timestamps())


def test_a_segmentation_must_share_the_pixel_grid_of_its_space(rig, space, series):
    session = new_session().add(series)
    other = dummy_segmentation(num_rows=ROWS + 3)
    with pytest.raises(mb.ValidationError, match="one space has one pixel grid"):
        session.add(mb.SegmentationBuilder("P").from_extractor(other).space(space).rig(rig))
