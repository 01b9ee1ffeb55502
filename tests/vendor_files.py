"""Small acquisition files in each vendor's real layout, for the header readers' tests.

The layouts and key names follow the facts in ``../shared/data/README.md``, the vendors' public
documentation and real headers quoted in public code (ScanImage 3.8 and 2023 headers, PrairieView
5.5 ``.xml``, ThorImageLS 4.0 ``Experiment.xml``, Miniscope-DAQ-QT ``metaData.json``); sizes are
shrunk so the files stay tiny. TIFF tags are written with tifffile, XML and JSON by hand.
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

import numpy as np
import tifffile

logging.getLogger("tifffile").setLevel(logging.ERROR)  # appending to a header-only file logs "no pages"

# -- ScanImage 2016+ ----------------------------------------------------------------------------------
SI_FRAME_DATA = """SI.VERSION_MAJOR = '2023'
SI.VERSION_MINOR = '1'
SI.VERSION_UPDATE = '0'
SI.acqState = 'grab'
SI.objectiveResolution = 61
SI.hBeams.powers = 7.5
SI.hChannels.channelName = {{'Channel 1' 'Channel 2' 'Channel 3' 'Channel 4'}}
SI.hChannels.channelOffset = [-386 -120]
SI.hChannels.channelSave = {save}
SI.hChannels.channelsActive = [1;2]
SI.hMotors.samplePosition = [0 -10 -8895.207]
SI.hPmts.gains = [0.62 0.55]
SI.hPmts.offsets = [0.01 0.02]
SI.hRoiManager.imagingFovDeg = {fov_deg}
SI.hRoiManager.imagingFovUm = {fov_um}
SI.hRoiManager.linePeriod = 6.312276526735244e-05
SI.hRoiManager.linesPerFrame = {rows}
SI.hRoiManager.pixelsPerLine = {columns}
SI.hRoiManager.scanFrameRate = {rate}
SI.hRoiManager.scanVolumeRate = {volume_rate}
SI.hRoiManager.scanZoomFactor = 2
SI.hScan2D.bidirectional = true
SI.hScan2D.logFramesPerFile = Inf
SI.hScan2D.scanMode = 'resonant'
SI.hScan2D.scannerFrequency = 7921.072498682242
SI.hScan2D.scannerType = 'RGG'
SI.hStackManager.enable = {stack}
SI.hStackManager.framesPerSlice = 1
SI.hStackManager.numFramesPerVolume = {slices}
SI.hStackManager.numFramesPerVolumeWithFlyback = {with_flyback}
SI.hStackManager.numSlices = {slices}
SI.hStackManager.stackMode = 'fast'
SI.hStackManager.stackZStepSize = 25
SI.hStackManager.zs = {zs}
"""
SI_FRAME_RATE = 30.0414


FOV_UM = "[-213.5 -106.75;213.5 -106.75;213.5 106.75;-213.5 106.75]"  # 7 x 3.5 degrees at 61 um per degree
FOV_DEG = "[-3.5 -1.75;3.5 -1.75;3.5 1.75;-3.5 1.75]"


def write_scanimage(path: Path, *, samples: int = 5, rows: int = 8, columns: int = 6, save: str = "1",
                    slices: int = 1, flyback: int = 0, fov: str = "um") -> dict:
    """A ScanImage 2016+ BigTIFF: the ScanImage static header block after the TIFF header, the SI.*
    frame data in every page's Software tag, the RoiGroups JSON in Artist and per-frame values in
    ImageDescription. ``fov`` says which field of view the header gives: corners in ``"um"`` and
    degrees, only in ``"deg"``, or only the ROI's scanfield (``"roi"``, as in multi-ROI mode).
    Returns what was written."""
    saved = [int(c) for c in save.strip("[]").replace(";", " ").split()]
    volumetric = slices > 1
    zs = [-8895.207 + 25 * i for i in range(slices)]
    frame = SI_FRAME_DATA.format(save=save, rows=rows, columns=columns, rate=SI_FRAME_RATE,
                                 fov_um=FOV_UM if fov == "um" else "[]", fov_deg=FOV_DEG if fov in ("um", "deg") else "[]",
                                 volume_rate=SI_FRAME_RATE / (slices + flyback), stack="true" if volumetric else "false",
                                 slices=slices, with_flyback=slices + flyback,
                                 zs="[" + " ".join(f"{z:g}" for z in zs) + "]" if volumetric else f"{zs[0]:g}")
    rois = {"RoiGroups": {"imagingRoiGroup": {"name": "Default Imaging ROI Group", "rois": {
        "name": "Default Imaging Roi", "scanfields": {"centerXY": [0, 0], "sizeXY": [7, 3.5],
                                                      "pixelResolutionXY": [columns, rows]}}}}}
    frame_bytes, roi_bytes = frame.encode() + b"\0", json.dumps(rois).encode() + b"\0"
    with open(path, "wb") as file:
        file.write(struct.pack("<2sHHHQ", b"II", 43, 8, 0, 0))  # BigTIFF header; first IFD appended below
        file.write(struct.pack("<IIII", 0x07030301, 3, len(frame_bytes), len(roi_bytes)))
        file.write(frame_bytes + roi_bytes)
    pages_per_sample = len(saved) * (slices + flyback)
    times = []
    with tifffile.TiffWriter(path, append=True) as tif:
        for index in range(samples * pages_per_sample):
            stamp = index / (SI_FRAME_RATE * len(saved))
            times.append(stamp)
            description = (f"frameNumbers = {index // len(saved) + 1}\nacquisitionNumbers = 1\n"
                           f"frameTimestamps_sec = {stamp:.6f}\nepoch = [2023 9 22 12 51 34.124]\n")
            data = np.full((rows, columns), index, dtype="int16")
            tif.write(data, description=description, software=frame, metadata=None, contiguous=False,
                      extratags=[(315, "s", 0, json.dumps(rois), True)])
    return {"times": times[::pages_per_sample], "saved": saved, "zs": zs, "frame": frame, "rois": rois}


# -- ScanImage 3.x ------------------------------------------------------------------------------------
SI3_LINES = [  # a ScanImage 3.8 header (state.* lines, \r-separated), sized down to 16 x 12 pixels
    "state.configPath='C:\\Users\\Lab\\Desktop\\ScanImage_cfgfiles'", "state.configName='Behavior_2channel'",
    "state.software.version=3.8", "state.software.minorRev=0", "state.acq.externallyTriggered=0",
    "state.acq.numberOfZSlices=1", "state.acq.zStepSize=187", "state.acq.numberOfFrames=6",
    "state.acq.numberOfRepeats=Inf", "state.acq.linesPerFrame=16", "state.acq.pixelsPerLine=12",
    "state.acq.frameRate=3.90625", "state.acq.zoomFactor=2", "state.acq.scanAngleMultiplierFast=1",
    "state.acq.msPerLine=1", "state.acq.fillFraction=0.8192", "state.acq.bidirectionalScan=1",
    "state.acq.pmtOffsetChannel1=0.93603515625", "state.acq.pmtOffsetChannel2=-0.106689453125",
    "state.acq.pmtOffsetChannel3=-0.789306640625", "state.acq.pmtOffsetChannel4=-1.0419921875",
    "state.acq.acquiringChannel1=1", "state.acq.acquiringChannel2=0", "state.acq.acquiringChannel3=0",
    "state.acq.acquiringChannel4=0", "state.acq.savingChannel1=1", "state.acq.savingChannel2=0",
    "state.acq.savingChannel3=0", "state.acq.savingChannel4=0", "state.acq.numberOfChannelsSave=1",
    "state.acq.framesPerFile=Inf", "state.acq.nextTrigInputTerminal=[]", "state.init.eom.focusLaserList='PockelsCell-1'",
    "state.internal.figureColormap1='$scim_colorMap(''gray'',8,5)'", "state.motor.absXPosition=659.6",
    "state.motor.absYPosition=-10386.6", "state.motor.absZPosition=-8068.4", "state.motor.absZZPosition=NaN",
    "state.internal.startupTimeString='10/9/2017 14:38:30.957'", "state.internal.triggerTimeString='10/9/2017 16:57:07.967'",
    "state.init.voltsPerOpticalDegree=0.333",
]


def write_scanimage3(path: Path, *, frames: int = 6) -> np.ndarray:
    """A ScanImage 3.x TIFF: the same \\r-separated ``state.*`` header in every page's ImageDescription."""
    header = "\r".join(SI3_LINES)
    movie = np.arange(frames * 16 * 12, dtype="int16").reshape(frames, 16, 12)
    with tifffile.TiffWriter(path) as tif:
        for image in movie:
            tif.write(image, description=header, software=False, metadata=None, contiguous=False)
    return movie


