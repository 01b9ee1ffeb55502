"""Every field of the NWB types the library writes is reachable from the builders.

A maximal description sets every builder route; the file is read back and, for each object of an
optical-physiology type, every argument its class's docval lists must hold a value, unless the
allow-list below says why it is derived or has no place. A new field in ndx-microscopy, ndx-ophys-devices
or pynwb fails this test until it gets a builder route or a reason here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hdmf.utils import get_docval
from roiextractors import NumpySegmentationExtractor

import microscopy_builder as mb

from .conftest import BACKENDS, make_imaging, new_session, read

EVERY_TYPE = {"name", "skip_post_init"}
DEVICE = {
    "manufacturer", "model_number", "model_name",  # deprecated on Device in pynwb 4: given on the device's DeviceModel
}
TIME_SERIES = {
    "data",  # the extractor's
    "timestamps", "starting_time", "rate",  # one of timestamps or rate + starting_time, from the timing
    "continuity",  # checked where the type has it
}
ALLOWED = {
    "Microscope": DEVICE, "ExcitationSource": DEVICE, "PulsedExcitationSource": DEVICE, "BandOpticalFilter": DEVICE,
    "EdgeOpticalFilter": DEVICE, "OpticalFilter": DEVICE, "DichroicMirror": DEVICE, "Photodetector": DEVICE,
    "ObjectiveLens": DEVICE, "Device": DEVICE,
    "PlanarMicroscopySeries": TIME_SERIES, "VolumetricMicroscopySeries": TIME_SERIES, "MicroscopyResponseSeries": TIME_SERIES,
    "RoiResponseSeries": TIME_SERIES,
    "TwoPhotonSeries": TIME_SERIES | {
        "format", "external_file", "starting_frame",  # for data in external files; the library writes the data
        "num_samples", "bits_per_pixel",  # deprecated by NWB (pynwb refuses them)
        "device",  # the series' ImagingPlane names the device
    },
    "OnePhotonSeries": TIME_SERIES | {"format", "external_file", "starting_frame", "num_samples", "bits_per_pixel", "device"},
    "ImagingPlane": {"manifold", "conversion", "unit",  # the manifold, deprecated by NWB, and its unit
                     "imaging_rate"},  # the rate every series on the plane shares (none on a static image's plane)
    "GrayscaleImage": {"resolution"},  # pixels per cm, from a space's pixel size: none for a light-path diagram
    "RGBImage": {"resolution"},
    "PlaneSegmentation": {"reference_images",  # an ImageSeries the ROIs were drawn on: the series links the table
                          "target_tables", "meanings_tables", "colnames", "columns", "id"},
    "PlanarSegmentation": {"target_tables", "meanings_tables", "meanings_tables__meanings_tables", "colnames", "columns", "id"},
    "Images": {"order_of_images"},  # images keep the order given
    "MultiChannelMicroscopyContainer": {"microscopy_static_images", "multi_plane_microscopy_containers",
                                        "microscopy_series"},  # whichever the layout needs
}
CHECKED = set(ALLOWED) | {
    "MicroscopeModel", "ExcitationSourceModel", "BandOpticalFilterModel", "EdgeOpticalFilterModel", "DichroicMirrorModel",
    "PhotodetectorModel", "ObjectiveLensModel", "DeviceModel", "MicroscopyRig", "MicroscopyChannel", "Indicator",
    "ViralVector", "ViralVectorInjection", "StereotacticPosition", "PlanarImagingSpace", "VolumetricImagingSpace",
    "LineScan", "PlanarMicroscopyStaticImage", "VolumetricMicroscopyStaticImage", "SummaryImage", "OpticalChannel",
    "GrayscaleImage", "RGBImage",
}


def maximal_rig(excitation_mode="two-photon"):
    injection = mb.Injection(construct_name="AAV1-syn-GCaMP6s", volume_ul=0.2, titer_vg_per_ml=1e13,
                             vector_manufacturer="Addgene", vector_description="AAV1 with the synapsin promoter.",
                             date="2026-01-20", description="Into left V1.",
                             position=mb.Position(x_mm=-2.5, y_mm=-3.4, z_mm=-0.3, origin="bregma", orientation="RAS",
                                                  anatomical_target="VISp", pitch_deg=0.0, yaw_deg=5.0, roll_deg=0.0))
    indicator = mb.Indicator(label="GCaMP6s", description="Calcium indicator.", manufacturer="Addgene", injection=injection)
    return (
        mb.RigBuilder("Full").description("A rig described in full.")
        .optical_path_scheme(np.arange(20 * 30, dtype="uint8").reshape(20, 30))
        .microscope(manufacturer="Thorlabs", model="B2", model_name="Bergamo II", serial_number="7", technique="resonant scanning",
                    description="The microscope.")
        .excitation_source("Laser", manufacturer="Coherent", model="CU2", model_name="Chameleon Ultra II", serial_number="1",
                           excitation_mode=excitation_mode, source_type="Ti:sapphire laser", wavelength_nm=920.0,
                           wavelength_range_nm=(680.0, 1080.0), power_w=0.05, intensity_w_per_m2=2.0, exposure_time_s=0.01,
                           pulse_rate_hz=80e6, pulse_width_s=1e-13, peak_power_w=100.0, peak_pulse_energy_j=1e-9,
                           description="The laser.")
        .excitation_filter("Shortpass", manufacturer="Semrock", model="SP680", model_name="FF01-680/SP", serial_number="2",
                           filter_type="Shortpass", cut_wavelength_nm=680.0, slope_percent_cut_wavelength=2.0,
                           slope_starting_transmission_percent=10.0, slope_ending_transmission_percent=90.0,
                           description="Blocks the laser.")
        .dichroic_mirror("Dichroic", manufacturer="Semrock", model="Di01", model_name="FF705-Di01", serial_number="3",
                         cut_on_wavelength_nm=705.0, cut_off_wavelength_nm=690.0, reflection_band_nm=(400.0, 690.0),
                         transmission_band_nm=(710.0, 1100.0), angle_of_incidence_deg=45.0, description="The dichroic.")
        .photodetector("PMT", manufacturer="Hamamatsu", model="H10770", model_name="H10770PA-40", serial_number="4",
                       detector_type="PMT", wavelength_range_nm=(300.0, 720.0), gain=0.7, gain_unit="a.u.", binning=2,
                       description="The PMT.")
        .objective_lens("Objective", manufacturer="Nikon", model="N16XLWD", model_name="CFI75 16X", serial_number="5",
                        numerical_aperture=0.8, magnification=16.0,
                        lens_position=mb.Position(x_mm=-2.5, y_mm=-3.4, z_mm=0.0, origin="bregma", orientation="RAS",
                                                  anatomical_target="VISp", pitch_deg=0.0, yaw_deg=0.0, roll_deg=0.0),
                        description="The objective.")
        .emission_filter("GreenFilter", manufacturer="Semrock", model="525/50", model_name="FF03-525/50", serial_number="6",
                         center_wavelength_nm=525.0, bandwidth_nm=50.0, description="Green band.")
        .channel("Green", emission_wavelength_nm=525.0, indicator=indicator, description="Green channel.")
    )


def maximal_space(geometry="planar"):
    space = (mb.ImagingSpaceBuilder("FOV" if geometry == "planar" else "Volume").anatomical_target("VISp")
             .description("The field of view.")
             .fov_center(x_mm=-2.5, y_mm=-3.4, z_mm=-0.2, origin="bregma", orientation="RAS", anatomical_target="VISp",
                         pitch_deg=0.0, yaw_deg=0.0, roll_deg=0.0)
             .origin((0.001, 0.002, 0.0), unit="meters", reference_frame="bregma")
             .line_scan(line_rate_hz=7910.0, dwell_time_s=1e-7, scan_direction="left to right", description="Resonant scan."))
    if geometry == "planar":
        return space.planar(pixel_size_um=(1.2, 1.5), dimensions_in_pixels=(17, 12))
    return space.volumetric(voxel_size_um=(1.2, 1.5, 5.0), dimensions_in_voxels=(17, 12, 3))


def maximal_session(format, rig):
    series = (mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging()).rig(rig).space(maximal_space())
              .description("The movie.").unit("photons", conversion=0.5, offset=1.0).rate(30.0, starting_time=0.5)
              .resolution(0.25).comments("Recorded awake.").control(np.arange(40) % 2, ["rest", "stimulus"]))
    series = series.continuity("continuous") if format == "ndx-microscopy" else series
    rng = np.random.default_rng(0)
    rois = NumpySegmentationExtractor(image_masks=(rng.random((12, 17, 3)) > 0.5).astype("float32"),
                                      raw=rng.random((40, 3)).astype("float32"), dff=rng.random((40, 3)).astype("float32"),
                                      mean_image=rng.random((12, 17)).astype("float32"), sampling_frequency=30.0,
                                      movie_dims=(12, 17))
    segmentation = (mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois).series(series)
                    .description("ROIs.").summary_images(describe={"mean": "Mean of the frames."}))
    for kind in ("raw", "dff"):
        segmentation = segmentation.trace(kind, unit="a.u.", description=f"The {kind} traces.", conversion=2.0, offset=0.5,
                                          resolution=0.01, comments=f"{kind} comments", control=np.arange(40) % 2,
                                          control_description=["rest", "stimulus"],
                                          continuity="continuous" if format == "ndx-microscopy" else None)
    stack = rng.random((12, 17, 3)).astype("float32")
    static = (mb.StaticImageBuilder("ZStack").from_array(stack).rig(rig).space(maximal_space("volumetric"))
              .description("A z-stack."))
    session = new_session(format).add(series).add(segmentation).add(static)
    return session


def unset_fields(nwbfile) -> list[str]:
    missing = []
    for obj in nwbfile.objects.values():
        kind = type(obj).__name__
        if kind not in CHECKED:
            continue
        for argument in get_docval(type(obj).__init__):
            name = argument["name"]
            if name in EVERY_TYPE | ALLOWED.get(kind, set()):
                continue
            value = obj.fields.get(name, getattr(obj, name, None))  # data of Data types is an attribute
            if value is None or (isinstance(value, (list, tuple, dict)) and len(value) == 0):
                missing.append(f"{kind} {obj.name!r}.{name}")
    return sorted(set(missing))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_every_field_of_every_type_written_has_a_builder_route(tmp_path, format, backend, suffix):
    session = maximal_session(format, maximal_rig())
    assert [p for p in session.placeholders] == []  # nothing left to a placeholder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mb.CompatibilityWarning)
        path = session.write(tmp_path / f"full.{suffix}", backend=backend)
    with read(path) as nwbfile:
        seen = {type(obj).__name__ for obj in nwbfile.objects.values()} & CHECKED
        assert len(seen) >= (9 if format == "legacy" else 20)
        assert unset_fields(nwbfile) == []


def test_every_one_photon_field_has_a_builder_route(tmp_path):
    rig = maximal_rig(excitation_mode="one-photon")
    series = (mb.SeriesBuilder("OnePhotonSeries").from_extractor(make_imaging()).rig(rig).space(maximal_space())
              .description("A widefield movie.").unit("photons", conversion=0.5, offset=1.0).resolution(0.25)
              .comments("Recorded awake.").control(np.arange(40) % 2, ["rest", "stimulus"]))
    path = new_session("legacy").add(series).write(tmp_path / "one.nwb")
    with read(path) as nwbfile:
        movie = nwbfile.acquisition["OnePhotonSeries"]
        assert type(movie).__name__ == "OnePhotonSeries"
        assert (movie.binning, movie.power, movie.exposure_time, movie.intensity) == (2, 50.0, 0.01, 0.002)
        assert unset_fields(nwbfile) == []


def test_fields_one_format_cannot_hold_are_named_in_a_warning(tmp_path):
    series = mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(maximal_rig()).space(maximal_space()).continuity("step")
    with pytest.warns(mb.CompatibilityWarning, match="TwoPhotonSeries has no 'continuity' field.* legacy format"):
        new_session("legacy").add(series).write(tmp_path / "legacy.nwb")
