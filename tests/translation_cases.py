"""Small sessions of every shape a translation must carry: planar, planes, channels, volumes, ROIs, irregular times.

Each case is a function of the format giving the builders to add; data are roiextractors' own generators,
kept small (a translation test writes each case three or four times).
"""

from __future__ import annotations

import numpy as np
from roiextractors.testing import generate_dummy_imaging_extractor, generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .test_every_field import maximal_rig, maximal_space

ROWS, COLUMNS, FRAMES = 12, 17, 20


def movie(seed: int = 0, *, planes: int | None = None, frames: int = FRAMES):
    options = {} if planes is None else {"num_planes": planes}
    return generate_dummy_imaging_extractor(num_rows=ROWS, num_columns=COLUMNS, num_samples=frames, sampling_frequency=10.0,
                                            seed=seed, **options)


def rois(seed: int = 0, **options):
    return generate_dummy_segmentation_extractor(num_rois=4, num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES,
                                                 sampling_frequency=10.0, seed=seed, rejected_list=["roi_2"], **options)


def two_colour() -> mb.RigBuilder:
    return (
        mb.RigBuilder("Ultima")
        .microscope(manufacturer="Bruker", model="Ultima Investigator", technique="galvo scanning")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Discovery", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0, power_w=0.04)
        .photodetector("PMT_Green", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="GaAsP PMT", gain=0.7)
        .photodetector("PMT_Red", manufacturer="Hamamatsu", model="H7422", detector_type="PMT", gain=0.5)
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50", center_wavelength_nm=525.0,
                         bandwidth_nm=50.0)
        .emission_filter("RedFilter", manufacturer="Semrock", model="FF01-610/75", center_wavelength_nm=610.0,
                         bandwidth_nm=75.0)
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6s", photodetector="PMT_Green",
                 emission_filter="GreenFilter")
        .channel("Red", emission_wavelength_nm=610.0, indicator="tdTomato", photodetector="PMT_Red", emission_filter="RedFilter")
    )


def simple_rig() -> mb.RigBuilder:
    return (
        mb.RigBuilder("Bergamo")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", serial_number="B2-07")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0)
        .photodetector("PMT", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="PMT", gain=0.6)
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50", center_wavelength_nm=525.0,
                         bandwidth_nm=50.0)
        .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    )


def plane(name: str = "V1") -> mb.ImagingSpaceBuilder:
    return (mb.ImagingSpaceBuilder(name).planar(pixel_size_um=(1.2, 1.5)).anatomical_target("VISp2/3")
            .line_scan(line_rate_hz=7910.0).description("Layer 2/3 of V1"))


def planar(format: str) -> list:
    """The maximal description of one series: every field a series, its rig and space can have."""
    series = (mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie(frames=40)).rig(maximal_rig()).space(maximal_space())
              .description("The movie.").unit("photons", conversion=0.5, offset=1.0).rate(30.0, starting_time=0.5)
              .resolution(0.25).comments("Recorded awake.").control(np.arange(40) % 2, ["rest", "stimulus"]))
    return [series.continuity("continuous") if format == "ndx-microscopy" else series]


def multi_plane(format: str) -> list:
    base = (mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp")
            .plane_acquisition(plane_rate_hz=10.0).description("Planes of V1 imaged with a tunable lens."))
    return [mb.SeriesBuilder(f"Plane{depth}").from_extractor(movie(seed=depth)).rig(simple_rig()).space(base.at_depth(depth))
            for depth in (100, 150, 200)]


def multi_channel(format: str) -> list:
    return [mb.SeriesBuilder(f"{channel}Series").from_extractor(movie(seed=seed)).rig(two_colour()).channel(channel)
            .space(plane()) for seed, channel in enumerate(("Green", "Red"))]


def volumetric(format: str) -> list:
    volume = (mb.ImagingSpaceBuilder("V1_volume").volumetric(voxel_size_um=(1.2, 1.5, 20.0)).anatomical_target("VISp")
              .line_scan(line_rate_hz=7910.0).description("A z-stack through V1"))
    series = mb.SeriesBuilder("Volume").from_extractor(movie(planes=3)).rig(simple_rig()).space(volume)
    return [series, mb.StaticImageBuilder("ZStack").from_array(np.arange(ROWS * COLUMNS * 3, dtype="float32")
                                                              .reshape(ROWS, COLUMNS, 3)).rig(simple_rig()).space(volume)]


def segmentation_only(format: str) -> list:
    return [mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois(mask_type="pixel")).space(plane())
            .rig(simple_rig(), "Green").masks("pixel").description("Suite2p ROIs.")]


def series_and_segmentation(format: str) -> list:
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie()).rig(two_colour()).channel("Red").space(plane())
    segmentation = (mb.SegmentationBuilder("Cells").from_extractor(rois(seed=1)).series(series)
                    .trace("dff", unit="a.u.", description="dF/F of each cell.", resolution=0.01)
                    .summary_images(describe={"mean": "Mean of the registered frames."}))
    return [series, segmentation]


def irregular_timestamps(format: str) -> list:
    times = np.cumsum(np.random.default_rng(3).uniform(0.08, 0.12, FRAMES)) + 2.0
    imaging = movie()
    imaging.set_times(times)
    segmentation_source = rois()
    segmentation_source.set_times(times)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(simple_rig()).space(plane())
    return [series, mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation_source).series(series)]


CASES = {
    "planar": planar,
    "multi-plane": multi_plane,
    "multi-channel": multi_channel,
    "volumetric": volumetric,
    "segmentation only": segmentation_only,
    "series + segmentation": series_and_segmentation,
    "irregular timestamps": irregular_timestamps,
}
