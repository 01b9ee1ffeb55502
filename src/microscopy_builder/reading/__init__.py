"""Reading NWB files of either layout back: as roiextractors extractors, as builders, and translated."""

from .imaging import MicroscopyImagingExtractor
from .recording import Recording, read
from .segmentation import MicroscopySegmentationExtractor
from .translate import translate

__all__ = ["MicroscopyImagingExtractor", "MicroscopySegmentationExtractor", "Recording", "read", "translate"]
