"""The demo session: a fully described two-photon recording from synthetic data, in both formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pynwb.file import Subject
from roiextractors.testing import generate_dummy_imaging_extractor, generate_dummy_segmentation_extractor

from .builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder
from .emit import FORMATS
from .session import Session
from .specs import IndicatorSpec, InjectionSpec, PositionSpec

DEMO_START = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def demo_rig() -> RigBuilder:
    """The example rig: a resonant-scanning two-photon microscope imaging GCaMP6s."""
    gcamp = IndicatorSpec(
        label="GCaMP6s",
        description="Genetically encoded calcium indicator expressed in excitatory neurons.",
        manufacturer="Addgene",
        injection=InjectionSpec(
            construct_name="AAV1-syn-GCaMP6s-WPRE-SV40",
            volume_ul=0.2,
            titer_vg_per_ml=1.0e13,
            vector_manufacturer="Addgene",
            date="2026-01-20",
            description="Injection into left V1, layer 2/3.",
            position=PositionSpec(x_mm=-2.5, y_mm=-3.4, z_mm=-0.3, origin="bregma", orientation="RAS",
                                  anatomical_target="VISp2/3"),
        ),
    )
    return (
        RigBuilder("Bergamo")
        .description("Resonant-scanning two-photon microscope for awake head-fixed mice.")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", serial_number="B2-07", technique="resonant scanning",
                    description="Bergamo II multiphoton microscope with a resonant-galvo scan head.")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0, wavelength_range_nm=(680.0, 1080.0),
                           power_w=0.045, pulse_rate_hz=80e6, description="Tunable femtosecond laser.")
        .excitation_filter("ExcitationFilter", manufacturer="Semrock", model="FF01-680/SP", filter_type="Shortpass",
                           cut_wavelength_nm=680.0, description="Blocks laser light above 680 nm from the detectors.")
        .dichroic_mirror("Dichroic", manufacturer="Semrock", model="FF705-Di01", cut_on_wavelength_nm=705.0,
                         description="Separates excitation from emitted light.")
        .photodetector("PMT", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="PMT",
                       wavelength_range_nm=(300.0, 720.0), gain=0.7, gain_unit="a.u.",
                       description="GaAsP photomultiplier tube.")
        .objective_lens("Objective", manufacturer="Nikon", model="CFI75 16X/0.8W", numerical_aperture=0.8,
                        magnification=16.0, description="Water-immersion objective.")
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50", center_wavelength_nm=525.0,
                         bandwidth_nm=50.0, description="Green emission band-pass filter.")
        .channel("Green", emission_wavelength_nm=525.0, indicator=gcamp,
                 description="GCaMP6s fluorescence through the green filter.")
    )


def demo_space() -> ImagingSpaceBuilder:
    """The example field of view in mouse V1 layer 2/3."""
    return (
        ImagingSpaceBuilder("V1_L23")
        .planar(pixel_size_um=(1.2, 1.2))
        .anatomical_target("VISp2/3")
        .description("Field of view in layer 2/3 of primary visual cortex, 180 um below the pia.")
        .fov_center(x_mm=-2.5, y_mm=-3.4, z_mm=-0.18, origin="bregma", orientation="RAS")
        .line_scan(line_rate_hz=7910.0, scan_direction="horizontal", description="Resonant-galvo raster scan.")
    )


def demo_session(format: str, *, num_frames: int = 300, rows: int = 128, columns: int = 128) -> Session:
    """A fully described session on synthetic data: Poisson-noise frames and a random segmentation
    of them (roiextractors' generators), with every trace type those have."""
    imaging = generate_dummy_imaging_extractor(
        num_rows=rows, num_columns=columns, num_samples=num_frames, sampling_frequency=30.0, seed=7
    )
    rois = generate_dummy_segmentation_extractor(
        num_rois=25, num_rows=rows, num_columns=columns, num_samples=num_frames, sampling_frequency=30.0,
        rejected_list=["roi_03", "roi_17"], seed=7,
    )
    series = (
        SeriesBuilder("TwoPhotonSeries")
        .from_extractor(imaging)
        .rig(demo_rig())
        .channel("Green")
        .space(demo_space())
        .description("Synthetic two-photon movie standing in for spontaneous activity in V1 layer 2/3.")
    )
    session = Session(
        session_description="Two-photon calcium imaging of spontaneous activity in mouse V1 (synthetic demo data).",
        session_start_time=DEMO_START,
        format=format,
        identifier=f"microscopy-builder-demo-{format}",
        session_id="demo-001",
        experimenter=["Doe, Jane"],
        lab="Demo Lab",
        institution="Demo Institute",
        experiment_description="Demonstration of microscopy-builder on synthetic data.",
        keywords=["two-photon", "calcium imaging", "V1", "synthetic"],
        subject=Subject(
            subject_id="mouse-001",
            species="Mus musculus",
            sex="F",
            age="P90D",
            description="Wild-type C57BL/6J mouse (demo subject).",
            strain="C57BL/6J",
        ),
    )
    segmentation = (
        SegmentationBuilder("PlaneSegmentation")
        .from_extractor(rois)
        .series(series)
        .description("Synthetic ROIs standing in for a Suite2p segmentation of the movie.")
    )
    return session.add(series).add(segmentation)


def write_demo(outdir: Path, *, overwrite: bool = True) -> list[Path]:
    """Write the demo session in every format into ``outdir``; return the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    return [demo_session(format).write(outdir / f"demo_{format}.nwb", overwrite=overwrite) for format in FORMATS]
