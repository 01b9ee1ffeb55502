"""Summary images of a segmentation (mean, correlation, ...) as roiextractors gives them: (rows, columns[, planes]).

ndx-microscopy keeps them on the table (``summary_images``, stored (height, width) or
(depth, height, width)). The legacy layout keeps them in an ``Images`` container of the ophys
module, stored (x, y): ``SegmentationImages`` for the table ``PlaneSegmentation`` (or for a file's
only table), ``SegmentationImages_<table>`` for others; a volume is one image per plane,
``<name>_plane<k>``, stacked back here into one (rows, columns, planes) image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

LEGACY_CONTAINER = "SegmentationImages"
_PLANE = re.compile(r"^(?P<name>.+)_plane(?P<index>\d+)$")


def ndx_summary_images(table: Any) -> dict[str, np.ndarray]:
    """The table's own summary images."""
    images = {}
    for name, image in (getattr(table, "summary_images", None) or {}).items():
        data = np.asarray(image.data[:])
        images[name] = data.transpose(1, 2, 0) if data.ndim == 3 else data
    return images


def legacy_summary_images(containers: Iterable[Any], table: Any, *, only_table: bool, volumetric: bool) -> dict[str, np.ndarray]:
    """The images of the ``Images`` container that belongs to ``table`` (see the module), or ``{}``."""
    by_name = {container.name: container for container in containers}
    container = by_name.get(f"{LEGACY_CONTAINER}_{table.name}")
    if container is None and (table.name == "PlaneSegmentation" or only_table):
        container = by_name.get(LEGACY_CONTAINER)
    if container is None:
        return {}
    images = {name: np.asarray(image.data[:]).T for name, image in container.images.items()}
    return _stack_planes(images) if volumetric else images


def _stack_planes(images: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``<name>_plane0..k`` 2-D images as one (rows, columns, planes) ``<name>`` image, when complete."""
    planes: dict[str, dict[int, tuple[str, np.ndarray]]] = {}
    for stored, image in images.items():
        match = _PLANE.match(stored)
        if match and image.ndim == 2:
            planes.setdefault(match["name"], {})[int(match["index"])] = (stored, image)
    result = dict(images)
    for name, found in planes.items():
        complete = sorted(found) == list(range(len(found)))
        if not complete or name in images or len({image.shape for _, image in found.values()}) != 1:
            continue
        for stored, _ in found.values():
            del result[stored]
        result[name] = np.stack([found[index][1] for index in range(len(found))], axis=2)
    return result
