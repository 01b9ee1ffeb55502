"""What the pictures show, gathered from a written NWB file (either format, any writer) or from a
session's own sources before writing. Drawing is :mod:`microscopy_builder.pictures`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .emit.rois import acceptance
from .pictures import Outlines, Picture, Traces, chosen_traces, image_panels, mean_title, usable_size
from .specs.facts import probing, segmentation_facts

SERIES_TYPES = ("TwoPhotonSeries", "OnePhotonSeries", "PlanarMicroscopySeries", "VolumetricMicroscopySeries")
TABLE_TYPES = ("PlaneSegmentation", "PlanarSegmentation", "VolumetricSegmentation")
TRACE_TYPES = ("RoiResponseSeries", "MicroscopyResponseSeries")
SPACE_FIELDS = ("imaging_plane", "planar_imaging_space", "volumetric_imaging_space")
MEAN_FRAMES = 1000  # frames averaged at most (from the start): enough to see structure, bounded reads
BLOCK_BYTES = 32 * 1024**2
MAX_TRACE_FRAMES = 30_000
_UM_PER_UNIT = {"micrometers": 1.0, "micrometer": 1.0, "um": 1.0, "µm": 1.0, "millimeters": 1e3, "mm": 1e3,
                "meters": 1e6, "m": 1e6}


def mean_of(read: Callable[[int, int], np.ndarray], total: int, frame_bytes: int) -> tuple[np.ndarray | None, int]:
    """The mean of the first ``MEAN_FRAMES`` frames, read a block at a time, and how many were averaged."""
    averaged = min(total, MEAN_FRAMES)
    block = max(1, BLOCK_BYTES // max(frame_bytes, 1))
    total_sum = None
    for start in range(0, averaged, block):
        part = np.asarray(read(start, min(averaged, start + block)), dtype="float64").sum(axis=0)
        total_sum = part if total_sum is None else total_sum + part
    return (None if total_sum is None else total_sum / averaged), averaged


def merged(outlines: Iterable[Outlines | None]) -> Outlines | None:
    found = [o for o in outlines if o is not None]
    if not found:
        return None
    return Outlines(tuple(m for o in found for m in o.masks), tuple(a for o in found for a in o.accepted),
                    tuple(i for o in found for i in o.ids))


# -- a written file -----------------------------------------------------------------------------------------
def picture_from_file(nwbfile: Any) -> Picture:
    """Every imaging series (a panel per plane or channel) with the ROIs on its space, leftover
    segmentations over their summary image, and each segmentation's traces."""
    objects = list(nwbfile.objects.values())
    series = sorted((o for o in objects if type(o).__name__ in SERIES_TYPES), key=lambda o: o.name)
    tables = sorted((o for o in objects if type(o).__name__ in TABLE_TYPES), key=lambda o: o.name)
    movie_of = _movies_of_tables(objects)
    panels, drawn = [], set()
    for item in series:
        mean, averaged = mean_of(lambda a, b, s=item: _rows_columns(np.asarray(s.data[a:b]), s, frames=True),
                                 item.data.shape[0], int(np.prod(item.data.shape[1:])) * item.data.dtype.itemsize)
        if mean is None:
            continue
        on_it = [t for t in tables if movie_of.get(t.object_id, item.object_id) == item.object_id and _same_space(t, item)]
        drawn |= {t.object_id for t in on_it}
        title = mean_title(item.name, *_light_path(item), averaged, item.data.shape[0])
        outlines = merged(_file_outlines(t, mean.shape[:2]) for t in on_it)
        panels += image_panels(title, mean, outlines, _pixel_um(_space(item)))
    for table in (t for t in tables if t.object_id not in drawn):
        name, image = _table_image(nwbfile, table)
        outlines = _file_outlines(table, None if image is None else image.shape[:2])
        shape = outlines.masks[0].shape if outlines and outlines.masks else (1, 1)
        image = np.zeros(shape) if image is None else image
        panels += image_panels(f"{table.name}: ROIs over {name}", image, outlines, _pixel_um(_space(table)))
    traces = [_file_traces(objects, t) for t in tables]
    return Picture(tuple(panels), tuple(t for t in traces if t is not None))


