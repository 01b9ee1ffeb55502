"""Declarative session files (YAML) and `microscopy-builder convert`, on real files."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml
from roiextractors import NumpyImagingExtractor, NumpySegmentationExtractor, NwbImagingExtractor, NwbSegmentationExtractor

import microscopy_builder as mb
from microscopy_builder.session_file import SessionFileError, load_session_file, read_description

from .conftest import read

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "session.yaml"


def convert(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microscopy_builder.cli", "convert", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def python_twin(format: str) -> mb.Session:
    """The example session file's description, written out in Python."""
    data = ROOT / "examples" / "data"
    rig = (
        mb.RigBuilder("Bergamo").description("Resonant-scanning two-photon microscope for awake head-fixed mice.")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", serial_number="B2-07", technique="resonant scanning",
                    description="Bergamo II multiphoton microscope with a resonant-galvo scan head.")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Ultra II", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0, power_w=0.045,
                           description="Tunable femtosecond laser.")
        .photodetector("PMT", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="PMT", gain=0.7,
                       description="GaAsP photomultiplier tube.")
        .objective_lens("Objective", manufacturer="Nikon", model="CFI75 16X/0.8W", numerical_aperture=0.8,
                        magnification=16.0, description="Water-immersion objective.")
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50", center_wavelength_nm=525.0,
                         bandwidth_nm=50.0, description="Green emission band-pass filter.")
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6s",
                 description="GCaMP6s fluorescence through the 525/50 filter.")
    )
    space = (mb.ImagingSpaceBuilder("V1_L23").planar(pixel_size_um=(1.2, 1.2)).anatomical_target("VISp2/3")
             .description("Field of view in layer 2/3 of primary visual cortex.")
             .line_scan(line_rate_hz=7910.0, description="Resonant-galvo raster scan."))
    series = (mb.SeriesBuilder("TwoPhotonSeries").from_extractor(NumpyImagingExtractor(str(data / "movie.npy"), 30.0))
              .rig(rig).channel("Green").space(space).description("Raw two-photon movie."))
    rois = NumpySegmentationExtractor(image_masks=str(data / "masks.npy"), raw=str(data / "raw.npy"),
                                      dff=str(data / "dff.npy"), sampling_frequency=30.0)
    from pynwb.file import Subject

    session = mb.Session(
        session_description="Two-photon imaging of V1 layer 2/3 during passive viewing (synthetic data).",
        session_start_time=dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        format=format, identifier="example-session-file", experimenter=["Doe, Jane"], lab="Example Lab",
        institution="Example Institute", experiment_description="A declarative session file converted by microscopy-builder.",
        keywords=["two-photon", "V1"],
        subject=Subject(subject_id="M-17", species="Mus musculus", sex="F", age="P90D",
                        description="C57BL/6J mouse expressing GCaMP6s."),
    )
    return session.add(series).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois).series(series)
                                   .description("Six ROIs drawn on the mean image."))


