"""Every per-ROI property of a segmentation reaches the ROI table, and every trace is written.

Real files in both formats and both backends, read back with pynwb (``conftest.read``) and, for the
legacy layout, with roiextractors' ``NwbSegmentationExtractor`` on its defaults.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from roiextractors import NumpySegmentationExtractor, NwbSegmentationExtractor
from roiextractors.testing import generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, new_session, read
from .test_segmentation import with_background
from .test_volumetric import PLANES, volumetric_segmentation

ROWS, COLUMNS, FRAMES, ROIS = 12, 17, 20, 4
SUITE2P = Path(__file__).resolve().parents[2] / "shared" / "data" / "suite2p_fissa" / "suite2p"
TABLE_TYPES = ("PlaneSegmentation", "PlanarSegmentation", "VolumetricSegmentation")


def roi_table(nwbfile, name: str = "PlaneSegmentation"):
    found = [o for o in nwbfile.objects.values() if type(o).__name__ in TABLE_TYPES and o.name == name]
    assert len(found) == 1, f"{len(found)} ROI tables named {name!r}"
    return found[0]


def stored(table, column: str) -> np.ndarray:
    """A column's values as numpy gives them back (text decoded to ``str``)."""
    values = np.asarray(table[column].data[:])
    if values.dtype.kind in "OS":
        values = np.array([v.decode() if isinstance(v, bytes) else v for v in values])
    return values


def numpy_segmentation(num_rois: int = ROIS, **kwargs) -> NumpySegmentationExtractor:
    rng = np.random.default_rng(11)
    options = dict(image_masks=rng.random((ROWS, COLUMNS, num_rois)), raw=rng.random((FRAMES, num_rois)),
                   sampling_frequency=20.0, movie_dims=(ROWS, COLUMNS))
    return NumpySegmentationExtractor(**{**options, **kwargs})


#: properties of every kind a column takes (values for 4 ROIs), as set_property gives them
PROPERTIES = {
    "snr": np.array([3.5, np.nan, 0.25, 12.0], dtype="float32"),  # NaN is data like any float
    "r_values": np.array([0.9, 0.1, 0.5, 0.7]),
    "cnn_preds": np.array([0.99, 0.01, 0.5, 0.75], dtype="float16"),
    "n_pixels": np.array([10, 20, 30, 40], dtype=">i2"),  # big-endian source: stored natively, value for value
    "plane_id": np.array([0, 1, 2, 2**63], dtype="uint64"),
    "in_soma": np.array([True, False, True, False]),
    "cell_status": np.array(["accepted", "rejected", "undecided", "accepted"]),  # Inscopix-like labels
    "label": np.array(["PV", "SST", "VIP", "ünknown"], dtype=object),  # object array of text
    "offset_xy": np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype="int32"),  # a 2-vector per ROI
}


def with_properties(source, properties=PROPERTIES):
    ids = source.get_roi_ids()
    for key, values in properties.items():
        source.set_property(key, values, ids, description=f"the {key} of each ROI")
    return source


