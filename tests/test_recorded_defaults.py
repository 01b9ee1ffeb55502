"""What the acquisition files record, as defaults: ``from_source`` on rigs and spaces, ``from_extractor`` on
series; a value given wins, and one the header contradicts is a ``validate()`` warning naming both values
and the header key; the whole header reaches the file, in both formats and both backends."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from roiextractors import NumpyImagingExtractor, ScanImageImagingExtractor, TiffImagingExtractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, new_session, read, series_named
from .test_source_metadata import SUITE2P, THOR_XML, needs_suite2p, needs_thor
from .vendor_files import write_scanimage, write_scanimage3

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


def channel_rig(name: str = "Channel 1", **given) -> mb.RigBuilder:
    return (mb.RigBuilder("Rig").microscope(manufacturer="Acme")
            .channel(name, excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s", **given))


def header_of(comments: str) -> dict:
    """The JSON on the comments' last line, after the line that introduces it."""
    *before, intro, text = comments.split("\n")
    assert intro.startswith("Acquisition header (") and intro.endswith("as JSON on the next line:"), intro
    return json.loads(text)


def warnings_of(session: mb.Session) -> list[str]:
    return [str(p) for p in session.validate().warnings if "acquisition header" in p.message]


# -- rig and space from a real header -------------------------------------------------------------------------
@needs_thor
def test_rig_and_space_from_the_real_thorimage_header_fill_what_was_not_given():
    facts = mb.source_metadata(THOR_XML)
    rig = channel_rig("ChanC").from_source(facts).build()
    (objective,) = rig.devices_in("objective_lens")
    assert (objective.model, objective.magnification, objective.numerical_aperture) == ("16X Nikon", 14.2, None)
    (laser,) = rig.devices_in("excitation_source")
    assert laser.excitation_mode == "two-photon" and "20 %" in laser.description and "Pockels" in laser.description
    (pmt,) = rig.devices_in("photodetector")
    assert (pmt.gain, pmt.detector_type) == (50.0, "PMT")
    space = mb.ImagingSpaceBuilder("S").from_source(facts).anatomical_target("VISp2/3").build()
    assert space.geometry == "planar" and space.pixel_size_um == (0.138, 0.138)
    assert space.dimensions == (facts.frame_shape.value[1], facts.frame_shape.value[0])


@needs_thor
def test_values_given_before_or_after_from_source_win_and_a_contradiction_is_a_warning_naming_both(imaging_thor):
    facts = mb.source_metadata(THOR_XML)
    before = channel_rig("ChanC").objective_lens("Obj", magnification=16.0, numerical_aperture=0.8).from_source(facts)
    after = channel_rig("ChanC").from_source(facts).objective_lens("Objective", magnification=16.0,
                                                                   numerical_aperture=0.8)
    for rig in (before, after):
        (objective,) = rig.build().devices_in("objective_lens")
        assert (objective.magnification, objective.numerical_aperture) == (16.0, 0.8)
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(0.2, 0.2)).anatomical_target("VISp2/3").from_source(facts)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging_thor).rig(before).space(space)
    session = new_session().add(series)
    found = warnings_of(session)
    assert any("objective_lens 'Obj'.magnification: 16 given" in w and "records 14.2" in w
               and "Experiment.xml Magnification/@mag" in w for w in found), found
    assert any("pixel_size_um: (0.2, 0.2) um given" in w and "(0.138, 0.138) um" in w
               and "Experiment.xml LSM/@pixelSizeUM" in w for w in found), found
    agreeing = channel_rig("ChanC").objective_lens("Obj", magnification=14.2).from_source(facts)
    quiet = new_session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging_thor).rig(agreeing)
                              .space(mb.ImagingSpaceBuilder("S").from_source(facts).anatomical_target("VISp2/3")))
    assert warnings_of(quiet) == []


@pytest.fixture
def imaging_thor():
    """A movie of the real header's frame shape would be large; the checks here need no shape match."""
    rows, columns = mb.source_metadata(THOR_XML).frame_shape.value
    return NumpyImagingExtractor(np.zeros((2, rows, columns, 1), "uint16"), sampling_frequency=22.279)