def test_the_example_converts_from_the_repository_root_like_its_python_twin(tmp_path):
    out = tmp_path / "from_yaml.nwb"
    done = convert("examples/session.yaml", "-o", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    twin = python_twin("legacy").write(tmp_path / "from_python.nwb")
    with read(out) as converted, read(twin) as expected:
        assert converted.identifier == expected.identifier and converted.subject.subject_id == "M-17"
        assert converted.experimenter == expected.experimenter == ("Doe, Jane",)
        assert converted.session_start_time == expected.session_start_time
        assert sorted(converted.devices) == sorted(expected.devices)
        for name in converted.devices:
            assert converted.devices[name].description == expected.devices[name].description
        a, b = converted.acquisition["TwoPhotonSeries"], expected.acquisition["TwoPhotonSeries"]
        np.testing.assert_array_equal(a.data[:], b.data[:])
        assert a.imaging_plane.description == b.imaging_plane.description
        assert a.imaging_plane.indicator == b.imaging_plane.indicator == "GCaMP6s"
        table_a = converted.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        table_b = expected.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        np.testing.assert_array_equal(table_a["image_mask"].data[:], table_b["image_mask"].data[:])
    reader = NwbSegmentationExtractor(out)
    assert reader.get_num_rois() == 6
    np.testing.assert_allclose(reader.get_traces(name="dff"), np.load(ROOT / "examples" / "data" / "dff.npy"))


def test_format_and_backend_can_be_chosen_on_the_command_line(tmp_path):
    out = tmp_path / "ndx.nwb.zarr"
    done = convert(str(EXAMPLE), "--format", "ndx-microscopy", "--backend", "zarr", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "writing TwoPhotonSeries" in done.stderr and "120/120" in done.stderr  # the progress bar
    with read(out) as nwbfile:
        assert type(nwbfile.acquisition["TwoPhotonSeries"]).__name__ == "PlanarMicroscopySeries"


def test_a_description_survives_the_round_trip_through_the_builders():
    description = read_description(EXAMPLE)
    session_file = yaml.safe_load(EXAMPLE.read_text())
    shared = yaml.safe_load((ROOT / "examples" / "rigs" / "bergamo.yaml").read_text())
    assert {name: builder.to_dict() for name, builder in description.rigs.items()} == shared["rigs"]
    assert {name: builder.to_dict() for name, builder in description.spaces.items()} == shared["spaces"]
    assert {name: builder.to_dict() for name, builder in description.series.items()} == session_file["series"]
    assert {name: builder.to_dict() for name, builder in description.segmentations.items()} == session_file["segmentations"]


def write_file(folder: Path, text: str) -> Path:
    path = folder / "session.yaml"
    path.write_text(textwrap.dedent(text))
    return path


GOOD_SESSION = """
session: {session_description: s, session_start_time: 2026-01-05T09:30:00+00:00}
rigs:
  Scope:
    microscope: {manufacturer: X, model: Y}
    channels:
      - {name: Green, excitation_wavelength_nm: 920, emission_wavelength_nm: EMISSION, indicator: GCaMP6s}
spaces:
  FOV: {planar: {pixel_size_um: [1, 1]}, anatomical_target: VISp, line_scan: {}}
series:
  Movie:
    extractor: {EXTRACTOR: {timeseries: movie.npy, sampling_frequency: 10}}
    rig: RIG
    space: FOV
"""


@pytest.mark.parametrize(
    "replacements,message",
    [
        ({"EMISSION": "-525"}, r"rigs\.Scope\.channels\[0\]\.emission_wavelength_nm: must be a finite positive number"),
        ({"EXTRACTOR": "FancyImagingExtractor"}, r"series\.Movie\.extractor: 'FancyImagingExtractor' is not a roiextractors imaging extractor"),
        ({"RIG": "Bergamo"}, r"series\.Movie\.rig: no rig named 'Bergamo' in the file \(its rigs: Scope\)"),
        ({"movie.npy": "missing.npy"}, r"series\.Movie\.extractor\.NumpyImagingExtractor: could not be created"),
        ({"+00:00": ""}, r"session\.session_start_time: .* has no UTC offset; write it with one, such as .*-05:00"),
        ({"sampling_frequency: 10": "sampling_frequency: 10, frames: 3"}, r"series\.Movie\.extractor\.NumpyImagingExtractor: could not be created"),
    ],
)
def test_errors_name_their_place_in_the_file(tmp_path, replacements, message):
    np.save(tmp_path / "movie.npy", np.zeros((10, 6, 7, 1), dtype="uint16"))
    text = GOOD_SESSION
    for old, new in {"EMISSION": "525", "EXTRACTOR": "NumpyImagingExtractor", "RIG": "Scope", **replacements}.items():
        text = text.replace(old, new)
    path = write_file(tmp_path, text)
    with pytest.raises(SessionFileError, match=message):
        load_session_file(path)
    done = convert(str(path), "-o", str(tmp_path / "out.nwb"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(path) in done.stderr
    assert not (tmp_path / "out.nwb").exists()


def test_relative_paths_are_relative_to_the_file_that_holds_them(tmp_path, monkeypatch):
    np.save(tmp_path / "movie.npy", np.arange(10 * 6 * 7, dtype="uint16").reshape(10, 6, 7, 1))
    text = GOOD_SESSION.replace("EMISSION", "525").replace("EXTRACTOR", "NumpyImagingExtractor").replace("RIG", "Scope")
    path = write_file(tmp_path, text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    written = load_session_file(path).write(elsewhere / "out.nwb")
    with read(written) as nwbfile:
        assert nwbfile.acquisition["Movie"].data[:].max() == 10 * 6 * 7 - 1


def test_unsafe_yaml_is_refused(tmp_path):
    path = write_file(tmp_path, "session: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(SessionFileError, match="not valid YAML"):
        load_session_file(path)


def test_a_suite2p_folder_and_a_tiff_stack_convert(tmp_path):
    """Real formats, read by roiextractors' own Suite2pSegmentationExtractor and TiffImagingExtractor."""
    import tifffile

    rows, columns, frames, rois = 24, 30, 50, 4
    rng = np.random.default_rng(4)
    movie = rng.integers(0, 2000, size=(frames, rows, columns), dtype="uint16")
    tifffile.imwrite(tmp_path / "movie.tif", movie)
    plane = tmp_path / "suite2p" / "plane0"
    plane.mkdir(parents=True)
    stat = np.array([{"ypix": np.array([5 + k, 6 + k, 6 + k]), "xpix": np.array([4 + 3 * k, 4 + 3 * k, 5 + 3 * k]),
                      "lam": np.array([1.0, 0.5, 0.25], dtype="float32"), "med": [6 + k, 4 + 3 * k]} for k in range(rois)])
    np.save(plane / "stat.npy", stat, allow_pickle=True)  # Suite2p's own format pickles; only roiextractors reads it
    np.save(plane / "ops.npy", np.array({"fs": 30.0, "nframes": frames, "Ly": rows, "Lx": columns,
                                         "meanImg": movie.mean(axis=0).astype("float32"), "nchannels": 1}), allow_pickle=True)
    for name in ("F", "Fneu", "spks"):
        np.save(plane / f"{name}.npy", rng.random((rois, frames)).astype("float32"))
    np.save(plane / "iscell.npy", np.array([[1, 0.9], [0, 0.2], [1, 0.8], [1, 0.7]]))
    path = write_file(tmp_path, """
        session: {session_description: suite2p, session_start_time: 2026-01-05T09:30:00+00:00, format: legacy}
        rigs:
          Scope:
            microscope: {manufacturer: X, model: Y}
            channels: [{name: Green, excitation_wavelength_nm: 920, emission_wavelength_nm: 525, indicator: GCaMP6s}]
        spaces:
          FOV: {planar: {pixel_size_um: [1, 1]}, anatomical_target: VISp, line_scan: {}}
        series:
          TwoPhotonSeries:
            extractor: {TiffImagingExtractor: {file_path: movie.tif, sampling_frequency: 30.0}}
            rig: Scope
            space: FOV
        segmentations:
          PlaneSegmentation:
            extractor: {Suite2pSegmentationExtractor: {folder_path: suite2p}}
            series: TwoPhotonSeries
        """)
    out = tmp_path / "suite2p.nwb"
    done = convert(str(path), "-o", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(NwbImagingExtractor(out).get_series(), movie)
    segmentation = NwbSegmentationExtractor(out)
    assert segmentation.get_num_rois() == rois
    np.testing.assert_allclose(segmentation.get_traces(name="raw"), np.load(plane / "F.npy").T)
    np.testing.assert_allclose(segmentation.get_traces(name="neuropil"), np.load(plane / "Fneu.npy").T)
    masks = segmentation.get_roi_image_masks()
    assert masks[5, 4, 0] == 1.0 and masks[6, 5, 0] == 0.25  # (row, column) of ROI 0's pixels and weights
