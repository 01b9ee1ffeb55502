"""The scripts in examples/ run, and the files they write read back with what they describe."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from pynwb import NWBHDF5IO
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FORMATS = ("ndx-microscopy", "legacy")


def load_example(name: str):
    """Import ``examples/<name>.py`` by file path (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs and dataclass-style machinery look classes up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def planar():
    return load_example("two_photon_planar")


@pytest.fixture(scope="module")
def lab():
    return load_example("lab_rig_subclass")


def written_by_format(paths: list[Path]) -> dict[str, Path]:
    """Map each format to the one file main() wrote for it (file names end with the format)."""
    by_format = {fmt: [p for p in paths if p.stem.endswith(f"_{fmt}")] for fmt in FORMATS}
    assert all(len(found) == 1 for found in by_format.values()), paths
    return {fmt: found[0] for fmt, found in by_format.items()}


def expected_frames(module, seed: int, fmt: str) -> np.ndarray:
    """The frames the example's extractor yields, in the axis order ``fmt`` stores."""
    frames = generate_dummy_imaging_extractor(
        num_samples=module.NUM_FRAMES, num_rows=module.NUM_ROWS, num_columns=module.NUM_COLUMNS,
        sampling_frequency=module.RATE_HZ, seed=seed,
    ).get_series()
    # ndx-microscopy: (frames, height, width); legacy: (frames, x, y) = rows and columns swapped.
    return frames if fmt == "ndx-microscopy" else frames.transpose(0, 2, 1)


def expected_shape(module, fmt: str) -> tuple[int, int, int]:
    if fmt == "ndx-microscopy":
        return (module.NUM_FRAMES, module.NUM_ROWS, module.NUM_COLUMNS)
    return (module.NUM_FRAMES, module.NUM_COLUMNS, module.NUM_ROWS)


def check_namespaces(path: Path, fmt: str) -> None:
    namespaces = NWBHDF5IO.get_namespaces(path=str(path))
    if fmt == "legacy":
        assert "ndx-microscopy" not in namespaces and "ndx-ophys-devices" not in namespaces
    else:
        assert "ndx-microscopy" in namespaces


# -- two_photon_planar.py --------------------------------------------------------------------------


def test_planar_example_writes_both_formats(planar, tmp_path, capsys):
    paths = planar.main(tmp_path)

    assert all(p.is_file() and p.parent == tmp_path for p in paths)
    printed = capsys.readouterr().out.split()
    assert printed == [str(p) for p in paths]
    files = written_by_format(paths)

    for fmt, path in files.items():
        check_namespaces(path, fmt)
        with NWBHDF5IO(str(path), "r") as io:
            nwbfile = io.read()
            assert nwbfile.session_start_time == planar.START_TIME
            assert nwbfile.subject.subject_id == "mouse-001"
            assert list(nwbfile.experimenter) == ["Doe, Jane"]
            assert sorted(nwbfile.devices) == ["Bergamo", "GreenFilter", "Laser", "Objective", "PMT"]

            series = nwbfile.acquisition["TwoPhotonSeries"]
            assert series.data.shape == expected_shape(planar, fmt)
            assert series.rate == planar.RATE_HZ
            assert series.starting_time == 0.0
            assert series.timestamps is None
            np.testing.assert_array_equal(series.data[:], expected_frames(planar, 0, fmt))

            if fmt == "ndx-microscopy":
                assert type(series).__name__ == "PlanarMicroscopySeries"
                assert series.microscopy_channel.indicator.label == "GCaMP6s"
                assert series.microscopy_channel.excitation_wavelength_in_nm == 920.0
                assert series.microscopy_rig.name == "Bergamo"
                space = series.planar_imaging_space
                assert space.anatomical_target == "VISp2/3"
                assert list(space.pixel_size_in_um) == [1.2, 1.2]
                assert list(space.dimensions_in_pixels) == [planar.NUM_COLUMNS, planar.NUM_ROWS]  # (x, y)
            else:
                assert type(series).__name__ == "TwoPhotonSeries"
                plane = series.imaging_plane
                assert plane is nwbfile.imaging_planes["V1_L23"]
                assert plane.indicator == "GCaMP6s"
                assert plane.location == "VISp2/3"
                assert plane.excitation_lambda == 920.0
                assert plane.optical_channel[0].emission_lambda == 525.0
                assert plane.device.name == "Bergamo"
                assert series.scan_line_rate == 7910.0


def test_planar_example_reruns_into_the_same_folder(planar, tmp_path, capsys):
    first = planar.main(tmp_path)
    second = planar.main(tmp_path)  # overwrites instead of failing on existing files
    assert first == second and all(p.is_file() for p in second)


def test_planar_example_describes_everything(planar):
    """The example describes every required field: nothing is written as a placeholder."""
    imaging = generate_dummy_imaging_extractor(num_samples=5, num_rows=4, num_columns=6)
    for fmt in FORMATS:
        session = mb.Session(session_description="check", session_start_time=planar.START_TIME, format=fmt)
        session.add(
            mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging)
            .rig(planar.describe_rig()).channel("Green").space(planar.describe_space())
        )
        assert session.placeholders == []


