"""``StaticImageBuilder``: a reference image or a z-stack, recorded on a rig's channel over a space."""

from __future__ import annotations

from typing import Any, Self

import attrs

from ..errors import ValidationError
from ..specs import ImagingSpaceSpec, RigSpec
from ..specs.static_image import StaticImageSpec
from ._base import Builder, make_spec, resolve
from .rig import RigBuilder
from .space import ImagingSpaceBuilder


@attrs.frozen
class StaticImageBuilder(Builder):
    """Describe a static image with chained calls; ``build()`` gives a ``StaticImageSpec``.

    ndx-microscopy writes a ``PlanarMicroscopyStaticImage`` (one image) or a
    ``VolumetricMicroscopyStaticImage`` (a z-stack) linking the channel and rig; the legacy format
    has no such type and writes the image(s) as ``GrayscaleImage`` in an ``Images`` container.

    Examples
    --------
    >>> zstack = (StaticImageBuilder("ZStack").from_array(stack)     # (rows, columns, planes)
    ...           .rig(rig).channel("Green").space(volume))          # doctest: +SKIP
    """

    _data: Any = attrs.field(default=None, kw_only=True, alias="data", eq=False)
    _rig: RigBuilder | RigSpec | None = attrs.field(default=None, kw_only=True, alias="rig")
    _channel: str | None = attrs.field(default=None, kw_only=True, alias="channel")
    _space: ImagingSpaceBuilder | ImagingSpaceSpec | None = attrs.field(default=None, kw_only=True, alias="space")
    _description: str | None = attrs.field(default=None, kw_only=True, alias="description")
    _location: str = attrs.field(default="acquisition", kw_only=True, alias="location")

    def from_array(self, image: Any) -> Self:
        """The image, in roiextractors' axis order: (rows, columns), or (rows, columns, planes) for a z-stack."""
        return self._with(data=image)

    def rig(self, rig: RigBuilder | RigSpec) -> Self:
        return self._with(rig=rig)

    def channel(self, name: str) -> Self:
        """The rig channel the image was taken on; optional when the rig has a single channel."""
        return self._with(channel=name)

    def space(self, space: ImagingSpaceBuilder | ImagingSpaceSpec) -> Self:
        return self._with(space=space)

    def description(self, text: str) -> Self:
        return self._with(description=text)

    def in_processing(self) -> Self:
        """Store it in ``processing/ophys`` (an image computed from recorded data) instead of ``acquisition``."""
        return self._with(location="processing")

    def _assemble(self, problems: list[str]) -> StaticImageSpec:
        where = f"static image {self.name!r}"
        rig = resolve(self._rig, f"{where}.rig", problems)
        space = resolve(self._space, f"{where}.space", problems)
        channel = self._channel
        if channel is None and rig is not None and len(rig.channels) == 1:
            channel = rig.channels[0].name
        try:
            return make_spec(StaticImageSpec, where, **self._spec_kwargs(), data=self._data, rig=rig, channel=channel,
                             space=space, description=self._description, location=self._location)
        except (TypeError, ValueError) as error:
            raise ValidationError([f"{where}.data: {error}"]) from None
