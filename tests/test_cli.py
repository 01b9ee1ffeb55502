"""The microscopy-builder command, driven in a subprocess on real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pynwb import NWBHDF5IO, NWBFile

import microscopy_builder as mb

from .conftest import START, make_imaging, new_session, read, write_hand_made_file


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

    paths["hand"] = write_hand_made_file(folder / "hand.nwb", "MicroscopySeries")
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
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert broken.stderr.strip().splitlines() == [f"microscopy-builder: error: {garbage}: not an NWB file (HDF5 or Zarr)"]
    folder = tmp_path / "folder.nwb.zarr"
    folder.mkdir()
    not_a_store = run(command, str(folder), *extra)
    assert not_a_store.stderr.strip().splitlines() == [f"microscopy-builder: error: {folder}: not an NWB file (HDF5 or Zarr)"]


def test_debug_shows_the_traceback(tmp_path):
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"not HDF5")
    for args in (["--debug", "inspect", str(garbage)], ["inspect", str(garbage), "--debug"]):
        done = run(*args)
        assert done.returncode == 1 and "Traceback (most recent call last)" in done.stderr
        assert "file signature not found" in done.stderr  # h5py's own words, kept for whoever debugs
        assert done.stderr.strip().splitlines()[-1] == f"microscopy-builder: error: {garbage}: not an NWB file (HDF5 or Zarr)"


# -- session files: every problem, in the command line's and YAML's words ----------------------------------------
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def session_file(folder: Path, **session_fields) -> Path:
    """examples/session.yaml, its paths made absolute, with session fields changed (None removes one)."""
    data = yaml.safe_load((EXAMPLES / "session.yaml").read_text())
    for name in data["include"]:  # included files stay in the session file's folder
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text((EXAMPLES / name).read_text())
    data["series"]["TwoPhotonSeries"]["extractor"]["NumpyImagingExtractor"]["timeseries"] = str(EXAMPLES / "data" / "movie.npy")
    rois = data["segmentations"]["PlaneSegmentation"]["extractor"]["NumpySegmentationExtractor"]
    for key in ("image_masks", "raw", "dff"):
        rois[key] = str(EXAMPLES / rois[key])
    for key, value in session_fields.items():
        if value is None:
            data["session"].pop(key, None)
        else:
            data["session"][key] = value
    path = folder / "session.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_every_problem_is_printed_with_yaml_advice(tmp_path):
    bad = session_file(tmp_path, subject={"subject_id": 17, "sex": ["F"], "species": "Mus musculus"})
    done = run("convert", str(bad), "-o", str(tmp_path / "out.nwb"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "microscopy-builder: error: 2 problems:"
    assert lines[1].startswith(f"- {bad}: session.subject.subject_id: must be text") and "quote it: subject_id: '17'" in lines[1]
    assert lines[2].startswith(f"- {bad}: session.subject.sex: must be text")
    assert not (tmp_path / "out.nwb").exists()


def test_a_start_time_without_offset_gets_yaml_advice(tmp_path):
    naive = session_file(tmp_path, session_start_time="2026-01-05T09:30:00")
    done = run("convert", str(naive), "-o", str(tmp_path / "out.nwb"))
    assert done.returncode == 1
    assert "session.session_start_time: 2026-01-05T09:30:00 has no UTC offset" in done.stderr
    assert "2026-01-05T09:30:00-05:00" in done.stderr and "datetime(" not in done.stderr and "tzinfo" not in done.stderr
    day_only = session_file(tmp_path, session_start_time="2026-01-05")
    day_only.write_text(day_only.read_text().replace("'2026-01-05'", "2026-01-05"))  # a YAML date, not text
    done = run("convert", str(day_only), "-o", str(tmp_path / "out.nwb"))
    assert "session.session_start_time: 2026-01-05 has no time and UTC offset" in done.stderr
    assert "such as 2026-01-05T00:00:00-05:00" in done.stderr


def test_advice_names_command_line_flags(tmp_path):
    good = session_file(tmp_path)
    out = tmp_path / "out.nwb"
    assert run("convert", str(good), "-o", str(out), "--quiet").returncode == 0
    again = run("convert", str(good), "-o", str(out), "--quiet")
    assert again.returncode == 1 and "pass --overwrite to replace it" in again.stderr and "overwrite=True" not in again.stderr
    assert run("convert", str(good), "-o", str(out), "--quiet", "--overwrite").returncode == 0


# -- validate and convert for DANDI ----------------------------------------------------------------------------------
def test_validate_never_reports_success_without_nwbinspector(files):
    code = ("import sys; sys.modules['nwbinspector'] = None; from microscopy_builder.cli import main; "
            f"sys.exit(main(['validate', {str(files['legacy'])!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "microscopy-builder: error: validate needs nwbinspector: pip install nwbinspector"


def test_validate_dandi_reports_what_dandi_requires(tmp_path, files):
    ready = run("validate", str(files["legacy"]), "--dandi")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "DANDI requirements: 0 error(s)" in ready.stdout and "its place is sub-m1/sub-m1_ses-" in ready.stdout
    from pynwb.file import Subject

    unready = new_session("legacy", subject=Subject(subject_id="m_1", sex="F", age="P90D", description="no species"))
    path = unready.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(frames=30)).rig(
        mb.RigBuilder("R").microscope(manufacturer="X", model="Y").channel("G", excitation_wavelength_nm=920.0,
                                                                           emission_wavelength_nm=525.0, indicator="GCaMP6s")
    ).space(mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan())).write(
        tmp_path / "unready.nwb")
    plain = run("validate", str(path))
    assert plain.returncode == 0, plain.stdout  # a missing species is only a best-practice violation for nwbinspector
    dandi = run("validate", str(path), "--dandi")
    assert dandi.returncode == 1
    assert "DANDI requirements: 2 error(s)" in dandi.stdout
    assert "  subject.species: missing; give species: a Latin binomial" in dandi.stdout
    assert "  subject.subject_id: 'm_1' is not a DANDI label" in dandi.stdout
    assert "CRITICAL Subject 'subject': Subject species is missing." in dandi.stdout  # nwbinspector's dandi configuration


def test_convert_dandi_writes_where_dandi_expects(tmp_path):
    good = session_file(tmp_path)
    done = run("convert", str(good), "--dandi", str(tmp_path / "ds"), "--quiet")
    assert done.returncode == 0, done.stderr
    written = tmp_path / "ds" / "sub-M-17" / "sub-M-17_ses-20260105T093000_ophys.nwb"
    assert done.stdout.splitlines() == [
        f"wrote {written}",
        "  session id 20260105T093000 is derived from the start time, as dandi organize does; give "
        "session.session_id in the session file to choose it",
    ]
    with read(written) as nwbfile:
        assert nwbfile.subject.subject_id == "M-17" and nwbfile.acquisition["TwoPhotonSeries"].data.shape[0] > 0
    checked = run("validate", str(written), "--dandi")
    assert checked.returncode == 0 and "note:" not in checked.stdout, checked.stdout
    named = session_file(tmp_path, session_id="day-2")
    assert run("convert", str(named), "--dandi", str(tmp_path / "ds"), "--quiet").stdout.splitlines() == [
        f"wrote {written.with_name('sub-M-17_ses-day-2_ophys.nwb')}"]
    both = run("convert", str(good), "--dandi", str(tmp_path / "ds"), "-o", str(tmp_path / "x.nwb"))
    assert both.returncode == 1 and "not both" in both.stderr


def test_convert_dandi_refuses_a_bad_id_before_writing(tmp_path):
    bad = session_file(tmp_path, subject={"subject_id": "m_001", "species": "Mus musculus", "sex": "F", "age": "P90D"})
    done = run("convert", str(bad), "--dandi", str(tmp_path / "ds"), "--quiet")
    assert done.returncode == 1
    assert done.stderr.strip() == ("microscopy-builder: error: subject.subject_id: 'm_001' is not a DANDI label "
                                   "(letters, digits and hyphens only); use e.g. 'm-001'")
    assert not (tmp_path / "ds").exists()


def test_the_readme_example_passes_validate(tmp_path):
    """The README's first example, run as it stands: its files pass `microscopy-builder validate`."""
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    first = re.search(r"^```python\n(.*?)^```", readme, re.DOTALL | re.MULTILINE).group(1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(mb.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", first], cwd=tmp_path, check=True, timeout=300, env=env)
    for name in ("session_ndx-microscopy.nwb", "session_legacy.nwb"):
        done = run("validate", str(tmp_path / name))
        assert done.returncode == 0, done.stdout