def test_from_source_refuses_anything_but_source_metadata():
    with pytest.raises(mb.ValidationError, match="give an mb.SourceMetadata"):
        mb.RigBuilder("R").from_source({"frameRate": 30})


# -- series defaults ---------------------------------------------------------------------------------------
def test_an_extractor_without_a_rate_takes_the_headers_rate_and_a_rate_given_wins(tmp_path):
    path = tmp_path / "si3.tif"
    write_scanimage3(path)
    extractor = TiffImagingExtractor(path, sampling_frequency=None)
    assert extractor.get_sampling_frequency() is None
    header = mb.source_metadata(path).frame_rate_hz
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp2/3")
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(extractor).rig(channel_rig()).space(space)
    assert series.build().rate == header.value == 3.90625
    session = new_session("legacy").add(series)
    assert warnings_of(session) == []
    with read(session.write(tmp_path / "si3.nwb", progress=False)) as nwbfile:
        assert series_named(nwbfile, "TwoPhotonSeries").rate == 3.90625
    given = series.rate(10.0)
    assert given.build().rate == 10.0
    warnings = warnings_of(new_session().add(given))
    assert warnings == [f"series 'TwoPhotonSeries'.rate: 10 Hz given, but the acquisition header records 3.90625 Hz "
                        f"({header.key}); the given value is written"]


def test_an_extractor_without_a_rate_or_a_header_is_a_clear_error_not_a_crash(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((4, 5, 6), "uint16"))  # no header records a rate
    extractor = TiffImagingExtractor(tmp_path / "plain.tif", sampling_frequency=None)
    assert extractor.get_sampling_frequency() is None and mb.source_metadata(extractor).frame_rate_hz is None
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1.0, 1.0))
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(extractor).rig(channel_rig()).space(space)
    with pytest.raises(mb.ValidationError, match=r"no usable sampling rate \(None\); give .rate\(hz\) or .timestamps"):
        series.build()
    assert series.rate(5.0).build().rate == 5.0


def test_the_channel_the_header_saved_is_the_series_channel_on_a_rig_with_several(tmp_path):
    path = tmp_path / "session_00001_00001.tif"
    write_scanimage(path, save="2")
    rig = channel_rig("Channel 1").channel("Channel 2", excitation_wavelength_nm=920.0, emission_wavelength_nm=610.0,
                                           indicator="jRGECO1a")
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1.0, 1.0))
    series = mb.SeriesBuilder("S").from_extractor(ScanImageImagingExtractor(file_path=path)).rig(rig).space(space)
    assert series.build().channel == "Channel 2"
    assert series.channel("Channel 1").build().channel == "Channel 1"


# -- the header is kept --------------------------------------------------------------------------------------
@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_the_whole_header_is_in_the_series_comments_and_adds_no_inspector_message(tmp_path, format, backend, suffix):
    from nwbinspector import inspect_nwbfile_object

    path = tmp_path / "session_00001_00001.tif"
    write_scanimage(path)
    raw = mb.source_metadata(path).raw
    assert raw and any(key.startswith("SI.") for key in _keys(raw))
    written = {}
    for name, keep in (("with", True), ("without", False)):
        extractor = ScanImageImagingExtractor(file_path=path)
        series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(extractor).comments("Session one.")
        if not keep:  # the same movie with no header: a NumpyImagingExtractor of its frames
            series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(NumpyImagingExtractor(
                extractor.get_series()[..., None], sampling_frequency=extractor.get_sampling_frequency())).comments("Session one.")
        space = mb.ImagingSpaceBuilder("S").from_source(mb.source_metadata(path)).anatomical_target("VISp2/3")
        session = new_session(format).add(series.rig(channel_rig()).space(space).rate(30.0))
        written[name] = session.write(tmp_path / f"{name}.{suffix}", backend=backend, progress=False)
    messages = {}
    for name, target in written.items():
        with read(target) as nwbfile:
            comments = series_named(nwbfile, "TwoPhotonSeries").comments
            messages[name] = {(m.check_function_name, m.importance.name) for m in inspect_nwbfile_object(nwbfile)}
            series = series_named(nwbfile, "TwoPhotonSeries")
            if format == "legacy":  # the stage position is the origin; ndx-microscopy says it in the space's text
                assert list(series.imaging_plane.origin_coords[:]) == [0.0, -10.0, -8895.207]
                assert series.imaging_plane.origin_coords_unit == "micrometers"
            else:
                assert "(0.0, -10.0, -8895.207) micrometers" in series.planar_imaging_space.description
            if name == "with":
                assert comments.split("\n")[0] == "Session one."
                assert header_of(comments) == raw
            else:
                assert comments == "Session one."
    assert messages["with"] == messages["without"]


