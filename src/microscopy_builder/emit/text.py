"""Descriptions derived from a description's own facts, shared by both emitters."""

from __future__ import annotations

from ..specs import ChannelSpec, ImagingSpaceSpec
from .fields import join_description


def channel_text(channel: ChannelSpec) -> str:
    """A channel's description derived from its wavelengths and indicator."""
    indicator = f", indicator {channel.indicator.label}" if channel.indicator else ""
    return (
        f"Channel {channel.name}: excitation {channel.excitation_wavelength_nm:g} nm, "
        f"emission {channel.emission_wavelength_nm:g} nm{indicator}."
    )


def space_text(space: ImagingSpaceSpec, *, origin_in_text: bool = False, fov_center_in_text: bool = False) -> str:
    """A space's description: the user's words, then facts the format has no field for."""
    facts = []
    if origin_in_text and space.origin is not None:
        facts.append(("origin of the first pixel", space.origin.summary()))
    if fov_center_in_text and space.fov_center is not None:
        facts.append(("field of view centre", space.fov_center.summary()))
    if space.depth_um is not None:
        facts.append(("plane of space", f"{space.base_name} at depth {space.depth_um:g} um"))
    size = " x ".join(f"{s:g}" for s in space.pixel_size_um)
    kind, grid = ("Volumetric", "Voxel") if space.is_volumetric else ("Planar", "Pixel")
    default = f"{kind} imaging space {space.name}" + (f" in {space.anatomical_target}" if space.anatomical_target else "")
    return join_description(space.description or default, f"{grid} size {size} um {space.axes}", extra=facts)
