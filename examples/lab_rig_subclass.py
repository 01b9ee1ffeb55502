"""A lab's own rig builder: subclass ``mb.RigBuilder`` and give it the lab's vocabulary.

The Smith lab images every mouse on the same two-photon microscope with the same optics, and
records a green (GCaMP) and sometimes a red (tdTomato) channel. ``SmithLab2P`` keeps those facts in
one place: ``.standard_optics()`` fills in the light path, ``.green()`` and ``.red()`` add the
channels with the lab's wavelengths. Lab methods and ``RigBuilder`` methods chain in any order, and
every call returns a new ``SmithLab2P``; the builder it was called on is left unchanged.

Run::

    python examples/lab_rig_subclass.py [OUTDIR]

OUTDIR defaults to a new temporary folder. One file per output format is written and its path printed.
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
START_TIME = dt.datetime(2026, 2, 9, 14, 5, tzinfo=ZoneInfo("Europe/London"))

# The synthetic recording: two channels of 120 frames, 48 rows x 64 columns, at 15 Hz.
NUM_FRAMES, NUM_ROWS, NUM_COLUMNS, RATE_HZ = 120, 48, 64, 15.0
SEEDS = {"Green": 1, "Red": 2}


class SmithLab2P(mb.RigBuilder):
    """The Smith lab's two-photon rig. Methods return ``SmithLab2P``, so they chain with the base ones."""

    def standard_optics(self) -> SmithLab2P:
        """Microscope, laser, detector, objective and emission filter as installed on the rig."""
        return (
            self.microscope(
                manufacturer="Bruker", model="Ultima 2P Plus", serial_number="U2P-0412",
                technique="resonant-galvo scanning",
                description="Bruker Ultima 2P Plus with an 8 kHz resonant scanner, room B.214.",
            )
            .excitation_source(
                "Laser", manufacturer="Coherent", model="Chameleon Discovery NX",
                excitation_mode="two-photon", source_type="Ti:sapphire laser",
                wavelength_nm=920.0, wavelength_range_nm=(660.0, 1320.0),
                power_w=0.04, pulse_rate_hz=80e6,
                description="Tunable femtosecond laser; about 40 mW at the sample.",
            )
            .photodetector(
                "PMT", manufacturer="Hamamatsu", model="H10770PB-40", detector_type="PMT",
                wavelength_range_nm=(300.0, 720.0), gain=0.65, gain_unit="a.u.",
                description="GaAsP photomultiplier tube.",
            )
            .objective_lens(
                "Objective", manufacturer="Nikon", model="N16XLWD-PF",
                numerical_aperture=0.8, magnification=16.0,
                description="16x/0.8 NA water-immersion objective, 3 mm working distance.",
            )
            .emission_filter(
                "EmissionFilter", manufacturer="Chroma", model="ET525/70m-2p",
                center_wavelength_nm=525.0, bandwidth_nm=70.0,
                description="Green band-pass emission filter in front of the PMT.",
            )
        )

    def green(self, indicator: str | mb.Indicator = "GCaMP6s") -> SmithLab2P:
        """The green channel: 920 nm excitation, 525 nm emission."""
        return self.channel(
            "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator=indicator,
            description="Green fluorescence (calcium indicator), 525/70 nm emission band.",
        )

    def red(self, indicator: str | mb.Indicator = "tdTomato") -> SmithLab2P:
        """The red channel: 1040 nm excitation (the laser's fixed output), 595 nm emission."""
        return self.channel(
            "Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=595.0, indicator=indicator,
            description="Red fluorescence (structural marker), 595/50 nm emission band.",
        )


def describe_rig() -> SmithLab2P:
    # Lab methods and RigBuilder methods, mixed in any order.
    return (
        SmithLab2P("Ultima")
        .green(indicator="GCaMP6s")
        .description("Smith lab two-photon rig for head-fixed mice.")
        .standard_optics()
        .red(indicator="tdTomato")
    )


def describe_space() -> mb.ImagingSpaceBuilder:
    return (
        mb.ImagingSpaceBuilder("V1_L23")
        .planar(pixel_size_um=(1.5, 1.5))
        .anatomical_target("VISp2/3")
        .description("Field of view in layer 2/3 of primary visual cortex, 200 um below the pia.")
        .line_scan(line_rate_hz=7910.0)
    )


def synthetic_imaging(channel: str):
    """Stand-in for the extractor of a real recording (e.g. roiextractors' ScanImage or Bruker extractors)."""
    return generate_dummy_imaging_extractor(
        num_samples=NUM_FRAMES, num_rows=NUM_ROWS, num_columns=NUM_COLUMNS,
        sampling_frequency=RATE_HZ, seed=SEEDS[channel],
    )


def main(outdir: str | Path) -> list[Path]:
    """Write the two-channel session in both formats into ``outdir``; print and return the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    rig, space = describe_rig(), describe_space()
    series = [
        mb.SeriesBuilder(f"TwoPhotonSeries{channel}")
        .from_extractor(synthetic_imaging(channel))
        .rig(rig).channel(channel).space(space)
        .description(f"Synthetic {channel.lower()}-channel movie of V1 layer 2/3.")
        for channel in ("Green", "Red")
    ]

    written = []
    for format in FORMATS:
        session = mb.Session(
            session_description="Two-channel two-photon imaging in V1 (synthetic data).",
            session_start_time=START_TIME,
            format=format,
            subject=Subject(subject_id="SM-117", species="Mus musculus", sex="M", age="P75D",
                            strain="C57BL/6J", description="Head-fixed, awake."),
            experimenter=["Smith, Alex"],
            lab="Smith Lab",
            institution="University of Examples",
            experiment_description="Spontaneous activity of V1 layer 2/3 neurons, GCaMP6s with a tdTomato marker.",
            keywords=["two-photon", "calcium imaging", "V1"],
        )
        for item in series:  # both series name the same rig and space: each is written once
            session.add(item)
        path = session.write(outdir / f"lab_rig_subclass_{format}.nwb", overwrite=True)
        print(path)
        written.append(path)
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="lab_rig_subclass-"))
