"""``mb.read``: a file of either layout as the builders a person would have written, keyed by the file's names."""

from __future__ import annotations

import hashlib
import warnings

import attrs
import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile

import microscopy_builder as mb

from .conftest import START, new_session, read
from .test_every_field import maximal_rig, maximal_session, maximal_space
from .translation_cases import CASES, movie, plane


def written(tmp_path, format: str, *items, name: str = "session", backend: str = "hdf5") -> object:
    session = new_session(format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item in items:
            session.add(item)
        suffix = "nwb" if backend == "hdf5" else "nwb.zarr"
        return session.write(tmp_path / f"{name}_{format}.{suffix}", backend=backend)


@pytest.fixture(scope="module")
def maximal_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maximal")
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for format in ("ndx-microscopy", "legacy"):
            paths[format] = maximal_session(format, maximal_rig()).write(folder / f"full_{format}.nwb")
    return paths


def quiet_read(path) -> mb.Recording:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mb.PlaceholderWarning)
        return mb.read(path)


def test_an_ndx_microscopy_file_gives_back_the_builders_that_wrote_it(maximal_files):
    with quiet_read(maximal_files["ndx-microscopy"]) as recording:
        assert recording.format == "ndx-microscopy"
        assert (list(recording.rigs), list(recording.series), list(recording.segmentations), list(recording.static_images)) \
            == (["Full"], ["TwoPhotonSeries"], ["PlaneSegmentation"], ["ZStack"])
        assert sorted(recording.spaces) == ["FOV", "Volume"]
        rig = recording.rigs["Full"].build()
        expected = maximal_rig().build()
        # model names become NWB object names, where "/" is not allowed: what the file holds is the safe name
        safe = tuple((slot, attrs.evolve(d, model_name=d.model_name.replace("/", "_"))) for slot, d in expected.optics)
        assert rig == attrs.evolve(expected, optics=safe)
        # dimensions are the data's (the file holds them; the builders take them from the data)
        assert recording.spaces["FOV"].build() == attrs.evolve(maximal_space().build(), dimensions=None)
        assert recording.spaces["Volume"].build() == attrs.evolve(maximal_space("volumetric").build(), dimensions=None)
        series = recording.series["TwoPhotonSeries"].build()
        assert (series.rig.name, series.channel, series.space.name, series.location) == ("Full", "Green", "FOV", "acquisition")
        assert (series.description, series.unit, series.conversion, series.offset) == ("The movie.", "photons", 0.5, 1.0)
        assert (series.rate, series.starting_time, series.timestamps) == (30.0, 0.5, None)
        options = series.options
        assert (options.resolution, options.comments, options.continuity, options.control_description) == (
            0.25, "Recorded awake.", "continuous", ("rest", "stimulus"))
        np.testing.assert_array_equal(options.control, np.arange(40) % 2)
        segmentation = recording.segmentations["PlaneSegmentation"].build()
        assert segmentation.series.name == "TwoPhotonSeries" and segmentation.description == "ROIs."
        assert {t.kind: (t.unit, t.conversion, t.offset, t.options.comments) for t in segmentation.trace_overrides} == {
            "raw": ("a.u.", 2.0, 0.5, "raw comments"), "dff": ("a.u.", 2.0, 0.5, "dff comments")}
        assert dict(segmentation.image_descriptions) == {"mean": "Mean of the frames."}
        image = recording.static_images["ZStack"].build()
        assert image.data.shape == (12, 17, 3) and image.space.name == "Volume" and image.description == "A z-stack."


