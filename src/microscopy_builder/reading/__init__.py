"""Reading NWB files of either layout back, as roiextractors extractors."""

from .imaging import MicroscopyImagingExtractor
from .segmentation import MicroscopySegmentationExtractor

__all__ = ["MicroscopyImagingExtractor", "MicroscopySegmentationExtractor"]
