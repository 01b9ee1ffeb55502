"""An ndx-microscopy file read back as builders: rigs, spaces, series, static images, segmentations.

Series keep their names and places (``acquisition`` or ``processing/ophys``); multi-plane and
multi-channel containers come back as the grouping the builders would plan, named only when the
file names them otherwise (``.grouped(...)``), and a series standing alone where the builders
would group it is marked ``.ungrouped()``. The static image the emitter writes to carry a
movie-less segmentation's channel is not a static image of its own: it gives that segmentation
its ``.rig(rig, channel)``.
"""

from __future__ import annotations

from typing import Any

from ..builders import SeriesBuilder, StaticImageBuilder
from .emitted import carrier_image_marker, default_static_image_description
from .files import NwbHandle, has_type
from .imaging import MicroscopyImagingExtractor
from .ndx_rigs import ndx_rigs
from .rebuilt import Rebuilt, grouping_calls
from .segmentations import SegmentationSource, segmentation_builders
from .spaces import ndx_space
from .stored import LazyImage
from .timeseries import with_series_fields

SERIES_TYPES = ("PlanarMicroscopySeries", "VolumetricMicroscopySeries")
STATIC_TYPES = ("PlanarMicroscopyStaticImage", "VolumetricMicroscopyStaticImage")
SPACE_TYPES = ("PlanarImagingSpace", "VolumetricImagingSpace")
CONTAINER_TYPES = frozenset({"MultiPlaneMicroscopyContainer", "MultiChannelMicroscopyContainer"})


def rebuild_ndx(handle: NwbHandle) -> Rebuilt:
    """Every ndx-microscopy object of the file open in ``handle``, as builders."""
    series = handle.objects(SERIES_TYPES)
    statics = handle.objects(STATIC_TYPES)
    rigs, placed = ndx_rigs(handle, [*series.values(), *statics.values()])
    rebuilt = Rebuilt(format="ndx-microscopy")
    rebuilt.rig_parts = rigs
    rebuilt.rigs = {name: parts.builder() for name, parts in rigs.items()}
    spaces = {}
    for path, space in handle.objects(SPACE_TYPES).items():
        spaces[space.object_id], _ = ndx_space(space)
    rebuilt.spaces = {builder.name: builder for builder in spaces.values()}
    for path, stored in sorted(series.items(), key=lambda item: -_held_links(item[1])):
        rebuilt.series[stored.name] = _series(handle, path, stored, rebuilt, placed, spaces)
    rebuilt.series = grouping_calls(rebuilt.series, {name: _containers(handle, s) for name, s in
                                                     ((s.name, s) for s in series.values())})
    carriers = _carriers(handle, statics, placed, rebuilt)
    for path, stored in statics.items():
        if path not in carriers:
            rebuilt.static_images[stored.name] = _static_image(path, stored, rebuilt, placed, spaces)
    sources = []
    for path, table in handle.objects(("PlanarSegmentation", "VolumetricSegmentation")).items():
        space = spaces.get(getattr(_space_of(table), "object_id", None))
        movie = next((r.microscopy_series for r in _responses(handle, table) if r.fields.get("microscopy_series")), None)
        sources.append(SegmentationSource(path, table, space=space,
                                          series=None if movie is None else rebuilt.series.get(movie.name),
                                          stored_series=movie, rig_channel=carriers.get(("table", table.name))))
    rebuilt.segmentations = segmentation_builders(handle, sources, format="ndx-microscopy", note=rebuilt.note)
    return rebuilt


def _series(handle: NwbHandle, path: str, stored: Any, rebuilt: Rebuilt, placed: dict, spaces: dict) -> SeriesBuilder:
    rig_name, _ = placed[stored.microscopy_rig.object_id]
    rig = rebuilt.rigs[rig_name]
    channel = stored.microscopy_channel.name
    space = spaces[_space_of(stored).object_id]
    builder = (SeriesBuilder(stored.name).from_extractor(MicroscopyImagingExtractor(handle.path, series_name=path))
               .rig(rig).channel(channel).space(space))
    builder = with_series_fields(builder, stored, _default_series_words(rig_name, channel, space.name))
    return builder.in_processing() if path.startswith("processing/") else builder


def _default_series_words(rig: str, channel: str, space: str) -> str:
    return f"Imaging series recorded on rig {rig}, channel {channel}, imaging space {space}."


def _containers(handle: NwbHandle, stored: Any) -> tuple[tuple[str, str], ...]:
    """The (kind, name) of the containers holding a series, outermost first."""
    found = []
    node = stored.parent
    while node is not None and has_type(node, CONTAINER_TYPES):
        found.append(("plane" if type(node).__name__.startswith("MultiPlane") else "channel", node.name))
        node = node.parent
    return tuple(reversed(found))


def _space_of(obj: Any) -> Any:
    return obj.fields.get("planar_imaging_space") or obj.fields.get("volumetric_imaging_space")


def _responses(handle: NwbHandle, table: Any) -> list[Any]:
    return [r for r in handle.objects(("MicroscopyResponseSeries",)).values()
            if r.rois.table.object_id == table.object_id]


def _carriers(handle: NwbHandle, statics: dict[str, Any], placed: dict, rebuilt: Rebuilt) -> dict:
    """Static images carrying a movie-less segmentation's channel: their paths, and ("table", name) -> (rig, channel)."""
    found: dict[Any, Any] = {}
    tables = handle.objects(("PlanarSegmentation", "VolumetricSegmentation")).values()
    for path, image in statics.items():
        for table in tables:
            if image.name.startswith(f"{table.name}_") and carrier_image_marker(table.name) in (image.description or ""):
                rig_name, _ = placed[image.microscopy_rig.object_id]
                found[path] = table.name
                found[("table", table.name)] = (rebuilt.rigs[rig_name], image.microscopy_channel.name)
    return found


def _static_image(path: str, stored: Any, rebuilt: Rebuilt, placed: dict, spaces: dict) -> StaticImageBuilder:
    rig_name, _ = placed[stored.microscopy_rig.object_id]
    channel = stored.microscopy_channel.name
    volumetric = type(stored).__name__.startswith("Volumetric")
    data = LazyImage(stored.data, (1, 2, 0) if volumetric else None)  # (depth, height, width) -> (rows, columns, planes)
    builder = (StaticImageBuilder(stored.name).from_array(data).rig(rebuilt.rigs[rig_name]).channel(channel)
               .space(spaces[_space_of(stored).object_id]))
    words = stored.description
    if words and words != default_static_image_description(channel, rig_name):
        builder = builder.description(words)
    return builder.in_processing() if path.startswith("processing/") else builder


def _held_links(stored: Any) -> int:
    """How many of its space and channel a series holds as children: the series written first holds what it
    shares with later ones, so writing the holders first puts every shared object back where it was."""
    links = (stored.fields.get(field) for field in ("planar_imaging_space", "volumetric_imaging_space",
                                                    "microscopy_channel"))
    return sum(1 for link in links if link is not None and getattr(link, "parent", None) is stored)
