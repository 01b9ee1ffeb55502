"""Source data that cannot be written as it is fails before anything is written, with a typed error:
unsupported dtypes, native timestamps of the wrong length, duplicate or out-of-range ROI ids."""

from __future__ import annotations

import numpy as np
import pytest
from roiextractors import NumpyImagingExtractor, NumpySegmentationExtractor

import microscopy_builder as mb

from .conftest import FORMATS, make_imaging, new_session


def series_of(source, rig, space, name="TwoPhotonSeries"):
    return mb.SeriesBuilder(name).from_extractor(source).rig(rig).space(space)


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "object", "U3", "S2", "datetime64[s]"])
@pytest.mark.parametrize("format", FORMATS)
def test_unsupported_movie_dtypes_are_a_source_data_error_from_validate_and_write(tmp_path, rig, space, format, dtype):
    frames = np.ones((6, 4, 5, 1)).astype(dtype)
    session = new_session(format).add(series_of(NumpyImagingExtractor(frames, sampling_frequency=10.0), rig, space))
    for call in (session.validate, lambda: session.write(tmp_path / "out.nwb")):
        with pytest.raises(mb.SourceDataError) as raised:
            call()
        message = str(raised.value)
        assert str(np.dtype(dtype)) in message and "supported are bool, int8-int64, uint8-uint64, float16-float64" in message
        assert "series 'TwoPhotonSeries'.source" in message
    assert not (tmp_path / "out.nwb").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("field", ["raw", "image_masks", "mean_image"])
def test_unsupported_segmentation_dtypes_are_a_source_data_error(tmp_path, rig, space, field):
    arrays = dict(image_masks=np.ones((4, 5, 2), dtype="float32"), raw=np.ones((6, 2), dtype="float32"),
                  mean_image=np.ones((4, 5), dtype="float32"))
    arrays[field] = arrays[field].astype("complex64")
    source = NumpySegmentationExtractor(**arrays, sampling_frequency=10.0, movie_dims=(4, 5))
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).space(space).rig(rig)
    session = new_session("ndx-microscopy").add(segmentation)
    with pytest.raises(mb.SourceDataError, match="complex64"):
        session.validate()
    with pytest.raises(mb.SourceDataError, match="complex64"):
        session.write(tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()


def test_a_source_data_error_is_a_validation_error_listing_every_problem(rig, space):
    assert issubclass(mb.SourceDataError, mb.ValidationError)
    frames = np.ones((6, 4, 5, 1), dtype="complex64")
    session = new_session().add(series_of(NumpyImagingExtractor(frames, sampling_frequency=10.0), rig, space, "A"))
    session.add(series_of(NumpyImagingExtractor(frames.astype("U2"), sampling_frequency=10.0), rig, space, "B"))
    with pytest.raises(mb.SourceDataError) as raised:
        session.validate()
    assert len(raised.value.problems) == 2 and all("cannot be stored" in p for p in raised.value.problems)


@pytest.mark.parametrize("times", [np.arange(39) / 30.0, np.concatenate([[0.0, 0.01, 0.5], 1 + np.arange(40) / 7])],
                         ids=["regular-one-short", "irregular-three-long"])
@pytest.mark.parametrize("format", FORMATS)
def test_native_timestamps_of_the_wrong_length_are_a_source_data_error(tmp_path, rig, space, format, times):
    imaging = make_imaging(frames=40)
    imaging.set_times(times) if len(times) == 40 else setattr(imaging, "_times", times)  # a reader that got it wrong
    session = new_session(format).add(series_of(imaging, rig, space))
    for call in (session.validate, lambda: session.write(tmp_path / "out.nwb")):
        with pytest.raises(mb.SourceDataError, match=f"{len(times)} timestamps for 40 frames"):
            call()
    assert not (tmp_path / "out.nwb").exists()


def test_an_override_replaces_wrong_native_timestamps(tmp_path, rig, space):
    imaging = make_imaging(frames=40)
    imaging._times = np.arange(39) / 30.0
    session = new_session().add(series_of(imaging, rig, space).rate(30.0))
    assert session.validate().ok


def test_segmentation_timestamps_of_the_wrong_length_are_a_source_data_error(tmp_path, rig, space):
    source = NumpySegmentationExtractor(image_masks=np.ones((4, 5, 2), dtype="float32"), raw=np.ones((6, 2), dtype="float32"),
                                        sampling_frequency=10.0, movie_dims=(4, 5))
    source._times = np.arange(5) / 10.0
    session = new_session("legacy").add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).space(space).rig(rig))
    with pytest.raises(mb.SourceDataError, match="5 timestamps for traces of 6 frames"):
        session.write(tmp_path / "out.nwb")


def rois_with_ids(ids):
    masks = np.zeros((4, 5, len(ids)), dtype="float32")
    for index in range(len(ids)):
        masks[index % 4, index % 5, index] = 1.0
    return NumpySegmentationExtractor(image_masks=masks, raw=np.ones((6, len(ids)), dtype="float32"), roi_ids=list(ids),
                                      sampling_frequency=10.0, movie_dims=(4, 5))


@pytest.mark.parametrize("ids", [[3, 7, 3], ["a", "b", "a"], [1, np.int64(1), 2]], ids=["ints", "strings", "mixed-types"])
@pytest.mark.parametrize("format", FORMATS)
def test_duplicate_roi_ids_are_refused_before_writing(tmp_path, rig, space, format, ids):
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois_with_ids(ids)).space(space).rig(rig)
    with pytest.raises(mb.ValidationError, match="occur more than once"):
        new_session(format).add(segmentation)
    session = new_session(format)
    with pytest.raises(mb.ValidationError, match="occur more than once"):
        session.add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois_with_ids(ids)).space(space).rig(rig))
        session.write(tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 10**30])
def test_roi_ids_beyond_the_id_column_are_a_validation_error_not_an_overflow(rig, space, big):
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois_with_ids([0, big])).space(space).rig(rig)
    with pytest.raises(mb.ValidationError, match="outside the range of NWB's 64-bit id column"):
        new_session().add(segmentation)


def test_the_largest_ids_the_column_holds_are_written(tmp_path, rig, space):
    from .conftest import read

    ids = [2**63 - 1, -(2**63), 0]
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois_with_ids(ids)).space(space).rig(rig)
    path = new_session("legacy").add(segmentation).write(tmp_path / "out.nwb")
    with read(path) as nwbfile:
        table = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert list(table.id.data[:]) == ids