# -- lab_rig_subclass.py ---------------------------------------------------------------------------


def test_lab_example_writes_both_channels_in_both_formats(lab, tmp_path, capsys):
    paths = lab.main(tmp_path)

    assert capsys.readouterr().out.split() == [str(p) for p in paths]
    files = written_by_format(paths)
    indicators = {"Green": "GCaMP6s", "Red": "tdTomato"}
    excitation = {"Green": 920.0, "Red": 1040.0}
    emission = {"Green": 525.0, "Red": 595.0}

    for fmt, path in files.items():
        check_namespaces(path, fmt)
        with NWBHDF5IO(str(path), "r") as io:
            nwbfile = io.read()
            assert nwbfile.session_start_time == lab.START_TIME
            assert nwbfile.subject.subject_id == "SM-117"
            assert nwbfile.lab == "Smith Lab"
            # Two series share one rig: its devices are written once.
            assert sorted(nwbfile.devices) == ["EmissionFilter", "Laser", "Objective", "PMT", "Ultima"]
            if fmt == "ndx-microscopy":  # two channels of one space: one MultiChannelMicroscopyContainer
                assert list(nwbfile.acquisition) == ["MultiChannel_V1_L23"]
                container = nwbfile.acquisition["MultiChannel_V1_L23"]
                assert sorted(container.microscopy_series) == ["TwoPhotonSeriesGreen", "TwoPhotonSeriesRed"]
                in_file = container.microscopy_series
            else:
                assert sorted(nwbfile.acquisition) == ["TwoPhotonSeriesGreen", "TwoPhotonSeriesRed"]
                in_file = nwbfile.acquisition

            for channel, indicator in indicators.items():
                series = in_file[f"TwoPhotonSeries{channel}"]
                assert series.data.shape == expected_shape(lab, fmt)
                assert series.rate == lab.RATE_HZ
                np.testing.assert_array_equal(series.data[:], expected_frames(lab, lab.SEEDS[channel], fmt))
                if fmt == "ndx-microscopy":
                    assert series.microscopy_channel.name == channel
                    assert series.microscopy_channel.indicator.label == indicator
                    assert series.microscopy_channel.excitation_wavelength_in_nm == excitation[channel]
                    assert series.microscopy_channel.emission_wavelength_in_nm == emission[channel]
                    assert series.microscopy_rig.name == "Ultima"
                else:
                    plane = nwbfile.imaging_planes[f"V1_L23_{channel}"]
                    assert series.imaging_plane is plane
                    assert plane.indicator == indicator
                    assert plane.excitation_lambda == excitation[channel]
                    assert plane.optical_channel[0].name == channel
                    assert plane.optical_channel[0].emission_lambda == emission[channel]

            if fmt == "ndx-microscopy":
                green, red = (in_file[f"TwoPhotonSeries{c}"] for c in ("Green", "Red"))
                assert green.microscopy_rig is red.microscopy_rig  # one MicroscopyRig for both
                assert green.planar_imaging_space is red.planar_imaging_space
                metadata = nwbfile.lab_meta_data["microscopy_experiment_metadata"]
                assert sorted(i.label for i in metadata.indicators.values()) == ["GCaMP6s", "tdTomato"]
            else:
                assert sorted(nwbfile.imaging_planes) == ["V1_L23_Green", "V1_L23_Red"]
                assert {p.indicator for p in nwbfile.imaging_planes.values()} == {"GCaMP6s", "tdTomato"}


def test_lab_methods_return_the_subclass(lab):
    base = lab.SmithLab2P("Ultima")
    results = [
        base.standard_optics(),
        base.green(),
        base.red(),
        base.green().description("x"),  # a base method after a lab method
        base.microscope(manufacturer="Bruker", model="Ultima 2P Plus").red(),  # and the other way round
        base.standard_optics().channel("Blue", excitation_wavelength_nm=800.0, emission_wavelength_nm=460.0),
    ]
    assert all(type(result) is lab.SmithLab2P for result in results)
    assert type(lab.describe_rig()) is lab.SmithLab2P


