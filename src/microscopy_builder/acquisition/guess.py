"""Which roiextractors extractor reads a file or folder, guessed from its contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ..errors import SourceDataError
from . import bruker, caiman, miniscope, suite2p, thorimage, tiff
from .common import natural_key


@attrs.frozen
class SourceGuess:
    """A roiextractors extractor and the arguments that read a source.

    Attributes
    ----------
    extractor
        The roiextractors class name (``"ScanImageImagingExtractor"``, ...).
    arguments
        Its keyword arguments; paths are absolute text.
    format
        The header format: ``"scanimage"`` (2016+), ``"scanimage3"``, ``"tiff"``, ``"thorimage"``,
        ``"bruker"``, ``"miniscope"``, ``"suite2p"`` or ``"caiman"``.
    header
        The file or folder the header is read from.
    kind
        ``"imaging"`` or ``"segmentation"``.
    missing
        Required arguments the files do not give (e.g. a plain TIFF's ``sampling_frequency``).
    channel_argument
        The argument that selects one channel, when the extractor has one.
    """

    extractor: str
    arguments: dict[str, Any]
    format: str
    header: Path
    kind: str = "imaging"
    missing: tuple[str, ...] = ()
    channel_argument: str | None = None

    def with_channel(self, channel: str | None) -> SourceGuess:
        """The same source read on ``channel`` (unchanged when the extractor selects no channel)."""
        if self.channel_argument is None or channel is None:
            return self
        return attrs.evolve(self, arguments={**self.arguments, self.channel_argument: channel})

    def create(self) -> Any:
        """The extractor itself.

        Raises
        ------
        SourceDataError
            An argument the files do not give is missing, or the extractor cannot read the source.
        """
        import roiextractors

        if self.missing:
            raise SourceDataError(f"{self.header}: {self.extractor} needs {', '.join(self.missing)}, which the files "
                                  "do not record; pass them yourself")
        try:
            return getattr(roiextractors, self.extractor)(**self.arguments)
        except Exception as error:  # noqa: BLE001 - whatever the reader raises, say which source and reader
            raise SourceDataError(f"{self.header}: {self.extractor} could not read it ({type(error).__name__}: "
                                  f"{error})") from error


def guess_source(path: str | Path) -> SourceGuess | None:
    """The extractor that reads ``path`` (a file or folder), from what the files hold; ``None`` if unknown.

    Recognised: ScanImage TIFFs (2016+ and 3.x), other TIFFs, a ThorImageLS folder (``Experiment.xml``),
    a Bruker PrairieView folder (``<folder>.xml``), a UCLA Miniscope device or session folder
    (``metaData.json``), Suite2p output (``ops.npy``) and CaImAn results (``.hdf5`` with ``params``).
    """
    path = Path(path).absolute()
    if not path.exists():
        return None
    if path.is_dir():
        return _folder(path)
    return _file(path)


def _file(path: Path) -> SourceGuess | None:
    name = path.name
    if name == thorimage.FILE:
        return _thor(path.parent)
    if name == suite2p.FILE:
        return _suite2p(path)
    if name in (miniscope.META, miniscope.TIMES) or path.suffix.lower() == ".avi":
        return _miniscope(path)
    if path.suffix.lower() in (".xml", ".env"):
        xml = path if path.suffix.lower() == ".xml" else path.with_suffix(".xml")
        return _bruker(xml.parent) if xml.is_file() and bruker.is_prairieview(xml) else None
    if path.suffix.lower() in caiman.SUFFIXES and caiman.is_caiman(path):
        return SourceGuess("CaimanSegmentationExtractor", {"file_path": str(path)}, "caiman", path, kind="segmentation")
    if path.suffix.lower() in tiff.SUFFIXES:
        return _tiff(path)
    return None


def _folder(folder: Path) -> SourceGuess | None:
    if (folder / thorimage.FILE).is_file():
        return _thor(folder)
    if bruker.xml_file(folder) is not None:
        return _bruker(folder)
    if suite2p.ops_path(folder) is not None:
        return _suite2p(suite2p.ops_path(folder))
    if miniscope.device_folder(folder) is not None:
        return _miniscope(folder)
    tiffs = sorted((p for p in folder.iterdir() if p.suffix.lower() in tiff.SUFFIXES), key=natural_key)
    return _tiff(tiffs[0]) if tiffs else None


def _tiff(path: Path) -> SourceGuess | None:
    if (path.parent / thorimage.FILE).is_file():
        return _thor(path.parent, path)
    if bruker.xml_file(path.parent) is not None:
        return _bruker(path.parent)
    kind = tiff.kind(path)
    if kind is None:
        return None
    if kind == "scanimage":
        return _first_channel(SourceGuess("ScanImageImagingExtractor", {"file_path": str(path)}, "scanimage", path,
                                          channel_argument="channel_name"), tiff.read(path))
    from .tiff import read

    rate = read(path).frame_rate_hz
    arguments: dict[str, Any] = {"file_path": str(path)}
    if rate is not None:
        arguments["sampling_frequency"] = rate.value
    return SourceGuess("TiffImagingExtractor", arguments, kind, path, missing=() if rate else ("sampling_frequency",))


def _thor(folder: Path, first: Path | None = None) -> SourceGuess:
    tiffs = sorted((p for p in folder.iterdir() if p.suffix.lower() in tiff.SUFFIXES), key=natural_key)
    first = first or (tiffs[0] if tiffs else None)
    arguments = {} if first is None else {"file_path": str(first)}
    guess = SourceGuess("ThorTiffImagingExtractor", arguments, "thorimage", folder / thorimage.FILE,
                        missing=() if first else ("file_path",), channel_argument="channel_name")
    return _first_channel(guess, thorimage.read(folder))


def _bruker(folder: Path) -> SourceGuess:
    guess = SourceGuess("BrukerTiffImagingExtractor", {"folder_path": str(folder)}, "bruker", folder,
                        channel_argument="channel_name")
    return _first_channel(guess, bruker.read(folder))


def _first_channel(guess: SourceGuess, facts: Any) -> SourceGuess:
    """The guess reading the first saved channel, when the extractor must be told which of several."""
    saved = facts.channels.saved or facts.channels.acquired
    return guess.with_channel(saved.value[0]) if saved is not None and len(saved.value) > 1 else guess


def _miniscope(path: Path) -> SourceGuess | None:
    folder = miniscope.device_folder(path)
    if folder is None:
        return None
    return SourceGuess("MiniscopeImagingExtractor", {"folder_path": str(folder)}, "miniscope", folder)


def _suite2p(ops: Path) -> SourceGuess:
    plane = ops.parent
    return SourceGuess("Suite2pSegmentationExtractor", {"folder_path": str(plane.parent), "plane_name": plane.name},
                       "suite2p", plane, kind="segmentation", channel_argument="channel_name")
