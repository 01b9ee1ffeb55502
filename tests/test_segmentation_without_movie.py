"""Real Suite2p output (../shared/data/suite2p_fissa), converted without its movie, in both formats and
backends: every trace and ROI property comes back exactly, and the channel, its wavelengths, its
indicator and the rig are kept (ndx-microscopy on a static image of the mean image)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from roiextractors import NwbSegmentationExtractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, make_imaging, new_session, read

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "suite2p_fissa" / "suite2p"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="the real Suite2p output in ../shared/data is not here")


def suite2p():
    from roiextractors import Suite2pSegmentationExtractor

    return Suite2pSegmentationExtractor(folder_path=str(DATA))


def rig():
    return (mb.RigBuilder("Scope").microscope(manufacturer="Scientifica", model="SliceScope")
            .photodetector("PMT", manufacturer="Hamamatsu", model="H7422", detector_type="PMT")
            .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=520.0, indicator="GCaMP6f"))


def space():
    return mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(0.8, 0.8)).anatomical_target("CA1").line_scan()


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_real_suite2p_output_without_its_movie_keeps_everything(tmp_path, format, backend, suffix):
    source = suite2p()
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).rig(rig(), "Green").space(space())
    path = new_session(format).add(segmentation).write(tmp_path / f"suite2p.{suffix}", backend=backend)
    expected_traces = {kind: np.asarray(data) for kind, data in source.get_traces_dict().items() if data is not None}
    assert set(expected_traces) >= {"raw", "neuropil", "deconvolved"}
    with read(path) as nwbfile:
        ophys = nwbfile.processing["ophys"]
        if format == "ndx-microscopy":
            table = ophys["SegmentationContainer"].segmentations["PlaneSegmentation"]
            responses = ophys["PlaneSegmentationResponseSeries"].microscopy_response_series
            stored = {"raw": responses["Fluorescence"], "neuropil": responses["Neuropil"], "deconvolved": responses["Deconvolved"]}
            static = ophys["PlaneSegmentation_mean"]
            channel = static.microscopy_channel
            assert (channel.name, channel.excitation_wavelength_in_nm, channel.emission_wavelength_in_nm) == ("Green", 920.0, 520.0)
            assert channel.indicator.label == "GCaMP6f"
            assert static.microscopy_rig.name == "Scope" and static.microscopy_rig.photodetector.name == "PMT"
            assert static.planar_imaging_space.object_id == table.planar_imaging_space.object_id
            np.testing.assert_array_equal(static.data[:], source.get_images_dict()["mean"])
        else:
            table = ophys["ImageSegmentation"]["PlaneSegmentation"]
            stored = {"raw": ophys["Fluorescence"]["RoiResponseSeries"], "neuropil": ophys["Fluorescence"]["Neuropil"],
                      "deconvolved": ophys["Fluorescence"]["Deconvolved"]}
            plane = table.imaging_plane
            assert plane.indicator == "GCaMP6f" and plane.excitation_lambda == 920.0
            assert plane.optical_channel[0].emission_lambda == 520.0 and plane.device.name == "Scope"
        assert len(table) == 23
        for kind, series in stored.items():
            data = series.data[:]
            assert data.dtype == expected_traces[kind].dtype
            np.testing.assert_array_equal(data, expected_traces[kind])
        for key in source.get_property_keys():
            values = np.asarray(source.get_property(key, source.get_roi_ids()))
            column = np.asarray(table[key].data[:])
            assert column.dtype == values.dtype.newbyteorder("="), key
            np.testing.assert_array_equal(column, values)
    if format == "legacy" and backend == "hdf5":
        reader = NwbSegmentationExtractor(path)
        np.testing.assert_array_equal(reader.get_traces(name="raw"), expected_traces["raw"])


def test_a_movie_less_segmentation_without_images_says_the_channel_is_not_kept(tmp_path):
    from roiextractors import NumpySegmentationExtractor

    rois = NumpySegmentationExtractor(image_masks=np.ones((12, 17, 2), dtype="float32"), raw=np.ones((40, 2), dtype="float32"),
                                      sampling_frequency=30.0, movie_dims=(12, 17))
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois).rig(rig(), "Green").space(space())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = new_session().add(segmentation).write(tmp_path / "no-images.nwb")
    assert any(issubclass(w.category, mb.CompatibilityWarning) and "channel 'Green'" in str(w.message) for w in caught)
    with read(path) as nwbfile:
        assert "Scope" in nwbfile.lab_meta_data["microscopy_experiment_metadata"].microscopy_rigs


def test_a_segmentation_with_its_movie_adds_no_static_image(tmp_path):
    imaging = make_imaging(rows=176, columns=156, frames=864, rate=1.0)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig()).space(space())
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(suite2p()).series(series)
    path = new_session().add(series).add(segmentation).write(tmp_path / "with-movie.nwb")
    with read(path) as nwbfile:
        assert "PlaneSegmentation_mean" not in nwbfile.processing["ophys"].data_interfaces