# -- Bruker PrairieView ---------------------------------------------------------------------------------
BRUKER_STATE = """  <PVStateShard>
    <PVStateValue key="activeMode" value="ResonantGalvo" />
    <PVStateValue key="bitDepth" value="13" />
    <PVStateValue key="dwellTime" value="0.4" />
    <PVStateValue key="framePeriod" value="{period}" />
    <PVStateValue key="laserPower">
      <IndexedValue index="0" value="250" description="Imaging" />
    </PVStateValue>
    <PVStateValue key="laserWavelength">
      <IndexedValue index="0" value="920" description="Excitation 1" />
    </PVStateValue>
    <PVStateValue key="linesPerFrame" value="{rows}" />
    <PVStateValue key="micronsPerPixel">
      <IndexedValue index="XAxis" value="1.1078125" />
      <IndexedValue index="YAxis" value="1.1078125" />
      <IndexedValue index="ZAxis" value="5" />
    </PVStateValue>
    <PVStateValue key="objectiveLens" value="Leica 20x" />
    <PVStateValue key="objectiveLensMag" value="20" />
    <PVStateValue key="objectiveLensNA" value="1" />
    <PVStateValue key="opticalZoom" value="1.5" />
    <PVStateValue key="pixelsPerLine" value="{columns}" />
    <PVStateValue key="pmtGain">
      <IndexedValue index="0" value="650" description="PMT 1 HV" />
      <IndexedValue index="1" value="700" description="PMT 2 HV" />
    </PVStateValue>
    <PVStateValue key="positionCurrent">
      <SubindexedValues index="XAxis"><SubindexedValue subindex="0" value="56.215" /></SubindexedValues>
      <SubindexedValues index="YAxis"><SubindexedValue subindex="0" value="14.927" /></SubindexedValues>
      <SubindexedValues index="ZAxis">
        <SubindexedValue subindex="0" value="-130" description="Z Focus" />
        <SubindexedValue subindex="1" value="0" description="Bruker 400 um Piezo" />
      </SubindexedValues>
    </PVStateValue>
    <PVStateValue key="scanLinePeriod" value="6.3118e-05" />
    <PVStateValue key="zDevice" value="1" />
  </PVStateShard>
"""
BRUKER_PERIOD = 0.033474728


