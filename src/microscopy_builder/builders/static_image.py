"""``StaticImageBuilder``: a reference image or a z-stack, recorded on a rig's channel over a space."""

from __future__ import annotations

from typing import Any

from ..errors import ValidationError
from ..specs import ImagingSpaceSpec, RigSpec
from ..specs.static_image import StaticImageSpec
from .methods import StaticImageMethods
from .base import Builder, channel_of, declare
from .calls import Set, arg
from .rig import RigBuilder
from .space import ImagingSpaceBuilder


@declare
class StaticImageBuilder(StaticImageMethods, Builder):
    """Describe a static image with chained calls; ``build()`` gives a ``StaticImageSpec``.

    ndx-microscopy writes a ``PlanarMicroscopyStaticImage`` (one image) or a
    ``VolumetricMicroscopyStaticImage`` (a z-stack) linking the channel and rig; the legacy format
    has no such type and writes the image(s) as ``GrayscaleImage`` in an ``Images`` container.

    Examples
    --------
    >>> zstack = (StaticImageBuilder("ZStack").from_array(stack)     # (rows, columns, planes)
    ...           .rig(rig).channel("Green").space(volume))          # doctest: +SKIP
    """

    spec_class = StaticImageSpec
    derived_from = {"rig": ("channel",)}
    label = "static image"
    section = "static_images"
    calls = (
        Set("from_array", "The image, in roiextractors' axis order: (rows, columns), or (rows, columns, planes) for a "
            "z-stack.", (arg("image", "data"),)),
        Set("rig", "The rig the image was taken with.", (arg("rig", annotation=RigBuilder | RigSpec),)),
        Set("channel", "The rig channel the image was taken on; optional when the rig has a single channel.",
            (arg("name", "channel"),)),
        Set("space", "The imaging space the image covers.", (arg("space", annotation=ImagingSpaceBuilder | ImagingSpaceSpec),)),
        Set("description", "Describe the image.", (arg("text", "description"),)),
        Set("in_processing", "Store it in processing/ophys (an image computed from recorded data) instead of "
            "acquisition.", constants=(("location", "processing"),)),
    )

    def _derived(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "channel": channel_of(fields.get("rig"), fields.get("channel"))}

    def _assemble(self, problems: list[str]) -> StaticImageSpec:
        try:
            return super()._assemble(problems)
        except (TypeError, ValueError) as error:
            raise ValidationError([f"{self.where}.data: {error}"]) from None