def _movies_of_tables(objects: list[Any]) -> dict[str, str]:
    """Table object id -> the series its traces were extracted from, where the file says so (ndx-microscopy's
    ``microscopy_series`` link): another channel of the same space does not get its outlines."""
    found = {}
    for trace in (o for o in objects if type(o).__name__ in TRACE_TYPES):
        movie = getattr(trace, "microscopy_series", None)
        if movie is not None:
            found[trace.rois.table.object_id] = movie.object_id
    return found


def _space(obj: Any) -> Any:
    return next((getattr(obj, f) for f in SPACE_FIELDS if getattr(obj, f, None) is not None), None)


def _same_space(table: Any, series: Any) -> bool:
    table_space, series_space = _space(table), _space(series)
    return table_space is not None and series_space is not None and table_space.object_id == series_space.object_id


def _legacy(obj: Any) -> bool:
    return getattr(obj, "namespace", "core") == "core"


def _rows_columns(data: np.ndarray, obj: Any, *, frames: bool = False) -> np.ndarray:
    """Stored images to (..., rows, columns[, planes]): legacy stores (x, y[, z]), ndx (height, width) or
    (depth, height, width). ``frames``: a leading axis of frames or ROIs is kept."""
    lead = 1 if frames else 0
    spatial = data.ndim - lead
    order = list(range(lead))
    if _legacy(obj):
        order += [lead + 1, lead, *range(lead + 2, data.ndim)]
    elif spatial == 3:
        order += [lead + 1, lead + 2, lead]
    else:
        order += [lead, lead + 1]
    return data.transpose(order)


def _light_path(series: Any) -> tuple[str | None, str | None]:
    """(channel, indicator) of a series in either format."""
    channel = getattr(series, "microscopy_channel", None)
    if channel is not None:
        indicator = getattr(channel, "indicator", None)
        return channel.name, None if indicator is None else indicator.label
    plane = getattr(series, "imaging_plane", None)
    if plane is None:
        return None, None
    names = ", ".join(c.name for c in plane.optical_channel) or None
    return names, plane.indicator


def _pixel_um(space: Any) -> float | None:
    """The size of a pixel along x (columns) in micrometres, if the space records it."""
    if space is None:
        return None
    for field in ("pixel_size_in_um", "voxel_size_in_um"):
        if getattr(space, field, None) is not None:
            return usable_size(np.asarray(getattr(space, field)[()]).ravel()[0])
    spacing = getattr(space, "grid_spacing", None)
    factor = _UM_PER_UNIT.get(str(getattr(space, "grid_spacing_unit", "")).lower())
    if spacing is None or factor is None:
        return None
    return usable_size(np.asarray(spacing[()]).ravel()[0] * factor)


def _file_outlines(table: Any, shape: tuple[int, int] | None) -> Outlines | None:
    """The table's masks as (rows, columns[, planes]) arrays, with acceptance and ids."""
    columns = table.colnames
    dense = next((c for c in ("image_mask", "volume_mask") if c in columns), None)
    if dense is not None:  # one ROI at a time, kept as booleans: a thousand ROIs stay small
        masks = [_rows_columns(np.asarray(table[dense].data[i]), table) > 0 for i in range(len(table))]
    elif "pixel_mask" in columns or "voxel_mask" in columns:
        masks = _sparse_masks(table, "pixel_mask" if "pixel_mask" in columns else "voxel_mask", shape)
    else:
        return None
    return Outlines(tuple(masks), *_flags(table))


