"""The demo session: judged by nwbinspector and pynwb's validator, and the command that writes it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pynwb
import pytest
from nwbinspector import Importance, inspect_nwbfile, inspect_nwbfile_object
from roiextractors import NwbImagingExtractor

from microscopy_builder.cli import main
from microscopy_builder.demo import demo_session, write_demo

from .conftest import read


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo"))


def _serious(messages):
    return [
        m for m in messages
        if m.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION, Importance.ERROR)
    ]


def test_demo_writes_both_formats(demo_files):
    assert [p.name for p in demo_files] == ["demo_ndx-microscopy.nwb", "demo_legacy.nwb"]
    with read(demo_files[0]) as ndx_file, read(demo_files[1]) as legacy_file:
        assert type(ndx_file.acquisition["TwoPhotonSeries"]).__name__ == "PlanarMicroscopySeries"
        assert type(legacy_file.acquisition["TwoPhotonSeries"]).__name__ == "TwoPhotonSeries"
        assert ndx_file.acquisition["TwoPhotonSeries"].data.shape == (300, 128, 128)
        metadata = ndx_file.lab_meta_data["microscopy_experiment_metadata"]
        assert metadata.viral_vector_injections["GCaMP6s injection"].volume_in_uL == 0.2
        assert type(ndx_file.devices["Laser"]).__name__ == "PulsedExcitationSource"
        assert type(ndx_file.devices["ExcitationFilter"].model).__name__ == "EdgeOpticalFilterModel"
        segmentation = ndx_file.processing["ophys"]["SegmentationContainer"].segmentations["PlaneSegmentation"]
        assert len(segmentation) == 25
        assert segmentation.planar_imaging_space.object_id == ndx_file.acquisition["TwoPhotonSeries"].planar_imaging_space.object_id
        assert len(legacy_file.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]) == 25


def test_demo_is_fully_described_no_placeholders():
    for format in ("ndx-microscopy", "legacy"):
        assert demo_session(format, num_frames=5).placeholders == []


@pytest.mark.parametrize("index", [0, 1])
def test_nwbinspector_finds_nothing_serious(demo_files, index):
    messages = list(inspect_nwbfile(nwbfile_path=demo_files[index]))
    assert _serious(messages) == []
    # the demo describes every object: not even a missing-description suggestion
    assert [m.message for m in messages if m.check_function_name == "check_description"] == []


@pytest.mark.parametrize("index", [0, 1])
def test_pynwb_validator_accepts_the_demo(demo_files, index):
    assert list(pynwb.validate(path=str(demo_files[index]))) == []


def test_roiextractors_reads_the_legacy_demo_segmentation(demo_files):
    from roiextractors import NwbSegmentationExtractor

    reader = NwbSegmentationExtractor(demo_files[1])
    source = demo_session("legacy").specs("segmentation")[0].source
    assert reader.get_num_rois() == 25 and reader.get_image_shape() == (128, 128)
    assert {k for k, v in reader.get_traces_dict().items() if v is not None} == {"raw", "dff", "neuropil", "deconvolved"}
    assert (reader.get_property("rejected", reader.get_roi_ids()).nonzero()[0] == [3, 17]).all()
    assert (reader.get_traces(name="dff") == source.get_traces(name="dff")).all()


def test_roiextractors_reads_the_legacy_demo(demo_files):
    extractor = NwbImagingExtractor(demo_files[1])
    assert extractor.get_frame_shape() == (128, 128) and extractor.get_sampling_frequency() == 30.0
    session = demo_session("legacy")
    source = session.specs("series")[0].source
    assert (extractor.get_series(0, 3) == source.get_series(0, 3)).all()


def test_zarr_demo_passes_the_inspector(tmp_path):
    path = demo_session("ndx-microscopy", num_frames=150).write(tmp_path / "demo.nwb.zarr")  # more frames than rows
    with read(path) as nwbfile:
        assert _serious(list(inspect_nwbfile_object(nwbfile))) == []


def test_placeholders_are_reported_and_visible(tmp_path):
    import microscopy_builder as mb

    from .conftest import make_imaging, new_session

    sparse_rig = mb.RigBuilder("Bare").microscope(model="Scope X").excitation_source("Laser", excitation_mode="two-photon")
    sparse_rig = sparse_rig.channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0)
    sparse_space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1.0, 1.0))
    series = mb.SeriesBuilder("Movie").from_extractor(make_imaging()).rig(sparse_rig).space(sparse_space)
    session = new_session().add(series)
    with pytest.warns(mb.PlaceholderWarning):
        reported = {(p.object_path, p.field) for p in session.placeholders}
    assert reported == {
        ("device model 'Scope X'", "manufacturer"),
        ("device model 'LaserModel'", "manufacturer"),
        ("device model 'LaserModel'", "source_type"),
        ("rig 'Bare' channel 'Green'.indicator", "label"),
        ("imaging space 'FOV'", "anatomical_target"),
        ("imaging space 'FOV'", "illumination_pattern"),
    }
    path = session.write(tmp_path / "sparse.nwb")
    with read(path) as nwbfile:
        assert nwbfile.device_models["Scope X"].manufacturer == "unknown"
        assert nwbfile.acquisition["Movie"].planar_imaging_space.anatomical_target == "unknown"
        assert nwbfile.acquisition["Movie"].microscopy_channel.indicator.label == "unknown"


def test_cli_demo_prints_what_it_wrote_as_getting_started_shows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "demo-output"]) == 0
    out = capsys.readouterr().out
    assert "demo_ndx-microscopy.nwb" in out and "demo_legacy.nwb" in out
    assert "(300, 128, 128) uint16 at 30 Hz" in out
    assert "processing/ophys/SegmentationContainer: SegmentationContainer" in out
    assert "processing/ophys/ImageSegmentation: ImageSegmentation" in out
    assert (tmp_path / "demo-output" / "demo_legacy.nwb").is_file()
    page = (Path(__file__).resolve().parents[1] / "docs" / "getting-started.md").read_text()
    shown = re.search(r"^```text\n(.*?)^```", page, re.DOTALL | re.MULTILINE).group(1)
    assert shown == out  # the page shows the demo's real output


def test_cli_demo_into_a_closed_pipe_exits_quietly(tmp_path):
    """`microscopy-builder demo d | head -1`: the reader goes away; no BrokenPipeError traceback."""
    process = subprocess.Popen([sys.executable, "-m", "microscopy_builder.cli", "demo", str(tmp_path / "d")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # nobody reads: the command's first write meets a closed pipe
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141  # 128 + SIGPIPE, as the shell reports a closed pipe
    assert stderr == ""


def test_cli_reports_user_errors_in_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["demo", str(blocker)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("microscopy-builder: error:") and err.count("\n") == 1


def test_a_demo_frame_too_small_for_its_neurons_is_refused_not_an_endless_loop():
    from microscopy_builder.demo import demo_recording

    with pytest.raises(ValueError, match="do not fit in 32 x 32 pixels"):
        demo_recording(num_frames=5, rows=32, columns=32)
