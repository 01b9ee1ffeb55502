"""Session: dedupe by key, conflicts, adopting a file, and the errors raised before anything is written."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pynwb import NWBFile
from roiextractors import NumpyImagingExtractor

import microscopy_builder as mb

from .conftest import START, make_imaging, new_session, read, series_named


def _two_series(rig, space):
    first = mb.SeriesBuilder("Baseline").from_extractor(make_imaging(seed=1)).rig(rig).space(space)
    second = mb.SeriesBuilder("Stimulus").from_extractor(make_imaging(seed=2)).rig(rig).space(space)
    return first, second


def test_ndx_dedupe_gives_one_of_each_shared_object(tmp_path, rig, space):
    first, second = _two_series(rig, space)
    path = tmp_path / "dedupe.nwb"
    new_session().add(first).add(second).write(path)
    with read(path) as nwbfile:
        a, b = nwbfile.acquisition["Baseline"], nwbfile.acquisition["Stimulus"]
        assert sorted(nwbfile.devices) == ["Bergamo", "GreenFilter", "Laser", "Objective", "PMT"]
        assert len(nwbfile.device_models) == 5
        rigs = nwbfile.lab_meta_data["microscopy_experiment_metadata"].microscopy_rigs
        assert list(rigs) == ["Bergamo"]
        assert a.microscopy_rig.object_id == b.microscopy_rig.object_id
        assert a.planar_imaging_space.object_id == b.planar_imaging_space.object_id
        assert a.microscopy_channel.object_id == b.microscopy_channel.object_id


def test_legacy_dedupe_gives_one_device_and_one_plane(tmp_path, rig, space):
    first, second = _two_series(rig, space)
    path = tmp_path / "dedupe.nwb"
    new_session("legacy").add(first).add(second).write(path)
    with read(path) as nwbfile:
        assert list(nwbfile.imaging_planes) == ["V1_L23"]
        assert nwbfile.acquisition["Baseline"].imaging_plane.object_id == nwbfile.acquisition["Stimulus"].imaging_plane.object_id
        assert sorted(nwbfile.devices) == ["Bergamo", "GreenFilter", "Laser", "Objective", "PMT"]


def test_legacy_gives_one_plane_per_space_rig_and_channel(tmp_path, rig, space):
    two_colour = rig.channel("Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0, indicator="tdTomato")
    green = mb.SeriesBuilder("GreenSeries").from_extractor(make_imaging(seed=1)).rig(two_colour).channel("Green").space(space)
    red = mb.SeriesBuilder("RedSeries").from_extractor(make_imaging(seed=2)).rig(two_colour).channel("Red").space(space)
    path = tmp_path / "planes.nwb"
    session = new_session("legacy").add(green)
    assert list(session.nwbfile.imaging_planes) == ["V1_L23_Green"]  # emitted early: the name must not change
    session.add(red).write(path)
    with read(path) as nwbfile:
        assert sorted(nwbfile.imaging_planes) == ["V1_L23_Green", "V1_L23_Red"]
        assert nwbfile.acquisition["RedSeries"].imaging_plane.indicator == "tdTomato"
        assert nwbfile.acquisition["GreenSeries"].imaging_plane.indicator == "GCaMP6s"
        assert list(nwbfile.devices).count("Bergamo") == 1


def test_one_indicator_object_for_two_channels(tmp_path, rig, space):
    shared = rig.channel("Green2", excitation_wavelength_nm=940.0, emission_wavelength_nm=520.0, indicator="GCaMP6s")
    a = mb.SeriesBuilder("A").from_extractor(make_imaging(seed=1)).rig(shared).channel("Green").space(space)
    b = mb.SeriesBuilder("B").from_extractor(make_imaging(seed=2)).rig(shared).channel("Green2").space(space)
    path = tmp_path / "indicator.nwb"
    new_session().add(a).add(b).write(path)
    with read(path) as nwbfile:
        indicators = nwbfile.lab_meta_data["microscopy_experiment_metadata"].indicators
        assert list(indicators) == ["GCaMP6s"]
        ids = {series_named(nwbfile, n).microscopy_channel.indicator.object_id for n in "AB"}
        assert ids == {indicators["GCaMP6s"].object_id}


def test_same_key_different_content_is_a_conflict_naming_the_fields(rig, space):
    first, _ = _two_series(rig, space)
    changed_rig = rig.excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II",
                                        excitation_mode="two-photon", wavelength_nm=940.0,
                                        source_type="Ti:sapphire laser", power_w=0.05)
    second = mb.SeriesBuilder("Stimulus").from_extractor(make_imaging(seed=2)).rig(changed_rig).space(space)
    session = new_session().add(first)
    with pytest.raises(mb.ConflictError) as error:
        session.add(second)
    assert error.value.kind == "rig" and error.value.key == "Bergamo"
    assert "excitation_source.wavelength_nm" in error.value.fields
    assert "Bergamo" in str(error.value) and "key=" in str(error.value)
    # nothing of the refused series was registered
    assert list(session.nwbfile.acquisition) == ["Baseline"]


def test_space_conflict_and_device_conflict_across_rigs(rig, space, imaging):
    session = new_session().add(mb.SeriesBuilder("A").from_extractor(imaging).rig(rig).space(space))
    other_space = space.anatomical_target("VISl")
    with pytest.raises(mb.ConflictError, match="anatomical_target"):
        session.add(mb.SeriesBuilder("B").from_extractor(imaging).rig(rig).space(other_space))
    other_rig = mb.RigBuilder("Other").microscope(manufacturer="Bruker").photodetector("PMT", detector_type="GaAsP")
    other_rig = other_rig.channel("Green", excitation_wavelength_nm=920, emission_wavelength_nm=525)
    with pytest.raises(mb.ConflictError) as error:
        session.add(other_rig)
    assert (error.value.kind, error.value.key) == ("device", "PMT")


def test_adding_the_identical_thing_twice_is_harmless(tmp_path, rig, space, imaging):
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    session = new_session().add(series).add(series).add(series.build()).add(rig).add(space)
    path = session.write(tmp_path / "twice.nwb")
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["Movie"]


def test_a_second_key_for_a_used_name_is_refused(rig, space, imaging):
    session = new_session().add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space))
    with pytest.raises(mb.ConflictError, match=r"series name .Movie. \(key .movie-2.\) is already used"):
        session.add(mb.SeriesBuilder("Movie", key="movie-2").from_extractor(make_imaging(seed=3)).rig(rig).space(space))


def test_series_of_one_space_must_share_its_pixel_grid(rig, space, imaging):
    session = new_session().add(mb.SeriesBuilder("A").from_extractor(imaging).rig(rig).space(space))
    with pytest.raises(mb.ValidationError, match="one space has one pixel grid"):
        session.add(mb.SeriesBuilder("B").from_extractor(make_imaging(rows=30)).rig(rig).space(space))


def test_a_rig_added_alone_is_emitted(rig):
    nwbfile = new_session().add(rig).nwbfile
    assert "Bergamo" in nwbfile.devices
    assert "Bergamo" in nwbfile.lab_meta_data["microscopy_experiment_metadata"].microscopy_rigs


def test_identifier_is_generated_and_kwargs_pass_through():
    a, b = new_session(), new_session(session_id="s-42")
    assert a.nwbfile.identifier != b.nwbfile.identifier and len(a.nwbfile.identifier) == 36
    assert b.nwbfile.session_id == "s-42" and list(b.nwbfile.experimenter) == ["Doe, Jane"]


def test_from_nwbfile_adopts_an_existing_file(tmp_path, rig, space, imaging):
    nwbfile = NWBFile(session_description="mine", identifier="abc", session_start_time=START)
    session = mb.Session.from_nwbfile(nwbfile, format="legacy")
    assert session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)).nwbfile is nwbfile
    path = session.write(tmp_path / "adopted.nwb")
    with read(path) as reread:
        assert reread.identifier == "abc" and "TwoPhotonSeries" in reread.acquisition


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"session_start_time": dt.datetime(2026, 1, 1)}, "timezone-aware"),
        ({"format": "nwb2"}, "format: must be one of"),
        ({"session_description": ""}, "session_description"),
    ],
)
def test_session_arguments_are_checked(kwargs, fragment):
    arguments = {"session_description": "s", "session_start_time": START, **kwargs}
    with pytest.raises(mb.ValidationError, match=fragment):
        mb.Session(**arguments)


def test_unknown_backend_and_existing_path(tmp_path, rig, space, imaging):
    session = new_session().add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space))
    with pytest.raises(mb.ValidationError, match="backend"):
        session.write(tmp_path / "x.nwb", backend="n5")
    assert not any(tmp_path.iterdir())
    existing = tmp_path / "existing.nwb"
    existing.write_bytes(b"precious")
    with pytest.raises(mb.ValidationError, match="overwrite=True"):
        session.write(existing)
    assert existing.read_bytes() == b"precious"
    with pytest.raises(mb.ValidationError, match="not an NWB file"):  # not ours to replace, even when asked
        session.write(existing, overwrite=True)
    assert existing.read_bytes() == b"precious"
    nwb = session.write(tmp_path / "first.nwb")
    other = new_session().add(mb.SeriesBuilder("Other").from_extractor(imaging).rig(rig).space(space))
    other.write(nwb, overwrite=True)  # an NWB file is replaced when asked
    with read(nwb) as nwbfile:
        assert list(nwbfile.acquisition) == ["Other"]


def test_extractor_that_lies_about_its_shape_fails_before_writing(tmp_path, rig, space):
    movie = np.arange(5 * 4 * 6, dtype="uint16").reshape(5, 4, 6)
    # roiextractors' NumpyImagingExtractor reads a 4-D (frames, rows, columns, channels) array right...
    good = NumpyImagingExtractor(timeseries=movie[..., None], sampling_frequency=10.0)
    path = new_session().add(mb.SeriesBuilder("Good").from_extractor(good).rig(rig).space(space)).write(tmp_path / "good.nwb")
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["Good"].data[:], movie)
    # ...but given a 3-D array it declares (4, 6) frames and returns others: refused, nothing written
    liar = NumpyImagingExtractor(timeseries=movie, sampling_frequency=10.0)
    session = new_session().add(mb.SeriesBuilder("Bad").from_extractor(liar).rig(rig).space(space))
    with pytest.raises(mb.SourceDataError, match=r"declared \(frames, rows, columns\[, planes\]\) = \(1, 4, 6\)"):
        session.write(tmp_path / "bad.nwb")
    assert not (tmp_path / "bad.nwb").exists()


@pytest.mark.parametrize("backend,suffix", [("hdf5", "nwb"), ("zarr", "nwb.zarr")])
def test_failure_mid_stream_leaves_no_file_and_keeps_the_previous_one(tmp_path, rig, space, backend, suffix):
    from roiextractors.testing import MockImagingExtractor

    class FailsLate(MockImagingExtractor):
        def get_series(self, start_sample=None, end_sample=None):
            if start_sample and start_sample >= 100:
                raise OSError("disk unplugged")
            return super().get_series(start_sample, end_sample)

    broken = FailsLate(num_samples=400, num_rows=64, num_columns=64)
    target = tmp_path / f"session.{suffix}"
    with pytest.raises(OSError, match="disk unplugged"):
        new_session().add(mb.SeriesBuilder("Movie").from_extractor(broken).rig(rig).space(space)).write(
            target, backend=backend, buffer_bytes=64 * 64 * 2 * 50
        )
    assert list(tmp_path.iterdir()) == []

    new_session().add(mb.SeriesBuilder("Old").from_extractor(make_imaging()).rig(rig).space(space)).write(target, backend=backend)
    failing = new_session().add(mb.SeriesBuilder("Movie").from_extractor(broken).rig(rig).space(space))
    with pytest.raises(OSError):
        failing.write(target, backend=backend, overwrite=True, buffer_bytes=64 * 64 * 2 * 50)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    with read(target) as nwbfile:
        assert list(nwbfile.acquisition) == ["Old"]
    with pytest.raises(mb.ValidationError, match="failed part-way"):
        failing.write(tmp_path / "again.nwb")


def test_writing_twice_exports_to_another_backend_with_compression(tmp_path, rig, space):
    import h5py
    import zarr

    imaging = make_imaging(rows=64, columns=80, frames=150)  # 1.5 MB: large enough to be streamed
    session = new_session("legacy").add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space))
    first = session.write(tmp_path / "first.nwb", buffer_bytes=256 * 1024)
    second = session.write(tmp_path / "second.nwb.zarr")
    third = session.write(tmp_path / "third.nwb")
    with read(first) as a, read(second) as b, read(third) as c:
        expected = a.acquisition["TwoPhotonSeries"].data[:]
        np.testing.assert_array_equal(b.acquisition["TwoPhotonSeries"].data[:], expected)
        np.testing.assert_array_equal(c.acquisition["TwoPhotonSeries"].data[:], expected)
    assert {p.name for p in (second / "specifications").iterdir() if p.is_dir()} == {"core", "hdmf-common", "hdmf-experimental"}
    stored = zarr.open(str(second / "acquisition" / "TwoPhotonSeries" / "data"), mode="r")
    assert type(stored.compressor).__name__ == "GZip" and stored.chunks[0] < 150
    with h5py.File(third, "r") as file:
        data = file["acquisition/TwoPhotonSeries/data"]
        assert data.compression == "gzip" and data.chunks is not None


def test_anything_added_after_the_first_write_is_refused(tmp_path, rig, space):
    session = new_session().add(mb.SeriesBuilder("A").from_extractor(make_imaging(seed=1)).rig(rig).space(space))
    session.write(tmp_path / "first.nwb")
    session.add(mb.RigBuilder("Other").microscope(manufacturer="Bruker"))
    with pytest.raises(mb.ValidationError, match="rig 'Other'"):
        session.write(tmp_path / "second.nwb")


def test_series_added_after_the_first_write_are_not_silently_dropped(tmp_path, rig, space):
    session = new_session().add(mb.SeriesBuilder("A").from_extractor(make_imaging(seed=1)).rig(rig).space(space))
    session.write(tmp_path / "first.nwb")
    session.add(mb.SeriesBuilder("B").from_extractor(make_imaging(seed=2)).rig(rig).space(space))
    with pytest.raises(mb.ValidationError, match="series 'B' were added after the first write"):
        session.write(tmp_path / "second.nwb")
    assert not (tmp_path / "second.nwb").exists()


def test_placeholder_warnings_point_at_the_callers_line(rig):
    bare = mb.RigBuilder("Bare").microscope(model="Scope X")
    with pytest.warns(mb.PlaceholderWarning) as caught:
        new_session().add(bare).placeholders  # noqa: B018
    assert {w.filename for w in caught} == {__file__}


def test_timestamps_are_copied_so_a_checked_spec_cannot_change(tmp_path, rig, space):
    times = np.array([0.0, 0.1, 0.2, 0.35])
    series = mb.SeriesBuilder("T").from_extractor(make_imaging(frames=4)).rig(rig).space(space).timestamps(times)
    session = new_session().add(series)
    times[:] = [5.0, 1.0, np.nan, -3.0]
    path = session.write(tmp_path / "copied.nwb")
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["T"].timestamps[:], [0.0, 0.1, 0.2, 0.35])


def test_explicit_timestamps_need_no_sampling_rate(tmp_path, rig, space):
    class NoRate(type(make_imaging())):
        def get_sampling_frequency(self):
            return None

    source = NoRate(num_samples=4, num_rows=5, num_columns=6)
    untimed = mb.SeriesBuilder("T").from_extractor(source).rig(rig).space(space)
    with pytest.raises(mb.ValidationError, match="no usable sampling rate"):
        new_session().add(untimed)
    series = untimed.timestamps([0, 0.1, 0.3, 0.35])
    path = new_session().add(series).write(tmp_path / "norate.nwb")
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["T"].timestamps[:], [0, 0.1, 0.3, 0.35])


@pytest.mark.parametrize(
    "change,fragment",
    [
        (lambda r: r.photodetector("PMT/1", detector_type="PMT"), r"photodetector\['PMT/1'\]\.name"),  # a second one
        (lambda r: r.microscope(name="Scope:1", manufacturer="T"), "microscope.name"),
        (lambda r: r.channel("Green/GCaMP", excitation_wavelength_nm=920, emission_wavelength_nm=525), "channels"),
    ],
)
def test_device_and_channel_names_are_checked_at_build(rig, change, fragment):
    with pytest.raises(mb.ValidationError, match=fragment):
        change(rig).build()


def test_builder_errors_name_the_field():
    with pytest.raises(mb.ValidationError, match="unknown field.*wavelength.*wavelength_nm"):
        mb.RigBuilder("R").excitation_source("L", wavelength=920)
    with pytest.raises(mb.ValidationError, match=r"series 'S'.rate: cannot use 'abc'"):
        mb.SeriesBuilder("S").rate("abc").build()
    with pytest.raises(mb.ValidationError, match="pixel_size_um"):
        mb.ImagingSpaceBuilder("S").planar(pixel_size_um=1.2).build()
    with pytest.raises(mb.ValidationError, match="timestamps: must be numbers"):
        mb.SeriesBuilder("S").timestamps(["a"])


def test_device_model_conflict_says_how_to_fix_it(rig, space, imaging):
    home = (
        mb.RigBuilder("Home")
        .microscope(manufacturer="Lab", model="custom")
        .photodetector("PMT", manufacturer="Lab", model="custom", detector_type="PMT")
        .channel("Green", excitation_wavelength_nm=920, emission_wavelength_nm=525)
    )
    session = new_session().add(home)  # a microscope and a PMT of one model text: two models, told apart by kind
    assert sorted(session.nwbfile.device_models) == ["custom", "custom_photodetector"]
    clash = home.photodetector("PMT2", manufacturer="Lab", model="custom", detector_type="HyD")  # same kind, other details
    with pytest.raises(mb.ConflictError, match="two devices of one kind give one model= text") as error:
        new_session().add(clash.channel("Green", excitation_wavelength_nm=920, emission_wavelength_nm=525,
                                        photodetector="PMT"))
    assert error.value.kind == "device model" and "properties" in error.value.fields


def test_a_name_the_adopted_file_already_holds_is_a_conflict(rig, space, imaging):
    from pynwb.device import Device

    nwbfile = NWBFile(session_description="mine", identifier="abc", session_start_time=START)
    nwbfile.add_device(Device(name="Bergamo", description="someone else's"))
    session = mb.Session.from_nwbfile(nwbfile)
    session.add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space))
    # compared with the file's own object when emitted, before anything is written
    with pytest.raises(mb.ConflictError, match=r"already holds a device named 'Bergamo' that differs in \(type\)"):
        session.nwbfile


def test_legacy_keeps_extension_namespaces_the_adopted_file_uses(tmp_path, rig, space, imaging):
    import subprocess
    import sys

    import ndx_ophys_devices

    nwbfile = NWBFile(session_description="mine", identifier="abc", session_start_time=START)
    nwbfile.add_device(ndx_ophys_devices.ExcitationSource(name="OptoLaser", description="stimulation laser"))
    path = mb.Session.from_nwbfile(nwbfile, format="legacy").add(
        mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)
    ).write(tmp_path / "ext.nwb")
    # a fresh process, with no extension imported, must still read it
    check = "import pynwb, sys; f = pynwb.read_nwb(sys.argv[1]); print(type(f.devices['OptoLaser']).__name__)"
    result = subprocess.run([sys.executable, "-c", check, str(path)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "ExcitationSource"
