"""What acquisition files already record: ScanImage, Bruker PrairieView, ThorImageLS, UCLA Miniscope,
Suite2p, CaImAn and plain TIFF headers, read into ``SourceMetadata``; one module per format."""

from .guess import SourceGuess, guess_source
from .metadata import Channels, Detector, Laser, Objective, Recorded, Scan, SourceMetadata
from .source import source_metadata

__all__ = [
    "Channels",
    "Detector",
    "Laser",
    "Objective",
    "Recorded",
    "Scan",
    "SourceGuess",
    "SourceMetadata",
    "guess_source",
    "source_metadata",
]