def _keys(node, found=None):
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            _keys(value, found)
    return found


@needs_thor
def test_a_header_too_large_to_keep_is_named_in_the_comments_not_dropped_silently(monkeypatch):
    from microscopy_builder.builders import recorded

    facts = mb.source_metadata(THOR_XML)
    assert header_of(recorded.header_comments(None, facts)) == facts.raw
    monkeypatch.setattr(recorded, "MAX_HEADER_CHARS", 100)
    text = recorded.header_comments("Mine.", facts)
    assert text.startswith("Mine.\nAcquisition header (ThorImageLS; Experiment.xml): not stored, its ")
    assert "more than the 100 kept" in text


def test_a_two_channel_header_gives_each_channel_its_own_detector_and_gain(tmp_path):
    path = tmp_path / "session_00001_00001.tif"
    write_scanimage(path, samples=4, save="[1;2]")
    facts = mb.source_metadata(path)
    gains = {d.channel: d.gain.value for d in facts.detectors}
    assert gains == {"Channel 1": 0.62, "Channel 2": 0.55}
    rig = channel_rig("Channel 1").channel("Channel 2", excitation_wavelength_nm=920.0, emission_wavelength_nm=610.0,
                                           indicator="jRGECO1a")
    built = rig.from_source(facts).build()
    assert {c.name: built.path(c)["photodetector"].gain for c in built.channels} == gains
    assert [d.name for d in built.devices_in("photodetector")] == ["PMT_Channel_1", "PMT_Channel_2"]
    own = (rig.photodetector("Mine", detector_type="GaAsP PMT", gain=0.7).photodetector("Other", detector_type="PMT")
           .channel("Channel 1", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s",
                    photodetector="Mine")
           .channel("Channel 2", excitation_wavelength_nm=920.0, emission_wavelength_nm=610.0, indicator="jRGECO1a",
                    photodetector="Other").from_source(facts))
    spec = own.build()
    assert {d.name: d.gain for d in spec.devices_in("photodetector")} == {"Mine": 0.7, "Other": 0.55}
    from microscopy_builder.specs.header_notes import header_disagreements

    assert header_disagreements(spec) == (
        "rig 'Rig'.photodetector 'Mine'.gain: 0.7 given, but the acquisition header records 0.62 "
        f"({next(d.gain.key for d in facts.detectors if d.channel == 'Channel 1')}); the given value is written",)


@needs_suite2p
@pytest.mark.parametrize("format,backend,suffix", [("ndx-microscopy", "hdf5", "nwb"), ("legacy", "zarr", "nwb.zarr")])
def test_the_real_suite2p_ops_is_kept_with_the_segmentations_raw_traces(tmp_path, format, backend, suffix):
    from roiextractors import Suite2pSegmentationExtractor

    extractor = Suite2pSegmentationExtractor(folder_path=str(SUITE2P))
    raw = mb.source_metadata(extractor).raw
    assert {"fs", "nplanes", "filelist"} <= set(raw)
    rows, columns = extractor.get_frame_shape()
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1.0, 1.0), dimensions_in_pixels=(columns, rows))
    segmentation = (mb.SegmentationBuilder("PlaneSegmentation").from_extractor(extractor).space(space.anatomical_target("VISp2/3"))
                    .rig(channel_rig()).trace("raw", description="Suite2p F.", comments="Cells of trial A."))
    written = new_session(format).add(segmentation).write(tmp_path / f"s2p.{suffix}", backend=backend, progress=False)
    with read(written) as nwbfile:
        traces = [o for o in nwbfile.objects.values() if type(o).__name__.endswith("ResponseSeries")]
        kept = [t for t in traces if "Acquisition header" in (t.comments or "")]
        assert len(kept) == 1 and kept[0].description == "Suite2p F."
        assert kept[0].comments.split("\n")[0] == "Cells of trial A." and header_of(kept[0].comments) == raw
