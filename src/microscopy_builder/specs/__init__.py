"""Frozen, format-free value types that the builders produce and the emitters consume."""

from .devices import (
    DeviceModelSpec,
    DeviceSpec,
    DichroicMirrorSpec,
    ExcitationSourceSpec,
    MicroscopeSpec,
    ObjectiveLensSpec,
    OpticalFilterSpec,
    PhotodetectorSpec,
    safe_name,
)
from .position import PositionSpec
from .rig import ChannelSpec, IndicatorSpec, InjectionSpec, RigSpec
from .segmentation import MASK_TYPES, TRACE_KINDS, SegmentationSpec, TraceSpec
from .series import SeriesSpec
from .static_image import StaticImageSpec
from .space import (
    IlluminationSpec,
    ImagingSpaceSpec,
    LineScanSpec,
    OriginSpec,
    PlaneAcquisitionSpec,
    RandomAccessScanSpec,
)

__all__ = [
    "ChannelSpec",
    "DeviceModelSpec",
    "DeviceSpec",
    "DichroicMirrorSpec",
    "ExcitationSourceSpec",
    "IlluminationSpec",
    "ImagingSpaceSpec",
    "IndicatorSpec",
    "InjectionSpec",
    "LineScanSpec",
    "MicroscopeSpec",
    "ObjectiveLensSpec",
    "OpticalFilterSpec",
    "OriginSpec",
    "PhotodetectorSpec",
    "PlaneAcquisitionSpec",
    "PositionSpec",
    "RandomAccessScanSpec",
    "RigSpec",
    "SegmentationSpec",
    "SeriesSpec",
    "StaticImageSpec",
    "TraceSpec",
    "MASK_TYPES",
    "TRACE_KINDS",
    "safe_name",
]
