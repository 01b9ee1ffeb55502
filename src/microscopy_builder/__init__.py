"""microscopy-builder: describe a microscope and calcium-imaging recordings, get complete NWB files.

Public names are the builders, ``Session``, the specs ``Session.add`` takes, the value types users pass
to builders, and the errors.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .acquisition import SourceMetadata, source_metadata
from .batch import SessionJob, SessionResult, write_sessions
from .builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder, StaticImageBuilder
from .emit.placeholders import Placeholder, PlaceholderWarning
from .io.dataset_config import DatasetConfiguration
from .errors import BuilderError, CompatibilityWarning, ConflictError, SourceDataError, ValidationError
from .session import Session
from .session_file import load_session_file
from .specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec
from .specs import IndicatorSpec as Indicator
from .validation import Problem, ValidationReport
from .specs import InjectionSpec as Injection
from .specs import PositionSpec as Position
from .unknown import UNKNOWN

if TYPE_CHECKING:
    from .reading import MicroscopyImagingExtractor, MicroscopySegmentationExtractor, Recording, read, translate

#: imported on first use: reading a file imports ndx-microscopy, which writing a legacy file must not
#: need (a process that never loaded the extension writes and appends core-only files without it)
_READING = ("MicroscopyImagingExtractor", "MicroscopySegmentationExtractor", "Recording", "read", "translate")


def __getattr__(name: str) -> Any:
    if name in _READING:
        from . import reading

        return getattr(reading, name)
    raise AttributeError(f"module 'microscopy_builder' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


try:
    __version__ = version("microscopy-builder")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "BuilderError",
    "CompatibilityWarning",
    "ConflictError",
    "DatasetConfiguration",
    "ImagingSpaceBuilder",
    "ImagingSpaceSpec",
    "Indicator",
    "Injection",
    "MicroscopyImagingExtractor",
    "MicroscopySegmentationExtractor",
    "Placeholder",
    "PlaceholderWarning",
    "Position",
    "Problem",
    "Recording",
    "RigBuilder",
    "RigSpec",
    "SegmentationBuilder",
    "SegmentationSpec",
    "SeriesBuilder",
    "SeriesSpec",
    "Session",
    "SessionJob",
    "SessionResult",
    "SourceDataError",
    "SourceMetadata",
    "StaticImageBuilder",
    "StaticImageSpec",
    "UNKNOWN",
    "ValidationError",
    "ValidationReport",
    "__version__",
    "load_session_file",
    "read",
    "source_metadata",
    "translate",
    "write_sessions",
]
