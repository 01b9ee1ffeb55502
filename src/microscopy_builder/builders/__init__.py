"""Fluent builders: each call returns a new builder; ``build()`` returns a frozen spec."""

from .base import Builder
from .rig import RigBuilder
from .segmentation import SegmentationBuilder
from .series import SeriesBuilder
from .space import ImagingSpaceBuilder
from .static_image import StaticImageBuilder

__all__ = ["Builder", "ImagingSpaceBuilder", "RigBuilder", "SegmentationBuilder", "SeriesBuilder", "StaticImageBuilder"]
