"""The microscopy-builder command, driven in a subprocess on real files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile
from pynwb.device import Device
from pynwb.ophys import ImagingPlane, OpticalChannel, TwoPhotonSeries

import microscopy_builder as mb

from .conftest import START, make_imaging, new_session


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microscopy_builder.cli", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One file per format from this library, and one made by hand the way NeuroConv lays it out."""
    from .conftest import make_imaging as movie

    folder = tmp_path_factory.mktemp("cli")
    rig = mb.RigBuilder("Bergamo").microscope(manufacturer="Thorlabs", model="Bergamo II").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("V1_L23").planar(pixel_size_um=(1.2, 1.5)).anatomical_target("VISp2/3").line_scan()
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie(frames=90)).rig(rig).space(space)
    paths = {fmt: new_session(fmt).add(series).write(folder / f"{fmt}.nwb") for fmt in ("ndx-microscopy", "legacy")}
    paths["zarr"] = new_session("legacy").add(series).write(folder / "legacy.nwb.zarr")

    nwbfile = NWBFile(session_description="by hand", identifier="hand", session_start_time=START)
    device = Device(name="Microscope", description="a scope")
    nwbfile.add_device(device)
    plane = ImagingPlane(name="ImagingPlane", optical_channel=[OpticalChannel(name="OpticalChannel", description="c",
                         emission_lambda=520.0)], description="p", device=device, excitation_lambda=900.0,
                         indicator="GCaMP7f", location="VISp", imaging_rate=15.0)
    nwbfile.add_imaging_plane(plane)
    nwbfile.add_acquisition(TwoPhotonSeries(name="MicroscopySeries", data=np.zeros((4, 8, 6), dtype="uint16"),
                                            imaging_plane=plane, rate=15.0, unit="n.a."))
    with NWBHDF5IO(str(folder / "hand.nwb"), "w") as io:
        io.write(nwbfile)
    paths["hand"] = folder / "hand.nwb"
    return paths


def test_inspect_prints_the_tree_of_every_kind_of_file(files):
    ndx = run("inspect", str(files["ndx-microscopy"]))
    assert ndx.returncode == 0, ndx.stderr
    assert "(ndx-microscopy layout)" in ndx.stdout
    assert "  Bergamo: Microscope, model Bergamo II (Thorlabs)" in ndx.stdout
    assert "  V1_L23: PlanarImagingSpace in VISp2/3, grid 1.2 x 1.5 um" in ndx.stdout
    assert "  acquisition/TwoPhotonSeries: PlanarMicroscopySeries (90, 12, 17) uint16, 30 Hz from 0 s, 3.0 s" in ndx.stdout
    assert "  GCaMP6s: GCaMP6s" in ndx.stdout
    for key in ("legacy", "zarr"):
        legacy = run("inspect", str(files[key]))
        assert legacy.returncode == 0, legacy.stderr
        assert "(core pynwb.ophys layout)" in legacy.stdout
        assert "  V1_L23: ImagingPlane in VISp2/3, grid 1.2 x 1.5 um, indicator GCaMP6s" in legacy.stdout
        assert "  acquisition/TwoPhotonSeries: TwoPhotonSeries (90, 17, 12) uint16, 30 Hz" in legacy.stdout
    hand = run("inspect", str(files["hand"]))
    assert hand.returncode == 0, hand.stderr
    assert "  acquisition/MicroscopySeries: TwoPhotonSeries (4, 8, 6) uint16, 15 Hz from 0 s, 0.3 s" in hand.stdout
    assert "  ImagingPlane: ImagingPlane in VISp, indicator GCaMP7f" in hand.stdout


def test_validate_passes_a_good_file_and_fails_a_critical_one(files):
    good = run("validate", str(files["legacy"]))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "pynwb validator: 0 error(s)" in good.stdout and "nwbinspector:" in good.stdout
    bad = run("validate", str(files["hand"]))  # 4 frames of 8 x 6: nwbinspector flags the data orientation
    assert bad.returncode == 1
    assert "CRITICAL" in bad.stdout and "MicroscopySeries" in bad.stdout


@pytest.mark.parametrize("command", ["demo", "inspect", "validate"])
def test_every_command_has_help(command):
    done = run(command, "--help")
    assert done.returncode == 0 and "usage: microscopy-builder" in done.stdout


@pytest.mark.parametrize("command", ["inspect", "validate"])
def test_user_errors_are_one_line_never_a_traceback(tmp_path, command):
    missing = run(command, str(tmp_path / "missing.nwb"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [f"microscopy-builder: error: {tmp_path / 'missing.nwb'}: no such file or folder"]
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"not HDF5")
    broken = run(command, str(garbage))
    assert broken.returncode == 1 and "Traceback" not in broken.stderr and len(broken.stderr.strip().splitlines()) == 1