def test_lab_methods_leave_the_builder_unchanged(lab):
    base = lab.SmithLab2P("Ultima")
    optics = base.standard_optics()
    green = optics.green()
    green.red(indicator="jRGECO1a")
    optics.green(indicator="GCaMP8m")

    assert base == lab.SmithLab2P("Ultima")
    assert optics is not base and green is not optics
    assert optics.build().channels == ()
    assert [c.name for c in green.build().channels] == ["Green"]
    assert green.build().channel("Green").indicator.label == "GCaMP6s"
    # The same base builder, extended twice, gives two independent rigs.
    assert optics.green(indicator="GCaMP8m").build().channel("Green").indicator.label == "GCaMP8m"
    with pytest.raises(mb.ValidationError, match="microscope"):
        base.green().build()  # the optics were never added to ``base``


def test_lab_methods_chain_in_any_order(lab):
    one = lab.SmithLab2P("Ultima").standard_optics().green().red().build()
    other = lab.SmithLab2P("Ultima").red().green().standard_optics().build()
    assert {c.name: c for c in one.channels} == {c.name: c for c in other.channels}
    assert list(one.devices()) == list(other.devices())
    spec = lab.describe_rig().build()
    assert [c.name for c in spec.channels] == ["Green", "Red"]
    assert spec.channel("Red").indicator.label == "tdTomato"
    assert spec.excitation_source.wavelength_nm == 920.0
    assert spec.description == "Smith lab two-photon rig for head-fixed mice."


def test_lab_indicator_accepts_an_indicator_value(lab):
    indicator = mb.Indicator(label="GCaMP8m", manufacturer="Addgene", description="Fast calcium indicator.")
    spec = lab.SmithLab2P("Ultima").standard_optics().green(indicator=indicator).build()
    assert spec.channel("Green").indicator == indicator


def test_same_rig_key_with_different_optics_is_a_conflict(lab):
    """A lab subclass shares the session's dedupe rules: one key, one description."""
    imaging = lab.synthetic_imaging("Green")
    space = lab.describe_space()
    session = mb.Session(session_description="check", session_start_time=lab.START_TIME)
    session.add(mb.SeriesBuilder("A").from_extractor(imaging).rig(lab.describe_rig()).channel("Green").space(space))
    changed = lab.describe_rig().objective_lens("Objective", manufacturer="Olympus", model="XLPLN25XWMP2",
                                                 numerical_aperture=1.05, magnification=25.0)
    with pytest.raises(mb.ConflictError) as raised:
        session.add(mb.SeriesBuilder("B").from_extractor(imaging).rig(changed).channel("Green").space(space))
    assert raised.value.key == "Ultima"
    assert "objective_lens.numerical_aperture" in raised.value.fields


def test_volume_example_writes_a_volume_and_its_planes(tmp_path, capsys):
    example = load_example("volume_as_planes")
    paths = example.main(tmp_path)
    assert capsys.readouterr().out.split() == [str(p) for p in paths]
    assert [p.name for p in paths] == [
        "volume_ndx-microscopy.nwb", "volume_legacy.nwb", "planes_ndx-microscopy.nwb", "planes_legacy.nwb"
    ]
    volume = example.recording().get_series()  # (time, rows, columns, planes)
    planes = [f"TwoPhotonSeriesPlane{index}" for index in range(len(example.DEPTHS_UM))]

    with NWBHDF5IO(str(paths[0]), "r") as io:
        series = io.read().acquisition["TwoPhotonSeries"]
        assert type(series).__name__ == "VolumetricMicroscopySeries"
        np.testing.assert_array_equal(series.data[:], volume.transpose(0, 3, 1, 2))
        np.testing.assert_array_equal(series.volumetric_imaging_space.voxel_size_in_um[:], [1.1, 1.1, 30.0])
    from roiextractors import NwbImagingExtractor

    np.testing.assert_array_equal(NwbImagingExtractor(paths[1]).get_series(), volume)
    with NWBHDF5IO(str(paths[2]), "r") as io:
        nwbfile = io.read()
        container = nwbfile.acquisition["MultiPlane_V1_Green"]
        assert list(container.planar_microscopy_series) == planes
        for index, depth in enumerate(example.DEPTHS_UM):
            series = container.planar_microscopy_series[planes[index]]
            np.testing.assert_array_equal(series.data[:], volume[..., index])
            assert series.planar_imaging_space.name == f"V1_{depth:g}um"
    with NWBHDF5IO(str(paths[3]), "r") as io:
        nwbfile = io.read()
        assert sorted(nwbfile.acquisition) == planes
        assert sorted(nwbfile.imaging_planes) == [f"V1_{depth:g}um" for depth in example.DEPTHS_UM]
    for index in range(len(example.DEPTHS_UM)):
        reader = NwbImagingExtractor(paths[3], optical_series_name=planes[index])
        np.testing.assert_array_equal(reader.get_series(), volume[..., index])
