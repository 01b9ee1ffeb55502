"""A readable tree of what an NWB file holds for optical physiology, from any writer.

Works on files from this library in either format, and on files made by NeuroConv or by hand:
it walks the file's objects by neurodata type rather than expecting a layout.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .io.backends import HDF5, ZARR

SERIES_TYPES = ("TwoPhotonSeries", "OnePhotonSeries", "PlanarMicroscopySeries", "VolumetricMicroscopySeries")
SPACE_TYPES = ("ImagingPlane", "PlanarImagingSpace", "VolumetricImagingSpace")
TABLE_TYPES = ("PlaneSegmentation", "PlanarSegmentation", "VolumetricSegmentation")
TRACE_TYPES = ("RoiResponseSeries", "MicroscopyResponseSeries")
CONTAINER_TYPES = ("MultiPlaneMicroscopyContainer", "MultiChannelMicroscopyContainer")


@contextmanager
def open_nwb(path: str | Path) -> Iterator[Any]:
    """Read an NWB file, HDF5 or Zarr (a folder), and close it afterwards."""
    path = Path(path)
    io = (ZARR if path.is_dir() else HDF5).io_class()(str(path), mode="r")
    try:
        yield io.read()
    finally:
        io.close()


def _by_type(nwbfile: Any, names: tuple[str, ...]) -> list[Any]:
    found = [obj for obj in nwbfile.objects.values() if type(obj).__name__ in names]
    return sorted(found, key=_location)


def _location(obj: Any) -> str:
    """``acquisition/TwoPhotonSeries``-like path of an object in a file."""
    parts, node = [], obj
    while node is not None and node.parent is not None and type(node.parent).__name__ != "NWBFile":
        parts.append(node.name)
        node = node.parent
    parts.append(node.name)
    top = node.parent
    if top is not None:
        for field in ("acquisition", "processing", "devices", "imaging_planes", "lab_meta_data", "device_models"):
            if node.name in (getattr(top, field, None) or {}):
                parts.append(field)
                break
    return "/".join(reversed(parts))


def _timing(series: Any) -> str:
    frames = series.data.shape[0]
    if series.rate is not None:
        duration = frames / series.rate
        return f"{series.rate:g} Hz from {series.starting_time or 0:g} s, {duration:.1f} s"
    times = series.timestamps
    if times is None or len(times) == 0:
        return "no times"
    return f"{len(times)} timestamps, {float(times[0]):g}-{float(times[-1]):g} s"


def _model(device: Any) -> str:
    model = getattr(device, "model", None)
    if model is not None:
        maker = getattr(model, "manufacturer", None)
        return f"{getattr(model, 'model_number', None) or model.name}" + (f" ({maker})" if maker else "")
    legacy = [getattr(device, field, None) for field in ("model_number", "manufacturer")]
    return " ".join(str(v) for v in legacy if v) or "-"


def stored_links(obj: Any, nwbfile: Any) -> dict[str, str] | None:
    """``{link name: target name}`` of the links ``obj``'s group holds in the file; ``None`` when
    ``nwbfile`` was not read from a file.

    The names come from the backend's own reading of the stored links (an HDF5 group's soft links
    by h5py, a Zarr group's ``zarr_link`` attribute by hdmf-zarr), not from the object's fields:
    on read, hdmf fills every field whose target type matches a link, so a ``MicroscopyRig`` with
    one ``emission_filter`` link also shows it as its ``excitation_filter``.
    """
    io = getattr(nwbfile, "read_io", None)
    manager = getattr(io, "manager", None)
    builder = None if manager is None else manager.get_builder(obj)
    if builder is None:
        return None
    return {name: link.builder.name for name, link in builder.links.items()}


def _rig_line(rig: Any, nwbfile: Any) -> str:
    """A rig and the devices it links, in the order of its fields, as the file holds them."""
    links = stored_links(rig, nwbfile)
    if links is None:  # a file in memory: its fields are what was set
        links = {f: v.name for f, v in rig.fields.items() if hasattr(v, "neurodata_type") and f != "parent"}
    known = [f for f in rig.fields if f in links]
    ordered = known + sorted(set(links) - set(known))
    return f"  {rig.name}: " + ", ".join(f"{field.replace('_', ' ')} {links[field]}" for field in ordered)


def _nm(value: Any) -> str:
    """A wavelength in nm; NaN (a placeholder for a wavelength nobody gave) is ``unknown``."""
    value = float(value)
    return "unknown" if math.isnan(value) else f"{value:g} nm"


def _channel_text(name: str, excitation: Any, emission: Any) -> str:
    parts = [f"{kind} {_nm(value)}" for kind, value in (("excitation", excitation), ("emission", emission))
             if value is not None]
    return name + (f" ({', '.join(parts)})" if parts else "")


def _series_light(series: Any) -> str:
    """``; channel NAME (wavelengths), indicator LABEL`` of a series, from either layout."""
    channel = getattr(series, "microscopy_channel", None)
    if channel is not None:  # ndx-microscopy: the series' MicroscopyChannel and its Indicator
        text = _channel_text(channel.name, getattr(channel, "excitation_wavelength_in_nm", None),
                             getattr(channel, "emission_wavelength_in_nm", None))
        indicator = getattr(channel, "indicator", None)
        label = None if indicator is None else getattr(indicator, "label", None) or indicator.name
    else:  # core NWB: the ImagingPlane's OpticalChannels, excitation and indicator
        plane = getattr(series, "imaging_plane", None)
        if plane is None:
            return ""
        excitation = getattr(plane, "excitation_lambda", None)
        text = " / ".join(_channel_text(c.name, excitation, getattr(c, "emission_lambda", None))
                          for c in plane.optical_channel)
        label = getattr(plane, "indicator", None)
    return f"; channel {text}" + (f", indicator {label}" if label else "")


def _rig_lines(nwbfile: Any) -> list[str]:
    metadata = nwbfile.lab_meta_data.get("microscopy_experiment_metadata")
    if metadata is None:
        return []
    rigs = list(metadata.microscopy_rigs.values())
    lines = [f"rigs ({len(rigs)})", *(_rig_line(rig, nwbfile) for rig in rigs)]
    indicators = list(metadata.indicators.values())
    return lines + [f"indicators ({len(indicators)})", *(f"  {i.name}: {i.label}" for i in indicators)]


def _channel_lines(nwbfile: Any) -> list[str]:
    channels = _by_type(nwbfile, ("MicroscopyChannel", "OpticalChannel"))
    if not channels:
        return []
    lines = [f"channels ({len(channels)})"]
    for channel in channels:
        excitation = getattr(channel, "excitation_wavelength_in_nm", None)
        emission = getattr(channel, "emission_wavelength_in_nm", None) or getattr(channel, "emission_lambda", None)
        parts = [f"{kind} {_nm(value)}" for kind, value in (("excitation", excitation), ("emission", emission)) if value]
        lines.append(f"  {channel.name}" + (f": {', '.join(parts)}" if parts else ""))
    return lines


def _space_lines(nwbfile: Any) -> list[str]:
    spaces = _by_type(nwbfile, SPACE_TYPES)
    lines = [f"imaging spaces ({len(spaces)})"]
    for space in spaces:
        target = getattr(space, "anatomical_target", None) or getattr(space, "location", None)
        grid = next((getattr(space, f) for f in ("pixel_size_in_um", "voxel_size_in_um", "grid_spacing")
                     if getattr(space, f, None) is not None), None)
        grid_text = "" if grid is None else ", grid " + " x ".join(f"{float(v):g}" for v in grid[()]) + " um"
        indicator = getattr(space, "indicator", None)
        lines.append(f"  {space.name}: {type(space).__name__} in {target}{grid_text}"
                     + (f", indicator {indicator}" if isinstance(indicator, str) else ""))
    return lines


def _data_lines(nwbfile: Any) -> list[str]:
    series = _by_type(nwbfile, SERIES_TYPES)
    lines = [f"imaging series ({len(series)})"]
    lines += [f"  {_location(item)}: {type(item).__name__} {tuple(item.data.shape)} {item.data.dtype}, "
              f"{_timing(item)}{_series_light(item)}" for item in series]
    tables = _by_type(nwbfile, TABLE_TYPES)
    lines.append(f"segmentations ({len(tables)})")
    for table in tables:
        masks = [c for c in ("image_mask", "pixel_mask", "voxel_mask", "volume_mask") if c in table.colnames]
        lines.append(f"  {_location(table)}: {type(table).__name__}, {len(table)} ROIs, {'/'.join(masks) or 'no'} masks")
    traces = _by_type(nwbfile, TRACE_TYPES)
    if traces:
        lines.append(f"traces ({len(traces)})")
        lines += [f"  {_location(t)}: {type(t).__name__} {tuple(t.data.shape)}, {_timing(t)}" for t in traces]
    return lines


def summarize(nwbfile: Any) -> list[str]:
    """The lines of the tree."""
    namespaces = sorted({getattr(o, "namespace", "core") for o in nwbfile.objects.values()})
    layout = "ndx-microscopy" if "ndx-microscopy" in namespaces else "core pynwb.ophys"
    lines = [f"{nwbfile.identifier}: {nwbfile.session_description!r} ({layout} layout)"]
    lines.append(f"  started {nwbfile.session_start_time.isoformat()}")
    devices = list(nwbfile.devices.values())
    lines.append(f"devices ({len(devices)})")
    lines += [f"  {d.name}: {type(d).__name__}, model {_model(d)}" for d in devices]
    return lines + _rig_lines(nwbfile) + _channel_lines(nwbfile) + _space_lines(nwbfile) + _data_lines(nwbfile)
