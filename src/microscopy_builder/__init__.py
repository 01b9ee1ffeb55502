"""microscopy-builder: describe a microscope and calcium-imaging recordings, get complete NWB files.

Public names are the builders, ``Session``, the value types users pass to builders, and the errors.
"""

from .acquisition import SourceMetadata, source_metadata
from .batch import SessionJob, SessionResult, write_sessions
from .builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder, StaticImageBuilder
from .emit.placeholders import Placeholder, PlaceholderWarning
from .io.dataset_config import DatasetConfiguration
from .reading import MicroscopyImagingExtractor, MicroscopySegmentationExtractor, Recording, read, translate
from .errors import BuilderError, CompatibilityWarning, ConflictError, SourceDataError, ValidationError
from .session import Session
from .specs import IndicatorSpec as Indicator
from .validation import Problem, ValidationReport
from .specs import InjectionSpec as Injection
from .specs import PositionSpec as Position
from .unknown import UNKNOWN

__version__ = "0.1.0"

__all__ = [
    "BuilderError",
    "CompatibilityWarning",
    "ConflictError",
    "DatasetConfiguration",
    "ImagingSpaceBuilder",
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
    "SegmentationBuilder",
    "SeriesBuilder",
    "Session",
    "SessionJob",
    "SessionResult",
    "SourceDataError",
    "SourceMetadata",
    "StaticImageBuilder",
    "UNKNOWN",
    "ValidationError",
    "ValidationReport",
    "read",
    "source_metadata",
    "translate",
    "write_sessions",
]