def write_bruker(folder: Path, *, samples: int = 4, rows: int = 8, columns: int = 6, planes: int = 1) -> dict:
    """A PrairieView T-series folder: ``<folder>.xml`` (PVScan), ``<folder>.env`` and one single-page
    ``.ome.tif`` per frame and channel (channel 2, "Ch2"). ``planes > 1`` writes a ZSeries of volumes."""
    folder.mkdir(parents=True, exist_ok=True)
    name, volumetric = folder.name, planes > 1
    sequences, times, index = [], [], 0
    for cycle in range(samples if volumetric else 1):
        frames = []
        for plane in range(planes if volumetric else samples):
            file_name = f"{name}_Cycle{cycle + 1:05d}_Ch2_{plane + 1:06d}.ome.tif"
            tifffile.imwrite(folder / file_name, np.full((rows, columns), index, "uint16"), ome=True)
            relative = round(index * BRUKER_PERIOD, 9)
            times.append(relative)
            z = f"""
      <PVStateShard>
        <PVStateValue key="positionCurrent">
          <SubindexedValues index="ZAxis">
            <SubindexedValue subindex="0" value="-130" description="Z Focus" />
            <SubindexedValue subindex="1" value="{plane * 20}" description="Bruker 400 um Piezo" />
          </SubindexedValues>
        </PVStateValue>
      </PVStateShard>""" if volumetric else ""
            frames.append(f'    <Frame relativeTime="{relative}" absoluteTime="{2.67 + relative}" index="{plane + 1}" '
                          f'parameterSet="CurrentSettings">\n      <File channel="2" channelName="Ch2" page="1" '
                          f'filename="{file_name}" />\n      <ExtraParameters validData="True" />{z}\n    </Frame>')
            index += 1
        kind = "TSeries ZSeries Element" if volumetric else "TSeries Timed Element"
        sequences.append(f'  <Sequence type="{kind}" cycle="{cycle + 1}" time="11:57:38.1234567" bidirectionalZ="False">\n'
                         + "\n".join(frames) + "\n  </Sequence>")
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n<PVScan version="5.5.64.600" date="8/19/2024 11:57:37 AM" notes="">\n'
           '  <SystemIDs SystemID="0123456789ABCDEF0123456789ABCDEF">\n    <SystemID SystemID="4318" Description="Room 101" />\n'
           '  </SystemIDs>\n' + BRUKER_STATE.format(period=BRUKER_PERIOD, rows=rows, columns=columns)
           + "\n".join(sequences) + "\n</PVScan>\n")
    (folder / f"{name}.xml").write_text(xml)
    (folder / f"{name}.env").write_text('<?xml version="1.0" encoding="utf-8"?>\n<Environment version="5.5.64.600" '
                                        'date="8/19/2024 11:50:02 AM">\n  <PVStateShard>\n    <PVStateValue key='
                                        '"objectiveLens" value="Leica 20x" />\n  </PVStateShard>\n</Environment>\n')
    return {"times": times[::planes] if volumetric else times, "depths": [20.0 * p for p in range(planes)]}


