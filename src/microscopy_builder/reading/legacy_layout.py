"""A legacy (core pynwb.ophys) file read back as builders, from this library, NeuroConv or plain pynwb.

* a space per ``ImagingPlane``, named as the plane; on a rig of several channels the legacy
  emitter names a plane ``<space>_<channel>``, so the planes of one space's channels are that one
  space again (when they agree on everything else);
* a series per ``TwoPhotonSeries`` / ``OnePhotonSeries``, on its plane's rig, channel and space;
  ``.legacy_type(...)`` only when its type is not the one its rig implies;
* a segmentation per ``PlaneSegmentation``: on the series of its plane whose frames and times its
  traces share (the legacy layout does not link them), else on its plane's rig and channel;
* a static image per ``Images`` container the legacy emitter wrote for one (``... imaging plane: X.``).
"""

from __future__ import annotations

import math
from typing import Any

from ..builders import SeriesBuilder, StaticImageBuilder
from ..specs import IndicatorSpec
from ..unknown import UNKNOWN
from .devices import plain
from .emitted import indicator_facts, legacy_images_name
from .files import NwbHandle
from .imaging import MicroscopyImagingExtractor
from .legacy_rigs import LegacyRigs, legacy_rigs
from .rebuilt import Rebuilt
from .segmentations import SegmentationSource, segmentation_builders
from .spaces import SpaceFields, settled
from .stored import LazyImage
from .timeseries import same_times, with_series_fields

SERIES_TYPES = ("TwoPhotonSeries", "OnePhotonSeries")
_TO_UM = {"micrometers": 1.0, "micrometer": 1.0, "um": 1.0, "µm": 1.0, "meters": 1e6, "meter": 1e6, "m": 1e6,
          "millimeters": 1e3, "millimeter": 1e3, "mm": 1e3}


def rebuild_legacy(handle: NwbHandle) -> Rebuilt:
    """Every core optical-physiology object of the file open in ``handle``, as builders."""
    nwbfile = handle.nwbfile
    found = legacy_rigs(nwbfile)
    rebuilt = Rebuilt(format="legacy", rig_parts=found.rigs)
    rebuilt.rigs = {name: parts.builder() for name, parts in found.rigs.items()}
    for path in found.unplaced:
        rebuilt.note(f"{path}: core NWB does not say which rig this device belongs to (or what kind of device it is); "
                     f"not carried over: add it to a rig with the RigBuilder method of its kind")
    series = handle.objects(SERIES_TYPES)
    spaces = _spaces(nwbfile, found, series.values(), rebuilt)
    for path, stored in series.items():
        rebuilt.series[stored.name] = _series(handle, path, stored, found, spaces, rebuilt)
    _segmentations(handle, found, spaces, series, rebuilt)
    _static_images(handle, found, spaces, rebuilt)
    return rebuilt


def _spaces(nwbfile: Any, found: LegacyRigs, series: Any, rebuilt: Rebuilt) -> dict[str, Any]:
    """The space builder of every plane (by plane object id); planes of one space's channels share one."""
    by_plane: dict[str, Any] = {}
    for plane in nwbfile.imaging_planes.values():
        parts = found.rigs[found.plane_rig[plane.object_id]]
        channel = plane.optical_channel[0].name if plane.optical_channel else None
        name = _space_name(plane.name, parts, channel)
        movies = [s for s in series if s.imaging_plane.object_id == plane.object_id]
        indicator = parts.channels[channel].indicator if channel is not None else UNKNOWN
        builder = _plane_space(plane, name, movies, found.plane_text[plane.object_id], indicator)
        rates = _line_rates(movies)
        if len(set(rates.values())) > 1:
            rebuilt.note(f"imaging plane {plane.name!r}: its series give different scan_line_rates "
                         f"({', '.join(f'{n}: {r}' for n, r in rates.items())}); the builders keep a line rate per "
                         f"space only, so none is carried over rather than one given to all")
        if name != plane.name and name in rebuilt.spaces and rebuilt.spaces[name] != builder:
            builder = _plane_space(plane, plane.name, movies, found.plane_text[plane.object_id], indicator)
        rebuilt.spaces.setdefault(builder.name, builder)
        by_plane[plane.object_id] = rebuilt.spaces[builder.name]
        if len(plane.optical_channel) > 1:
            rebuilt.note(f"general/optophysiology/{plane.name}: holds {len(plane.optical_channel)} optical channels; "
                         f"a series has one channel, so its series are on the first, {channel!r}")
    return by_plane