def _flags(table: Any) -> tuple[tuple[bool, ...], tuple[str, ...]]:
    """Each ROI's acceptance (``Accepted`` / ``Rejected`` columns; all accepted without them) and id."""
    columns = table.colnames
    if "Rejected" in columns:
        accepted = tuple(not bool(r) for r in table["Rejected"].data[:])
    elif "Accepted" in columns:
        accepted = tuple(bool(a) for a in table["Accepted"].data[:])
    else:
        accepted = (True,) * len(table)
    ids = table["roi_name"].data[:] if "roi_name" in columns else table.id.data[:]
    return accepted, tuple(str(i.decode() if isinstance(i, bytes) else i) for i in ids)


def _sparse_masks(table: Any, column: str, shape: tuple[int, int] | None) -> list[np.ndarray]:
    """Pixel (x, y, weight) or voxel (x, y, z, weight) rows as (rows, columns) masks (voxels flattened)."""
    rows = [np.asarray([tuple(p) for p in table[column][i]], dtype="float64").reshape(-1, 4 if column == "voxel_mask" else 3)
            for i in range(len(table))]
    if shape is None:
        shape = (int(max((r[:, 1].max() for r in rows if len(r)), default=0)) + 1,
                 int(max((r[:, 0].max() for r in rows if len(r)), default=0)) + 1)
    masks = []
    for pixels in rows:
        mask = np.zeros(shape, dtype=bool)
        inside = pixels[(pixels[:, 1] < shape[0]) & (pixels[:, 0] < shape[1])]
        mask[inside[:, 1].astype(int), inside[:, 0].astype(int)] = inside[:, -1] != 0
        masks.append(mask)
    return masks


def _table_image(nwbfile: Any, table: Any) -> tuple[str, np.ndarray | None]:
    """The table's summary image (its mean image when it has one): ndx keeps them on the table,
    legacy in the SegmentationImages beside it."""
    images = dict(getattr(table, "summary_images", None) or {})
    ophys = nwbfile.processing.get("ophys")
    for name in ("SegmentationImages", f"SegmentationImages_{table.name}"):
        if not images and ophys is not None and name in ophys.data_interfaces:
            images = dict(ophys[name].images)
    if not images:
        return "a blank image (no summary image in the file)", None
    name = next((n for n in images if "mean" in n.lower()), next(iter(images)))
    data = np.asarray(images[name].data[:], dtype="float64")
    return f"its {name} image", _rows_columns(data, table)


def _file_traces(objects: list[Any], table: Any) -> Traces | None:
    """dF/F of the table's ROIs if the file has it, else raw fluorescence."""
    mine = [o for o in objects if type(o).__name__ in TRACE_TYPES and o.rois.table.object_id == table.object_id]
    dff = [o for o in mine if "dfoverf" in (o.name + o.parent.name + type(o.parent).__name__).lower()]
    raw = [o for o in mine if o.name in ("RoiResponseSeries", "Fluorescence") or o.name.startswith("RoiResponseSeries_")]
    chosen, quantity = (dff[0], "dF/F") if dff else (raw[0], "raw fluorescence") if raw else (None, "")
    if chosen is None or len(chosen.data.shape) != 2 or chosen.data.shape[0] == 0:
        return None
    total = chosen.data.shape[0]
    frames = min(total, MAX_TRACE_FRAMES)
    values = np.asarray(chosen.data[:frames], dtype="float64")
    rows = np.asarray(chosen.rois.data[:], dtype=int)
    flags, names = _flags(table)
    accepted, ids = tuple(flags[r] for r in rows), [names[r] for r in rows]
    if chosen.timestamps is not None:
        times = np.asarray(chosen.timestamps[:frames], dtype="float64")
    else:
        times = (chosen.starting_time or 0.0) + np.arange(frames) / chosen.rate
    return _traces(table.name, quantity, times, values, accepted, ids, total)


def _traces(name: str, quantity: str, times: np.ndarray, values: np.ndarray, accepted: tuple[bool, ...],
            ids: list[str], total: int, time_label: str = "time (s)") -> Traces:
    shown = chosen_traces(values, accepted)
    span = "" if len(values) == total else f", the first {len(values)} of {total} samples"
    title = f"{name}: {quantity} of {len(shown)} of {values.shape[1]} ROIs (the most variable accepted ones){span}"
    return Traces(title, times, values[:, shown], tuple(ids[k] for k in shown), quantity, time_label)