def test_a_legacy_file_gives_back_what_its_words_and_fields_hold(maximal_files):
    with quiet_read(maximal_files["legacy"]) as recording:
        assert recording.format == "legacy"
        rig = recording.rigs["Full"].build()
        slots = {slot: device.name for slot, device in rig.devices()}
        assert slots == {"microscope": "Full", "excitation_source": "Laser", "excitation_filter": "Shortpass",
                         "dichroic_mirror": "Dichroic", "photodetector": "PMT", "objective_lens": "Objective",
                         "emission_filter": "GreenFilter"}
        laser = rig.only("excitation_source")
        assert (laser.wavelength_nm, laser.power_w, laser.pulse_rate_hz, laser.wavelength_range_nm, laser.source_type) \
            == (920.0, 0.05, 80e6, (680.0, 1080.0), "Ti:sapphire laser")  # read back from the words written
        assert (rig.only("photodetector").gain, rig.only("photodetector").binning) == (0.7, 2)
        assert rig.description is None and rig.optical_path_scheme is None  # the legacy layout holds neither
        channel = rig.channel("Green")
        assert (channel.excitation_wavelength_nm, channel.emission_wavelength_nm, channel.description) == (
            920.0, 525.0, "Green channel.")
        indicator = channel.indicator
        assert (indicator.label, indicator.description, indicator.manufacturer) == ("GCaMP6s", "Calcium indicator.", "Addgene")
        assert (indicator.injection.construct_name, indicator.injection.volume_ul, indicator.injection.date) == (
            "AAV1-syn-GCaMP6s", 0.2, "2026-01-20")
        space = recording.spaces["FOV"].build()
        assert (space.pixel_size_um, space.anatomical_target, space.description) == ((1.2, 1.5), "VISp", "The field of view.")
        assert space.origin == maximal_space().build().origin
        assert (space.fov_center.x_mm, space.fov_center.origin, space.fov_center.orientation) == (-2.5, "bregma", "RAS")
        assert space.illumination.line_rate_hz == 7910.0


def test_planes_at_depth_come_back_as_planes_of_their_space(tmp_path):
    for format in ("ndx-microscopy", "legacy"):
        path = written(tmp_path, format, *CASES["multi-plane"](format))
        with quiet_read(path) as recording:
            assert sorted(recording.spaces) == ["V1_100um", "V1_150um", "V1_200um"]
            plane = recording.spaces["V1_150um"]
            base = (mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp")
                    .description("Planes of V1 imaged with a tunable lens."))
            if format == "ndx-microscopy":
                base = base.plane_acquisition(plane_rate_hz=10.0)
            assert plane == base.at_depth(150), format


