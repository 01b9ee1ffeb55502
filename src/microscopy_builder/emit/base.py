"""What both emitters share: dedupe by key, devices and models, timing, streamed data, placement.

An emitter turns specs into NWB objects in one ``NWBFile``. Subclasses say which NWB classes to use
and how to lay them out; everything that does not depend on the format lives here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from pynwb import NWBFile, ProcessingModule

from ..io.chunking import ImagingDataIterator
from ..specs import DeviceModelSpec, DeviceSpec, RigSpec, SeriesSpec
from .fields import NDX_ATTRIBUTE, join_description
from .placeholders import PlaceholderReport
from .timing import Timing, resolve_timing

OPHYS_MODULE = "ophys"


class Emitter(ABC):
    """Emits specs into ``nwbfile``, each key once.

    Parameters
    ----------
    nwbfile
        The file the objects go into.
    report
        Where placeholders for missing required fields are recorded.
    """

    #: ``True`` when the format stores frames as (frames, x, y) rather than (frames, height, width).
    swap_xy: bool = False

    def __init__(self, nwbfile: NWBFile, report: PlaceholderReport):
        self.nwbfile = nwbfile
        self.report = report
        self._made: dict[tuple[str, str], Any] = {}
        self.series_objects: list[Any] = []

    # -- the entry point ------------------------------------------------------------------------
    def emit(self, rigs: Sequence[RigSpec], series: Sequence[SeriesSpec]) -> None:
        """Emit every rig and series not emitted yet; ``series`` is the session's full list."""
        for rig in rigs:
            self.emit_rig(rig)
        for item in series:
            self._once("series", item.key, lambda item=item: self._place_series(item))

    # -- dedupe ---------------------------------------------------------------------------------
    def _once(self, kind: str, key: str, make: Callable[[], Any]) -> Any:
        if (kind, key) not in self._made:
            self._made[(kind, key)] = make()
        return self._made[(kind, key)]

    def made(self, kind: str, key: str) -> Any:
        return self._made.get((kind, key))

    # -- rigs and devices -----------------------------------------------------------------------
    def emit_rig(self, rig: RigSpec) -> Any:
        def make() -> Any:
            devices = {slot: self.emit_device(device) for slot, device in rig.devices()}
            return self._make_rig(rig, devices)

        return self._once("rig", rig.key, make)

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
            self.nwbfile.add_device(obj)
            return obj

        return self._once("device", device.key, make)

    def emit_model(self, model: DeviceModelSpec) -> Any:
        def make() -> Any:
            manufacturer = model.manufacturer or self.report.text(
                f"device model {model.name!r}", "manufacturer", "give manufacturer=... on the device"
            )
            obj = self._make_model(model, manufacturer)
            self.nwbfile.add_device_model(obj)
            return obj

        return self._once("device model", model.key, make)

    @staticmethod
    def rig_description(rig: RigSpec) -> str:
        """The rig's own description, or one listing its devices and channels."""
        if rig.description:
            return rig.description
        parts = [f"{slot.replace('_', ' ')} {device.name}" for slot, device in rig.devices()]
        channels = ", ".join(c.name for c in rig.channels)
        return f"Microscopy rig {rig.name}: {'; '.join(parts)}" + (f"; channels {channels}." if channels else ".")

    # -- series ---------------------------------------------------------------------------------
    def _place_series(self, series: SeriesSpec) -> Any:
        rig = self.emit_rig(series.rig)
        data = ImagingDataIterator(series.source, swap_xy=self.swap_xy)
        obj = self._make_series(series, rig, data, resolve_timing(series))
        if series.location == "processing":
            self.ophys_module().add(obj)
        else:
            self.nwbfile.add_acquisition(obj)
        self.series_objects.append(obj)
        return obj

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
    def frame_shape(series: SeriesSpec) -> tuple[int, int]:
        """(width, height) = (x, y) of the series' frames."""
        rows, columns = (int(n) for n in series.source.get_frame_shape())
        return columns, rows

    # -- what each format decides ---------------------------------------------------------------
    @abstractmethod
    def _make_model(self, model: DeviceModelSpec, manufacturer: str) -> Any: ...

    @abstractmethod
    def _device_type(self, device: DeviceSpec) -> tuple[type, dict[str, Any], list[tuple[str, Any]]]:
        """The device class, its typed keyword fields, and the facts that go into its description."""

    @abstractmethod
    def _make_rig(self, rig: RigSpec, devices: dict[str, Any]) -> Any: ...

    @abstractmethod
    def _make_series(self, series: SeriesSpec, rig: Any, data: ImagingDataIterator, timing: Timing) -> Any: ...


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
