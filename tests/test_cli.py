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


def test_inspect_reads_a_file_made_by_neuroconv(tmp_path):
    """NeuroConv's own layout: a TwoPhotonSeries named MicroscopySeries and its ImagingPlane."""
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile

    nwbfile = NWBFile(session_description="neuroconv", identifier="nc", session_start_time=START)
    add_imaging_to_nwbfile(imaging=make_imaging(rows=12, columns=17, frames=40), nwbfile=nwbfile,
                           photon_series_type="TwoPhotonSeries")
    with NWBHDF5IO(str(tmp_path / "neuroconv.nwb"), "w") as io:
        io.write(nwbfile)
    done = run("inspect", str(tmp_path / "neuroconv.nwb"))
    assert done.returncode == 0, done.stderr
    series_lines = [line for line in done.stdout.splitlines() if line.startswith("  acquisition/")]
    assert len(series_lines) == 1 and ": TwoPhotonSeries (40, 17, 12) uint16, 30 Hz" in series_lines[0]
    assert "imaging spaces (1)" in done.stdout and ": ImagingPlane in " in done.stdout


def test_validate_passes_a_good_file_and_fails_a_critical_one(files):
    good = run("validate", str(files["legacy"]))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "pynwb validator: 0 error(s)" in good.stdout and "nwbinspector:" in good.stdout
    bad = run("validate", str(files["hand"]))  # 4 frames of 8 x 6: nwbinspector flags the data orientation
    assert bad.returncode == 1
    assert "CRITICAL" in bad.stdout and "MicroscopySeries" in bad.stdout


@pytest.mark.parametrize("command", ["demo", "convert", "inspect", "validate", "plot"])
def test_every_command_has_help(command):
    done = run(command, "--help")
    assert done.returncode == 0 and "usage: microscopy-builder" in done.stdout


@pytest.mark.parametrize("command", ["inspect", "validate", "plot"])
def test_user_errors_are_one_line_never_a_traceback(tmp_path, command):
    extra = ["-o", str(tmp_path / "out.png")] if command == "plot" else []
    missing = run(command, str(tmp_path / "missing.nwb"), *extra)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [f"microscopy-builder: error: {tmp_path / 'missing.nwb'}: no such file or folder"]
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"not HDF5")
    broken = run(command, str(garbage), *extra)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr and len(broken.stderr.strip().splitlines()) == 1


# -- pictures ------------------------------------------------------------------------------------------------
def sparse_segmentation(rows=64, columns=80, rois=12, frames=50):
    """Disk-shaped ROIs (as Suite2p or CaImAn give them), two of them rejected."""
    from roiextractors import NumpySegmentationExtractor

    rng = np.random.default_rng(0)
    y, x = np.mgrid[:rows, :columns]
    masks = np.zeros((rows, columns, rois), dtype="float32")
    for k in range(rois):
        cy, cx = rng.uniform(8, rows - 8), rng.uniform(8, columns - 8)
        masks[..., k] = ((y - cy) ** 2 + (x - cx) ** 2 < 25).astype("float32")
    return NumpySegmentationExtractor(image_masks=masks, raw=rng.random((frames, rois)), mean_image=rng.random((rows, columns)),
                                      sampling_frequency=30.0, movie_dims=(rows, columns), rejected_list=[2, 5],
                                      accepted_list=[k for k in range(rois) if k not in (2, 5)])


def colours(png) -> dict[str, int]:
    """How many pixels of the outline colours a PNG holds."""
    import matplotlib.image

    pixels = (matplotlib.image.imread(str(png))[..., :3] * 255).round().astype(int)
    def count(hex_colour):
        target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(pixels - target).sum(axis=-1) < 60).sum())
    return {"shape": pixels.shape[:2], "green": count("#2ca02c"), "red": count("#d62728"), "std": float(pixels.std())}


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plot")
    rig = mb.RigBuilder("R").microscope(manufacturer="X", model="Y").channel(
        "G", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=64, columns=80, frames=50)).rig(rig).space(space)
    sessions = {fmt: new_session(fmt).add(series).add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(sparse_segmentation()).series(series)) for fmt in ("ndx-microscopy", "legacy")}
    paths = {fmt: session.write(folder / f"{fmt}.nwb") for fmt, session in sessions.items()}
    return folder, paths


@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_plot_draws_mean_frames_and_roi_outlines(segmented, format):
    folder, paths = segmented
    out = folder / f"{format}.png"
    done = run("plot", str(paths[format]), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    found = colours(out)
    assert found["shape"] == (450, 900)  # two panels side by side
    assert found["std"] > 20  # an image, not a blank canvas
    assert found["green"] > 200 and found["red"] > 30  # accepted and rejected outlines, told apart


def test_a_session_plots_its_sources_before_writing(tmp_path, rig, space):
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=64, columns=80, frames=50)).rig(rig).space(space)
    session = new_session().add(series).add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(sparse_segmentation()).series(series))
    found = colours(session.plot(tmp_path / "session.png"))
    assert found["shape"] == (450, 900) and found["green"] > 200 and found["red"] > 30


def test_plot_without_matplotlib_says_how_to_install_it(segmented):
    folder, paths = segmented
    code = ("import sys; sys.modules['matplotlib'] = None; from microscopy_builder.cli import main; "
            f"sys.exit(main(['plot', {str(paths['legacy'])!r}, '-o', {str(folder / 'none.png')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "pip install 'microscopy-builder[plot]'" in done.stderr
    assert not (folder / "none.png").exists()
