"""``microscopy-builder describe``: session files pre-filled from headers, UNKNOWN where a person must fill
in, a comment naming the header key of every value read; once filled in they load and convert."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import microscopy_builder as mb
from microscopy_builder.acquisition.describe import describe
from microscopy_builder.builders import ImagingSpaceBuilder, RigBuilder
from microscopy_builder.cli import main
from microscopy_builder.session_file import load_session_file, read_description

from .conftest import read, series_named
from .test_source_metadata import SUITE2P, THOR_XML, needs_suite2p, needs_thor
from .vendor_files import write_bruker, write_caiman, write_miniscope, write_scanimage, write_scanimage3, write_thor

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")

#: what a person would type over each UNKNOWN
FILLED = {
    "session_description": "V1 imaging", "session_start_time": "2024-03-14T09:49:55-04:00", "subject_id": "M1",
    "species": "Mus musculus", "sex": "F", "age": "P90D", "manufacturer": "Acme", "excitation_mode": "two-photon",
    "source_type": "Ti:sapphire laser", "wavelength_nm": 920.0, "emission_wavelength_nm": 525.0, "indicator": "GCaMP6s",
    "numerical_aperture": 0.8, "pixel_size_um": [1.0, 1.0], "voxel_size_um": [1.0, 1.0, 5.0], "detector_type": "PMT",
    "anatomical_target": "VISp2/3", "sampling_frequency": 30.0, "file_path": "ChanC_001_001_001_001.tif",
}
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The command in ``cwd``, importing this checkout's package."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "microscopy_builder.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def fill(node, place=""):
    """The document with every UNKNOWN replaced by what a person would type."""
    if isinstance(node, dict):
        return {k: FILLED[k] if v == "UNKNOWN" else fill(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, place) for v in node]
    return node


def unknown_places(node, place=""):
    if isinstance(node, dict):
        return {p for k, v in node.items() for p in unknown_places(v, f"{place}.{k}".lstrip("."))}
    if isinstance(node, list):
        return {p for i, v in enumerate(node) for p in unknown_places(v, f"{place}[{i}]")}
    return {place} if node == "UNKNOWN" else set()


def commented(text: str) -> dict[str, str]:
    """``key: value`` lines that carry a ``# from`` comment, as {stripped line before the comment: key text}."""
    out = {}
    for line in text.splitlines():
        if "  # from " in line and not line.lstrip().startswith("#"):
            before, _, after = line.partition("  # from ")
            out[before.strip()] = after
    return out


#: keys whose values describe does not read from a header: names it gives, references, extractor arguments
NOT_FROM_HEADERS = {"name", "rig", "space", "channel", "file_path", "folder_path", "plane_name", "channel_name"}


def uncommented_values(text: str) -> list[str]:
    """``key: value`` lines with a value but no comment, other than UNKNOWN and NOT_FROM_HEADERS."""
    found = []
    for line in text.splitlines():
        key, sep, rest = line.strip().removeprefix("- ").partition(":")
        if line.lstrip().startswith("#") or not sep or not rest.strip() or "#" in rest:
            continue
        if rest.strip() != "UNKNOWN" and key not in NOT_FROM_HEADERS:
            found.append(line)
    return found


def check_keys_are_recorded(text: str, facts: mb.SourceMetadata) -> None:
    """Every '# from KEY' names keys that source_metadata recorded (the comment says where each value came from)."""
    keys = {recorded.key for _, recorded in facts.facts()}
    comments = commented(text)
    assert comments, "no value carries a comment"
    for line, comment in comments.items():
        named = comment.split(";")[0].split(":")[0].removesuffix(" (x = columns, y = rows)")
        assert any(named == key or named.startswith(key) or key in named for key in keys), (line, comment)


def write_and_parse(source: Path, tmp_path: Path, **kwargs) -> tuple[str, dict, Path]:
    output = tmp_path / "session.yaml"
    text = describe(source, output=output, **kwargs)
    output.write_text(text)
    document = yaml.safe_load(text)
    assert set(document) in ({"session", "rigs", "spaces", "series"}, {"session", "rigs", "spaces", "segmentations"})
    assert {"session.session_description", "session.subject.subject_id", "session.subject.species",
            "session.subject.sex", "session.subject.age", "spaces.ImagingSpace.anatomical_target",
            "rigs.Rig.channels[0].indicator", "rigs.Rig.channels[0].emission_wavelength_nm"} <= unknown_places(document)
    assert uncommented_values(text) == []  # every value filled in names where it came from
    return text, document, output


def check_builders(document: dict) -> None:
    """Once filled in, the rig and space sections are what the builders read, and they build."""
    filled = fill(document)
    RigBuilder.from_dict("Rig", filled["rigs"]["Rig"]).build()
    ImagingSpaceBuilder.from_dict("ImagingSpace", filled["spaces"]["ImagingSpace"]).build()