def _space_name(plane: str, parts: Any, channel: str | None) -> str:
    """The space an ImagingPlane was written for: the legacy emitter appends ``_<channel>`` on rigs of several
    channels, ``_<rig>_<channel>`` when another rig's plane has the name."""
    if channel is None:
        return plane
    several = len(parts.channels) > 1
    for suffix, applies in ((f"_{parts.name}_{channel}", True), (f"_{channel}", several)):
        if applies and plane.endswith(suffix) and len(plane) > len(suffix):
            return plane.removesuffix(suffix)
    return plane


def _plane_space(plane: Any, name: str, movies: list[Any], text: Any, indicator: Any) -> Any:
    size = _grid(plane, movies)
    # a line rate belongs to the space only when every series on it says the same; one series' rate given to
    # all would be invented for the others
    line_rates = set(_line_rates(movies).values())
    origin = plane.fields.get("origin_coords")
    fields = SpaceFields(name, volumetric=_volumetric(plane, movies), size=size, target=plain(plane.location),
                         illumination=("line_scan", {"line_rate_hz": line_rates.pop()}) if len(line_rates) == 1 and None not in line_rates else None)
    builder, _ = settled(fields, plain(plane.description), fov_center_in_text=True,
                         extra=indicator_facts(indicator if isinstance(indicator, IndicatorSpec) else None))
    if origin is not None:
        builder = builder.origin([float(v) for v in origin[:]], unit=plain(plane.origin_coords_unit) or "meters",
                                 reference_frame=plain(plane.fields.get("reference_frame")))
    return builder


def _line_rates(movies: list[Any]) -> dict[str, float | None]:
    """Each series' ``scan_line_rate`` (``None`` where it gives none), by name."""
    return {m.name: None if m.fields.get("scan_line_rate") is None else float(m.scan_line_rate) for m in movies}


def _volumetric(plane: Any, movies: list[Any]) -> bool:
    spacing = plane.fields.get("grid_spacing")
    if movies:
        return len(movies[0].data.shape) == 4
    return spacing is not None and len(spacing) == 3


def _grid(plane: Any, movies: list[Any]) -> Any:
    """Pixel (voxel) size in um: the plane's grid spacing, else the series' field of view over its pixels."""
    spacing = plane.fields.get("grid_spacing")
    scale = _TO_UM.get(str(plain(plane.fields.get("grid_spacing_unit")) or "meters").lower())
    if spacing is not None and scale is not None:
        values = tuple(UNKNOWN if math.isnan(v) else v * scale for v in (float(s) for s in spacing[:]))
        return values if any(v is not UNKNOWN for v in values) else UNKNOWN
    for movie in movies:
        view, dimension = movie.fields.get("field_of_view"), movie.fields.get("dimension")
        if view is not None and dimension is not None and len(view) == len(dimension):
            return tuple(float(v) * 1e6 / int(n) for v, n in zip(view[:], dimension[:]))
    return UNKNOWN


def _series(handle: NwbHandle, path: str, stored: Any, found: LegacyRigs, spaces: dict, rebuilt: Rebuilt) -> SeriesBuilder:
    plane = stored.imaging_plane
    rig_name = found.plane_rig[plane.object_id]
    parts = found.rigs[rig_name]
    channel = plane.optical_channel[0].name
    space = spaces[plane.object_id]
    builder = (SeriesBuilder(stored.name).from_extractor(MicroscopyImagingExtractor(handle.path, series_name=path))
               .rig(rebuilt.rigs[rig_name]).channel(channel).space(space))
    default = f"Imaging series recorded on rig {rig_name}, channel {channel}, imaging space {space.name}."
    builder = with_series_fields(builder, stored, default)
    modes = {d.fields.get("excitation_mode") for s, d in parts.devices if s == "excitation_source"}
    implied = "OnePhotonSeries" if modes == {"one-photon"} else "TwoPhotonSeries"
    if type(stored).__name__ != implied:
        builder = builder.legacy_type(type(stored).__name__)
    _note_series_fields(stored, parts, path, rebuilt)
    return builder.in_processing() if path.startswith("processing/") else builder


