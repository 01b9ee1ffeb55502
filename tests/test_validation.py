"""session.validate() and session.inspect(): every problem reported at once, nothing written."""

from __future__ import annotations

import numpy as np
import pytest
from roiextractors import NumpyImagingExtractor
from roiextractors.testing import generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import make_imaging, new_session, read


def numpy_imaging(frames=40, rate=30.0, seed=0):
    data = np.random.default_rng(seed).integers(0, 1000, size=(frames, 12, 17, 1), dtype="uint16")
    return NumpyImagingExtractor(timeseries=data, sampling_frequency=rate)


def test_a_fully_described_session_validates_clean(rig, space, imaging):
    report = new_session().add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)).validate()
    assert report.ok and report.problems == () and str(report) == "no problems found"


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_placeholders_are_warnings_naming_the_object_field_and_fix(tmp_path, imaging, format):
    sparse_rig = mb.RigBuilder("Scope").microscope(model="Homebuilt").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0)
    sparse_space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0))
    session = new_session(format).add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(sparse_rig).space(sparse_space))
    report = session.validate()
    assert report.ok and report.errors == ()
    assert ("device model 'Homebuilt'.manufacturer", "warning") in {(p.where, p.severity) for p in report.warnings}
    texts = [str(p) for p in report.warnings]
    assert any("'Homebuilt'.manufacturer" in t and "give manufacturer=" in t for t in texts)
    assert any("anatomical_target" in t or "location" in t for t in texts)
    assert any("indicator" in t for t in texts)
    # validate changed nothing: the file has not been emitted, and writing still works
    assert len(session._nwbfile.acquisition) == 0
    with pytest.warns(mb.PlaceholderWarning):
        session.write(tmp_path / "sparse.nwb")


def test_write_raises_every_error_at_once_and_writes_nothing(tmp_path, rig, space):
    broken_a, broken_b = numpy_imaging(seed=1), numpy_imaging(seed=2)
    session = new_session()
    session.add(mb.SeriesBuilder("A").from_extractor(broken_a).rig(rig).space(space))
    other = mb.ImagingSpaceBuilder("Other").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    session.add(mb.SeriesBuilder("B").from_extractor(broken_b).rig(rig).space(other))
    broken_a._sampling_frequency = float("nan")  # half-broken extractors, changed after add
    broken_b._sampling_frequency = -5.0
    report = session.validate()
    assert not report.ok and len(report.errors) == 2
    assert [p.where for p in report.errors] == ["series 'A'.source", "series 'B'.source"]
    assert all("give .rate(hz) or .timestamps(...)" in p.message for p in report.errors)
    with pytest.raises(mb.ValidationError) as raised:
        session.write(tmp_path / "broken.nwb")
    assert len(raised.value.problems) == 2
    assert list(tmp_path.iterdir()) == []


def test_rates_that_disagree_between_a_movie_and_its_traces_are_a_warning(rig, space):
    movie = make_imaging(rows=12, columns=17, frames=40, rate=30.0)
    traces = generate_dummy_segmentation_extractor(num_rows=12, num_columns=17, num_samples=40, sampling_frequency=15.0)
    series = mb.SeriesBuilder("Movie").from_extractor(movie).rig(rig).space(space)
    session = new_session().add(series).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(traces).series(series))
    report = session.validate()
    assert report.ok
    assert [str(p) for p in report.warnings] == [
        "segmentation 'PlaneSegmentation'.source: traces at 15 Hz but series 'Movie' at 30 Hz; check the "
        "extractors' sampling rates"
    ]


def test_planes_of_one_recording_at_different_rates_are_a_warning(rig):
    base = mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    session = new_session()
    session.add(mb.SeriesBuilder("P1").from_extractor(numpy_imaging(rate=10.0)).rig(rig).space(base.at_depth(100)))
    session.add(mb.SeriesBuilder("P2").from_extractor(numpy_imaging(rate=12.0)).rig(rig).space(base.at_depth(200)))
    (warning,) = session.validate().warnings
    assert warning.where == "series 'P1', 'P2'" and "different rates [10.0, 12.0] Hz" in warning.message


def test_inspect_runs_nwbinspector_on_the_in_memory_file(rig, imaging):
    space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0)).line_scan()  # no target: a placeholder
    session = new_session("legacy").add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space))
    with pytest.warns(mb.PlaceholderWarning):
        messages = session.inspect()
    assert any(m.object_name == "FOV" and "location" in m.message.lower() for m in messages), messages
