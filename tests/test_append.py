"""Session.open: appending to existing files without rewriting them, reusing what they hold."""

from __future__ import annotations

import numpy as np
import pytest
from roiextractors import NwbImagingExtractor
from roiextractors.testing import generate_dummy_imaging_extractor, generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, new_session, read
from .test_atomic import snapshot


def movie(seed, frames=60):
    return generate_dummy_imaging_extractor(num_rows=20, num_columns=24, num_samples=frames, seed=seed)


def failing_movie(seed, fail_at=30):
    imaging = movie(seed)
    original = imaging.get_series

    def get_series(start_sample=None, end_sample=None):
        if end_sample is not None and end_sample > fail_at:
            raise OSError("No space left on device")  # what a full disk or a dying source looks like
        return original(start_sample=start_sample, end_sample=end_sample)

    imaging.get_series = get_series
    return imaging


def stored(nwbfile, format, name):
    data = nwbfile.acquisition[name].data[:]
    return data if format == "ndx-microscopy" else data.transpose(0, 2, 1)


@pytest.fixture
def existing(tmp_path, rig, space, request):
    """A file holding series A, written by this library; returns a function (format, backend) -> path."""

    def make(format, backend, suffix):
        path = tmp_path / f"{format}.{suffix}"
        new_session(format).add(mb.SeriesBuilder("A").from_extractor(movie(1)).rig(rig).space(space)).write(path, backend=backend)
        return path

    return make


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_append_adds_series_and_segmentation_reusing_rig_and_space(existing, rig, space, format, backend, suffix):
    path = existing(format, backend, suffix)
    with read(path) as nwbfile:
        before = stored(nwbfile, format, "A")
    session = mb.Session.open(path)
    assert session.format == format  # read from the file
    b = mb.SeriesBuilder("B").from_extractor(movie(2)).rig(rig).space(space)
    segmentation = generate_dummy_segmentation_extractor(num_rows=20, num_columns=24, num_samples=60)
    assert session.add(b).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation).series(b)).write() == path
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["A", "B"]
        np.testing.assert_array_equal(stored(nwbfile, format, "A"), before)
        np.testing.assert_array_equal(stored(nwbfile, format, "B"), movie(2).get_series())
        assert list(nwbfile.devices).count("Bergamo") == 1 and len(nwbfile.devices) == 5
        a, b = nwbfile.acquisition["A"], nwbfile.acquisition["B"]
        if format == "ndx-microscopy":
            assert a.planar_imaging_space.object_id == b.planar_imaging_space.object_id
            assert a.microscopy_rig.object_id == b.microscopy_rig.object_id
            assert list(nwbfile.lab_meta_data["microscopy_experiment_metadata"].indicators) == ["GCaMP6s"]
            assert len(nwbfile.processing["ophys"]["SegmentationContainer"].segmentations["PlaneSegmentation"]) == 10
        else:
            assert list(nwbfile.imaging_planes) == ["V1_L23"]
            assert a.imaging_plane.object_id == b.imaging_plane.object_id
            assert len(nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]) == 10
    if format == "legacy":
        import h5py

        if backend == "hdf5":
            with h5py.File(path, "r") as file:
                assert sorted(file["specifications"]) == ["core", "hdmf-common", "hdmf-experimental"]
            reader = NwbImagingExtractor(path, optical_series_name="B")
            np.testing.assert_array_equal(reader.get_series(), movie(2).get_series())


