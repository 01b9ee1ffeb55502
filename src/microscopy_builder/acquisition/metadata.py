"""What an acquisition's own files record: frozen values, each with the header key it came from.

``SourceMetadata`` is the answer of :func:`microscopy_builder.source_metadata`. Every fact is a
``Recorded`` (its value, the header key, the unit, and a note when the value needs a word of
caution) or ``None`` when the files do not record it. ``raw`` keeps the whole header as plain,
JSON-ready data under the header's own key names; ``notes`` says what could not be read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs


@attrs.frozen
class Recorded:
    """One value an acquisition file records.

    Parameters
    ----------
    value
        The value, converted to a plain Python type (float, int, str, bool, tuple, datetime).
    key
        Where it came from: the file and the header key, e.g. ``"Experiment.xml LSM/@frameRate"``.
        Values computed from several keys name them all.
    unit
        The unit of ``value`` (``"Hz"``, ``"um"``, ``"s"``, ``"nm"``, ``"%"``, ``"V"``), if it has one.
    note
        A caution about the value (e.g. "no time zone recorded"), if any.
    """

    value: Any
    key: str
    unit: str | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class Channels:
    """The channels a header names; each list holds channel names in the header's order."""

    names: Recorded | None = None
    acquired: Recorded | None = None
    saved: Recorded | None = None


@attrs.frozen(kw_only=True)
class Objective:
    """The objective lens as the header names it."""

    name: Recorded | None = None
    magnification: Recorded | None = None
    numerical_aperture: Recorded | None = None


@attrs.frozen(kw_only=True)
class Laser:
    """The excitation source: wavelength, power (in the unit the header uses) and excitation mode."""

    wavelength_nm: Recorded | None = None
    power: Recorded | None = None
    excitation_mode: Recorded | None = None


@attrs.frozen(kw_only=True)
class Detector:
    """The photodetector of one channel: its gain and offset as the header records them."""

    channel: str
    gain: Recorded | None = None
    offset: Recorded | None = None


@attrs.frozen(kw_only=True)
class Scan:
    """How the beam was scanned: ``mode`` is ``"resonant"`` or ``"galvo"``."""

    mode: Recorded | None = None
    bidirectional: Recorded | None = None
    line_rate_hz: Recorded | None = None


FACT_FIELDS = (
    "software_version", "microscope", "start_time", "frame_rate_hz", "volume_rate_hz", "frames", "frame_shape",
    "pixel_size_um", "zoom", "planes", "plane_depths_um", "stage_position_um", "timestamps_s", "source_files",
)
GROUP_FIELDS = ("channels", "objective", "laser", "scan")


@attrs.frozen(kw_only=True)
class SourceMetadata:
    """What the files of one source record; every fact is a ``Recorded`` or ``None``.

    Attributes
    ----------
    vendor
        The software that wrote the files (``"ScanImage"``, ``"ThorImageLS"``, ``"Bruker PrairieView"``,
        ``"UCLA Miniscope"``, ``"Suite2p"``, ``"CaImAn"``, ``"TIFF"``), ``None`` for an unknown source.
    files
        The header files read, as absolute paths.
    frame_rate_hz, volume_rate_hz
        Frames per second of one plane; volumes per second of a multi-plane recording.
    start_time
        A ``datetime``, timezone-aware when the header gives a zone or a UTC instant; naive
        otherwise, with a note saying so.
    frames
        The number of frames (time points) the header says were recorded.
    frame_shape
        (rows, columns) of one frame.
    pixel_size_um
        (x, y) or (x, y, z) in micrometres, for the zoom of the recording.
    planes, plane_depths_um
        The number of planes, and the z position of each (micrometres, as the header gives them).
    timestamps_s
        Per-frame (or per-volume) times in seconds, when recorded.
    source_files
        The raw files an analysis read (Suite2p ``filelist``, CaImAn ``fnames``).
    detectors
        One ``Detector`` per channel with a gain or offset in the header.
    raw
        The whole header as plain data (mappings, lists, text, numbers, booleans, ``None``) under the
        header's own key names; ready for ``json.dumps(raw, allow_nan=False)``.
    notes
        What could not be read, and why.
    """

    vendor: str | None = None
    files: tuple[str, ...] = ()
    software_version: Recorded | None = None
    microscope: Recorded | None = None
    start_time: Recorded | None = None
    frame_rate_hz: Recorded | None = None
    volume_rate_hz: Recorded | None = None
    frames: Recorded | None = None
    frame_shape: Recorded | None = None
    pixel_size_um: Recorded | None = None
    zoom: Recorded | None = None
    planes: Recorded | None = None
    plane_depths_um: Recorded | None = None
    stage_position_um: Recorded | None = None
    timestamps_s: Recorded | None = attrs.field(default=None, repr=False)
    source_files: Recorded | None = None
    channels: Channels = Channels()
    objective: Objective = Objective()
    laser: Laser = Laser()
    scan: Scan = Scan()
    detectors: tuple[Detector, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    notes: tuple[str, ...] = ()

    def facts(self) -> Iterator[tuple[str, Recorded]]:
        """Every recorded fact as (dotted name, ``Recorded``): ``"frame_rate_hz"``, ``"objective.name"``,
        ``"detectors[ChanC].gain"``, ..."""
        for name in FACT_FIELDS:
            if getattr(self, name) is not None:
                yield name, getattr(self, name)
        for group in GROUP_FIELDS:
            value = getattr(self, group)
            for field in attrs.fields(type(value)):
                if getattr(value, field.name) is not None:
                    yield f"{group}.{field.name}", getattr(value, field.name)
        for detector in self.detectors:
            for field in ("gain", "offset"):
                if getattr(detector, field) is not None:
                    yield f"detectors[{detector.channel}].{field}", getattr(detector, field)

    @property
    def is_empty(self) -> bool:
        """True when nothing was read: no facts and no header."""
        return next(self.facts(), None) is None and not self.raw
