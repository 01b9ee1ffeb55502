"""The demo session: a fully described two-photon recording from synthetic data, in both formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from pynwb.file import Subject
from roiextractors import NumpyImagingExtractor, NumpySegmentationExtractor

from .builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder
from .emit import FORMATS
from .session import Session
from .specs import IndicatorSpec, InjectionSpec, PositionSpec

DEMO_START = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
RATE_HZ = 30.0
NUM_ROIS, ROI_RADIUS_PX = 25, 5
REJECTED = (3, 17)  # silent ROIs a curator would reject
TAU_S = 1.0  # GCaMP6s-like decay


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
    """A fully described session on synthetic data: a movie of disk-shaped neurons with calcium
    transients, and their segmentation with every trace a Suite2p-like pipeline gives (see
    :func:`demo_recording`)."""
    imaging, rois = demo_recording(num_frames=num_frames, rows=rows, columns=columns)
    series = (
        SeriesBuilder("TwoPhotonSeries")
        .from_extractor(imaging)
        .rig(demo_rig())
        .channel("Green")
        .space(demo_space())
        .description("Synthetic two-photon movie of GCaMP6s-like neurons with spontaneous calcium transients.")
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
        .description("Disk-shaped ROIs of the synthetic neurons, with traces extracted from the movie; two silent "
                     "ROIs are rejected.")
    )
    return session.add(series).add(segmentation)


def write_demo(outdir: Path, *, overwrite: bool = True) -> list[Path]:
    """Write the demo session in every format into ``outdir``; return the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    return [demo_session(format).write(outdir / f"demo_{format}.nwb", overwrite=overwrite) for format in FORMATS]


def demo_recording(*, num_frames: int = 300, rows: int = 128, columns: int = 128, seed: int = 7):
    """The demo's movie and segmentation as roiextractors' Numpy extractors.

    Disk-shaped neurons on a smooth background; each fires as a Poisson process (the rejected ones
    never) and its fluorescence rises with every spike and decays with ``TAU_S``; frames are Poisson
    photon counts. The traces are what a pipeline extracts from that movie: raw (mean in the mask),
    neuropil (mean in a ring around it), dF/F of the neuropil-corrected trace, and an AR(1)
    deconvolution of it.
    """
    rng = np.random.default_rng(seed)
    masks = _disks(rng, rows, columns)
    spikes = rng.random((num_frames, NUM_ROIS)) < rng.uniform(0.2, 0.8, NUM_ROIS) / RATE_HZ
    spikes[rng.integers(0, num_frames, NUM_ROIS), np.arange(NUM_ROIS)] = True  # every neuron fires at least once
    spikes[:, list(REJECTED)] = False
    decay = np.exp(-1.0 / (RATE_HZ * TAU_S))
    calcium = np.zeros((num_frames, NUM_ROIS))
    for frame in range(num_frames):
        calcium[frame] = (calcium[frame - 1] * decay if frame else 0.0) + spikes[frame] * rng.uniform(0.8, 1.6, NUM_ROIS)
    y, x = np.mgrid[:rows, :columns]
    background = 60.0 + 25.0 * np.exp(-((y - rows * 0.4) ** 2 + (x - columns * 0.6) ** 2) / (2 * (rows / 2.5) ** 2))
    brightness = rng.uniform(60.0, 140.0, NUM_ROIS)
    expected = background.reshape(-1, 1) + masks.reshape(-1, NUM_ROIS) @ (brightness * (1.0 + calcium)).T
    movie = rng.poisson(expected.T.reshape(num_frames, rows, columns)).astype("uint16")
    imaging = NumpyImagingExtractor(timeseries=movie[..., np.newaxis], sampling_frequency=RATE_HZ)
    segmentation = NumpySegmentationExtractor(
        image_masks=masks, **_traces(movie, masks, decay), mean_image=movie.mean(axis=0),
        correlation_image=_correlation_image(movie), sampling_frequency=RATE_HZ, movie_dims=(rows, columns),
        rejected_list=list(REJECTED), accepted_list=[k for k in range(NUM_ROIS) if k not in REJECTED],
    )
    return imaging, segmentation


def _disks(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """(rows, columns, rois) binary disks that do not touch, away from the edges."""
    y, x = np.mgrid[:rows, :columns]
    margin, centres = ROI_RADIUS_PX + 2, []
    for _ in range(1000 * NUM_ROIS):
        if len(centres) == NUM_ROIS:
            break
        centre = rng.uniform(margin, (rows - margin, columns - margin))
        if all(np.hypot(*(centre - other)) > 2 * ROI_RADIUS_PX + 3 for other in centres):
            centres.append(centre)
    else:
        raise ValueError(f"{NUM_ROIS} separate neurons of radius {ROI_RADIUS_PX} px do not fit in {rows} x {columns} "
                         f"pixels; use a larger frame (the default is 128 x 128)")
    return np.stack([((y - cy) ** 2 + (x - cx) ** 2 <= ROI_RADIUS_PX**2) for cy, cx in centres], axis=-1).astype("float32")


def _traces(movie: np.ndarray, masks: np.ndarray, decay: float) -> dict[str, np.ndarray]:
    """raw, neuropil, dff and deconvolved traces (frames, rois) extracted from the movie."""
    frames = movie.reshape(len(movie), -1).astype("float64")
    flat = masks.reshape(-1, masks.shape[-1])
    raw = frames @ flat / flat.sum(axis=0)
    cells = flat.sum(axis=1) > 0
    rings = []
    for k in range(flat.shape[1]):
        inside = masks[..., k] > 0
        grown = inside.copy()
        for _ in range(6):  # a ring 6 pixels wide around the cell, outside every cell
            grown = grown | np.roll(grown, 1, 0) | np.roll(grown, -1, 0) | np.roll(grown, 1, 1) | np.roll(grown, -1, 1)
        rings.append(grown.reshape(-1) & ~cells)
    ring = np.stack(rings, axis=-1).astype("float64")
    neuropil = frames @ ring / ring.sum(axis=0)
    corrected = raw - 0.7 * neuropil
    baseline = np.percentile(corrected, 20, axis=0)
    dff = (corrected - baseline) / baseline
    deconvolved = np.maximum(dff - np.vstack([dff[:1], dff[:-1]]) * decay, 0.0)
    return {"raw": raw.astype("float32"), "neuropil": neuropil.astype("float32"), "dff": dff.astype("float32"),
            "deconvolved": deconvolved.astype("float32")}


def _correlation_image(movie: np.ndarray) -> np.ndarray:
    """Each pixel's mean correlation in time with its four neighbours (edges wrap)."""
    z = movie.astype("float32")
    z = (z - z.mean(axis=0)) / (z.std(axis=0) + 1e-6)
    neighbours = [np.roll(z, shift, axis) for shift in (1, -1) for axis in (1, 2)]
    return (sum((z * n).mean(axis=0) for n in neighbours) / 4).astype("float32")
