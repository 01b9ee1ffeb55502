"""mb.UNKNOWN: a value nobody knows is written as NWB's visible placeholder, reported, never invented."""

from __future__ import annotations

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import yaml

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, make_imaging, new_session, read


def rig_with_gaps() -> mb.RigBuilder:
    return (mb.RigBuilder("Scope").microscope(manufacturer=mb.UNKNOWN, model="Homebuilt")
            .excitation_source("Laser", manufacturer="Coherent", excitation_mode="two-photon", source_type="laser",
                               wavelength_nm=mb.UNKNOWN)
            .objective_lens("Objective", manufacturer="Nikon", numerical_aperture=mb.UNKNOWN, magnification=16.0)
            .channel("Green", emission_wavelength_nm=525.0, indicator=mb.UNKNOWN))


def space_with_gaps(geometry="planar") -> mb.ImagingSpaceBuilder:
    space = mb.ImagingSpaceBuilder("FOV").anatomical_target("VISp").line_scan(line_rate_hz=mb.UNKNOWN)
    return space.planar(pixel_size_um=mb.UNKNOWN) if geometry == "planar" else space.volumetric(voxel_size_um=mb.UNKNOWN)


EXPECTED = {  # (object path, field) of every explicit unknown above
    ("rig 'Scope'.microscope", "manufacturer"), ("rig 'Scope'.excitation_source", "wavelength_nm"),
    ("rig 'Scope'.objective_lens", "numerical_aperture"), ("rig 'Scope'.channels['Green']", "excitation_wavelength_nm"),
    ("space 'FOV'", "pixel_size_um"), ("space 'FOV'.illumination", "line_rate_hz"),
}


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_explicit_unknowns_are_written_as_placeholders_and_reported(tmp_path, format, backend, suffix):
    session = new_session(format).add(mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(rig_with_gaps()).space(space_with_gaps()))
    report = session.validate()
    assert report.ok, str(report)  # only explicit unknowns: fine, with warnings
    warned = {(p.where.rsplit(".", 1)[0], p.where.rsplit(".", 1)[1]) for p in report.warnings if "mb.UNKNOWN" in p.message}
    assert EXPECTED <= warned
    with pytest.warns(mb.PlaceholderWarning, match="given as mb.UNKNOWN"):
        path = session.write(tmp_path / f"gaps.{suffix}", backend=backend)
    given = {(p.object_path, p.field) for p in session.placeholders if p.given_unknown}
    assert EXPECTED <= given
    assert any("indicator" in f"{p.object_path}.{p.field}" for p in session.placeholders)  # its indicator
    with read(path) as nwbfile:
        if format == "ndx-microscopy":
            series = nwbfile.acquisition["S"]
            assert np.isnan(series.planar_imaging_space.pixel_size_in_um[:]).all()
            assert len(series.planar_imaging_space.pixel_size_in_um[:]) == 2  # a lone UNKNOWN stands for the pair
            assert math.isnan(series.microscopy_channel.excitation_wavelength_in_nm)
            assert series.microscopy_channel.indicator.label == "unknown"
            assert math.isnan(nwbfile.device_models["ObjectiveModel"].numerical_aperture)
            assert math.isnan(series.planar_imaging_space.illumination_pattern.line_rate_in_Hz)
        else:
            plane = nwbfile.imaging_planes["FOV"]
            assert np.isnan(plane.grid_spacing[:]).all() and len(plane.grid_spacing[:]) == 2
            assert math.isnan(plane.excitation_lambda) and plane.indicator == "unknown"
            assert "unknown" in plane.optical_channel[0].description
        assert nwbfile.device_models["Homebuilt"].manufacturer == "unknown"


@pytest.mark.parametrize("format", FORMATS)
def test_an_unknown_voxel_size_stands_for_all_three(tmp_path, format):
    from .test_volumetric import volumetric_imaging

    session = new_session(format).add(mb.SeriesBuilder("V").from_extractor(volumetric_imaging()).rig(rig_with_gaps())
                                      .space(space_with_gaps("volumetric")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = session.write(tmp_path / "volume.nwb")
    with read(path) as nwbfile:
        series = nwbfile.acquisition["V"]
        sizes = series.volumetric_imaging_space.voxel_size_in_um[:] if format == "ndx-microscopy" else series.imaging_plane.grid_spacing[:]
        assert len(sizes) == 3 and np.isnan(sizes).all()


def test_one_unknown_item_of_a_pair(tmp_path):
    space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.2, mb.UNKNOWN)).anatomical_target("VISp").line_scan()
    session = new_session().add(mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(rig_with_gaps()).space(space))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = session.write(tmp_path / "half.nwb")
    with read(path) as nwbfile:
        sizes = nwbfile.acquisition["S"].planar_imaging_space.pixel_size_in_um[:]
        assert sizes[0] == 1.2 and math.isnan(sizes[1])


def test_leaving_a_required_field_out_stays_an_error_that_offers_unknown(rig):
    space = mb.ImagingSpaceBuilder("FOV").anatomical_target("VISp").line_scan()
    with pytest.raises(mb.ValidationError, match=r"pixel_size_um: required; .*or give mb.UNKNOWN"):
        space.build()
    with pytest.raises(mb.ValidationError, match=r"emission_wavelength_nm: required; give the wavelength in nanometres, or mb.UNKNOWN"):
        mb.RigBuilder("R").microscope(model="x").channel("Green", excitation_wavelength_nm=920.0).build()


def test_unknown_is_one_value_everywhere():
    assert pickle.loads(pickle.dumps(mb.UNKNOWN)) is mb.UNKNOWN and copy.deepcopy(mb.UNKNOWN) is mb.UNKNOWN
    assert repr(mb.UNKNOWN) == "mb.UNKNOWN"
    assert rig_with_gaps().build() == rig_with_gaps().build()  # equal descriptions dedupe as before


def test_unknown_in_a_session_file_is_the_text_unknown(tmp_path):
    from microscopy_builder.session_file import load_session_file

    np.save(tmp_path / "movie.npy", np.zeros((20, 12, 17, 1), dtype="uint16"))
    (tmp_path / "session.yaml").write_text(yaml.safe_dump({
        "session": {"session_description": "gaps", "session_start_time": "2026-01-05T09:30:00-05:00"},
        "rigs": {"Scope": {"microscope": {"manufacturer": "UNKNOWN", "model": "Homebuilt"},
                           "channels": [{"name": "Green", "excitation_wavelength_nm": "UNKNOWN", "emission_wavelength_nm": 525.0,
                                         "indicator": "UNKNOWN"}]}},
        "spaces": {"FOV": {"planar": {"pixel_size_um": "UNKNOWN"}, "anatomical_target": "VISp", "line_scan": {}}},
        "series": {"S": {"extractor": {"NumpyImagingExtractor": {"timeseries": "movie.npy", "sampling_frequency": 30.0}},
                         "rig": "Scope", "space": "FOV"}},
    }))
    session = load_session_file(tmp_path / "session.yaml")
    assert session.validate().ok
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = session.write(tmp_path / "gaps.nwb")
    with read(path) as nwbfile:
        series = nwbfile.acquisition["S"]
        assert math.isnan(series.microscopy_channel.excitation_wavelength_in_nm)
        assert np.isnan(series.planar_imaging_space.pixel_size_in_um[:]).all()
        assert series.microscopy_channel.indicator.label == "unknown"
    assert mb.RigBuilder.from_dict("Scope", rig_with_gaps().to_dict()).build() == rig_with_gaps().build()
    assert rig_with_gaps().to_dict()["objective_lens"]["numerical_aperture"] == "UNKNOWN"
