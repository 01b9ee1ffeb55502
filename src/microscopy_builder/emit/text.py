"""Descriptions derived from a description's own facts, shared by both emitters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..specs import ChannelSpec, DeviceModelSpec, DeviceSpec, ImagingSpaceSpec, IndicatorSpec, RigSpec
from .fields import join_description, number_text


def channel_text(channel: ChannelSpec) -> str:
    """A channel's description derived from its wavelengths and indicator."""
    indicator = f", indicator {channel.indicator.label}" if channel.indicator else ""
    return (
        f"Channel {channel.name}: excitation {number_text(channel.excitation_wavelength_nm)} nm, "
        f"emission {number_text(channel.emission_wavelength_nm)} nm{indicator}."
    )


def indicator_facts(indicator: IndicatorSpec | None) -> list[tuple[str, str]]:
    """What is known of an indicator beyond its label, for a format with no field for it."""
    if indicator is None:
        return []
    about = [indicator.label, *(t.rstrip(".") for t in (indicator.description,) if t)]
    about += [f"from {indicator.manufacturer}"] if indicator.manufacturer else []
    facts = [("indicator", ", ".join(about))] if len(about) > 1 else []
    injection = indicator.injection
    if injection is not None:
        parts = [injection.construct_name, f"{number_text(injection.volume_ul)} uL"]
        parts += [f"titer {number_text(injection.titer_vg_per_ml)} vg/mL"] if injection.titer_vg_per_ml is not None else []
        parts += [f"vector from {injection.vector_manufacturer}"] if injection.vector_manufacturer else []
        parts += [injection.vector_description.rstrip(".")] if injection.vector_description else []
        parts += [f"on {injection.date}"] if injection.date else []
        parts += [f"at {injection.position.summary()}"] if injection.position is not None else []
        parts += [injection.description.rstrip(".")] if injection.description else []
        facts.append((f"injection of {indicator.label}", ", ".join(parts)))
    return facts


def space_text(
    space: ImagingSpaceSpec,
    *,
    origin_in_text: bool = False,
    fov_center_in_text: bool = False,
    extra: list[tuple[str, str]] = (),
) -> str:
    """A space's description: the user's words, then facts the format has no field for (and ``extra``)."""
    facts = list(extra)
    if origin_in_text and space.origin is not None:
        facts.append(("origin of the first pixel", space.origin.summary()))
    if fov_center_in_text and space.fov_center is not None:
        facts.append(("field of view centre", space.fov_center.summary()))
    if space.depth_um is not None:
        facts.append(("plane of space", f"{space.base_name} at depth {space.depth_um:g} um"))
    size = " x ".join(number_text(s) for s in space.pixel_size_um)
    kind, grid = ("Volumetric", "Voxel") if space.is_volumetric else ("Planar", "Pixel")
    default = f"{kind} imaging space {space.name}" + (f" in {space.anatomical_target}" if space.anatomical_target else "")
    return join_description(space.description or default, f"{grid} size {size} um {space.axes}", extra=facts)


def light_path_facts(rig: RigSpec, channel: ChannelSpec) -> list[tuple[str, str]]:
    """The devices a channel's light passes, as ``("photodetector", "PMT_Red")`` facts for a description."""
    return [(slot.replace("_", " "), device.name) for slot, device in rig.path(channel).items()]


def model_text(model: DeviceModelSpec, facts: Sequence[tuple[str, Any]]) -> str:
    """A device model's description: what it is a model of, then facts with no typed field."""
    return join_description(f"Model of {model.device_kind.replace('_', ' ')}", extra=facts)


def device_text(device: DeviceSpec, facts: Sequence[tuple[str, Any]]) -> str:
    """A device's description: the user's words, else its role; then facts with no typed field."""
    return join_description(device.description or f"{device.label.capitalize()} {device.name}", extra=facts)
