"""Behaviour a second reading found untested or missing: each case writes a real file and reads it back."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from roiextractors import NumpySegmentationExtractor, NwbSegmentationExtractor
from roiextractors.segmentationextractor import _RoiResponse
from roiextractors.testing import generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, make_imaging, new_session, read

ROWS, COLUMNS, FRAMES = 12, 17, 40


@pytest.fixture
def series(rig, space):
    return mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES)).rig(rig).space(space)


def segmentation_without_rate(**kwargs) -> NumpySegmentationExtractor:
    """What a folder of masks and traces with no timing information gives."""
    rng = np.random.default_rng(5)
    masks = np.zeros((ROWS, COLUMNS, 3))
    for index in range(3):
        masks[2 + index, 2:5, index] = 1.0
    return NumpySegmentationExtractor(image_masks=masks, raw=rng.random((FRAMES, 3)), movie_dims=(ROWS, COLUMNS), **kwargs)


# -- segmentation timing ---------------------------------------------------------------------------------------
def test_a_segmentation_without_times_and_without_a_movie_is_refused(tmp_path, rig, space):
    session = new_session("legacy")
    builder = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation_without_rate()).space(space).rig(rig)
    with pytest.raises(mb.ValidationError, match="neither a sampling rate nor timestamps"):
        session.add(builder)
    session.write(tmp_path / "empty.nwb")
    with read(tmp_path / "empty.nwb") as nwbfile:
        assert "ophys" not in nwbfile.processing


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_a_segmentation_without_times_takes_those_of_its_movie(tmp_path, series, format):
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation_without_rate()).series(series)
    path = new_session(format).add(series).add(segmentation).write(tmp_path / "timed.nwb")
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        trace = ophys["Fluorescence"]["RoiResponseSeries"] if format == "legacy" else (
            ophys["PlaneSegmentationResponseSeries"].microscopy_response_series["Fluorescence"])
        assert (trace.rate, trace.starting_time) == (30.0, 0.0)  # the movie's


# -- every trace type, read back -------------------------------------------------------------------------------------
def test_denoised_and_baseline_traces_read_back_with_roiextractors(tmp_path, series):
    source = generate_dummy_segmentation_extractor(num_rois=4, num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES)
    rng = np.random.default_rng(11)
    for kind in ("denoised", "baseline"):  # as CaImAn's extractor holds them, in roiextractors' own record type
        source._roi_responses.append(_RoiResponse(kind, rng.random((FRAMES, 4)), source.get_roi_ids()))
    traces = source.get_traces_dict()
    path = new_session("legacy").add(series).add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series)).write(tmp_path / "all.nwb")
    reader = NwbSegmentationExtractor(path)
    for kind in ("raw", "dff", "neuropil", "deconvolved", "denoised", "baseline"):
        np.testing.assert_array_equal(reader.get_traces(name=kind), traces[kind], err_msg=kind)
    with read(path) as nwbfile:
        assert sorted(nwbfile.processing["ophys"]["Fluorescence"].roi_response_series) == [
            "Baseline", "Deconvolved", "Denoised", "Neuropil", "RoiResponseSeries"]


# -- names that would collide ---------------------------------------------------------------------------------------
def test_two_segmentations_renaming_a_trace_alike_are_a_conflict(tmp_path, rig, series):
    other_space = mb.ImagingSpaceBuilder("Other").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    first = generate_dummy_segmentation_extractor(num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES)
    second = generate_dummy_segmentation_extractor(num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES, seed=2)
    session = new_session("legacy").add(series)
    session.add(mb.SegmentationBuilder("A").from_extractor(first).series(series).trace("raw", name="Raw"))
    clash = mb.SegmentationBuilder("B").from_extractor(second).space(other_space).rig(rig).trace("raw", name="Raw")
    with pytest.raises(mb.ValidationError, match="segmentation 'A' already has the name 'Raw' in processing/ophys/Fluorescence"):
        session.add(clash)  # refused when added, before anything is written
    path = session.write(tmp_path / "clash.nwb")
    with read(path) as nwbfile:
        assert "Raw" in nwbfile.processing["ophys"]["Fluorescence"].roi_response_series  # A's, written alone


# -- the legacy format keeps what it has no field for -----------------------------------------------------------------
def test_legacy_imaging_plane_describes_the_indicator_and_its_injection(tmp_path, rig, space, imaging):
    injection = mb.Injection(construct_name="AAV9-syn-jGCaMP8m", volume_ul=0.3, titer_vg_per_ml=2e13,
                             vector_manufacturer="Addgene", date="2026-01-20",
                             position=mb.Position(x_mm=-2.5, y_mm=-3.4, z_mm=-0.3, origin="bregma", orientation="RAS"))
    indicator = mb.Indicator(label="jGCaMP8m", description="Fast calcium indicator.", manufacturer="Addgene",
                             injection=injection)
    described = rig.channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator=indicator)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(described).space(space)
    path = new_session("legacy").add(series).write(tmp_path / "indicator.nwb")
    with read(path) as nwbfile:
        plane = nwbfile.imaging_planes["V1_L23"]
        assert plane.indicator == "jGCaMP8m"
        for fact in ("indicator: jGCaMP8m, Fast calcium indicator, from Addgene", "AAV9-syn-jGCaMP8m", "0.3 uL",
                     "titer 2e+13 vg/mL", "on 2026-01-20", "(-2.5, -3.4, -0.3) mm from bregma, RAS"):
            assert fact in plane.description, fact


# -- no invented orientation ------------------------------------------------------------------------------------------
def test_a_missing_orientation_is_a_reported_placeholder_not_an_invented_axis_order(tmp_path, rig, imaging):
    space = (mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
             .fov_center(x_mm=-2.5, y_mm=-3.4, z_mm=-0.2, origin="bregma"))
    session = new_session().add(mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space))
    with pytest.warns(mb.PlaceholderWarning):
        fields = [(p.field, p.object_path) for p in session.placeholders]
    assert ("orientation", "fov_center_coordinates of 'VISp'") in fields
    path = session.write(tmp_path / "orientation.nwb")
    with read(path) as nwbfile:
        assert nwbfile.acquisition["Movie"].planar_imaging_space.fov_center_coordinates.orientation == "unknown"


# -- warnings for valid choices that lose readers or data --------------------------------------------------------------
def test_legacy_pixel_masks_warn_that_roiextractors_cannot_read_them(series):
    source = generate_dummy_segmentation_extractor(num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES)
    with pytest.warns(mb.CompatibilityWarning, match="reads only image masks"):
        new_session("legacy").add(series).add(mb.SegmentationBuilder("P").from_extractor(source).series(series).masks("pixel"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", mb.CompatibilityWarning)
        new_session("ndx-microscopy").add(series).add(mb.SegmentationBuilder("P").from_extractor(source).series(series).masks("pixel"))


def test_an_all_zero_trace_asked_for_by_name_is_written_without_a_warning(tmp_path, series):
    source = generate_dummy_segmentation_extractor(num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES)
    source.get_traces_dict()["deconvolved"][:] = 0.0
    session = new_session("legacy").add(series).add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series).traces("raw", "deconvolved"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", mb.CompatibilityWarning)
        path = session.write(tmp_path / "zero.nwb")
    with read(path) as nwbfile:
        traces = nwbfile.processing["ophys"]["Fluorescence"].roi_response_series
        assert sorted(traces) == ["Deconvolved", "RoiResponseSeries"]
        np.testing.assert_array_equal(traces["Deconvolved"].data[:], np.zeros((FRAMES, 10)))


# -- builder fields that reach the file ----------------------------------------------------------------------------------
@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_unit_conversion_and_offset_reach_the_file(tmp_path, rig, space, imaging, format):
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space).unit(
        "photons", conversion=0.5, offset=-2.0)
    path = new_session(format).add(series).write(tmp_path / "unit.nwb")
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["TwoPhotonSeries"]
        assert (movie.unit, movie.conversion, movie.offset) == ("photons", 0.5, -2.0)


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_excitation_filter_and_dichroic_reach_the_file(tmp_path, rig, space, imaging, format):
    full = (rig.excitation_filter("ExcitationFilter", manufacturer="Semrock", model="FF01-680/SP", filter_type="Shortpass",
                                  cut_wavelength_nm=680.0)
            .dichroic_mirror("Dichroic", manufacturer="Semrock", model="FF705-Di01", cut_on_wavelength_nm=705.0,
                             angle_of_incidence_deg=45.0))
    path = new_session(format).add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(full).space(space)).write(
        tmp_path / "optics.nwb")
    with read(path) as nwbfile:
        excitation, dichroic = nwbfile.devices["ExcitationFilter"], nwbfile.devices["Dichroic"]
        assert excitation.model.manufacturer == "Semrock" and excitation.model.model_number == "FF01-680/SP"
        if format == "ndx-microscopy":
            assert (excitation.model.filter_type, excitation.model.cut_wavelength_in_nm) == ("Shortpass", 680.0)
            assert (dichroic.model.cut_on_wavelength_in_nm, dichroic.model.angle_of_incidence_in_degrees) == (705.0, 45.0)
            rig_object = nwbfile.lab_meta_data["microscopy_experiment_metadata"].microscopy_rigs["Bergamo"]
            assert rig_object.excitation_filter.object_id == excitation.object_id
            assert rig_object.dichroic_mirror.object_id == dichroic.object_id
        else:  # core DeviceModel has no typed optical fields: the facts are in its description
            assert "cut wavelength: 680 nm" in excitation.model.description
            assert "cut on wavelength: 705 nm" in dichroic.model.description


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_random_access_scan_reaches_the_file(tmp_path, rig, imaging, format):
    space = (mb.ImagingSpaceBuilder("Targets").planar(pixel_size_um=(1, 1)).anatomical_target("VISp")
             .random_access_scan(max_scan_points=120, dwell_time_s=1e-5, scanning_pattern="spiral"))
    path = new_session(format).add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)).write(
        tmp_path / "ras.nwb")
    with read(path) as nwbfile:
        if format == "ndx-microscopy":
            pattern = nwbfile.acquisition["TwoPhotonSeries"].planar_imaging_space.illumination_pattern
            assert type(pattern).__name__ == "RandomAccessScan"
            assert (pattern.max_scan_points, pattern.dwell_time_in_s, pattern.scanning_pattern) == (120, 1e-5, "spiral")
        else:
            assert nwbfile.acquisition["TwoPhotonSeries"].scan_line_rate is None


def test_an_existing_zarr_store_is_kept_without_overwrite(tmp_path, rig, space, imaging):
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    store = new_session().add(series).write(tmp_path / "kept.nwb.zarr")
    before = sorted(p.relative_to(store) for p in store.rglob("*"))
    with pytest.raises(mb.ValidationError, match="overwrite=True"):
        new_session().add(series).write(store)
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before