# -- ThorImageLS ----------------------------------------------------------------------------------------
THOR_XML = """<?xml version="1.0"?>
<ThorImageExperiment>
  <Name name="7" path="C:\\Users\\User\\Documents\\TempData\\7" />
  <Date date="06/02/2023 14:05:09" uTime="1685729109" />
  <Software version="4.0.2020.2171" />
  <Magnification mag="14.2" indexOfRefraction="1.3" name="16X Nikon" />
  <Wavelengths nyquistExWavelengthNM="488" nyquistEmWavelengthNM="488">
    <Wavelength name="ChanA" exposureTimeMS="0" />
    <Wavelength name="ChanB" exposureTimeMS="0" />
    <ChannelEnable Set="3" />
  </Wavelengths>
  <ZStage name="ThorMCM3000" steps="1" stepSizeUM="1" startPos="0" zStreamFrames="1" zStreamMode="0" enable="1" />
  <Timelapse timepoints="1" intervalSec="0" triggerMode="0" />
  <LSM name="GalvoGalvo" scanMode="0" areaMode="1" channel="3" fieldSize="120" pixelX="6" pixelY="8" averageMode="0"
       averageNum="1" flybackCycles="4" pixelSizeUM="0.5" widthUM="3" heightUM="4" dwellTime="2" frameRate="20.5" />
  <PMT enableA="1" gainA="40" enableB="1" gainB="60" enableC="0" gainC="0" enableD="0" gainD="0" offsetAVolts="0.1"
       offsetBVolts="0.2" offsetCVolts="0" offsetDVolts="0" />
  <Pockels type="0" pockelsBlankPercentage="5" pockelsMinV="-0.08" pockelsMaxV="0.82" start="35" stop="35" path="" />
  <Streaming enable="1" frames="{frames}" rawData="1" zFastEnable="0" flybackFrames="1" />
  <Modality primaryDetectorType="1" name="GR Multiphoton" />
  <RawData onlyEnabledChannels="1" />
</ThorImageExperiment>
"""


