"""A volumetric recording written two ways: as one volume, and plane by plane.

An electrically tunable lens steps through three depths; the acquisition software saves one
volumetric movie. roiextractors reads it as a volumetric extractor (time, rows, columns, planes).

* As a volume: a ``VolumetricImagingSpace`` and one series, stored (frames, depth, height, width)
  in ndx-microscopy and (frames, x, y, z) in legacy NWB.
* As planes: roiextractors' ``select_plane(i)`` gives each plane as a planar extractor; each goes
  on ``space.at_depth(depth_um)``. ndx-microscopy groups the planes of one rig and channel in a
  ``MultiPlaneMicroscopyContainer``; legacy NWB writes one series and one ImagingPlane per plane.

Run::

    python examples/volume_as_planes.py [OUTDIR]

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
START_TIME = dt.datetime(2026, 4, 14, 13, 0, tzinfo=ZoneInfo("Europe/London"))

# The synthetic recording: 60 volumes of 3 planes, 40 rows x 56 columns, at 10 volumes per second.
NUM_VOLUMES, NUM_ROWS, NUM_COLUMNS, RATE_HZ = 60, 40, 56, 10.0
DEPTHS_UM = (150.0, 180.0, 210.0)  # below the pia, one per plane
SEED = 3


def describe_rig() -> mb.RigBuilder:
    """A two-photon microscope with an electrically tunable lens, one green channel."""
    return (
        mb.RigBuilder("ETLScope")
        .microscope(manufacturer="Bruker", model="Ultima 2P Plus", serial_number="U-2231",
                    technique="resonant scanning with an electrically tunable lens")
        .excitation_source("Laser", manufacturer="Coherent", model="Discovery NX", excitation_mode="two-photon",
                           source_type="optical parametric oscillator", wavelength_nm=920.0)
        .photodetector("PMT", manufacturer="Hamamatsu", model="H11706-40", detector_type="PMT")
        .objective_lens("Objective", manufacturer="Olympus", model="XLUMPlanFL N 20x/1.0W",
                        numerical_aperture=1.0, magnification=20.0)
        .emission_filter("GreenFilter", manufacturer="Chroma", model="ET525/50m",
                         center_wavelength_nm=525.0, bandwidth_nm=50.0)
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP8m",
                 description="GCaMP8m fluorescence through a 525/50 filter")
    )


def describe_spaces() -> tuple[mb.ImagingSpaceBuilder, mb.ImagingSpaceBuilder]:
    """The same tissue as a volume (z step 30 um) and as a planar space whose planes are taken at depth."""
    volume = (
        mb.ImagingSpaceBuilder("V1_stack")
        .volumetric(voxel_size_um=(1.1, 1.1, 30.0))
        .anatomical_target("VISp2/3")
        .line_scan(line_rate_hz=7910.0)
        .description("Three planes of V1 layer 2/3, 30 um apart, 150-210 um below the pia")
    )
    planes = (
        mb.ImagingSpaceBuilder("V1")
        .planar(pixel_size_um=(1.1, 1.1))
        .anatomical_target("VISp2/3")
        .line_scan(line_rate_hz=7910.0)
        .description("V1 layer 2/3, imaged plane by plane with an electrically tunable lens")
    )
    return volume, planes


def recording():
    """The volumetric extractor the acquisition gives (a real one would be e.g. a ScanImage reader)."""
    return generate_dummy_imaging_extractor(num_samples=NUM_VOLUMES, num_rows=NUM_ROWS, num_columns=NUM_COLUMNS,
                                            num_planes=len(DEPTHS_UM), sampling_frequency=RATE_HZ, seed=SEED)


def describe_series(as_planes: bool) -> list[mb.SeriesBuilder]:
    rig, (volume, planes) = describe_rig(), describe_spaces()
    imaging = recording()
    if not as_planes:
        return [mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(volume)
                .description("Volumetric two-photon movie of V1 layer 2/3")]
    return [
        mb.SeriesBuilder(f"TwoPhotonSeriesPlane{index}")
        .from_extractor(imaging.select_plane(index))  # roiextractors' lazy plane selection
        .rig(rig).space(planes.at_depth(depth))
        .description(f"Plane {index} ({depth:g} um below the pia) of the volumetric movie")
        for index, depth in enumerate(DEPTHS_UM)
    ]


def main(outdir: str | Path | None = None) -> list[Path]:
    """Write the recording as a volume and as planes, in both formats; print and return the paths."""
    outdir = Path(outdir or tempfile.mkdtemp(prefix="mb-volume-"))
    written = []
    for as_planes, layout in ((False, "volume"), (True, "planes")):
        for format in FORMATS:
            session = mb.Session(
                session_description=f"Volumetric two-photon imaging of V1, written as {layout} (synthetic data).",
                session_start_time=START_TIME,
                format=format,
                experimenter=["Doe, Jane"],
                lab="Example Lab",
                institution="Example Institute",
                subject=Subject(subject_id="ETL-04", species="Mus musculus", sex="M", age="P70D",
                                description="Emx1-Cre mouse expressing GCaMP8m"),
            )
            for series in describe_series(as_planes):
                session.add(series)
            path = session.write(outdir / f"{layout}_{format}.nwb", overwrite=True)
            print(path)
            written.append(path)
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
