"""A nested builder's failure is reported once: the builder holding it adds no false follow-on errors
(issue 12(b)): a series whose rig fails does not also hear "series.rig: required" or "series.channel: required"."""

from __future__ import annotations

import numpy as np
import pytest
from roiextractors.testing import generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import make_imaging, new_session

WAVELENGTH = "rig 'R'.channels['G'].excitation_wavelength_nm: required"


def _rig_without_excitation() -> mb.RigBuilder:
    return mb.RigBuilder("R").microscope(manufacturer="Thorlabs", model="Bergamo II").channel("G", emission_wavelength_nm=525.0)


def _space() -> mb.ImagingSpaceBuilder:
    return mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0))


def _series(rig: mb.RigBuilder) -> mb.SeriesBuilder:
    return mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(rig).space(_space())


def _only_the_rig_problem(error: mb.ValidationError, where: str) -> None:
    assert len(error.problems) == 1, error.problems
    assert error.problems[0].startswith(where) and error.problems[0].endswith(
        WAVELENGTH + "; give the wavelength in nanometres, or mb.UNKNOWN"), error.problems


def test_a_series_whose_rig_fails_reports_the_rig_problem_only():
    with pytest.raises(mb.ValidationError) as error:
        _series(_rig_without_excitation()).build()
    _only_the_rig_problem(error.value, "series 'S'.rig -> ")


def test_a_session_adding_that_series_reports_the_rig_problem_only():
    with pytest.raises(mb.ValidationError) as error:
        new_session().add(_series(_rig_without_excitation()))
    _only_the_rig_problem(error.value, "series 'S'.rig -> ")


def test_a_segmentation_whose_series_fails_does_not_also_miss_its_space():
    source = generate_dummy_segmentation_extractor(num_rows=12, num_columns=17, num_samples=40)
    with pytest.raises(mb.ValidationError) as error:
        mb.SegmentationBuilder("P").from_extractor(source).series(_series(_rig_without_excitation())).build()
    _only_the_rig_problem(error.value, "segmentation 'P'.series -> series 'S'.rig -> ")


def test_a_static_image_whose_rig_fails_reports_the_rig_problem_only():
    image = mb.StaticImageBuilder("I").from_array(np.zeros((12, 17), dtype="uint16")).space(_space())
    with pytest.raises(mb.ValidationError) as error:
        image.rig(_rig_without_excitation()).build()
    _only_the_rig_problem(error.value, "static image 'I'.rig -> ")


def test_problems_of_the_holder_itself_are_still_reported_beside_the_nested_ones():
    series = mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(_rig_without_excitation())  # and no space
    with pytest.raises(mb.ValidationError) as error:
        series.build()
    assert any(p.startswith("series 'S'.rig -> " + WAVELENGTH) for p in error.value.problems)
    assert any(p.startswith("series 'S'.space: required") for p in error.value.problems), error.value.problems
    assert not any(p.startswith(("series 'S'.rig:", "series 'S'.channel:")) for p in error.value.problems)


def test_a_rig_that_builds_but_lacks_the_named_channel_is_still_reported():
    rig = _rig_without_excitation().channel("G", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0)
    with pytest.raises(mb.ValidationError, match=r"series 'S'\.channel"):
        _series(rig).channel("Red").build()
