"""Two-photon imaging of one plane, written as ndx-microscopy and as legacy NWB.

The fluent chain from the design document: a rig, an imaging space and a series built from a
roiextractors extractor (here synthetic frames), added to one ``Session`` per output format.

Run::

    python examples/two_photon_planar.py [OUTDIR]

OUTDIR defaults to a new temporary folder. The paths written are printed.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from pynwb.file import Subject
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

FORMATS = ("ndx-microscopy", "legacy")
START_TIME = dt.datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo("America/New_York"))

# The synthetic recording: 100 frames, 60 rows x 80 columns, at 30 Hz.
NUM_FRAMES, NUM_ROWS, NUM_COLUMNS, RATE_HZ = 100, 60, 80, 30.0


def describe_rig() -> mb.RigBuilder:
    """A resonant-scanning two-photon microscope imaging GCaMP6s in one green channel."""
    return (
        mb.RigBuilder("Bergamo")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", serial_number="B2-07",
                    technique="resonant scanning")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II",
                           excitation_mode="two-photon", wavelength_nm=920.0,
                           source_type="Ti:sapphire laser")
        .photodetector("PMT", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="PMT")
        .objective_lens("Objective", manufacturer="Nikon", model="CFI75 16X/0.8W",
                        numerical_aperture=0.8, magnification=16.0)
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50",
                         center_wavelength_nm=525.0, bandwidth_nm=50.0)
        .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0,
                 indicator="GCaMP6s")
    )


def describe_space() -> mb.ImagingSpaceBuilder:
    """One plane in layer 2/3 of mouse primary visual cortex, raster-scanned line by line."""
    return (
        mb.ImagingSpaceBuilder("V1_L23")
        .planar(pixel_size_um=(1.2, 1.2))
        .anatomical_target("VISp2/3")
        .line_scan(line_rate_hz=7910.0)
    )


def main(outdir: str | Path) -> list[Path]:
    """Write the session in both formats into ``outdir``; print and return the paths written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    # Any roiextractors ImagingExtractor works here (ScanImage, Bruker, TIFF, ...); this one is synthetic.
    imaging = generate_dummy_imaging_extractor(
        num_samples=NUM_FRAMES, num_rows=NUM_ROWS, num_columns=NUM_COLUMNS, sampling_frequency=RATE_HZ, seed=0
    )
    series = (
        mb.SeriesBuilder("TwoPhotonSeries")
        .from_extractor(imaging)
        .rig(describe_rig()).channel("Green").space(describe_space())
        .description("Synthetic two-photon movie standing in for spontaneous activity in V1 L2/3.")
    )

    written = []
    for format in FORMATS:
        session = mb.Session(
            session_description="V1 two-photon imaging (synthetic data)",
            session_start_time=START_TIME,
            format=format,
            subject=Subject(subject_id="mouse-001", species="Mus musculus", sex="F", age="P90D",
                            description="Wild-type C57BL/6J mouse."),
            experimenter=["Doe, Jane"],
        )
        session.add(series)
        path = session.write(outdir / f"two_photon_planar_{format}.nwb", overwrite=True)
        print(path)
        written.append(path)
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="two_photon_planar-"))
