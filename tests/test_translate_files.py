"""Translating files other writers made (NeuroConv 0.10.2, plain pynwb), the command line, and what is refused."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pynwb
import pytest
from nwbinspector import Importance, inspect_nwbfile_object
from pynwb import NWBHDF5IO, NWBFile
from pynwb.device import Device
from pynwb.file import Subject
from pynwb.ophys import (DfOverF, Fluorescence, ImageSegmentation, ImagingPlane, OpticalChannel, RoiResponseSeries,
                         TwoPhotonSeries)

import microscopy_builder as mb

from .conftest import START, make_imaging, read
from .test_reading_segmentation import dummy

SERIOUS = (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION)
SUBJECT = dict(subject_id="m1", species="Mus musculus", sex="F", age="P90D")


def serious_checks(path: Path) -> set[str]:
    """The nwbinspector checks rating the file CRITICAL or BEST_PRACTICE_VIOLATION."""
    with read(path) as nwbfile:
        return {m.check_function_name for m in inspect_nwbfile_object(nwbfile) if m.importance in SERIOUS}


def upgraded(source: Path, destination: Path) -> tuple[Path, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = mb.translate(source, destination, format="ndx-microscopy")
    return path, [str(w.message) for w in caught if issubclass(w.category, mb.CompatibilityWarning)]


def fingerprint(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def neuroconv_file(tmp_path_factory) -> Path:
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile, add_segmentation_to_nwbfile

    nwbfile = NWBFile(session_description="made by NeuroConv", identifier="nc", session_start_time=START,
                      subject=Subject(**SUBJECT))
    add_imaging_to_nwbfile(imaging=make_imaging(rows=12, columns=17, frames=40), nwbfile=nwbfile,
                           photon_series_type="TwoPhotonSeries")
    add_segmentation_to_nwbfile(segmentation_extractor=dummy(rejected_list=["roi_2"]), nwbfile=nwbfile)
    path = tmp_path_factory.mktemp("neuroconv") / "neuroconv.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def pynwb_file(path: Path) -> Path:
    """A legacy file made with plain pynwb, the way a lab script writes one."""
    nwbfile = NWBFile(session_description="by hand", identifier="hand", session_start_time=START, lab="Lab",
                      experimenter=["Doe, Jane"], subject=Subject(**SUBJECT))
    device = Device(name="Scope", description="Resonant two-photon microscope.")
    nwbfile.add_device(device)
    plane = ImagingPlane(name="ImagingPlane", optical_channel=[OpticalChannel(name="Green", description="GCaMP emission.",
                         emission_lambda=520.0)], description="Layer 2/3 of V1.", device=device, excitation_lambda=920.0,
                         indicator="GCaMP7f", location="VISp2/3", grid_spacing=[2e-6, 2e-6], grid_spacing_unit="meters",
                         origin_coords=[0.0, 0.0, 0.0], origin_coords_unit="meters", reference_frame="bregma")
    nwbfile.add_imaging_plane(plane)
    times = np.cumsum(np.random.default_rng(1).uniform(0.09, 0.11, 30))
    movie = np.random.default_rng(2).integers(0, 4000, size=(30, 10, 8), dtype="uint16")  # (frames, x, y)
    nwbfile.add_acquisition(TwoPhotonSeries(name="TwoPhotonSeries", data=movie, imaging_plane=plane, timestamps=times,
                                            unit="n.a.", field_of_view=[20e-6, 16e-6], pmt_gain=0.6,
                                            scan_line_rate=8000.0, description="Awake mouse."))
    module = nwbfile.create_processing_module("ophys", "Processed data.")
    table = ImageSegmentation().create_plane_segmentation(name="PlaneSegmentation", description="Hand-drawn ROIs.",
                                                          imaging_plane=plane)
    masks = np.zeros((3, 10, 8), dtype="float32")
    for roi in range(3):
        masks[roi, 2 * roi : 2 * roi + 3, 2:5] = 1.0
        table.add_roi(image_mask=masks[roi])
    module.add(table.parent if table.parent is not None else ImageSegmentation(plane_segmentations=[table]))
    region = table.create_roi_table_region(description="all ROIs", region=[0, 1, 2])
    traces = np.random.default_rng(3).random((30, 3)).astype("float32")
    module.add(Fluorescence(roi_response_series=RoiResponseSeries(name="RoiResponseSeries", data=traces, rois=region,
                                                                  unit="a.u.", timestamps=times)))
    module.add(DfOverF(roi_response_series=RoiResponseSeries(name="RoiResponseSeries", data=traces * 2, rois=region,
                                                             unit="a.u.", timestamps=times)))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def test_a_neuroconv_file_upgrades_to_a_valid_ndx_microscopy_file(tmp_path, neuroconv_file):
    before = fingerprint(neuroconv_file)
    path, _ = upgraded(neuroconv_file, tmp_path / "upgraded.nwb")
    assert fingerprint(neuroconv_file) == before  # the source is never changed
    assert list(pynwb.validate(path=str(path))) == []
    assert serious_checks(path) <= serious_checks(neuroconv_file)
    with read(neuroconv_file) as old, read(path) as new:
        movie = new.acquisition["MicroscopySeries"]  # NeuroConv's name kept
        assert type(movie).__name__ == "PlanarMicroscopySeries"
        np.testing.assert_array_equal(movie.data[:], old.acquisition["MicroscopySeries"].data[:].transpose(0, 2, 1))
        old_ophys, new_ophys = old.processing["ophys"], new.processing["ophys"]
        traces = new_ophys["PlaneSegmentationResponseSeries"].microscopy_response_series
        for kind, name in (("Fluorescence", "RoiResponseSeries"), ("DfOverF", "DfOverF"), ("Neuropil", "Neuropil"),
                           ("Deconvolved", "Deconvolved")):
            stored = old_ophys["Fluorescence"].roi_response_series[name].data
            assert traces[kind].data.dtype == stored.dtype
            np.testing.assert_array_equal(traces[kind].data[:], stored[:])
        table = new_ophys["SegmentationContainer"].segmentations["PlaneSegmentation"]
        assert table["roi_name"].data[:].tolist() == [n for n in old_ophys["ImageSegmentation"]["PlaneSegmentation"]["roi_name"].data[:]]
        assert table["Rejected"].data[:].tolist() == [0, 0, 1, 0, 0, 0]


def test_a_pynwb_file_upgrades_and_its_unplaceable_fields_are_reported(tmp_path):
    source = pynwb_file(tmp_path / "hand.nwb")
    path, messages = upgraded(source, tmp_path / "upgraded.nwb")
    assert list(pynwb.validate(path=str(path))) == []
    assert serious_checks(path) <= serious_checks(source)
    assert any("pmt_gain" in m and "photodetector" in m for m in messages)  # no photodetector on the rig to hold it
    with read(source) as old, read(path) as new:
        movie = new.acquisition["TwoPhotonSeries"]
        np.testing.assert_array_equal(movie.data[:], old.acquisition["TwoPhotonSeries"].data[:].transpose(0, 2, 1))
        np.testing.assert_array_equal(movie.timestamps[:], old.acquisition["TwoPhotonSeries"].timestamps[:])
        space = movie.planar_imaging_space
        assert (list(space.pixel_size_in_um[:]), space.anatomical_target) == ([2.0, 2.0], "VISp2/3")
        assert space.illumination_pattern.line_rate_in_Hz == 8000.0
        assert movie.microscopy_channel.indicator.label == "GCaMP7f" and movie.microscopy_rig.microscope.name == "Scope"
        assert movie.description == "Awake mouse."
        table = new.processing["ophys"]["SegmentationContainer"].segmentations["PlaneSegmentation"]
        np.testing.assert_array_equal(table["image_mask"].data[:],
                                      old.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]["image_mask"].data[:]
                                      .transpose(0, 2, 1))


def test_what_a_translation_refuses(tmp_path, neuroconv_file):
    existing = tmp_path / "existing.nwb"
    existing.write_bytes(neuroconv_file.read_bytes())
    kept = fingerprint(existing)
    with pytest.raises(mb.BuilderError, match="already exists; pass overwrite=True"):
        mb.translate(neuroconv_file, existing, format="ndx-microscopy")
    assert fingerprint(existing) == kept
    for overwrite in (False, True):
        with pytest.raises(mb.ValidationError, match="is the source file"):
            mb.translate(existing, existing, format="legacy", overwrite=overwrite)
    assert fingerprint(existing) == kept
    with pytest.raises(mb.ValidationError, match="format: must be one of"):
        mb.translate(neuroconv_file, tmp_path / "x.nwb", format="core")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store = mb.translate(neuroconv_file, tmp_path / "store.nwb.zarr", format="ndx-microscopy")
    with pytest.raises(mb.ValidationError, match="hold one another"):
        mb.translate(store, store / "inside.nwb", format="legacy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        replaced = mb.translate(store, existing, format="legacy", overwrite=True)
    assert fingerprint(replaced) != kept


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microscopy_builder.cli", *args], capture_output=True, text=True, timeout=300)


def test_the_translate_command(tmp_path, neuroconv_file):
    done = run("translate", str(neuroconv_file), "-o", str(tmp_path / "up.nwb"), "--format", "ndx-microscopy")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {tmp_path / 'up.nwb'}"
    assert "writing MicroscopySeries" in done.stderr and "100%" in done.stderr  # the progress bar
    assert "microscopy-builder: warning:" in done.stderr and "Traceback" not in done.stderr
    down = run("translate", str(tmp_path / "up.nwb"), "-o", str(tmp_path / "down.nwb.zarr"), "--format", "legacy",
               "--backend", "zarr", "--quiet")
    assert down.returncode == 0, down.stderr
    assert "writing" not in down.stderr
    with read(tmp_path / "down.nwb.zarr") as nwbfile:
        assert type(nwbfile.acquisition["MicroscopySeries"]).__name__ == "TwoPhotonSeries"
    again = run("translate", str(neuroconv_file), "-o", str(tmp_path / "up.nwb"), "--format", "ndx-microscopy")
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        f"microscopy-builder: error: destination: '{tmp_path / 'up.nwb'}' already exists; pass --overwrite to replace it")
    assert run("translate", "--help").stdout.startswith("usage: microscopy-builder translate")