@pytest.mark.parametrize("safe", [False, True])
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_conflicting_device_is_refused_and_the_file_is_untouched(existing, rig, space, backend, suffix, safe):
    path = existing("ndx-microscopy", backend, suffix)
    before = snapshot(path)
    other_laser = rig.excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II",
                                        excitation_mode="two-photon", wavelength_nm=920.0,
                                        source_type="Ti:sapphire laser", power_w=0.9)
    with mb.Session.open(path, safe=safe) as session:
        session.add(mb.SeriesBuilder("B").from_extractor(movie(2)).rig(other_laser).space(space))
        with pytest.raises(mb.ConflictError, match="already holds a device named 'Laser' that differs in power_in_W"):
            session.write()
    assert snapshot(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_failure_mid_append_in_place_keeps_the_previous_content_readable(existing, rig, space, backend, suffix):
    path = existing("legacy", backend, suffix)
    with read(path) as nwbfile:
        before = stored(nwbfile, "legacy", "A")
    session = mb.Session.open(path, safe=False).add(mb.SeriesBuilder("B").from_extractor(failing_movie(2)).rig(rig).space(space))
    with pytest.raises(OSError, match="No space left") as raised:
        session.write(buffer_bytes=20 * 24 * 2 * 10)
    assert any("in-place append failed" in note and "was removed" for note in raised.value.__notes__)
    with read(path) as nwbfile:  # readable, everything it held intact, nothing of the failed append
        np.testing.assert_array_equal(stored(nwbfile, "legacy", "A"), before)
        assert nwbfile.acquisition["A"].rate == 30.0 and "Bergamo" in nwbfile.devices
        assert list(nwbfile.acquisition) == ["A"]
    with mb.Session.open(path, safe=False) as again:  # the same series can be appended again: no conflict loop
        again.add(mb.SeriesBuilder("B").from_extractor(movie(2)).rig(rig).space(space)).write()
    with read(path) as nwbfile:
        np.testing.assert_array_equal(stored(nwbfile, "legacy", "B"), movie(2).get_series())


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_failure_mid_safe_append_leaves_the_file_byte_for_byte(existing, rig, space, backend, suffix):
    path = existing("ndx-microscopy", backend, suffix)
    before = snapshot(path)
    session = mb.Session.open(path, safe=True).add(mb.SeriesBuilder("B").from_extractor(failing_movie(2)).rig(rig).space(space))
    with pytest.raises(OSError, match="No space left"):
        session.write(buffer_bytes=20 * 24 * 2 * 10)
    assert snapshot(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # the copy is gone


def test_safe_append_writes_the_same_result(existing, rig, space):
    path = existing("ndx-microscopy", "hdf5", "nwb")
    mb.Session.open(path, safe=True).add(mb.SeriesBuilder("B").from_extractor(movie(2)).rig(rig).space(space)).write()
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["A", "B"]
        np.testing.assert_array_equal(nwbfile.acquisition["B"].data[:], movie(2).get_series())
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_format_can_be_overridden_and_names_in_the_file_are_refused(existing, rig, space):
    path = existing("legacy", "hdf5", "nwb")
    with mb.Session.open(path, format="ndx-microscopy", mix_formats=True) as session:
        assert session.format == "ndx-microscopy"
    with mb.Session.open(path) as session:
        with pytest.raises(mb.ConflictError, match="already holds an object named 'A'"):
            session.add(mb.SeriesBuilder("A").from_extractor(movie(3)).rig(rig).space(space))


def test_open_and_write_arguments_are_checked(tmp_path, existing, rig, space):
    with pytest.raises(mb.ValidationError, match="does not exist"):
        mb.Session.open(tmp_path / "missing.nwb")
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"not an NWB file")
    with pytest.raises(mb.ValidationError, match="cannot be read as an NWB file"):
        mb.Session.open(garbage)
    path = existing("legacy", "hdf5", "nwb")
    session = mb.Session.open(path).add(mb.SeriesBuilder("B").from_extractor(movie(2)).rig(rig).space(space))
    with pytest.raises(mb.ValidationError, match="saves there"):
        session.write(tmp_path / "elsewhere.nwb")
    session.write()
    with pytest.raises(mb.ValidationError, match="already saved or closed"):
        session.write()
    with pytest.raises(mb.ValidationError, match="path: required"):
        new_session().write()
