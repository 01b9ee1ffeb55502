"""Real files in both formats and both backends, read back and compared with what went in."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from roiextractors import NwbImagingExtractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, make_imaging, new_session, read


def _write(tmp_path, format, backend, suffix, series, **session_kwargs):
    path = tmp_path / f"session.{suffix}"
    new_session(format, **session_kwargs).add(series).write(path, backend=backend)
    return path


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_ndx_microscopy_file_holds_data_and_every_metadata_field(tmp_path, rig, space, imaging, backend, suffix):
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).channel("Green").space(space).description("d")
    path = _write(tmp_path, "ndx-microscopy", backend, suffix, series)
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["Movie"]
        assert type(movie).__name__ == "PlanarMicroscopySeries"
        np.testing.assert_array_equal(movie.data[:], imaging.get_series())  # (frames, height, width)
        assert movie.data.dtype == np.uint16
        assert movie.rate == 30.0 and movie.starting_time == 0.0 and movie.timestamps is None
        assert movie.description == "d" and movie.unit == "n.a."

        microscope = nwbfile.devices["Bergamo"]
        assert type(microscope).__name__ == "Microscope"
        assert microscope.serial_number == "B2-07" and microscope.technique == "resonant scanning"
        assert microscope.model.manufacturer == "Thorlabs" and microscope.model.model_number == "Bergamo II"
        laser = nwbfile.devices["Laser"]
        assert laser.power_in_W == 0.05 and "920 nm" in laser.description
        assert laser.model.excitation_mode == "two-photon" and laser.model.source_type == "Ti:sapphire laser"
        green_filter = nwbfile.devices["GreenFilter"]
        assert type(green_filter.model).__name__ == "BandOpticalFilterModel"
        assert green_filter.model.name == "FF03-525_50" and green_filter.model.model_number == "FF03-525/50"
        assert (green_filter.model.center_wavelength_in_nm, green_filter.model.bandwidth_in_nm) == (525.0, 50.0)
        assert nwbfile.devices["Objective"].model.numerical_aperture == 0.8
        assert nwbfile.devices["PMT"].gain == 0.6 and nwbfile.devices["PMT"].model.detector_type == "PMT"
        assert set(nwbfile.device_models) == {"Bergamo II", "Chameleon Ultra II", "H10770PA-40", "CFI75 16X_0.8W", "FF03-525_50"}

        metadata = nwbfile.lab_meta_data["microscopy_experiment_metadata"]
        rig_object = metadata.microscopy_rigs["Bergamo"]
        assert movie.microscopy_rig.object_id == rig_object.object_id
        assert rig_object.microscope.object_id == microscope.object_id
        assert rig_object.emission_filter.object_id == green_filter.object_id
        assert metadata.indicators["GCaMP6s"].label == "GCaMP6s"

        channel = movie.microscopy_channel
        assert (channel.name, channel.excitation_wavelength_in_nm, channel.emission_wavelength_in_nm) == ("Green", 920.0, 525.0)
        assert channel.description == "Green channel"
        assert channel.indicator.object_id == metadata.indicators["GCaMP6s"].object_id

        plane = movie.planar_imaging_space
        assert plane.anatomical_target == "VISp2/3"
        np.testing.assert_array_equal(plane.pixel_size_in_um[:], [1.2, 1.5])
        np.testing.assert_array_equal(plane.dimensions_in_pixels[:], [17, 12])  # (x, y) = (width, height)
        assert type(plane.illumination_pattern).__name__ == "LineScan"
        assert plane.illumination_pattern.line_rate_in_Hz == 7910.0


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_legacy_file_holds_data_and_metadata(tmp_path, rig, space, imaging, backend, suffix):
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, "legacy", backend, suffix, series)
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["TwoPhotonSeries"]
        assert type(movie).__name__ == "TwoPhotonSeries"
        np.testing.assert_array_equal(movie.data[:], imaging.get_series().transpose(0, 2, 1))  # (frames, x, y)
        assert movie.rate == 30.0 and movie.pmt_gain == 0.6 and movie.scan_line_rate == 7910.0
        np.testing.assert_allclose(movie.field_of_view[:], [17 * 1.2e-6, 12 * 1.5e-6])
        plane = movie.imaging_plane
        assert plane.name == "V1_L23" and plane.location == "VISp2/3" and plane.indicator == "GCaMP6s"
        assert plane.excitation_lambda == 920.0 and plane.imaging_rate == 30.0
        np.testing.assert_array_equal(plane.grid_spacing[:], [1.2, 1.5])
        assert plane.grid_spacing_unit == "micrometers"
        assert plane.optical_channel[0].emission_lambda == 525.0
        microscope = nwbfile.devices["Bergamo"]
        assert plane.device.object_id == microscope.object_id
        assert microscope.serial_number == "B2-07" and microscope.model.model_number == "Bergamo II"
        assert microscope.model.manufacturer == "Thorlabs" and "resonant scanning" in microscope.description
        assert "power: 0.05 W" in nwbfile.devices["Laser"].description
        assert "center wavelength: 525 nm" in nwbfile.devices["GreenFilter"].model.description


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_legacy_file_caches_only_core_namespaces(tmp_path, rig, space, imaging, backend, suffix):
    import ndx_microscopy  # noqa: F401  (loaded in this process, as in any user's session)

    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, "legacy", backend, suffix, series)
    if backend == "hdf5":
        with h5py.File(path, "r") as file:
            cached = set(file["specifications"])
    else:
        cached = {p.name for p in (path / "specifications").iterdir() if p.is_dir()}
        consolidated = json.loads((path / ".zmetadata").read_text())["metadata"]
        assert not any("ndx" in key for key in consolidated)
    assert cached == {"core", "hdmf-common", "hdmf-experimental"}
    with read(path) as nwbfile:  # still a valid file after the namespaces were dropped
        assert nwbfile.acquisition["TwoPhotonSeries"].data.shape == (40, 17, 12)


def test_ndx_file_caches_the_extension_namespaces(tmp_path, rig, space, imaging):
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, "ndx-microscopy", "hdf5", "nwb", series)
    with h5py.File(path, "r") as file:
        assert {"ndx-microscopy", "ndx-ophys-devices", "core"} <= set(file["specifications"])


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_roiextractors_reads_legacy_file_with_defaults(tmp_path, rig, space, backend, suffix):
    imaging = make_imaging(rows=9, columns=14, frames=25, rate=12.5)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, "legacy", backend, suffix, series)
    extractor = NwbImagingExtractor(path)
    assert extractor.get_frame_shape() == (9, 14)
    assert extractor.get_num_samples() == 25
    assert extractor.get_sampling_frequency() == 12.5
    np.testing.assert_array_equal(extractor.get_series(), imaging.get_series())


def test_one_photon_rig_gives_one_photon_series(tmp_path, space, imaging):
    miniscope = (
        mb.RigBuilder("Miniscope")
        .microscope(manufacturer="Open Ephys", model="UCLA Miniscope v4")
        .excitation_source("LED", manufacturer="Luxeon", excitation_mode="one-photon", source_type="LED",
                           wavelength_nm=470.0, power_w=0.001, exposure_time_s=0.03)
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6f")
    )
    series = mb.SeriesBuilder("OnePhotonSeries").from_extractor(imaging).rig(miniscope).space(space)
    path = _write(tmp_path, "legacy", "hdf5", "nwb", series)
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["OnePhotonSeries"]
        assert type(movie).__name__ == "OnePhotonSeries"
        assert movie.power == pytest.approx(1.0)  # mW
        assert movie.exposure_time == 0.03
        assert movie.imaging_plane.excitation_lambda == 470.0
    overridden = series.legacy_type("TwoPhotonSeries")
    path = _write(tmp_path / "override", "legacy", "hdf5", "nwb", overridden)
    with read(path) as nwbfile:
        assert type(nwbfile.acquisition["OnePhotonSeries"]).__name__ == "TwoPhotonSeries"


@pytest.mark.parametrize("format", FORMATS)
def test_series_in_processing(tmp_path, rig, space, imaging, format):
    series = mb.SeriesBuilder("MotionCorrected").from_extractor(imaging).rig(rig).space(space).in_processing()
    path = _write(tmp_path, format, "hdf5", "nwb", series)
    with read(path) as nwbfile:
        assert "MotionCorrected" not in nwbfile.acquisition
        assert nwbfile.processing["ophys"]["MotionCorrected"].data.shape[0] == 40


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_irregular_native_timestamps_are_written_as_timestamps(tmp_path, rig, space, format, backend, suffix):
    imaging = make_imaging(native_timestamps="unevenly_spaced")
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, format, backend, suffix, series)
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["Movie"]
        assert movie.rate is None
        np.testing.assert_array_equal(movie.timestamps[:], imaging.get_native_timestamps())


def test_regular_native_timestamps_become_rate_and_starting_time(tmp_path, rig, space):
    imaging = make_imaging(rate=20.0)
    imaging.set_times(5.0 + np.arange(40) / 20.0)
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, "ndx-microscopy", "hdf5", "nwb", series)
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["Movie"]
        assert movie.timestamps is None
        assert movie.rate == pytest.approx(20.0) and movie.starting_time == pytest.approx(5.0)


def test_overrides_win_over_the_extractor(tmp_path, rig, space):
    imaging = make_imaging(native_timestamps="unevenly_spaced")
    base = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path / "rate", "ndx-microscopy", "hdf5", "nwb", base.rate(31.0, starting_time=2.0))
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["Movie"]
        assert (movie.rate, movie.starting_time, movie.timestamps) == (31.0, 2.0, None)
    times = np.cumsum(np.r_[0.5, np.full(39, 0.1)])
    times[20:] += 0.05  # one dropped-frame gap: irregular
    path = _write(tmp_path / "stamps", "legacy", "hdf5", "nwb", base.timestamps(times))
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["Movie"].timestamps[:], times)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32"])
def test_dtype_is_preserved_and_data_is_gzip_compressed(tmp_path, rig, space, dtype):
    imaging = make_imaging(dtype=dtype)
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    path = _write(tmp_path, "ndx-microscopy", "hdf5", "nwb", series)
    with h5py.File(path, "r") as file:
        data = file["acquisition/Movie/data"]
        assert data.dtype == np.dtype(dtype)
        assert data.compression == "gzip" and data.chunks is not None
        np.testing.assert_array_equal(data[:], imaging.get_series())


def test_data_is_streamed_in_bounded_reads(tmp_path, rig, space):
    """The writer never asks the extractor for the whole movie at once."""
    from roiextractors.testing import MockImagingExtractor

    class CountingExtractor(MockImagingExtractor):
        largest_read = 0

        def get_series(self, start_sample=None, end_sample=None):
            data = super().get_series(start_sample, end_sample)
            CountingExtractor.largest_read = max(CountingExtractor.largest_read, data.nbytes)
            return data

    # 600 frames of 256 x 256 uint16 = 78.6 MB, written with a 16 MiB buffer
    imaging = CountingExtractor(num_samples=600, num_rows=256, num_columns=256)
    series = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    path = tmp_path / "streamed.nwb"
    new_session().add(series).write(path, buffer_bytes=16 * 1024**2)
    assert 0 < CountingExtractor.largest_read <= 16 * 1024**2
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["Movie"].data[590:600], imaging.get_series(590, 600))


def test_space_location_reaches_both_formats(tmp_path, rig, imaging):
    space = (
        mb.ImagingSpaceBuilder("FOV")
        .planar(pixel_size_um=(0.8, 0.9))
        .anatomical_target("VISp2/3")
        .fov_center(x_mm=-2.5, y_mm=-3.4, z_mm=-0.2, origin="bregma", orientation="RAS")
        .origin((0.001, 0.002, -0.0002), unit="meters", reference_frame="bregma, RAS")
        .plane_acquisition(plane_rate_hz=30.0, description="camera frames")
    )
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)
    ndx_path = _write(tmp_path / "ndx", "ndx-microscopy", "hdf5", "nwb", series)
    legacy_path = _write(tmp_path / "legacy", "legacy", "hdf5", "nwb", series)
    with read(ndx_path) as nwbfile:
        plane = nwbfile.acquisition["TwoPhotonSeries"].planar_imaging_space
        center = plane.fov_center_coordinates
        assert (center.x_in_mm, center.y_in_mm, center.z_in_mm, center.origin, center.orientation) == (-2.5, -3.4, -0.2, "bregma", "RAS")
        assert center.anatomical_target == "VISp2/3"
        assert type(plane.illumination_pattern).__name__ == "PlaneAcquisition"
        assert plane.illumination_pattern.plane_rate_in_Hz == 30.0
        assert "(0.001, 0.002, -0.0002) meters (bregma, RAS)" in plane.description  # origin has no ndx field
    with read(legacy_path) as nwbfile:
        plane = nwbfile.imaging_planes["FOV"]
        np.testing.assert_allclose(plane.origin_coords[:], [0.001, 0.002, -0.0002])
        assert plane.origin_coords_unit == "meters" and plane.reference_frame == "bregma, RAS"
        assert "(-2.5, -3.4, -0.2) mm from bregma, RAS" in plane.description  # centre has no core field
