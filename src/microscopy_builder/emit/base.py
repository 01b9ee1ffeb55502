"""What both emitters share: dedupe by key, devices and models, timing, streamed data, placement.

An emitter turns specs into NWB objects in one ``NWBFile``. Subclasses say which NWB classes to use
and how to lay them out; everything that does not depend on the format lives here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import warnings

from hdmf.utils import get_docval
from pynwb import NWBFile, ProcessingModule

from ..io.chunking import ImagingDataIterator
from ..io.streams import Stream, StreamedData
from ..specs import DeviceModelSpec, DeviceSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec
from ..specs.series import TimeSeriesOptions
from ..specs.rig import LightPath
from ..errors import CompatibilityWarning, ConflictError, ValidationError
from ..specs.sources import imaging_shape, segmentation_shape
from ..naming import Claim
from . import OPHYS_MODULE
from .adopt import add_or_reuse
from .claims import description_claims, model_name
from .fields import NDX_ATTRIBUTE, join_description
from .grouping import Group, Layout
from .placeholders import PlaceholderReport
from .rois import (
    background_rois,
    cell_rois,
    mask_type,
    roi_columns,
    summary_images,
    trace_data,
    written_traces,
)
from .timing import Timing, resolve_timing, segmentation_timing
from .traces import TRACES
from .unknowns import Resolver, resolve_unknowns


class Emitter(ABC):
    """Emits specs into ``nwbfile``, each key once.

    Parameters
    ----------
    nwbfile
        The file the objects go into.
    report
        Where placeholders for missing required fields are recorded.
    """

    #: ``True`` when the format stores frames as (frames, x, y[, z]) rather than (frames, [depth,] height, width).
    swap_xy: bool = False
    #: the format's name, for messages
    format_name: str = ""

    def __init__(self, nwbfile: NWBFile, report: PlaceholderReport):
        self.nwbfile = nwbfile
        self.report = report
        self._made: dict[tuple[str, str], Any] = {}
        self._model_names: dict[str, str] | None = None  # device models' NWB names -> their kinds
        self._series_parents: dict[str, tuple[Group, ...]] = {}
        self.layout = Layout()
        #: every large dataset made so far, which the writer fills (see :mod:`microscopy_builder.io.streams`)
        self.streams: list[Stream] = []

    # -- what the format asks of a description --------------------------------------------------
    @classmethod
    def description_problems(cls, spec: Any) -> list[str]:
        """What this format needs of a spec beyond the spec's own checks (none by default)."""
        return []

    @classmethod
    def add_warnings(cls, spec: Any) -> list[str]:
        """``CompatibilityWarning`` texts for a spec this format writes but its readers may not read."""
        return []

    # -- the entry point ------------------------------------------------------------------------
    def emit(
        self, rigs: Sequence[RigSpec], series: Sequence[SeriesSpec], segmentations: Sequence[SegmentationSpec] = ()
    ) -> list[Stream]:
        """Emit every rig, series and segmentation not emitted yet (``mb.UNKNOWN`` values as placeholders);
        return every dataset the writer streams, of everything emitted so far."""
        resolver = Resolver(self.report)
        rigs = [resolver.rig(rig) for rig in rigs]
        series = [resolver.series(item) for item in series]
        segmentations = [resolver.segmentation(item) for item in segmentations]
        for rig in rigs:
            self.emit_rig(rig)
        self.layout = self.check_layout(series)
        for item in series:
            self.emit_series(item)
        for item in segmentations:
            self._once("segmentation", item.key, lambda item=item: self._place_segmentation(item))
        return list(self.streams)

    def emit_static_images(self, images: Sequence[StaticImageSpec]) -> None:
        """Emit every static image not emitted yet (``mb.UNKNOWN`` values as placeholders)."""
        resolver = Resolver(self.report)
        for image in images:
            resolved = resolve_unknowns(image, self.report, f"static image {image.name!r}",
                                        {"rig": resolver.rig(image.rig), "space": resolver.space(image.space)})
            self._once("static image", image.key, lambda resolved=resolved: self._make_static_image(resolved))

    def emit_series(self, series: SeriesSpec) -> Any:
        return self._once("series", series.key, lambda: self._place_series(series))

    def claims(
        self, rigs: Sequence[RigSpec], series: Sequence[SeriesSpec], segmentations: Sequence[SegmentationSpec] = ()
    ) -> list[Claim]:
        """Where every named object of these specs would go (see :mod:`microscopy_builder.naming`)."""
        return description_claims(self, rigs, series, segmentations)

    # -- dedupe ---------------------------------------------------------------------------------
    def _once(self, kind: str, key: str, make: Callable[[], Any]) -> Any:
        if (kind, key) not in self._made:
            self._made[(kind, key)] = make()
        return self._made[(kind, key)]

    def made(self, kind: str, key: str) -> Any:
        return self._made.get((kind, key))

    # -- rigs and devices -----------------------------------------------------------------------
    def emit_rig(self, rig: RigSpec) -> dict[str, Any]:
        """Every device of a rig, and the rig object of each of its light paths (by path name)."""

        def make() -> dict[str, Any]:
            devices = {device.key: self.emit_device(device) for _, device in rig.devices()}
            rigs = {}
            for path in rig.light_paths():
                held = {slot: devices[d.key] for slot, d in path.devices.items()}
                if rig.microscope is not None:
                    held = {"microscope": devices[rig.microscope.key], **held}
                rigs[path.name] = self._make_rig(rig, path, held)
            return rigs

        return self._once("rig", rig.key, make)

    def rig_for(self, rig: RigSpec, channel: str | None) -> Any:
        """The rig object the series or segmentation of ``channel`` links: its light path's."""
        rigs = self.emit_rig(rig)
        return rigs[rig.light_path_of(channel).name] if channel is not None else next(iter(rigs.values()))

    def emit_device(self, device: DeviceSpec) -> Any:
        def make() -> Any:
            model_spec = device.model_spec()
            model = None if model_spec is None else self.emit_model(model_spec)
            device_class, typed, facts = self._device_type(device)
            obj = device_class(
                name=device.name,
                description=device_text(device, facts),
                serial_number=device.serial_number,
                model=model,
                **typed,
            )
            return add_or_reuse("device", self.nwbfile.devices, obj, self.nwbfile.add_device)

        return self._once("device", device.key, make)

    def emit_model(self, model: DeviceModelSpec) -> Any:
        def make() -> Any:
            named = attrs.evolve(model, name=model_name(model, self._model_names))
            manufacturer = model.manufacturer or self.report.text(
                f"device model {named.name!r}", "manufacturer", "give manufacturer=... on the device"
            )
            obj = self._make_model(named, manufacturer)
            return add_or_reuse("device model", self.nwbfile.device_models, obj, self.nwbfile.add_device_model)

        if self._model_names is None:
            self._model_names = dict(self.held_model_kinds())
        return self._once("device model", model.key, make)

    def held_model_kinds(self) -> dict[str, str]:
        """The device models the file already holds: NWB name -> kind of device."""
        return {name: self.model_kind_of(obj) for name, obj in self.nwbfile.device_models.items()}

    @abstractmethod
    def model_kind_of(self, model: Any) -> str:
        """The kind of device (``"photodetector"``, ``"band_filter"``, ...) a device model read from a file is of."""

    @staticmethod
    def rig_description(rig: RigSpec, path: LightPath | None = None) -> str:
        """The rig's own description, or one listing its devices and channels (those of one light path)."""
        channels = ", ".join(path.channels if path is not None else (c.name for c in rig.channels))
        several = path is not None and len(rig.light_paths()) > 1
        if rig.description:
            return rig.description + (f" Light path of channels {channels}." if several else "")
        devices = [("microscope", rig.microscope)] if rig.microscope is not None else []
        devices += list(path.devices.items()) if path is not None else [d for d in rig.devices() if d[0] != "microscope"]
        parts = [f"{slot.replace('_', ' ')} {device.name}" for slot, device in devices]
        title = f"Microscopy rig {rig.name}" + (" (one of its light paths)" if several else "")
        return f"{title}: {'; '.join(parts)}" + (f"; channels {channels}." if channels else ".")

    # -- series ---------------------------------------------------------------------------------
    def plan_layout(self, series: Sequence[SeriesSpec]) -> Layout:
        """Which containers the series go in; by default none (every series stands alone)."""
        return Layout()

    def check_layout(self, series: Sequence[SeriesSpec]) -> Layout:
        """The layout of ``series``; ``ValidationError`` when it would move a series already placed."""
        layout = self.plan_layout(series)
        for key, placed in self._series_parents.items():
            planned = layout.parents(key)
            if planned != placed:
                raise ValidationError(
                    [
                        f"series {key!r}: it was placed {_where(placed)} when the file was first read, but with "
                        f"the series added since it belongs {_where(planned)}; a placed object cannot move. Add "
                        f"every series of a multi-plane or multi-channel recording before reading session.nwbfile, "
                        f"or mark the series .ungrouped()"
                    ]
                )
        return layout

    def _place_series(self, series: SeriesSpec) -> Any:
        rig = self.rig_for(series.rig, series.channel)
        data = StreamedData(ImagingDataIterator(series.source, swap_xy=self.swap_xy))
        obj = self._make_series(series, rig, data, resolve_timing(series))
        groups = self.layout.parents(series.key)
        self._place(obj, series.location, groups)
        self._series_parents[series.key] = groups
        self.streams.append(Stream(series.name, obj, data, "imaging"))
        return obj

    def _place(self, obj: Any, location: str, groups: Sequence[Group]) -> None:
        """Put a series (or a container) in ``location``, or inside the innermost of ``groups``."""
        if groups:
            self._add_to_group(self.emit_group(groups[-1], groups[:-1]), obj)
        elif location == "processing":
            self.ophys_module().add(obj)
        else:
            self.nwbfile.add_acquisition(obj)

    def emit_group(self, group: Group, outer: Sequence[Group]) -> Any:
        """The container of ``group``, made (and placed inside ``outer``) on first use."""

        def make() -> Any:
            container = self._make_group(group)
            place = self.nwbfile.acquisition if group.location == "acquisition" else self.ophys_module().data_interfaces
            if not outer and group.name in place:
                raise ConflictError(
                    f"{group.kind} group",
                    group.name,
                    ["name"],
                    f"the file already holds {group.name!r} in {group.location}; series cannot be added to an "
                    f"existing container: name the new group with .grouped(...) or mark the series .ungrouped()",
                )
            self._place(container, group.location, outer)
            return container

        return self._once(f"{group.kind} group", group.identity, make)

    def _make_group(self, group: Group) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not group series")

    def _add_to_group(self, container: Any, obj: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not group series")

    def ophys_module(self) -> ProcessingModule:
        if OPHYS_MODULE not in self.nwbfile.processing:
            self.nwbfile.create_processing_module(OPHYS_MODULE, "Optical physiology data: processed imaging and segmentation.")
        return self.nwbfile.processing[OPHYS_MODULE]

    @staticmethod
    def series_description(series: SeriesSpec) -> str:
        if series.description:
            return series.description
        return (
            f"Imaging series recorded on rig {series.rig.name}, channel {series.channel}, "
            f"imaging space {series.space.name}."
        )

    @staticmethod
    def frame_shape(series: SeriesSpec) -> tuple[int, ...]:
        """(width, height[, depth]) = (x, y[, z]) of the series' frames or volumes."""
        return series.space.data_dimensions(imaging_shape(series.source))

    # -- segmentations ------------------------------------------------------------------------------
    def _place_segmentation(self, segmentation: SegmentationSpec) -> Any:
        source_series = None if segmentation.series is None else self.emit_series(segmentation.series)
        masks = mask_type(segmentation, self.default_mask_type(segmentation))
        rois = cell_rois(segmentation)
        table = self._roi_table(segmentation, segmentation.name, rois, masks, summary_images(segmentation))
        background = background_rois(segmentation)
        background_table = None
        if background is not None:
            background_table = self._roi_table(
                segmentation, f"Background{segmentation.name}", background, masks, []
            )
        timing = segmentation_timing(segmentation)
        for kind, data in written_traces(segmentation, background):
            target = background_table if kind == "background" else table
            rois_region = target.create_region(
                name="rois", region=list(range(len(target.id))), description=f"The ROIs of {target.name}."
            )
            override = segmentation.trace_spec(kind)
            stored = trace_data(data)
            trace = self._add_trace(
                segmentation,
                kind,
                name=override.name or self.trace_name(segmentation, kind),
                description=override.description or TRACES[kind].description,
                unit=override.unit or "n.a.",
                conversion=override.conversion,
                offset=override.offset,
                options=override.options,
                data=stored,
                rois=rois_region,
                timing=timing,
                source_series=source_series,
            )
            if isinstance(stored, StreamedData):  # an empty trace is stored as it is
                self.streams.append(Stream(trace.name, trace, stored, "trace"))
        return table

    def _roi_table(
        self, segmentation: SegmentationSpec, name: str, rois: Any, masks: str, images: list
    ) -> Any:
        dense_name = self.dense_mask_name(segmentation)
        identifiers, columns = roi_columns(segmentation, rois, masks=masks, swap_xy=self.swap_xy, dense_name=dense_name)
        self.streams += [Stream(f"{name}.{c.name}", c, c.data, "mask", field=None) for c in columns
                         if isinstance(c.data, StreamedData)]
        what = "background components" if rois.is_background else "ROIs"
        description = segmentation.description or f"{what.capitalize()} found by segmenting imaging space {segmentation.space.name}"
        if rois.is_background:
            description = f"Background components of segmentation {segmentation.name}."
        return self._make_roi_table(segmentation, name, description, identifiers, columns, images)

    @staticmethod
    def segmentation_frame_shape(segmentation: SegmentationSpec) -> tuple[int, ...]:
        """(x, y[, z]) of the segmentation's masks."""
        return segmentation.space.data_dimensions(segmentation_shape(segmentation.source))

    def options_for(self, options: TimeSeriesOptions, series_class: type, where: str) -> dict[str, Any]:
        """The given time-series options ``series_class`` takes; one ``CompatibilityWarning`` per option it has no
        field for (legacy series have no ``continuity``)."""
        accepted = {argument["name"] for argument in get_docval(series_class.__init__)}
        given = {name: value for name, value in attrs.asdict(options, recurse=False).items() if value is not None}
        for name in sorted(set(given) - accepted):
            warnings.warn(f"{where}: {series_class.__name__} has no {name!r} field, so {name}={given[name]!r} is not "
                          f"written in the {self.format_name} format", CompatibilityWarning, stacklevel=2)
        return {name: list(value) if isinstance(value, tuple) else value for name, value in given.items() if name in accepted}

    # -- what each format decides ---------------------------------------------------------------
    def dense_mask_name(self, segmentation: SegmentationSpec) -> str:
        """The column holding dense masks."""
        return "image_mask"

    @abstractmethod
    def default_mask_type(self, segmentation: SegmentationSpec) -> str:
        """The mask type written when the user did not choose one."""

    @abstractmethod
    def trace_name(self, segmentation: SegmentationSpec, kind: str) -> str:
        """The object name of a trace type of a segmentation."""

    @abstractmethod
    def _make_roi_table(
        self, segmentation: SegmentationSpec, name: str, description: str, identifiers: Any, columns: list, images: list
    ) -> Any:
        """Make and place the ROI table (and, for the main table, the summary images)."""

    @abstractmethod
    def _add_trace(self, segmentation: SegmentationSpec, kind: str, **fields: Any) -> Any:
        """Make and place one trace series."""

    @abstractmethod
    def _make_static_image(self, image: StaticImageSpec) -> Any:
        """Make and place a static image (a reference image or z-stack)."""

    @abstractmethod
    def static_image_claims(self, image: StaticImageSpec) -> list[Claim]:
        """Where a static image and what it holds go (its rig and devices are claimed with the rigs)."""

    @abstractmethod
    def rig_claims(self, rig: RigSpec) -> list[Claim]:
        """Names a rig brings beside its devices (ndx-microscopy: the rig and its indicators)."""

    @abstractmethod
    def series_claims(self, series: SeriesSpec) -> list[Claim]:
        """Names a series brings beside its own (its space and channel, or its imaging plane)."""

    @abstractmethod
    def segmentation_container(self, segmentation: SegmentationSpec) -> tuple[str, tuple[str, str]]:
        """The container a ROI table goes in, and the table's (namespace, type)."""

    @abstractmethod
    def trace_parent(self, segmentation: SegmentationSpec, kind: str) -> tuple[str, tuple[str, str]]:
        """The group a trace kind goes in, and its (namespace, type)."""

    @abstractmethod
    def image_claims(self, segmentation: SegmentationSpec, name: str, table: str, table_type: tuple) -> list[Claim]:
        """Where a summary image of that name goes."""

    @abstractmethod
    def segmentation_claims(self, segmentation: SegmentationSpec, table: str, table_type: tuple) -> list[Claim]:
        """Names a segmentation brings beside its table, columns, images and traces."""

    @abstractmethod
    def _make_model(self, model: DeviceModelSpec, manufacturer: str) -> Any: ...

    @abstractmethod
    def _device_type(self, device: DeviceSpec) -> tuple[type, dict[str, Any], list[tuple[str, Any]]]:
        """The device class, its typed keyword fields, and the facts that go into its description."""

    @abstractmethod
    def _make_rig(self, rig: RigSpec, path: LightPath, devices: dict[str, Any]) -> Any:
        """The rig object of one light path, holding its ``devices`` by slot."""

    @abstractmethod
    def _make_series(self, series: SeriesSpec, rig: Any, data: StreamedData, timing: Timing) -> Any: ...


def split_typed(values: Sequence[tuple[str, Any]]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Split (field, value) pairs into those with an ndx attribute (by attribute name) and the rest."""
    typed = {NDX_ATTRIBUTE[f]: v for f, v in values if f in NDX_ATTRIBUTE}
    untyped = [(f, v) for f, v in values if f not in NDX_ATTRIBUTE]
    return typed, untyped


def model_text(model: DeviceModelSpec, facts: Sequence[tuple[str, Any]]) -> str:
    """A device model's description: what it is a model of, then facts with no typed field."""
    return join_description(f"Model of {model.device_kind.replace('_', ' ')}", extra=facts)


def device_text(device: DeviceSpec, facts: Sequence[tuple[str, Any]]) -> str:
    """A device's description: the user's words, else its role; then facts with no typed field."""
    return join_description(device.description or f"{device.label.capitalize()} {device.name}", extra=facts)


def refuse_taken_name(name: str, taken: Any, container: str, segmentation: SegmentationSpec) -> None:
    """Two trace series may not share a name in one container (checked before anything is written)."""
    if name in taken:
        raise ConflictError(
            "trace",
            name,
            ["name"],
            f"segmentation {segmentation.name!r}: a trace series named {name!r} is already in {container}; "
            f"rename one with .trace(kind, name=...)",
        )


def _where(groups: Sequence[Group]) -> str:
    return "on its own" if not groups else "in " + " / ".join(repr(g.name) for g in groups)