def test_session_fields_make_a_session_as_they_are(tmp_path):
    nwbfile = NWBFile(session_description="a day", identifier="kept-apart", session_start_time=START, session_id="s7",
                      experimenter=["Doe, Jane", "Roe, Rick"], lab="Lab", institution="Institute", keywords=["a", "b"],
                      experiment_description="e", notes="n", pharmacology="p", protocol="pr", surgery="su", virus="v",
                      stimulus_notes="st", data_collection="dc", related_publications=["doi:1"], source_script="x.py",
                      source_script_file_name="x.py", slices="sl")
    session = mb.Session.from_nwbfile(nwbfile, format="legacy")
    session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(CASES["planar"]("legacy")[0].build().source)
                .rig(maximal_rig()).space(maximal_space()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = session.write(tmp_path / "fields.nwb")
    with quiet_read(path) as recording:
        kwargs = recording.session_kwargs
        assert "identifier" not in kwargs
        assert kwargs["experimenter"] == ["Doe, Jane", "Roe, Rick"] and kwargs["keywords"] == ["a", "b"]
        for field in ("session_id", "lab", "institution", "notes", "pharmacology", "protocol", "surgery", "virus",
                      "stimulus_notes", "data_collection", "source_script", "slices", "experiment_description"):
            assert kwargs[field] == getattr(nwbfile, field), field
        again = mb.Session(**kwargs)
        assert again.nwbfile.session_start_time == START and again.nwbfile.identifier != "kept-apart"


def test_the_subject_comes_back_as_a_mapping_a_session_takes(maximal_files):
    with quiet_read(maximal_files["ndx-microscopy"]) as recording:
        assert recording.session_kwargs["subject"] == {"subject_id": "m1", "species": "Mus musculus", "sex": "F",
                                                       "age": "P90D", "description": "test mouse"}
        assert mb.Session(**recording.session_kwargs).nwbfile.subject.species == "Mus musculus"


def test_changed_builders_are_what_is_written(tmp_path, maximal_files):
    with quiet_read(maximal_files["ndx-microscopy"]) as recording:
        corrected = recording.rigs["Full"].channel("Green", excitation_wavelength_nm=930.0, emission_wavelength_nm=525.0,
                                                   indicator="GCaMP6s", description="Green channel.")
        recording.rigs["Full"] = corrected
        recording.series["TwoPhotonSeries"] = recording.series["TwoPhotonSeries"].description("Corrected.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = recording.to_session(format="legacy").write(tmp_path / "corrected.nwb")
    with read(path) as nwbfile:
        assert nwbfile.acquisition["TwoPhotonSeries"].description == "Corrected."
        assert nwbfile.imaging_planes["FOV"].excitation_lambda == 930.0


def test_data_sources_are_extractors_over_the_file_read_only_when_written(tmp_path, maximal_files):
    path = maximal_files["ndx-microscopy"]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    recording = quiet_read(path)
    source = recording.series["TwoPhotonSeries"].build().source
    assert isinstance(source, mb.MicroscopyImagingExtractor) and source.series_path == "acquisition/TwoPhotonSeries"
    rois = recording.segmentations["PlaneSegmentation"].build().source
    assert isinstance(rois, mb.MicroscopySegmentationExtractor)
    with read(path) as nwbfile:
        np.testing.assert_array_equal(source.get_series(0, 2), nwbfile.acquisition["TwoPhotonSeries"].data[:2])
    recording.close()
    with pytest.raises(ValueError, match="closed"):
        source.get_series(0, 1)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # reading never changes the file


def test_what_is_not_optical_physiology_is_reported_when_read(tmp_path):
    from pynwb.base import TimeSeries

    path = written(tmp_path, "legacy", *CASES["planar"]("legacy"))
    with NWBHDF5IO(str(path), "a") as io:
        nwbfile = io.read()
        nwbfile.add_acquisition(TimeSeries(name="Running", data=np.arange(5.0), unit="m/s", rate=10.0))
        io.write(nwbfile)
    with pytest.warns(mb.CompatibilityWarning, match="acquisition/Running"):
        recording = mb.read(path)
    assert any("acquisition/Running (TimeSeries)" in note for note in recording.notes)
    recording.close()


def test_files_of_neither_or_both_layouts_and_files_that_are_not_nwb_are_refused(tmp_path):
    empty = NWBFile(session_description="nothing imaged", identifier="e", session_start_time=START)
    with NWBHDF5IO(str(tmp_path / "empty.nwb"), "w") as io:
        io.write(empty)
    with pytest.raises(mb.ValidationError, match="holds no optical physiology"):
        mb.read(tmp_path / "empty.nwb")
    (tmp_path / "text.nwb").write_text("not HDF5")
    with pytest.raises(mb.ValidationError, match="not an NWB file"):
        mb.read(tmp_path / "text.nwb")
    with pytest.raises(mb.ValidationError, match="does not exist"):
        mb.read(tmp_path / "missing.nwb")
    path = written(tmp_path, "ndx-microscopy", *CASES["planar"]("ndx-microscopy"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mb.Session.open(path, format="legacy", mix_formats=True) as mixed:
            other = mb.RigBuilder("Other").microscope(manufacturer="Scientifica", model="HyperScope").channel(
                "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6f")
            mixed.add(mb.SeriesBuilder("Legacy").from_extractor(movie(frames=40)).rig(other).space(plane("Other")))
            mixed.write()
    with pytest.raises(mb.ValidationError, match="holds both ndx-microscopy and legacy"):
        mb.read(path)
