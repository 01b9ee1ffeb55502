"""A readable tree of what an NWB file holds for optical physiology, from any writer.

Works on files from this library in either format, and on files made by NeuroConv or by hand:
it walks the file's objects by neurodata type rather than expecting a layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .io.backend import io_class

SERIES_TYPES = ("TwoPhotonSeries", "OnePhotonSeries", "PlanarMicroscopySeries", "VolumetricMicroscopySeries")
SPACE_TYPES = ("ImagingPlane", "PlanarImagingSpace", "VolumetricImagingSpace")
TABLE_TYPES = ("PlaneSegmentation", "PlanarSegmentation", "VolumetricSegmentation")
TRACE_TYPES = ("RoiResponseSeries", "MicroscopyResponseSeries")
CONTAINER_TYPES = ("MultiPlaneMicroscopyContainer", "MultiChannelMicroscopyContainer")


@contextmanager
def open_nwb(path: str | Path) -> Iterator[Any]:
    """Read an NWB file, HDF5 or Zarr (a folder), and close it afterwards."""
    path = Path(path)
    io = io_class("zarr" if path.is_dir() else "hdf5")(str(path), mode="r")
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


def summarize(nwbfile: Any) -> list[str]:
    """The lines of the tree."""
    namespaces = sorted({getattr(o, "namespace", "core") for o in nwbfile.objects.values()})
    layout = "ndx-microscopy" if "ndx-microscopy" in namespaces else "core pynwb.ophys"
    lines = [f"{nwbfile.identifier}: {nwbfile.session_description!r} ({layout} layout)"]
    lines.append(f"  started {nwbfile.session_start_time.isoformat()}")

    devices = list(nwbfile.devices.values())
    lines.append(f"devices ({len(devices)})")
    lines += [f"  {d.name}: {type(d).__name__}, model {_model(d)}" for d in devices]

    metadata = nwbfile.lab_meta_data.get("microscopy_experiment_metadata")
    if metadata is not None:
        rigs = list(metadata.microscopy_rigs.values())
        lines.append(f"rigs ({len(rigs)})")
        for rig in rigs:
            parts = [f"{field.replace('_', ' ')} {value.name}" for field, value in rig.fields.items()
                     if hasattr(value, "neurodata_type") and field != "parent"]
            lines.append(f"  {rig.name}: " + ", ".join(parts))
        indicators = list(metadata.indicators.values())
        lines.append(f"indicators ({len(indicators)})")
        lines += [f"  {i.name}: {i.label}" for i in indicators]

    channels = _by_type(nwbfile, ("MicroscopyChannel", "OpticalChannel"))
    if channels:
        lines.append(f"channels ({len(channels)})")
        for channel in channels:
            excitation = getattr(channel, "excitation_wavelength_in_nm", None)
            emission = getattr(channel, "emission_wavelength_in_nm", None) or getattr(channel, "emission_lambda", None)
            lines.append(f"  {channel.name}" + (f": excitation {excitation:g} nm" if excitation else "")
                         + (f"{',' if excitation else ':'} emission {emission:g} nm" if emission else ""))

    spaces = _by_type(nwbfile, SPACE_TYPES)
    lines.append(f"imaging spaces ({len(spaces)})")
    for space in spaces:
        target = getattr(space, "anatomical_target", None) or getattr(space, "location", None)
        grid = next((getattr(space, f) for f in ("pixel_size_in_um", "voxel_size_in_um", "grid_spacing")
                     if getattr(space, f, None) is not None), None)
        grid_text = "" if grid is None else ", grid " + " x ".join(f"{float(v):g}" for v in grid[()]) + " um"
        indicator = getattr(space, "indicator", None)
        lines.append(f"  {space.name}: {type(space).__name__} in {target}{grid_text}"
                     + (f", indicator {indicator}" if isinstance(indicator, str) else ""))

    series = _by_type(nwbfile, SERIES_TYPES)
    lines.append(f"imaging series ({len(series)})")
    for item in series:
        data = item.data
        lines.append(f"  {_location(item)}: {type(item).__name__} {tuple(data.shape)} {data.dtype}, {_timing(item)}")

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