def _note_series_fields(stored: Any, parts: Any, path: str, rebuilt: Rebuilt) -> None:
    """Series fields the builders take from devices, stored where the rig has no such device."""
    held = {slot for slot, _ in parts.devices}
    needs = {"pmt_gain": "photodetector", "binning": "photodetector", "exposure_time": "excitation_source",
             "power": "excitation_source", "intensity": "excitation_source"}
    for field, slot in needs.items():
        value = stored.fields.get(field)
        if value is not None and slot not in held:
            rebuilt.note(f"{path}.{field}: {plain(value)!r} is kept by the builders on the rig's {slot.replace('_', ' ')}, "
                         f"and rig {parts.name!r} has none; not carried over: add one with RigBuilder.{slot}(...)")
    _note_field_of_view(stored, path, rebuilt)


def _note_field_of_view(stored: Any, path: str, rebuilt: Rebuilt) -> None:
    """A stored ``field_of_view`` that is not the plane's grid spacing times the frame: the builders derive it."""
    view, plane = stored.fields.get("field_of_view"), stored.imaging_plane
    spacing, unit = plane.fields.get("grid_spacing"), plain(plane.fields.get("grid_spacing_unit")) or "meters"
    scale = _TO_UM.get(str(unit).lower())
    if view is None or spacing is None or scale is None or len(stored.data.shape) < 3:
        return
    pixels = (stored.data.shape[2], stored.data.shape[1])  # (x, y): columns, rows as stored
    derived = [n * float(size) * scale * 1e-6 for n, size in zip(pixels, spacing[:])]
    given = [float(v) for v in view[:]]
    if len(given) != len(derived) or not all(math.isclose(g, d, rel_tol=1e-6) for g, d in zip(given, derived)):
        rebuilt.note(f"{path}.field_of_view: {given} m is not its plane's grid spacing times its frame "
                     f"({derived} m); the builders derive it from the pixel size, so the derived one is written")


def _segmentations(handle: NwbHandle, found: LegacyRigs, spaces: dict, series: dict, rebuilt: Rebuilt) -> None:
    sources = []
    responses = list(handle.objects(("RoiResponseSeries",)).values())
    for path, table in handle.objects(("PlaneSegmentation",)).items():
        plane = table.imaging_plane
        traces = [r for r in responses if r.rois.table.object_id == table.object_id]
        movies = [s for s in series.values() if s.imaging_plane.object_id == plane.object_id
                  and traces and same_times(traces[0], s)]
        movie = movies[0] if len(movies) == 1 else None
        rig_name = found.plane_rig[plane.object_id]
        channel = plane.optical_channel[0].name
        sources.append(SegmentationSource(path, table, space=spaces[plane.object_id],
                                          series=None if movie is None else rebuilt.series[movie.name],
                                          stored_series=movie, rig_channel=(rebuilt.rigs[rig_name], channel)))
    rebuilt.segmentations = segmentation_builders(handle, sources, format="legacy", note=rebuilt.note)


def _static_images(handle: NwbHandle, found: LegacyRigs, spaces: dict, rebuilt: Rebuilt) -> None:
    """``Images`` containers the legacy emitter wrote for static images (``... imaging plane: X.``)."""
    tables = handle.objects(("PlaneSegmentation",)).values()
    summary = {legacy_images_name(t.name) for t in tables} | {legacy_images_name("PlaneSegmentation")}
    planes = {p.name: p for p in handle.nwbfile.imaging_planes.values()}
    for path, container in handle.objects(("Images",)).items():
        if container.name in summary:
            continue
        words, marker, plane_name = (plain(container.description) or "").rpartition(". imaging plane: ")
        plane = planes.get(plane_name.removesuffix("."))
        if not marker or plane is None:
            rebuilt.note(f"{path}: an Images container not tied to an imaging plane; not carried over")
            continue
        rig_name, channel = found.plane_rig[plane.object_id], plane.optical_channel[0].name
        images = list(container.images.values())
        data = (LazyImage(images[0].data, (1, 0)) if len(images) == 1 and images[0].name == container.name
                else LazyImage(None, (1, 0, 2), planes=[i.data for i in sorted(images, key=_plane_index)]))
        builder = (StaticImageBuilder(container.name).from_array(data).rig(rebuilt.rigs[rig_name]).channel(channel)
                   .space(spaces[plane.object_id]))
        if words and words != f"Static image on channel {channel} of rig {rig_name}":
            builder = builder.description(words + ".")
        rebuilt.static_images[container.name] = builder.in_processing() if path.startswith("processing/") else builder


def _plane_index(image: Any) -> int:
    return int(image.name.rsplit("_plane", 1)[-1]) if "_plane" in image.name else 0