def load_filled(output: Path, document: dict) -> mb.Session:
    filled = output.with_name("filled.yaml")
    filled.write_text(yaml.safe_dump(fill(document)))
    read_description(filled)  # every section, extractors created
    return load_session_file(filled)


# -- real headers ------------------------------------------------------------------------------------------
@needs_thor
def test_describe_the_real_thorimage_header(tmp_path):
    text, document, _ = write_and_parse(THOR_XML.parent, tmp_path)
    check_keys_are_recorded(text, mb.source_metadata(THOR_XML))
    lines = commented(text)
    assert lines["pixel_size_um: [0.138, 0.138]"] == "Experiment.xml LSM/@pixelSizeUM"
    assert lines["gain: 50.0"] == "Experiment.xml PMT/@gainC" and lines["model: 16X Nikon"] == "Experiment.xml Magnification/@name"
    assert lines["magnification: 14.2"] == "Experiment.xml Magnification/@mag"
    assert lines["dimensions_in_pixels: [1024, 352]"].startswith("Experiment.xml LSM/@pixelY, LSM/@pixelX")
    assert lines["session_start_time: '2024-03-14T09:49:55+00:00'"].startswith("Experiment.xml Date/@date, Date/@uTime")
    assert lines["description: 30000 frames at 22.279 Hz."] == "Experiment.xml Streaming/@frames, LSM/@frameRate"
    rig = document["rigs"]["Rig"]
    assert rig["microscope"]["manufacturer"] == "Thorlabs" and rig["microscope"]["technique"] == "resonant scanning"
    assert rig["excitation_source"]["wavelength_nm"] == "UNKNOWN" and rig["objective_lens"]["numerical_aperture"] == "UNKNOWN"
    assert rig["channels"][0]["name"] == "ChanC" and document["series"]["TwoPhotonSeries"]["channel"] == "ChanC"
    # no TIFF was published with the header: the extractor's file is for a person to name
    assert document["series"]["TwoPhotonSeries"]["extractor"] == {"ThorTiffImagingExtractor": {"file_path": "UNKNOWN"}}
    assert document["spaces"]["ImagingSpace"]["line_scan"] == {"scan_direction": "unidirectional"}
    check_builders(document)


