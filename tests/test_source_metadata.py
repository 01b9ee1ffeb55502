"""``mb.source_metadata``: what acquisition files record, on real headers and on files in each vendor's layout,
read through roiextractors' own extractors and through paths, value by value."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from roiextractors import (
    BrukerTiffImagingExtractor,
    BrukerTiffSinglePlaneImagingExtractor,
    CaimanSegmentationExtractor,
    NumpyImagingExtractor,
    NumpySegmentationExtractor,
    ScanImageImagingExtractor,
    Suite2pSegmentationExtractor,
    ThorTiffImagingExtractor,
    TiffImagingExtractor,
)
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb
from microscopy_builder.acquisition import Detector, Recorded, guess_source

from .vendor_files import (
    BRUKER_PERIOD,
    SI_FRAME_RATE,
    write_bruker,
    write_caiman,
    write_miniscope,
    write_scanimage,
    write_scanimage3,
    write_thor,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
THOR_XML = DATA / "thorimage_experiment_xml" / "Experiment.xml"
SUITE2P = DATA / "suite2p_fissa" / "suite2p"
needs_thor = pytest.mark.skipif(not THOR_XML.is_file(), reason=f"real ThorImageLS header not found at {THOR_XML}")
needs_suite2p = pytest.mark.skipif(not (SUITE2P / "plane0" / "ops.npy").is_file(),
                                   reason=f"real Suite2p output not found at {SUITE2P}")

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


def value(recorded: Recorded | None):
    assert recorded is not None, "expected a recorded value"
    return recorded.value


def strict_json(metadata: mb.SourceMetadata) -> dict:
    """The raw header survives strict JSON (no NaN/Infinity) unchanged."""
    text = json.dumps(metadata.raw, allow_nan=False)
    assert json.loads(text) == metadata.raw
    return metadata.raw


# -- real files -------------------------------------------------------------------------------------
@needs_thor
def test_the_real_thorimage_header_gives_what_the_readme_says_it_records():
    facts = mb.source_metadata(THOR_XML.parent)
    assert facts == mb.source_metadata(THOR_XML)  # the folder or the file itself
    assert facts.vendor == "ThorImageLS" and facts.files == (str(THOR_XML),) and facts.notes == ()
    assert value(facts.software_version) == "4.0.2020.2171"
    # 2024-03-14 09:49:55 on the acquisition computer; uTime 1710409795 is that instant in UTC
    assert value(facts.start_time) == dt.datetime(2024, 3, 14, 9, 49, 55, tzinfo=dt.timezone.utc)
    assert value(facts.start_time).utcoffset() == dt.timedelta(0)
    assert facts.start_time.key == "Experiment.xml Date/@date, Date/@uTime"
    assert value(facts.objective.name) == "16X Nikon" and value(facts.objective.magnification) == 14.2
    assert facts.objective.numerical_aperture is None
    assert "ResonanceGalvo" in facts.scan.mode.note
    assert value(facts.scan.mode) == "resonant" and facts.scan.mode.key == "Experiment.xml LSM/@name"
    assert value(facts.scan.bidirectional) is False  # scanMode 1: forward only
    assert value(facts.frame_shape) == (352, 1024)  # pixelY x pixelX
    assert value(facts.pixel_size_um) == (0.138, 0.138) and facts.pixel_size_um.unit == "um"
    assert value(facts.frame_rate_hz) == 22.279 and facts.frame_rate_hz.key == "Experiment.xml LSM/@frameRate"
    assert value(facts.frames) == 30000 and facts.frames.key == "Experiment.xml Streaming/@frames"
    assert value(facts.channels.names) == value(facts.channels.acquired) == value(facts.channels.saved) == ("ChanC",)
    assert facts.detectors == (Detector(channel="ChanC", gain=Recorded(50.0, "Experiment.xml PMT/@gainC"),
                                        offset=Recorded(0.0, "Experiment.xml PMT/@offsetCVolts", "V")),)
    assert value(facts.laser.power) == 20.0 and facts.laser.power.unit == "%"
    assert facts.laser.wavelength_nm is None
    # streaming without fast Z: one plane; the Z stage's 53 steps of 1 um are a stack setting, kept in raw
    assert value(facts.planes) == 1 and "53 steps" in facts.planes.note and facts.plane_depths_um is None
    raw = strict_json(facts)["ThorImageExperiment"]
    assert raw["ZStage"]["@steps"] == "53" and raw["ZStage"]["@stepSizeUM"] == "1"
    assert raw["LSM"]["@averageMode"] == "0" and raw["LSM"]["@averageNum"] == "10"  # averaging set up, off
    assert raw["PMT"]["@enableC"] == "1" and raw["PMT"]["@enableA"] == "0"
    assert [p["@start"] for p in raw["Pockels"]] == ["20", "0", "0", "0"]


@needs_suite2p
def test_the_real_suite2p_ops_gives_what_the_readme_says_it_records():
    from_path = mb.source_metadata(SUITE2P)
    assert from_path == mb.source_metadata(SUITE2P / "plane0" / "ops.npy") == mb.source_metadata(SUITE2P.parent)
    extractor = Suite2pSegmentationExtractor(folder_path=str(SUITE2P))
    assert mb.source_metadata(extractor) == from_path
    assert from_path.vendor == "Suite2p" and from_path.files == (str(SUITE2P / "plane0" / "ops.npy"),)
    assert value(from_path.frames) == 864 == extractor.get_num_samples()
    assert value(from_path.frame_shape) == (176, 156) == tuple(extractor.get_frame_shape())
    assert value(from_path.frame_rate_hz) == 1.0 == extractor.get_sampling_frequency()
    assert "not read from the raw files" in from_path.frame_rate_hz.note
    assert value(from_path.planes) == 1 and value(from_path.channels.names) == ("chan1",)
    assert [Path(f).name for f in value(from_path.source_files)] == ["AVG_A01.tif", "AVG_A02.tif", "AVG_A03.tif"]
    assert from_path.start_time is None and any("date_proc" in n for n in from_path.notes)
    raw = strict_json(from_path)
    assert raw["nframes"] == 864 and raw["Ly"] == 176 and raw["Lx"] == 156 and raw["date_proc"].startswith("2021-07-26")
    assert raw["meanImg"].startswith("array of shape [176, 156]")  # images are summarised, settings kept


def test_an_ops_npy_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    plane = tmp_path / "suite2p" / "plane0"
    plane.mkdir(parents=True)
    with open(plane / "ops.npy", "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "|O", "fortran_order": False, "shape": ()})
        pickle.dump(np.array({"fs": 30.0, "evil": Payload()}, dtype=object), file, protocol=2)
    facts = mb.source_metadata(tmp_path / "suite2p")
    assert not marker.exists()
    assert facts.is_empty is True and len(facts.notes) == 1 and "io.open" in facts.notes[0] and "refused" in facts.notes[0]
    np.load(plane / "ops.npy", allow_pickle=True)  # what an unrestricted load (as roiextractors does) would do
    assert marker.exists()


# -- ScanImage ----------------------------------------------------------------------------------------
def test_scanimage_2016_header_read_by_roiextractors_and_by_path_agree_value_by_value(tmp_path):
    path = tmp_path / "session_00001_00001.tif"
    written = write_scanimage(path, samples=5)
    extractor = ScanImageImagingExtractor(file_path=str(path))
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(path) and facts.vendor == "ScanImage" and facts.notes == ()
    assert value(facts.frame_rate_hz) == extractor.get_sampling_frequency() == SI_FRAME_RATE
    assert facts.frame_rate_hz.key == "Software SI.hRoiManager.scanFrameRate"
    assert value(facts.frame_shape) == extractor.get_frame_shape() == (8, 6)
    assert np.allclose(value(facts.timestamps_s), extractor.get_times(), atol=1e-6)
    assert np.allclose(value(facts.timestamps_s), written["times"], atol=1e-6)
    assert value(facts.channels.saved) == tuple(extractor.channel_names) == ("Channel 1",)
    assert value(facts.channels.acquired) == ("Channel 1", "Channel 2")
    assert value(facts.channels.names) == ("Channel 1", "Channel 2", "Channel 3", "Channel 4")
    assert value(facts.start_time) == dt.datetime(2023, 9, 22, 12, 51, 34, 124000)  # epoch: naive local time
    assert value(facts.start_time).tzinfo is None and "no time zone" in facts.start_time.note
    assert value(facts.software_version) == "2023.1.0" and value(facts.zoom) == 2.0
    assert value(facts.pixel_size_um) == pytest.approx((427.0 / 6, 213.5 / 8))  # imagingFovUm corners / pixels
    assert value(facts.planes) == 1 and facts.plane_depths_um is None and facts.volume_rate_hz is None
    assert value(facts.scan.mode) == "resonant" and value(facts.scan.bidirectional) is True
    assert value(facts.scan.line_rate_hz) == pytest.approx(1 / 6.312276526735244e-05)
    assert value(facts.laser.power) == 7.5 and facts.laser.power.unit == "%"
    assert value(facts.stage_position_um) == (0.0, -10.0, -8895.207)
    assert facts.detectors == (Detector(channel="Channel 1", gain=Recorded(0.62, "Software SI.hPmts.gains[1]"),
                                        offset=Recorded(0.01, "Software SI.hPmts.offsets[1]")),)
    raw = strict_json(facts)
    assert raw["SI.hScan2D.logFramesPerFile"] == "Inf" and raw["SI.hRoiManager.scanZoomFactor"] == 2
    assert raw["RoiGroups"] == written["rois"]["RoiGroups"] and raw["frameNumbers"] == 1


def test_scanimage_volumes_give_slices_depths_volume_rate_and_the_extractors_volume_times(tmp_path):
    path = tmp_path / "stack_00001_00001.tif"
    written = write_scanimage(path, samples=3, slices=3, flyback=1)
    extractor = ScanImageImagingExtractor(file_path=str(path))
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(path)
    assert value(facts.planes) == extractor.get_num_planes() == 3
    assert value(facts.volume_rate_hz) == extractor.get_sampling_frequency() == pytest.approx(SI_FRAME_RATE / 4)
    assert value(facts.plane_depths_um) == pytest.approx(written["zs"]) and facts.plane_depths_um.key == "Software SI.hStackManager.zs"
    assert value(facts.pixel_size_um)[2] == 25.0  # the z step
    assert np.allclose(value(facts.timestamps_s), extractor.get_times(), atol=1e-6)


def test_scanimage_pixel_size_from_microns_degrees_or_the_roi_scanfield_agree(tmp_path):
    expected = pytest.approx((427.0 / 6, 213.5 / 8))  # a 7 x 3.5 degree field at 61 um per degree, 6 x 8 pixels
    keys = {}
    for fov in ("um", "deg", "roi"):
        write_scanimage(tmp_path / f"{fov}_00001_00001.tif", samples=1, fov=fov)
        facts = mb.source_metadata(tmp_path / f"{fov}_00001_00001.tif")
        assert value(facts.pixel_size_um) == expected, fov
        keys[fov] = facts.pixel_size_um.key
    assert keys == {
        "um": "Software SI.hRoiManager.imagingFovUm / pixelsPerLine, linesPerFrame",
        "deg": "Software SI.hRoiManager.imagingFovDeg x SI.objectiveResolution / pixelsPerLine, linesPerFrame",
        "roi": "Software SI.objectiveResolution x RoiGroups.imagingRoiGroup.rois.scanfields.sizeXY / pixelResolutionXY"}


def test_scanimage_two_saved_channels_in_matlab_column_vector_form(tmp_path):
    path = tmp_path / "two_00001_00001.tif"
    written = write_scanimage(path, samples=4, save="[1;2]")
    facts = mb.source_metadata(path)
    assert value(facts.channels.saved) == ("Channel 1", "Channel 2")
    assert [d.channel for d in facts.detectors] == ["Channel 1", "Channel 2"]
    assert value(facts.detectors[1].gain) == 0.55 and facts.detectors[1].gain.key == "Software SI.hPmts.gains[2]"
    assert np.allclose(value(facts.timestamps_s), written["times"], atol=1e-6)  # one per frame of channel 1
    assert len(value(facts.timestamps_s)) == 4


def test_scanimage_3_header_read_through_tiffimagingextractor_and_by_path(tmp_path):
    path = tmp_path / "legacy.tif"
    movie = write_scanimage3(path)
    extractor = TiffImagingExtractor(file_path=str(path), sampling_frequency=3.90625)
    # what the extractor reads is the movie (tifffile's ScanImage <= 2015 page estimate may leave out the last page)
    assert np.array_equal(extractor.get_series(), movie[: extractor.get_num_samples()])
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(path) and facts.vendor == "ScanImage"
    assert value(facts.frame_rate_hz) == 3.90625 and facts.frame_rate_hz.key == "ImageDescription state.acq.frameRate"
    assert value(facts.frame_shape) == extractor.get_frame_shape() == (16, 12)
    assert value(facts.frames) == len(movie) == 6  # state.acq.numberOfFrames
    assert value(facts.start_time) == dt.datetime(2017, 10, 9, 16, 57, 7, 967000) and "no time zone" in facts.start_time.note
    assert value(facts.zoom) == 2.0 and value(facts.software_version) == "3.8"
    assert facts.pixel_size_um is None and any("zoom" in note and "no micrometres" in note for note in facts.notes)
    assert value(facts.channels.acquired) == value(facts.channels.saved) == ("Channel 1",)
    assert [(d.channel, value(d.offset)) for d in facts.detectors] == [
        ("Channel 1", 0.93603515625), ("Channel 2", -0.106689453125), ("Channel 3", -0.789306640625),
        ("Channel 4", -1.0419921875)]
    assert value(facts.scan.bidirectional) is True and value(facts.scan.line_rate_hz) == 1000.0
    assert value(facts.stage_position_um) == (659.6, -10386.6, -8068.4) and value(facts.planes) == 1
    raw = strict_json(facts)
    assert raw["state.configPath"] == "C:\\Users\\Lab\\Desktop\\ScanImage_cfgfiles"
    assert raw["state.internal.figureColormap1"] == "$scim_colorMap('gray',8,5)"  # MATLAB '' unescaped
    assert raw["state.acq.numberOfRepeats"] == "Inf" and raw["state.motor.absZZPosition"] == "NaN"
    assert raw["state.acq.nextTrigInputTerminal"] == []


# -- Bruker, Thor, Miniscope, CaImAn ----------------------------------------------------------------------
def test_bruker_prairieview_folder_through_both_bruker_extractors_and_by_path(tmp_path):
    folder = tmp_path / "TSeries-08192024-1157-001"
    written = write_bruker(folder, samples=4)
    unified = BrukerTiffImagingExtractor(folder_path=str(folder))
    facts = mb.source_metadata(unified)
    assert facts == mb.source_metadata(folder) == mb.source_metadata(folder / f"{folder.name}.xml")
    assert facts == mb.source_metadata(BrukerTiffSinglePlaneImagingExtractor(folder_path=str(folder)))
    assert facts.files == (str(folder / f"{folder.name}.xml"), str(folder / f"{folder.name}.env")) and facts.notes == ()
    assert value(facts.software_version) == "5.5.64.600"
    assert value(facts.start_time) == dt.datetime(2024, 8, 19, 11, 57, 37) and "no time zone" in facts.start_time.note
    assert value(facts.frame_shape) == unified.get_frame_shape() == (8, 6)
    assert np.allclose(value(facts.timestamps_s), unified.get_native_timestamps()) and value(facts.frames) == 4
    assert np.allclose(value(facts.timestamps_s), written["times"])
    assert value(facts.frame_rate_hz) == pytest.approx(1 / BRUKER_PERIOD)  # framePeriod, as recorded
    assert value(facts.channels.saved) == tuple(unified._get_channel_names()) == ("Ch2",)
    assert value(facts.pixel_size_um) == (1.1078125, 1.1078125) and value(facts.zoom) == 1.5
    assert (value(facts.objective.name), value(facts.objective.magnification), value(facts.objective.numerical_aperture)) \
        == ("Leica 20x", 20.0, 1.0)
    assert value(facts.laser.wavelength_nm) == 920.0 and value(facts.laser.power) == 250.0
    assert [(d.channel, value(d.gain)) for d in facts.detectors] == [("Ch2", 700.0)]  # PMT 2 records channel 2
    assert value(facts.scan.mode) == "resonant" and value(facts.scan.line_rate_hz) == pytest.approx(1 / 6.3118e-05)
    assert value(facts.stage_position_um) == (56.215, 14.927, -130.0) and value(facts.planes) == 1
    raw = strict_json(facts)
    assert raw["PVScan"]["@date"] == "8/19/2024 11:57:37 AM" and raw["Environment"]["@version"] == "5.5.64.600"


def test_bruker_zseries_volumes_give_planes_depths_and_volume_times(tmp_path):
    folder = tmp_path / "TSeries-08192024-1200-002"
    written = write_bruker(folder, samples=3, planes=3)
    extractor = BrukerTiffImagingExtractor(folder_path=str(folder))
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(folder)
    assert value(facts.planes) == extractor.get_num_planes() == 3
    assert value(facts.plane_depths_um) == tuple(written["depths"])  # the zDevice (piezo) positions
    assert np.allclose(value(facts.timestamps_s), extractor.get_native_timestamps())
    assert value(facts.volume_rate_hz) == pytest.approx(extractor.get_sampling_frequency())
    assert value(facts.pixel_size_um) == (1.1078125, 1.1078125, 20.0) and value(facts.frames) == 3


def test_thorimage_folder_through_thortiffimagingextractor_on_each_channel(tmp_path):
    folder = tmp_path / "thor"
    movie = write_thor(folder)
    tif = folder / "ChanA_001_001_001_001.tif"
    for index, channel in enumerate(("ChanA", "ChanB")):
        extractor = ThorTiffImagingExtractor(file_path=str(tif), channel_name=channel)
        assert np.array_equal(extractor.get_series(), movie[:, index])
        facts = mb.source_metadata(extractor)
        assert facts == mb.source_metadata(folder) == mb.source_metadata(tif)
        assert value(facts.frame_rate_hz) == extractor.get_sampling_frequency() == 20.5
        assert value(facts.frame_shape) == extractor.get_frame_shape() == (8, 6)
        assert value(facts.frames) == extractor.get_num_samples() == 3
        assert value(facts.channels.saved) == tuple(extractor._get_channel_names()) == ("ChanA", "ChanB")
        # local 14:05:09 and uTime 1685729109 (18:05:09 UTC): the computer was at UTC-4
        assert value(facts.start_time) == extractor._get_session_start_time()
        assert value(facts.start_time).utcoffset() == dt.timedelta(hours=-4)
    assert [(d.channel, value(d.gain), value(d.offset)) for d in facts.detectors] == [("ChanA", 40.0, 0.1), ("ChanB", 60.0, 0.2)]
    assert value(facts.scan.mode) == "galvo" and value(facts.scan.bidirectional) is True  # scanMode 0: two-way
    assert value(facts.pixel_size_um) == (0.5, 0.5) and value(facts.laser.power) == 35.0


def test_miniscope_device_and_session_folders(tmp_path):
    from roiextractors.extractors.miniscopeimagingextractor.miniscope_utils import get_recording_start_time
    from roiextractors.extractors.miniscopeimagingextractor.miniscopeimagingextractor import read_timestamps_from_csv_file

    session = tmp_path / "15_26_31"
    device = write_miniscope(session)
    facts = mb.source_metadata(device)
    assert facts == mb.source_metadata(session) == mb.source_metadata(device / "timeStamps.csv")
    assert facts.vendor == "UCLA Miniscope" and value(facts.microscope) == "Miniscope_V4_BNO"
    assert value(facts.frame_rate_hz) == 30.0 and value(facts.frame_shape) == (608, 608)
    assert np.allclose(value(facts.timestamps_s), read_timestamps_from_csv_file(device / "timeStamps.csv"))
    assert value(facts.frames) == 5
    # roiextractors reads the local clock; msecSinceEpoch adds the instant, hence the offset (UTC-4)
    start = value(facts.start_time)
    assert start.replace(tzinfo=None) == get_recording_start_time(session / "metaData.json")
    assert start.utcoffset() == dt.timedelta(hours=-4) and start.timestamp() == 1749756391.176
    assert value(facts.laser.power) == 24.0 and value(facts.laser.excitation_mode) == "one-photon"
    assert [(d.channel, value(d.gain)) for d in facts.detectors] == [("HPC_miniscope1", "Medium")]
    assert strict_json(facts)["../metaData.json"]["miniscopes"] == ["HPC_miniscope1"]


def test_miniscope_through_its_extractor_when_opencv_is_installed(tmp_path):
    cv2 = pytest.importorskip("cv2", reason="MiniscopeImagingExtractor reads .avi videos with opencv")
    from roiextractors import MiniscopeImagingExtractor

    device = write_miniscope(tmp_path / "session")
    writer = cv2.VideoWriter(str(device / "0.avi"), cv2.VideoWriter_fourcc(*"FFV1"), 30.0, (12, 8))
    for index in range(5):
        writer.write(np.full((8, 12, 3), index * 10, dtype=np.uint8))
    writer.release()
    extractor = MiniscopeImagingExtractor(folder_path=str(device))
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(device)
    assert np.allclose(value(facts.timestamps_s), extractor.get_native_timestamps())


def test_caiman_params_through_its_extractor_and_by_path(tmp_path):
    path = tmp_path / "caiman_results.hdf5"
    write_caiman(path)
    extractor = CaimanSegmentationExtractor(file_path=str(path))
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(path) and facts.vendor == "CaImAn"
    assert value(facts.frame_rate_hz) == extractor.get_sampling_frequency() == 15.0
    assert value(facts.frame_shape) == tuple(extractor.get_frame_shape()) == (8, 6)
    assert value(facts.pixel_size_um) == (2.0, 1.5)  # dxy follows dims (rows, columns); given as (x, y)
    assert value(facts.source_files) == ("movie_00001.tif",)
    assert strict_json(facts)["params"]["motion"]["max_shifts"] == [6, 6]


def test_a_plain_imagej_tiff_gives_its_rate_pixel_size_and_shape(tmp_path):
    import tifffile

    path = tmp_path / "movie.tif"
    movie = np.arange(4 * 8 * 6, dtype="uint16").reshape(4, 8, 6)
    tifffile.imwrite(path, movie, imagej=True, resolution=(1 / 0.75, 1 / 0.75),
                     metadata={"axes": "TYX", "finterval": 0.05, "unit": "micron"})
    extractor = TiffImagingExtractor(file_path=str(path), sampling_frequency=20.0)
    facts = mb.source_metadata(extractor)
    assert facts == mb.source_metadata(path) and facts.vendor == "TIFF"
    assert value(facts.frame_rate_hz) == pytest.approx(20.0) and value(facts.frames) == extractor.get_num_samples() == 4
    assert value(facts.pixel_size_um) == pytest.approx((0.75, 0.75)) and value(facts.frame_shape) == (8, 6)
    strict_json(facts)


# -- unknown and damaged sources -----------------------------------------------------------------------------
def test_unknown_sources_give_an_empty_result_never_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a header")
    sources = [
        NumpyImagingExtractor(timeseries=np.zeros((3, 4, 5), "uint16"), sampling_frequency=10.0),
        generate_dummy_imaging_extractor(num_rows=4, num_columns=5, num_samples=3),
        NumpySegmentationExtractor(image_masks=np.ones((4, 5, 2)), raw=np.zeros((3, 2)), sampling_frequency=10.0),
        object(), tmp_path / "notes.txt", tmp_path,
    ]
    for source in sources:
        facts = mb.source_metadata(source)
        assert facts.is_empty and facts.raw == {} and facts.vendor is None, source
        assert list(facts.facts()) == []
    missing = mb.source_metadata(tmp_path / "absent.tif")
    assert missing.is_empty and "no such file" in missing.notes[0]


def test_a_damaged_header_gives_what_could_be_read_and_a_note(tmp_path):
    folder = tmp_path / "thor"
    write_thor(folder)
    xml = (folder / "Experiment.xml").read_text()
    (folder / "Experiment.xml").write_text(xml.replace('frameRate="20.5"', 'frameRate="fast"').replace('uTime="1685729109"', ""))
    facts = mb.source_metadata(folder)
    assert facts.frame_rate_hz is None and any("frameRate" in n and "'fast'" in n for n in facts.notes)
    assert value(facts.frame_shape) == (8, 6) and value(facts.start_time) == dt.datetime(2023, 6, 2, 14, 5, 9)

    (folder / "Experiment.xml").write_text(xml[: len(xml) // 2])  # cut off mid-file
    broken = mb.source_metadata(folder)
    assert broken.vendor == "ThorImageLS" and list(broken.facts()) == [] and "Experiment.xml" in broken.notes[0]

    bruker = tmp_path / "TSeries-001"
    write_bruker(bruker, samples=2)
    text = (bruker / "TSeries-001.xml").read_text()
    (bruker / "TSeries-001.xml").write_text(text.replace('key="linesPerFrame" value="8"', 'key="linesPerFrame" value="8.5"'))
    facts = mb.source_metadata(bruker)
    assert facts.frame_shape is None and any("frame_shape" in n for n in facts.notes) and value(facts.frames) == 2

    tif = tmp_path / "scanimage_00001_00001.tif"
    write_scanimage(tif, samples=2)
    data = bytearray(tif.read_bytes())
    data[40:60] = b"garbage;[[[ = " + b"\0" * 6  # the static header block after the TIFF header
    tif.write_bytes(bytes(data))
    facts = mb.source_metadata(tif)  # the Software tag of every page holds the same SI.* lines
    assert value(facts.frame_rate_hz) == SI_FRAME_RATE and len(value(facts.timestamps_s)) == 2
    assert any("header block is unreadable" in note for note in facts.notes)

    write_scanimage(tif, samples=2)
    data = bytearray(tif.read_bytes())
    data[len(data) // 2:] = b"\0" * (len(data) - len(data) // 2)  # the second page is lost
    tif.write_bytes(bytes(data))
    damaged = mb.source_metadata(tif)
    assert value(damaged.frame_rate_hz) == SI_FRAME_RATE and damaged.timestamps_s is None
    assert any("timestamps_s" in note and "page 2" in note for note in damaged.notes)


def test_guess_source_names_the_extractor_for_each_layout(tmp_path):
    write_scanimage(tmp_path / "si_00001_00001.tif", samples=2)
    (tmp_path / "si3").mkdir()
    write_scanimage3(tmp_path / "si3" / "legacy.tif")
    write_bruker(tmp_path / "TSeries-003", samples=2)
    write_thor(tmp_path / "thor")
    device = write_miniscope(tmp_path / "mini")
    write_caiman(tmp_path / "results.hdf5")
    expected = {
        tmp_path / "si_00001_00001.tif": ("ScanImageImagingExtractor", "scanimage"),
        tmp_path / "si3": ("TiffImagingExtractor", "scanimage3"),
        tmp_path / "TSeries-003": ("BrukerTiffImagingExtractor", "bruker"),
        tmp_path / "thor": ("ThorTiffImagingExtractor", "thorimage"),
        tmp_path / "mini": ("MiniscopeImagingExtractor", "miniscope"),
        tmp_path / "results.hdf5": ("CaimanSegmentationExtractor", "caiman"),
    }
    for path, (extractor, fmt) in expected.items():
        guess = guess_source(path)
        assert (guess.extractor, guess.format) == (extractor, fmt), path
    assert guess_source(tmp_path / "si3").arguments["sampling_frequency"] == 3.90625
    assert guess_source(tmp_path / "mini").arguments == {"folder_path": str(device)}
    for path in (tmp_path / "si_00001_00001.tif", tmp_path / "si3", tmp_path / "TSeries-003", tmp_path / "thor",
                 tmp_path / "results.hdf5"):
        made = guess_source(path).create()
        assert mb.source_metadata(made) == mb.source_metadata(path)
    assert guess_source(tmp_path / "nothing") is None