def expected(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind == "O":
        return values.astype(str)
    return values.astype(values.dtype.newbyteorder("=")) if values.dtype.byteorder == ">" else values


def segmentation(source, rig, space, name: str = "PlaneSegmentation") -> mb.SegmentationBuilder:
    return mb.SegmentationBuilder(name).from_extractor(source).space(space).rig(rig, "Green")


def write(tmp_path, format, backend, suffix, *segmentations, name="props") -> Path:
    session = new_session(format)
    for item in segmentations:
        session.add(item)
    return session.write(tmp_path / f"{name}_{format}.{suffix}", backend=backend)


def assert_column(table, key: str, values) -> None:
    want = expected(values)
    got = stored(table, key)
    assert got.shape == want.shape, key
    if want.dtype.kind in "US":
        assert got.tolist() == want.tolist(), key
    else:
        assert got.dtype == want.dtype, key
        np.testing.assert_array_equal(got, want, err_msg=key)


# -- every property, every dtype ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_every_property_is_a_column_of_its_key_and_dtype(tmp_path, rig, space, format, backend, suffix):
    source = with_properties(numpy_segmentation(accepted_list=[0, 2], rejected_list=[1]))
    path = write(tmp_path, format, backend, suffix, segmentation(source, rig, space))
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        for key, values in PROPERTIES.items():
            assert_column(table, key, values)
            assert table[key].description == f"the {key} of each ROI"
        assert stored(table, "snr")[1] != stored(table, "snr")[1]  # NaN came back as NaN
        assert stored(table, "in_soma").dtype == np.bool_
        assert_column(table, "is_accepted", [True, False, True, False])  # kept beside Accepted: its own dtype
        assert_column(table, "is_rejected", [False, True, False, False])
        np.testing.assert_array_equal(stored(table, "Accepted"), [1, 0, 1, 0])
        np.testing.assert_array_equal(stored(table, "Rejected"), [0, 1, 0, 0])  # ROI 3: neither
    with mb.MicroscopySegmentationExtractor(path) as back:  # the library's reader sees them as properties again
        for key, values in PROPERTIES.items():
            got, want = back.get_property(key, back.get_roi_ids()), expected(values)
            if want.dtype.kind in "US":
                assert got.tolist() == want.tolist(), key
            else:
                assert got.dtype == want.dtype, key
                np.testing.assert_array_equal(got, want, err_msg=key)
    if format == "legacy":  # the extra columns do not confuse roiextractors' reader
        reader = NwbSegmentationExtractor(path)
        assert reader.get_roi_ids() == [0, 1, 2, 3]
        np.testing.assert_allclose(reader.get_roi_image_masks(), source.get_roi_image_masks())
        np.testing.assert_array_equal(reader.get_property("accepted", reader.get_roi_ids()), [True, False, True, False])
        np.testing.assert_allclose(reader.get_traces(name="raw"), source.get_traces(name="raw"))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_the_dummy_generators_properties_come_back(tmp_path, rig, space, format, backend, suffix):
    source = generate_dummy_segmentation_extractor(num_rois=5, num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES,
                                                   rejected_list=["roi_1", "roi_3"], mask_type="pixel")
    assert sorted(source.get_property_keys()) == ["is_accepted", "is_rejected"]
    path = write(tmp_path, format, backend, suffix, segmentation(source, rig, space))
    ids = source.get_roi_ids()
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        for key in source.get_property_keys():
            assert_column(table, key, source.get_property(key, ids))
        np.testing.assert_array_equal(stored(table, "Accepted"), source.get_property("is_accepted", ids).astype("uint8"))
        assert stored(table, "roi_name").tolist() == ids
    if format == "legacy":
        reader = NwbSegmentationExtractor(path)
        np.testing.assert_array_equal(reader.get_property("rejected", reader.get_roi_ids()), [0, 1, 0, 1, 0])


@pytest.mark.parametrize("format", FORMATS)
def test_volumetric_properties_and_given_centroids(tmp_path, rig, format):
    volume = mb.ImagingSpaceBuilder("V1_volume").volumetric(voxel_size_um=(1.2, 1.5, 20.0)).anatomical_target("VISp")
    source = volumetric_segmentation(sparse=False)
    ids = source.get_roi_ids()
    centres = np.array([[1.0, 2.0, 0.5], [2, 3, 1], [3, 4, 2], [4, 5, 0], [5, 6, 1]])  # (row, column, plane)
    source.set_property("roi_centroids", centres, ids)
    source.set_property("depth_um", np.array([10, 20, 30, 40, 50], dtype="int16"), ids)
    path = write(tmp_path, format, "hdf5", "nwb", segmentation(source, rig, volume.line_scan(line_rate_hz=8000.0)))
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        assert_column(table, "depth_um", np.array([10, 20, 30, 40, 50], dtype="int16"))
        np.testing.assert_array_equal(stored(table, "ROICentroids"), centres[:, [1, 0, 2]])  # (x, y, z)
        assert "roi_centroids" not in table.colnames  # it is ROICentroids
        assert stored(table, "image_mask" if format == "legacy" else "volume_mask").shape[-1 if format == "legacy" else 1] == PLANES


def test_centroids_of_the_wrong_shape_stay_a_column_of_their_own(tmp_path, rig, space):
    source = numpy_segmentation()
    odd = np.arange(12, dtype="float64").reshape(4, 3)  # three numbers per ROI of a planar segmentation
    source.set_property("roi_centroids", odd, source.get_roi_ids())
    path = write(tmp_path, "ndx-microscopy", "hdf5", "nwb", segmentation(source, rig, space))
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        assert_column(table, "roi_centroids", odd)
        assert stored(table, "ROICentroids").shape == (4, 2)  # computed from the masks instead


@pytest.mark.parametrize("format", FORMATS)
def test_leaving_acceptance_and_centroids_out_leaves_out_their_properties_only(tmp_path, rig, space, format):
    source = with_properties(numpy_segmentation(accepted_list=[0]), {"snr": PROPERTIES["snr"]})
    source.set_property("roi_centroids", np.ones((ROIS, 2)), source.get_roi_ids())
    chosen = segmentation(source, rig, space).include_acceptance(False).include_centroids(False)
    path = write(tmp_path, format, "hdf5", "nwb", chosen)
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        assert set(table.colnames) == {"image_mask", "snr"}


def test_background_components_have_no_properties(tmp_path, rig, space):
    source = with_properties(with_background(num_rois=ROIS), {"snr": PROPERTIES["snr"]})
    path = write(tmp_path, "ndx-microscopy", "hdf5", "nwb", segmentation(source, rig, space).include_background())
    with read(path) as nwbfile:
        assert "snr" in roi_table(nwbfile).colnames
        background = roi_table(nwbfile, "BackgroundPlaneSegmentation")
        assert set(background.colnames) == {"image_mask", "roi_name"}  # roiextractors gives them none


# -- the real Suite2p output -------------------------------------------------------------------------------------------
@pytest.mark.skipif(not SUITE2P.is_dir(), reason=f"the real Suite2p output is not at {SUITE2P}")
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_real_suite2p_output_without_its_movie_keeps_every_property_and_trace(tmp_path, rig, space, format, backend,
                                                                               suffix):
    from roiextractors import Suite2pSegmentationExtractor

    source = Suite2pSegmentationExtractor(folder_path=str(SUITE2P))
    ids = source.get_roi_ids()
    # roiextractors keeps only iscell[:, 0]; the classifier's probability is the file's second column
    probability = np.load(SUITE2P / "plane0" / "iscell.npy")[:, 1]
    source.set_property("iscell_probability", probability, ids, description="Suite2p classifier probability")
    keys = source.get_property_keys()
    assert keys == ["iscell", "iscell_probability"]
    seg_space = (mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp")
                 .line_scan(line_rate_hz=7910.0))
    path = write(tmp_path, format, backend, suffix, segmentation(source, rig, seg_space), name="suite2p")
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        for key in keys:
            assert_column(table, key, source.get_property(key, ids))
        assert stored(table, "iscell").dtype == np.float64
        np.testing.assert_array_equal(stored(table, "Accepted"), (source.get_property("iscell", ids) != 0).astype("uint8"))
        traces = {t.name: t for t in nwbfile.objects.values() if type(t).__name__ in ("RoiResponseSeries",
                                                                                     "MicroscopyResponseSeries")}
        assert len(traces) == 3
    with mb.MicroscopySegmentationExtractor(path) as back:
        for key in keys:
            got, want = back.get_property(key, back.get_roi_ids()), source.get_property(key, ids)
            assert got.dtype == want.dtype and np.array_equal(got, want), key
        for kind in ("raw", "neuropil", "deconvolved"):
            got, want = back.get_traces(name=kind), np.asarray(source.get_traces(name=kind))
            assert got.dtype == want.dtype and np.array_equal(got, want), kind
    if format == "legacy":
        reader = NwbSegmentationExtractor(path)
        assert reader.get_num_rois() == 23
        np.testing.assert_array_equal(reader.get_property("accepted", reader.get_roi_ids()),
                                      source.get_property("iscell", ids).astype(bool))
        np.testing.assert_array_equal(reader.get_traces(name="deconvolved"), source.get_traces(name="deconvolved"))


# -- properties no column can hold are refused at add() ------------------------------------------------------------------
@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("key", ["id", "image_mask", "Accepted", "Rejected", "ROICentroids", "roi_name", "colnames",
                                 "description", "pixel_mask_index"])
def test_a_property_named_like_a_column_the_table_has_is_refused_at_add(rig, space, format, key):
    source = numpy_segmentation()
    source.set_property(key, np.arange(ROIS), source.get_roi_ids())
    session = new_session(format)
    with pytest.raises(mb.ValidationError) as error:
        session.add(segmentation(source, rig, space))
    problems = [p for p in error.value.problems if f"ROI property {key!r}" in p]
    assert len(problems) == 1, error.value.problems
    assert "rename the property in the extractor" in problems[0]
    assert session.nwbfile.processing == {}  # nothing was registered: the session writes no table


def test_a_property_named_like_an_ndx_summary_image_is_refused(rig, space):
    source = numpy_segmentation(mean_image=np.ones((ROWS, COLUMNS)))
    source.set_property("mean", np.arange(ROIS), source.get_roi_ids())
    with pytest.raises(mb.ValidationError, match=r"ROI property 'mean'.*summary image 'mean'.*rename the property"):
        new_session("ndx-microscopy").add(segmentation(source, rig, space))


class MisreportingSegmentation(NumpySegmentationExtractor):
    """A real extractor whose property getter is wrong about its own ROIs (as a buggy reader might be)."""

    def get_property(self, key, ids):
        values = super().get_property(key, ids)
        return values[:-1] if key == "short" else values


@pytest.mark.parametrize("key,values,expected_text", [
    ("mixed", np.array([1.0, "a", None, 2], dtype=object), "an object array holding"),
    ("ragged", np.array([np.ones(2), np.ones(3), np.ones(1), np.ones(2)], dtype=object), "an object array holding"),
    ("phase", np.array([1 + 1j, 2j, 0, 1]), "cannot be an NWB column"),
    ("when", np.array(["2024-01-01"] * ROIS, dtype="datetime64[D]"), "cannot be an NWB column"),
    ("a/b", np.arange(ROIS), "without '/' or ':'"),
    ("short", np.arange(ROIS), "3 values for 4 ROIs"),
    ("iscell", np.array(["yes", "no", "yes", "no"]), "acceptance must be booleans or 0/1 numbers"),
])
def test_a_property_no_column_can_hold_is_a_validation_error_naming_it(rig, space, key, values, expected_text):
    source = MisreportingSegmentation(image_masks=np.ones((ROWS, COLUMNS, ROIS)), raw=np.ones((FRAMES, ROIS)),
                                      sampling_frequency=20.0, movie_dims=(ROWS, COLUMNS))
    source.set_property(key, values, source.get_roi_ids())
    for format in FORMATS:
        with pytest.raises(mb.ValidationError) as error:
            new_session(format).add(segmentation(source, rig, space))
        assert any(f"property {key!r}" in p and expected_text in p for p in error.value.problems), error.value.problems


def test_an_unused_acceptance_property_is_not_checked(tmp_path, rig, space):
    source = numpy_segmentation()
    source.set_property("iscell", np.array(["yes", "no", "yes", "no"]), source.get_roi_ids())
    path = write(tmp_path, "legacy", "hdf5", "nwb", segmentation(source, rig, space).include_acceptance(False))
    with read(path) as nwbfile:
        assert "iscell" not in roi_table(nwbfile).colnames


@pytest.mark.parametrize("format", FORMATS)
def test_a_nan_acceptance_is_neither_accepted_nor_rejected(tmp_path, rig, space, format):
    source = numpy_segmentation()
    source.set_property("iscell", np.array([1.0, 0.0, np.nan, 1.0]), source.get_roi_ids())
    path = write(tmp_path, format, "hdf5", "nwb", segmentation(source, rig, space))
    with read(path) as nwbfile:
        table = roi_table(nwbfile)
        np.testing.assert_array_equal(stored(table, "Accepted"), [1, 0, 0, 1])
        np.testing.assert_array_equal(stored(table, "Rejected"), [0, 1, 0, 0])
        np.testing.assert_array_equal(stored(table, "iscell"), [1.0, 0.0, np.nan, 1.0])


# -- every trace is written ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_all_zero_traces_are_written_without_a_warning(tmp_path, rig, space, format, backend, suffix):
    source = numpy_segmentation(deconvolved=np.zeros((FRAMES, ROIS), dtype="float32"), dff=np.zeros((FRAMES, ROIS)))
    session = new_session(format).add(segmentation(source, rig, space))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = session.write(tmp_path / f"zero_{format}.{suffix}", backend=backend)
    assert not [w for w in caught if "trace" in str(w.message)], "no trace is skipped or warned about"
    with mb.MicroscopySegmentationExtractor(path) as back:
        for kind in ("raw", "dff", "deconvolved"):
            got, want = back.get_traces(name=kind), np.asarray(source.get_traces(name=kind))
            assert got.dtype == want.dtype and np.array_equal(got, want), kind
    if format == "legacy":
        reader = NwbSegmentationExtractor(path)
        np.testing.assert_array_equal(reader.get_traces(name="deconvolved"), np.zeros((FRAMES, ROIS)))
        np.testing.assert_array_equal(reader.get_traces(name="dff"), np.zeros((FRAMES, ROIS)))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("frames,rois", [(0, ROIS), (FRAMES, 0)])
def test_empty_traces_are_written_with_their_shape(tmp_path, rig, space, format, backend, suffix, frames, rois):
    source = numpy_segmentation(num_rois=rois, raw=np.ones((frames, rois), dtype="float32"))
    source.set_property("snr", np.arange(rois, dtype="float32"), source.get_roi_ids())
    path = write(tmp_path, format, backend, suffix, segmentation(source, rig, space), name=f"empty{frames}x{rois}")
    with read(path) as nwbfile:
        assert_column(roi_table(nwbfile), "snr", np.arange(rois, dtype="float32"))  # no ROIs: an empty column
        traces = [t for t in nwbfile.objects.values() if type(t).__name__ in ("RoiResponseSeries", "MicroscopyResponseSeries")]
        assert [(tuple(t.data.shape), t.data.dtype) for t in traces] == [((frames, rois), np.dtype("float32"))]
    if format == "legacy":
        reader = NwbSegmentationExtractor(path)
        assert reader.get_num_rois() == rois and reader.get_traces(name="raw").shape == (frames, rois)