@needs_suite2p
def test_describe_the_real_suite2p_output_and_convert_it_once_filled_in(tmp_path):
    text, document, output = write_and_parse(SUITE2P.parent, tmp_path)
    check_keys_are_recorded(text, mb.source_metadata(SUITE2P))
    assert "# rate: 1 Hz (from ops.npy fs; the rate Suite2p was given" in text
    assert "#   exampleData/20150529/AVG_A01.tif" in text  # the raw files Suite2p read
    assert document["session"]["session_start_time"] == "UNKNOWN"  # date_proc is not an acquisition time
    assert document["segmentations"]["PlaneSegmentation"]["extractor"] == {
        "Suite2pSegmentationExtractor": {"folder_path": str(SUITE2P), "plane_name": "plane0"}}
    assert commented(text)["dimensions_in_pixels: [156, 176]"].startswith("ops.npy Ly, Lx")
    session = load_filled(output, document)
    written = session.write(tmp_path / "suite2p.nwb", progress=False)
    with read(written) as nwbfile:
        assert nwbfile.session_start_time == dt.datetime(2024, 3, 14, 9, 49, 55, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
        segmentation = next(o for o in nwbfile.objects.values() if type(o).__name__ == "PlanarSegmentation")
        assert len(segmentation.id) == 23


# -- files in vendor layouts ------------------------------------------------------------------------------
def test_describe_a_scanimage_file_then_convert_it_and_read_the_headers_values_back(tmp_path):
    path = tmp_path / "session_00001_00001.tif"
    write_scanimage(path, samples=5)
    done = run("describe", path.name, "-o", "session.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "session.yaml").read_text()
    document = yaml.safe_load(text)
    assert uncommented_values(text) == []
    assert unknown_places(document) == {
        "session.session_description", "session.session_start_time", *(f"session.subject.{f}" for f in ("subject_id", "species", "sex", "age")),
        "rigs.Rig.microscope.manufacturer", "rigs.Rig.photodetector.manufacturer", "spaces.ImagingSpace.anatomical_target",
        *(f"rigs.Rig.excitation_source.{f}" for f in ("manufacturer", "excitation_mode", "source_type", "wavelength_nm")),
        "rigs.Rig.channels[0].emission_wavelength_nm", "rigs.Rig.channels[0].indicator"}
    assert done.stdout.strip() == "wrote session.yaml (15 UNKNOWN value(s) to fill in)"
    facts = mb.source_metadata(path)
    check_keys_are_recorded(text, facts)
    assert document["series"]["TwoPhotonSeries"]["extractor"] == {"ScanImageImagingExtractor": {"file_path": path.name}}
    start = commented(text)["session_start_time: UNKNOWN"]
    assert start.startswith("ImageDescription epoch: 2023-09-22T12:51:34.124000 local time, no time zone recorded")
    assert document["spaces"]["ImagingSpace"]["planar"]["pixel_size_um"] == list(facts.pixel_size_um.value)
    assert document["spaces"]["ImagingSpace"]["line_scan"]["scan_direction"] == "bidirectional"
    assert document["rigs"]["Rig"]["photodetector"]["gain"] == 0.62
    session = load_filled(tmp_path / "session.yaml", document)
    written = session.write(tmp_path / "scanimage.nwb", progress=False)
    with read(written) as nwbfile:
        series = series_named(nwbfile, "TwoPhotonSeries")
        assert np.allclose(series.timestamps[:], facts.timestamps_s.value, atol=1e-6)
        assert list(series.planar_imaging_space.pixel_size_in_um[:]) == pytest.approx(list(facts.pixel_size_um.value))
        assert series.data.shape == (5, 8, 6)



def test_describe_refuses_what_it_cannot_read_and_never_replaces_a_file_unasked(tmp_path, capsys):
    path = tmp_path / "session_00001_00001.tif"
    write_scanimage(path, samples=2)
    output = tmp_path / "session.yaml"
    output.write_text("mine")
    assert main(["describe", str(path), "-o", str(output)]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err and output.read_text() == "mine"
    assert main(["describe", str(path), "-o", str(output), "--overwrite"]) == 0 and "ScanImageImagingExtractor" in output.read_text()
    assert main(["describe", str(path), "-o", str(path), "--overwrite"]) == 1  # the data itself: never
    assert "not a YAML file" in capsys.readouterr().err and mb.source_metadata(path).vendor == "ScanImage"
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["describe", str(tmp_path / "notes.txt")]) == 1
    assert "name the roiextractors extractor" in capsys.readouterr().err
    assert main(["describe", str(tmp_path / "notes.txt"), "--extractor", "NotAnExtractor"]) == 1
    assert "not a roiextractors extractor class" in capsys.readouterr().err
    np.save(tmp_path / "movie.npy", np.zeros((4, 8, 6), "uint16"))
    assert main(["describe", str(tmp_path / "movie.npy"), "--extractor", "TiffImagingExtractor"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)  # no -o: printed
    assert printed["series"]["TwoPhotonSeries"]["extractor"] == {
        "TiffImagingExtractor": {"file_path": str(tmp_path / "movie.npy"), "sampling_frequency": "UNKNOWN"}}


def test_describe_writes_one_series_per_saved_channel(tmp_path):
    write_thor(tmp_path / "thor")
    text, document, output = write_and_parse(tmp_path / "thor", tmp_path)
    assert set(document["series"]) == {"TwoPhotonSeriesChanA", "TwoPhotonSeriesChanB"}
    assert document["series"]["TwoPhotonSeriesChanB"]["extractor"]["ThorTiffImagingExtractor"]["channel_name"] == "ChanB"
    channels = document["rigs"]["Rig"]["channels"]
    assert [c["name"] for c in channels] == ["ChanA", "ChanB"] and channels[1]["description"] == "Detector gain 60.0, offset 0.2."
    assert commented(text)["description: Detector gain 60.0, offset 0.2."] == "Experiment.xml PMT/@gainB; from Experiment.xml PMT/@offsetBVolts"
    assert "gain" not in document["rigs"]["Rig"]["photodetector"]  # two PMTs: their gains are on the channels
    assert document["session"]["session_start_time"] == "2023-06-02T14:05:09-04:00"
    check_keys_are_recorded(text, mb.source_metadata(tmp_path / "thor"))
    session = load_filled(output, document)
    written = session.write(tmp_path / "thor.nwb", progress=False)
    with read(written) as nwbfile:
        assert series_named(nwbfile, "TwoPhotonSeriesChanB").data.shape == (3, 8, 6)


def test_describe_a_scanimage_3_file_names_its_rate_for_the_tiff_extractor(tmp_path):
    write_scanimage3(tmp_path / "legacy.tif")
    text, document, output = write_and_parse(tmp_path / "legacy.tif", tmp_path)
    assert document["series"]["TwoPhotonSeries"]["extractor"] == {
        "TiffImagingExtractor": {"file_path": "legacy.tif", "sampling_frequency": 3.90625}}
    assert commented(text)["sampling_frequency: 3.90625"] == "ImageDescription state.acq.frameRate"
    assert document["spaces"]["ImagingSpace"]["planar"]["pixel_size_um"] == "UNKNOWN"  # zoom only, no um
    assert "# note: ScanImage 3.x records the zoom" in text
    check_keys_are_recorded(text, mb.source_metadata(tmp_path / "legacy.tif"))
    load_filled(output, document)


def test_describe_a_bruker_volume_gives_a_volumetric_space(tmp_path):
    folder = tmp_path / "TSeries-08192024-1200-002"
    write_bruker(folder, samples=3, planes=3)
    text, document, output = write_and_parse(folder, tmp_path)
    space = document["spaces"]["ImagingSpace"]
    assert space["volumetric"] == {"voxel_size_um": [1.1078125, 1.1078125, 20.0], "dimensions_in_voxels": [6, 8, 3]}
    assert space["description"] == "Planes at z = 0, 20, 40 um."
    rig = document["rigs"]["Rig"]
    assert rig["excitation_source"]["wavelength_nm"] == 920.0 and rig["objective_lens"]["numerical_aperture"] == 1.0
    assert rig["microscope"]["manufacturer"] == "Bruker"
    check_keys_are_recorded(text, mb.source_metadata(folder))
    load_filled(output, document)


def test_describe_miniscope_and_caiman(tmp_path):
    device = write_miniscope(tmp_path / "15_26_31")
    text, document, _ = write_and_parse(tmp_path / "15_26_31", tmp_path)
    assert document["series"]["OnePhotonSeries"]["extractor"] == {"MiniscopeImagingExtractor": {
        "folder_path": str(device.relative_to(tmp_path))}}
    assert document["rigs"]["Rig"]["excitation_source"]["source_type"] == "LED"
    assert document["spaces"]["ImagingSpace"]["plane_acquisition"] == {"plane_rate_hz": 30.0}
    assert document["session"]["session_start_time"] == "2025-06-12T15:26:31.176000-04:00"
    check_keys_are_recorded(text, mb.source_metadata(device))
    check_builders(document)

    write_caiman(tmp_path / "results.hdf5")
    text, document, output = write_and_parse(tmp_path / "results.hdf5", tmp_path)
    assert document["segmentations"]["PlaneSegmentation"]["extractor"] == {
        "CaimanSegmentationExtractor": {"file_path": "results.hdf5"}}
    assert document["spaces"]["ImagingSpace"]["planar"]["pixel_size_um"] == [2.0, 1.5]
    check_keys_are_recorded(text, mb.source_metadata(tmp_path / "results.hdf5"))
    load_filled(output, document)


def test_convert_names_every_unknown_left_by_its_place_and_line_or_writes_them_as_placeholders(tmp_path):
    write_scanimage(tmp_path / "session_00001_00001.tif", samples=5)
    assert run("describe", "session_00001_00001.tif", "-o", "session.yaml", cwd=tmp_path).returncode == 0
    text = (tmp_path / "session.yaml").read_text()
    lines = text.splitlines()
    done = run("convert", "session.yaml", "-o", "out.nwb", cwd=tmp_path)
    assert done.returncode == 1 and not (tmp_path / "out.nwb").exists()
    listed = [line.strip() for line in done.stderr.splitlines() if line.startswith("  ")]
    assert "session.yaml: 15 UNKNOWN value(s) remain" in done.stderr
    assert {place.rsplit(" (line", 1)[0] for place in listed} == unknown_places(yaml.safe_load(text))
    for place in listed:  # each line number points at its UNKNOWN
        key = place.rsplit(" (line", 1)[0].rsplit(".", 1)[-1].split("[")[0]
        number = int(place.rsplit("line ", 1)[1].rstrip(")"))
        assert lines[number - 1].split("#")[0].strip().endswith(f"{key}: UNKNOWN"), (place, lines[number - 1])
    # fill in what has no placeholder; leave the device fields that take an explicit unknown
    document = yaml.safe_load(text)
    kept = {"manufacturer", "wavelength_nm", "source_type", "excitation_mode"}
    partly = {k: v if k == "rigs" else fill(v, k) for k, v in document.items()}
    partly["rigs"]["Rig"]["channels"] = fill(partly["rigs"]["Rig"]["channels"])
    (tmp_path / "partly.yaml").write_text(yaml.safe_dump(partly, sort_keys=False))
    left = unknown_places(partly)
    assert left and {place.rsplit(".", 1)[-1] for place in left} <= kept
    done = run("convert", "partly.yaml", "-o", "out.nwb", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()[1]
    assert said.startswith(f"  {len(left)} UNKNOWN value(s) written as reported placeholders: ")
    assert {p.rsplit(" (line", 1)[0] for p in said.split(": ", 1)[1].split(", ")} == left
    with read(tmp_path / "out.nwb") as nwbfile:
        assert series_named(nwbfile, "TwoPhotonSeries").data.shape == (5, 8, 6)
