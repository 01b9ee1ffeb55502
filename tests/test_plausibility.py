"""Values in the wrong unit are validate() warnings naming the field and the likely slip; legacy imaging
planes carry a rate only when everything on them shares it."""

from __future__ import annotations

import pytest

import microscopy_builder as mb

from .conftest import make_imaging, new_session, read


def session_with(rig=None, space=None, imaging=None, series=lambda s: s):
    rig = rig or mb.RigBuilder("R").microscope(manufacturer="M", model="X").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = space or mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1.2, 1.2)).anatomical_target("VISp").line_scan()
    built = series(mb.SeriesBuilder("T").from_extractor(imaging or make_imaging()).rig(rig).space(space))
    return new_session().add(built)


def unlikely(session):
    report = session.validate()
    assert report.ok  # a warning, never an error
    return [str(p) for p in report.warnings if "check the unit" in p.message]


def laser(**fields):
    return mb.RigBuilder("R").microscope(manufacturer="M", model="X").excitation_source(
        "Laser", manufacturer="C", excitation_mode="two-photon", source_type="laser", **fields).channel(
        "Green", emission_wavelength_nm=525.0, indicator="GCaMP6s")


@pytest.mark.parametrize("make,field,slip", [
    (lambda: session_with(rig=laser(wavelength_nm=9.2e-7)), "excitation_source.wavelength_nm", "9.2e-07 m would be 920 nm"),
    (lambda: session_with(rig=laser(wavelength_nm=0.92)), "excitation_source.wavelength_nm", "0.92 um would be 920 nm"),
    (lambda: session_with(rig=laser(wavelength_nm=920.0, power_w=45.0)), "excitation_source.power_w", "45 mW would be 0.045 W"),
    (lambda: session_with(space=mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1.2e-6, 1.2e-6)).line_scan()),
     "space 'S'.pixel_size_um", "1.2e-06 m would be 1.2 um"),
    (lambda: session_with(space=mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1, 1)).line_scan(line_rate_hz=7.9e6)),
     "illumination.line_rate_hz", "outside the range"),
    (lambda: session_with(imaging=make_imaging(rate=30000.0)), "sampling frequency", "30000 mHz would be 30 Hz"),
    (lambda: session_with(series=lambda s: s.rate(30000.0)), "series 'T'.rate", "30000 mHz would be 30 Hz"),
    (lambda: session_with(rig=laser(wavelength_nm=920.0).objective_lens("O", manufacturer="N", numerical_aperture=16.0)),
     "objective_lens.numerical_aperture", "outside the range such values take (0-1.7)"),
])
def test_a_value_in_the_wrong_unit_is_a_warning_naming_the_field_and_the_slip(make, field, slip):
    found = unlikely(make())
    assert any(field in w and slip in w for w in found), found


def test_plausible_values_raise_no_warning(rig, space):
    session = new_session().add(mb.SeriesBuilder("T").from_extractor(make_imaging()).rig(rig).space(space))
    assert unlikely(session) == []


def test_unknowns_are_not_judged():
    assert unlikely(session_with(rig=laser(wavelength_nm=mb.UNKNOWN, power_w=mb.UNKNOWN))) == []


def test_legacy_planes_shared_by_series_of_different_rates_leave_the_rate_to_the_series(tmp_path, rig, space):
    session = new_session("legacy")
    session.add(mb.SeriesBuilder("Fast").from_extractor(make_imaging(rate=30.0)).rig(rig).space(space))
    session.add(mb.SeriesBuilder("Slow").from_extractor(make_imaging(rate=15.0, seed=1)).rig(rig).space(space))
    with read(session.write(tmp_path / "rates.nwb")) as nwbfile:
        assert list(nwbfile.imaging_planes) == ["V1_L23"]
        assert nwbfile.imaging_planes["V1_L23"].imaging_rate is None
        assert nwbfile.acquisition["Fast"].rate == 30.0 and nwbfile.acquisition["Slow"].rate == 15.0
    same = new_session("legacy")
    same.add(mb.SeriesBuilder("A").from_extractor(make_imaging(rate=30.0)).rig(rig).space(space))
    same.add(mb.SeriesBuilder("B").from_extractor(make_imaging(rate=30.0, seed=1)).rig(rig).space(space))
    with read(same.write(tmp_path / "same.nwb")) as nwbfile:
        assert nwbfile.imaging_planes["V1_L23"].imaging_rate == 30.0
    with mb.Session.open(tmp_path / "same.nwb") as appended:  # a later series of another rate reuses the file's plane
        appended.add(mb.SeriesBuilder("C").from_extractor(make_imaging(rate=10.0, seed=2)).rig(rig).space(space)).write()
    with read(tmp_path / "same.nwb") as nwbfile:
        assert list(nwbfile.imaging_planes) == ["V1_L23"] and nwbfile.acquisition["C"].rate == 10.0