def write_thor(folder: Path, *, frames: int = 3) -> np.ndarray:
    """A ThorImageLS folder: ``Experiment.xml`` and an OME-TIFF of two interleaved channels (ChanA, ChanB)."""
    folder.mkdir(parents=True, exist_ok=True)
    movie = np.arange(frames * 2 * 8 * 6, dtype="uint16").reshape(frames, 2, 8, 6)
    tifffile.imwrite(folder / "ChanA_001_001_001_001.tif", movie, ome=True,
                     metadata={"axes": "TCYX", "TimeIncrement": 1 / 20.5})
    (folder / "Experiment.xml").write_text(THOR_XML.format(frames=frames))
    return movie


# -- UCLA Miniscope ---------------------------------------------------------------------------------------
def write_miniscope(session: Path, *, frames: int = 5) -> Path:
    """A Miniscope-DAQ-QT session folder with one device folder (metaData.json, timeStamps.csv)."""
    device = session / "HPC_miniscope1"
    device.mkdir(parents=True, exist_ok=True)
    (session / "metaData.json").write_text(json.dumps({
        "researcherName": "researcher_name", "animalName": "animal_name", "experimentName": "experiment_name",
        "baseDirectory": "D:/path/to/session", "miniscopes": ["HPC_miniscope1"], "cameras": ["BehavCam_1"],
        "framesPerFile": 1000, "recordingStartTime": {"year": 2025, "month": 6, "day": 12, "hour": 15, "minute": 26,
                                                      "second": 31, "msec": 176, "msecSinceEpoch": 1749756391176}}, indent=4))
    (device / "metaData.json").write_text(json.dumps({
        "ROI": {"height": 608, "leftEdge": 0, "topEdge": 0, "width": 608}, "compression": "FFV1",
        "deviceDirectory": "D:/path/to/session/HPC_miniscope1", "deviceID": 1, "deviceName": "HPC_miniscope1",
        "deviceType": "Miniscope_V4_BNO", "ewl": 70, "frameRate": "30FPS", "framesPerFile": 1000, "gain": "Medium",
        "led0": 24}, indent=4))
    rows = "".join(f"{i},{round(i * 33.3)},{i % 2}\n" for i in range(frames))
    (device / "timeStamps.csv").write_text("Frame Number,Time Stamp (ms),Buffer Index\n" + rows)
    return device


# -- CaImAn -------------------------------------------------------------------------------------------------
def write_caiman(path: Path, *, rois: int = 3, frames: int = 20) -> None:
    """CaImAn's HDF5 results: ``estimates`` (sparse A, C, YrA) and ``params`` (data, motion, ...)."""
    import h5py
    import scipy.sparse

    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as file:
        data = file.create_group("params/data")
        data["fr"], data["dims"], data["dxy"], data["decay_time"] = 15.0, np.array([8, 6]), np.array([1.5, 2.0]), 0.4
        data["fnames"] = np.array([b"movie_00001.tif"])
        data["caiman_version"] = "1.9.15"
        file["params/motion/max_shifts"] = np.array([6, 6])
        estimates = file.create_group("estimates")
        estimates["C"], estimates["YrA"] = rng.random((rois, frames)), rng.random((rois, frames))
        masks = scipy.sparse.csc_matrix(rng.random((48, rois)))
        for name in ("data", "indices", "indptr"):
            estimates[f"A/{name}"] = getattr(masks, name)
        estimates["A/shape"] = np.array(masks.shape)