# -- a session's sources ------------------------------------------------------------------------------------
def picture_from_session(series: Iterable[Any], segmentations: Iterable[Any]) -> Picture:
    """The same picture from the specs' extractors, before (or without) writing."""
    with probing():
        return _picture_from_specs(list(series), list(segmentations))


def _picture_from_specs(series: list[Any], segmentations: list[Any]) -> Picture:
    outlines = {s.key: _source_outlines(s.source) for s in segmentations}
    panels, drawn = [], set()
    for spec in series:
        source, total = spec.source, int(spec.source.get_num_samples())
        first = np.asarray(source.get_series(start_sample=0, end_sample=1))
        mean, averaged = mean_of(lambda a, b, s=source: s.get_series(start_sample=a, end_sample=b), total, first.nbytes)
        if mean is None:
            continue
        on_it = [s for s in segmentations if (s.series is not None and s.series.key == spec.key)
                 or (s.series is None and s.space is not None and spec.space is not None and s.space.key == spec.space.key)]
        drawn |= {s.key for s in on_it}
        channel = _spec_channel(spec)
        indicator = None if channel is None or channel.indicator is None else channel.indicator.label
        title = mean_title(spec.name, None if channel is None else channel.name, indicator, averaged, total)
        panels += image_panels(title, mean, merged(outlines[s.key] for s in on_it), _spec_pixel_um(spec.space))
    for spec in (s for s in segmentations if s.key not in drawn):
        images = segmentation_facts(spec.source).images
        name = next((n for n in images if "mean" in n.lower()), next(iter(images), None))
        shape = segmentation_facts(spec.source).mask_shape
        image = np.asarray(images[name], dtype="float64") if name else np.zeros(shape)
        label = f"its {name} image" if name else "a blank image (no summary image)"
        panels += image_panels(f"{spec.name}: ROIs over {label}", image, outlines[spec.key], _spec_pixel_um(spec.space))
    traces = [_source_traces(s, outlines[s.key]) for s in segmentations]
    return Picture(tuple(panels), tuple(t for t in traces if t is not None))


def _spec_channel(spec: Any) -> Any:
    rig = spec.rig
    if rig is None:
        return None
    if spec.channel is not None:
        return rig.channel(spec.channel)
    return rig.channels[0] if len(rig.channels) == 1 else None


def _spec_pixel_um(space: Any) -> float | None:
    return None if space is None or not space.pixel_size_um else usable_size(space.pixel_size_um[0])


def _source_outlines(source: Any) -> Outlines:
    facts = segmentation_facts(source)
    ids = list(facts.roi_ids)
    stacked = np.asarray(source.get_roi_image_masks()) != 0
    volumetric = len(facts.mask_shape) == 3
    masks = tuple(stacked[:, :, k, :] if volumetric else stacked[:, :, k] for k in range(len(ids)))
    accepted, _ = acceptance(facts)
    flags = (True,) * len(ids) if accepted is None else tuple(bool(a) for a in accepted)
    return Outlines(masks, flags, tuple(str(i) for i in ids))


def _source_traces(spec: Any, outlines: Outlines) -> Traces | None:
    traces = {k: v for k, v in segmentation_facts(spec.source).traces.items() if np.size(v)}
    kind = "dff" if "dff" in traces else "raw" if "raw" in traces else None
    if kind is None:
        return None
    values = np.asarray(traces[kind][:MAX_TRACE_FRAMES], dtype="float64")
    rate = spec.source.get_sampling_frequency()
    times, label = (np.arange(len(values)) / rate, "time (s)") if rate else (np.arange(len(values), dtype=float), "frame")
    return _traces(spec.name, "dF/F" if kind == "dff" else "raw fluorescence", times, values, outlines.accepted,
                   list(outlines.ids), len(traces[kind]), label)
