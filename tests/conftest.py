"""Shared fixtures: a fully described rig and space, real roiextractors sources, and file readers."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path

import pytest
from pynwb import NWBHDF5IO
from pynwb.file import Subject
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

START = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone.utc)


@pytest.fixture
def rig() -> mb.RigBuilder:
    return (
        mb.RigBuilder("Bergamo")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", serial_number="B2-07", technique="resonant scanning")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II", excitation_mode="two-photon",
                           wavelength_nm=920.0, source_type="Ti:sapphire laser", power_w=0.05)
        .photodetector("PMT", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="PMT", gain=0.6)
        .objective_lens("Objective", manufacturer="Nikon", model="CFI75 16X/0.8W", numerical_aperture=0.8,
                        magnification=16.0)
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50", center_wavelength_nm=525.0,
                         bandwidth_nm=50.0)
        .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s",
                 description="Green channel")
    )


@pytest.fixture
def space() -> mb.ImagingSpaceBuilder:
    return (
        mb.ImagingSpaceBuilder("V1_L23")
        .planar(pixel_size_um=(1.2, 1.5))
        .anatomical_target("VISp2/3")
        .line_scan(line_rate_hz=7910.0)
        .description("Layer 2/3 of V1")
    )


def make_imaging(*, rows: int = 12, columns: int = 17, frames: int = 40, rate: float = 30.0, seed: int = 0, **kwargs):
    """A roiextractors mock extractor: non-square frames catch swapped axes."""
    return generate_dummy_imaging_extractor(
        num_rows=rows, num_columns=columns, num_samples=frames, sampling_frequency=rate, seed=seed, **kwargs
    )


@pytest.fixture
def imaging():
    return make_imaging()


def new_session(format: str = "ndx-microscopy", **kwargs) -> mb.Session:
    kwargs.setdefault(
        "subject", Subject(subject_id="m1", species="Mus musculus", sex="F", age="P90D", description="test mouse")
    )
    return mb.Session(session_description="test session", session_start_time=START, format=format,
                      experimenter=["Doe, Jane"], institution="Test Institute", lab="Test Lab",
                      experiment_description="tests", keywords=["test"], **kwargs)


#: every kind of spec a session registers
SPEC_KINDS = ("series", "segmentation", "static image", "rig", "space", "device", "device model", "indicator")


def registered(session) -> set[tuple[str, str]]:
    """Every (kind, key) a session holds, read through its public ``specs``."""
    return {(kind, spec.key) for kind in SPEC_KINDS for spec in session.specs(kind)}


@contextmanager
def read(path: Path):
    """Open an NWB file of either backend with the matching pynwb reader."""
    if Path(path).is_dir():
        from hdmf_zarr.nwb import NWBZarrIO

        io = NWBZarrIO(str(path), mode="r")
    else:
        io = NWBHDF5IO(str(path), mode="r")
    try:
        yield io.read()
    finally:
        io.close()


def series_named(nwbfile, name: str):
    """The imaging series called ``name`` wherever the format placed it (acquisition, processing or a
    multi-plane / multi-channel container); layout itself is tested where it matters."""
    found = [
        obj for obj in nwbfile.objects.values()
        if obj.name == name and hasattr(obj, "data") and type(obj).__name__.endswith(("MicroscopySeries", "PhotonSeries"))
    ]
    assert len(found) == 1, f"{len(found)} series named {name!r}"
    return found[0]


FORMATS = ("ndx-microscopy", "legacy")
BACKENDS = (("hdf5", "nwb"), ("zarr", "nwb.zarr"))


def write_hand_made_file(path: Path, series_name: str) -> Path:
    """A legacy file written with plain pynwb, as a lab writes one by hand: one plane, one movie of zeros."""
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.device import Device
    from pynwb.ophys import ImagingPlane, OpticalChannel, TwoPhotonSeries
    import numpy as np

    nwbfile = NWBFile(session_description="by hand", identifier="hand", session_start_time=START)
    device = Device(name="Microscope", description="a scope")
    nwbfile.add_device(device)
    plane = ImagingPlane(name="ImagingPlane", optical_channel=[OpticalChannel(name="OpticalChannel", description="c",
                         emission_lambda=520.0)], description="p", device=device, excitation_lambda=900.0,
                         indicator="GCaMP7f", location="VISp", imaging_rate=15.0)
    nwbfile.add_imaging_plane(plane)
    nwbfile.add_acquisition(TwoPhotonSeries(name=series_name, data=np.zeros((4, 8, 6), dtype="uint16"),
                                            imaging_plane=plane, rate=15.0, unit="n.a."))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path
