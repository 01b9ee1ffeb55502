"""Frozen description of a static image: a reference image or a z-stack, on a rig's channel and a space."""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np

from .fields import about, optional_str
from .rig import RigSpec
from .sources import describe_shape, dtype_problem, native_dtype
from .space import ImagingSpaceSpec


def _image(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    array = np.array(value, copy=True)
    array = array.astype(native_dtype(array.dtype), copy=False) if array.dtype.kind in "biuf" else array
    array.flags.writeable = False
    return array


@attrs.frozen(kw_only=True)
class StaticImageSpec:
    """One image (rows, columns) on a planar space, or a z-stack (rows, columns, planes) on a volumetric one."""

    name: str = attrs.field(metadata=about("The image's name", unknown=False))
    key: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True),
                           metadata=about("What tells this image apart in a session (default: its name)", unknown=False))
    data: np.ndarray | None = attrs.field(default=None, converter=_image, eq=attrs.cmp_using(
        eq=lambda a, b: a is b or (a is not None and b is not None and np.array_equal(a, b))),
        metadata=about("The image: (rows, columns), or (rows, columns, planes) for a z-stack", unknown=False))
    rig: RigSpec | None = attrs.field(default=None, metadata=about("The rig the image was taken with", unknown=False))
    channel: str | None = optional_str("The rig channel it was taken on (default: the rig's only one)", unknown=False)
    space: ImagingSpaceSpec | None = attrs.field(default=None, metadata=about("The imaging space it covers",
                                                                              unknown=False))
    description: str | None = optional_str("Free text about the image")
    location: Literal["acquisition", "processing"] = attrs.field(
        default="acquisition", metadata=about("Recorded (acquisition) or computed from recorded data (processing)",
                                              unknown=False))

    def problems(self, where: str | None = None) -> list[str]:
        where = where or f"static image {self.name!r}"
        problems: list[str] = []
        if self.data is None:
            return [f"{where}.data: no image; call .from_array(image) with (rows, columns) or (rows, columns, planes)"]
        if self.rig is None:
            problems.append(f"{where}.rig: required; call .rig(rig)")
        elif self.channel is None or self.rig.channel(self.channel) is None:
            known = ", ".join(repr(c.name) for c in self.rig.channels) or "none defined"
            problems.append(f"{where}.channel: give one of rig {self.rig.name!r}'s channels with .channel(name) ({known})")
        if self.space is None:
            problems.append(f"{where}.space: required; call .space(space)")
        problem = dtype_problem(self.data.dtype, f"{where}.data")
        if problem is not None:
            problems.append(problem)
        if self.data.ndim not in (2, 3):
            problems.append(f"{where}.data: give (rows, columns) or (rows, columns, planes), got shape {self.data.shape}")
        elif self.space is not None and (self.data.ndim == 3) != self.space.is_volumetric:
            kind = "a z-stack (rows, columns, planes)" if self.data.ndim == 3 else "one image (rows, columns)"
            problems.append(f"{where}.space: the data is {kind} ({describe_shape(self.data.shape)}) but space "
                            f"{self.space.name!r} is {self.space.geometry}; give a {'volumetric' if self.data.ndim == 3 else 'planar'} space")
        if self.location not in ("acquisition", "processing"):
            problems.append(f"{where}.location: must be acquisition or processing, got {self.location!r}")
        return problems
