"""Devices read back as the keyword fields of a ``RigBuilder`` device call, from either layout.

ndx-microscopy keeps most fields typed, on the device (instance: power, gain, ...) and on its
model (product: manufacturer, source type, wavelengths, ...); the few without a typed home (an
excitation source's operating wavelength, a detector's binning) are facts in the description.
The legacy layout has only core ``Device`` and ``DeviceModel``: every field is a fact in their
descriptions, and the kind of device is said only in words (``"Model of photodetector."``,
``"Photodetector PMT."``, a ``gain: 0.6`` fact). See :mod:`.described` for how facts are read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np

from ..specs import (
    DichroicMirrorSpec,
    ExcitationSourceSpec,
    MicroscopeSpec,
    ObjectiveLensSpec,
    OpticalFilterSpec,
    PhotodetectorSpec,
    PositionSpec,
    safe_name,
)
from ..unknown import UNKNOWN
from .described import read_facts, read_position
from .emitted import NDX_ATTRIBUTE, PLACEHOLDER_TEXT

#: device kind (a RigBuilder method, filters aside) -> spec class
SPEC_CLASSES = {
    "microscope": MicroscopeSpec,
    "excitation_source": ExcitationSourceSpec,
    "optical_filter": OpticalFilterSpec,
    "dichroic_mirror": DichroicMirrorSpec,
    "photodetector": PhotodetectorSpec,
    "objective_lens": ObjectiveLensSpec,
}
#: ndx-microscopy / ndx-ophys-devices device types -> kind
NDX_KINDS = {
    "Microscope": "microscope",
    "ExcitationSource": "excitation_source",
    "PulsedExcitationSource": "excitation_source",
    "OpticalFilter": "optical_filter",
    "BandOpticalFilter": "optical_filter",
    "EdgeOpticalFilter": "optical_filter",
    "DichroicMirror": "dichroic_mirror",
    "Photodetector": "photodetector",
    "ObjectiveLens": "objective_lens",
}
#: the words a legacy model description starts with -> kind
_MODEL_WORDS = {
    "microscope": "microscope",
    "excitation source": "excitation_source",
    "band filter": "optical_filter",
    "edge filter": "optical_filter",
    "other filter": "optical_filter",
    "dichroic mirror": "dichroic_mirror",
    "photodetector": "photodetector",
    "objective lens": "objective_lens",
}
_FIELD_OF_ATTRIBUTE = {attribute: field for field, attribute in NDX_ATTRIBUTE.items()}
LENS_POSITION = "lens position"


@attrs.frozen
class DeviceFacts:
    """A device as read: its name, kind (``None`` when the file does not say) and builder fields."""

    name: str
    kind: str | None
    fields: dict[str, Any] = attrs.field(eq=False)
    #: the stored object, so links to it can be followed
    obj: Any = attrs.field(eq=False, repr=False)


def plain(value: Any) -> Any:
    """A value read from a file as a builder takes it: numbers as floats, arrays as tuples, NaN and
    ``"unknown"`` (the emitters' placeholders) as ``mb.UNKNOWN``."""
    if hasattr(value, "shape") and not isinstance(value, np.ndarray) and value.shape != ():
        value = value[:]
    if isinstance(value, np.ndarray) and value.ndim > 0:
        items = tuple(plain(v) for v in value.tolist())
        return UNKNOWN if items and all(v is UNKNOWN for v in items) else items
    if isinstance(value, (np.generic, np.ndarray)):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, float) and math.isnan(value):
        return UNKNOWN
    if isinstance(value, str) and value == PLACEHOLDER_TEXT:
        return UNKNOWN
    return value


def ndx_device(obj: Any, model_names: Iterable[str]) -> DeviceFacts:
    """An ndx-ophys-devices / ndx-microscopy device and its model as builder fields."""
    kind = NDX_KINDS.get(type(obj).__name__)
    spec_class = SPEC_CLASSES.get(kind, MicroscopeSpec)
    typed = {
        _FIELD_OF_ATTRIBUTE[name]: plain(value)
        for name, value in obj.fields.items()
        if name in _FIELD_OF_ATTRIBUTE and _FIELD_OF_ATTRIBUTE[name] in spec_class.instance_properties
    }
    untyped = [f for f in spec_class.instance_properties if f not in NDX_ATTRIBUTE]
    words, facts = read_facts(obj.description, spec_class, untyped, default=_default_words(spec_class, obj.name))
    fields = {"description": words, "serial_number": plain(obj.serial_number), **typed, **facts}
    lens = obj.fields.get("lens_positioning")
    if lens is not None:
        fields["lens_position"] = stereotactic(lens)
    model = obj.fields.get("model")
    if model is not None:
        fields.update(ndx_model(model, obj.name, spec_class, model_names))
    return DeviceFacts(obj.name, kind, _given(fields), obj)


def ndx_model(model: Any, device: str, spec_class: type, model_names: Iterable[str]) -> dict[str, Any]:
    """The model fields of a device (manufacturer, model number and name, typed product fields)."""
    fields = {
        _FIELD_OF_ATTRIBUTE[name]: plain(value)
        for name, value in model.fields.items()
        if name in _FIELD_OF_ATTRIBUTE and _FIELD_OF_ATTRIBUTE[name] in spec_class.model_properties
    }
    untyped = [f for f in spec_class.model_properties if f not in NDX_ATTRIBUTE]
    if untyped:
        _, facts = read_facts(model.description, spec_class, untyped, default=f"Model of {_model_words(model)}")
        fields.update(facts)
    return {**_model_identity(model, device, model_names, _model_kind_suffix(type(model).__name__)), **fields}


def legacy_device(obj: Any, model_names: Iterable[str], *, kind: str | None = None) -> DeviceFacts:
    """A core ``Device`` (and its ``DeviceModel``) as builder fields; its kind from the words the
    legacy emitter wrote, or ``kind`` when a link says it (an ImagingPlane's device is a microscope)."""
    model = obj.fields.get("model")
    model_kind, model_fields = (None, {}) if model is None else legacy_model(model, obj.name, model_names)
    kind = kind or model_kind
    candidates = [kind] if kind is not None else list(SPEC_CLASSES)
    found = None
    for candidate in candidates:
        spec_class = SPEC_CLASSES[candidate]
        extra = {LENS_POSITION: read_position} if candidate == "objective_lens" else None
        words, facts = read_facts(obj.description, spec_class, spec_class.instance_properties,
                                  default=_default_words(spec_class, obj.name), extra=extra)
        if kind is not None or facts or (obj.description or "").rstrip(".") == _default_words(spec_class, obj.name):
            found = (candidate, words, facts)
            break
    if found is None:
        found = (None, obj.description, {})
    kind, words, facts = found
    if LENS_POSITION in facts:
        facts["lens_position"] = facts.pop(LENS_POSITION)
    fields = {"description": words, "serial_number": plain(obj.serial_number), **_deprecated_fields(obj),
              **model_fields, **facts}
    return DeviceFacts(obj.name, kind, _given(fields), obj)


def legacy_model(model: Any, device: str, model_names: Iterable[str]) -> tuple[str | None, dict[str, Any]]:
    """(kind, fields) of a core ``DeviceModel``; the kind and product fields from its description."""
    words = (model.description or "").removeprefix("Model of ").split(".")[0]
    kind = _MODEL_WORDS.get(words) if (model.description or "").startswith("Model of ") else None
    fields: dict[str, Any] = {}
    if kind is not None:
        spec_class = SPEC_CLASSES[kind]
        rest, facts = read_facts(model.description, spec_class, spec_class.model_properties, default=f"Model of {words}")
        if rest is None:
            fields.update(facts)
    suffix = words.replace(" ", "_") if kind is not None else None
    return kind, {**_model_identity(model, device, model_names, suffix), **fields}


def stereotactic(position: Any) -> PositionSpec:
    """A stored ``StereotacticPosition`` as a ``PositionSpec`` (its target kept, as stored)."""
    target = plain(position.anatomical_target)
    orientation = plain(position.orientation)
    return PositionSpec(
        x_mm=plain(position.x_in_mm), y_mm=plain(position.y_in_mm), z_mm=plain(position.z_in_mm),
        origin=plain(position.origin), orientation=orientation,
        anatomical_target=target,
        pitch_deg=plain(position.pitch_in_deg), yaw_deg=plain(position.yaw_in_deg), roll_deg=plain(position.roll_in_deg),
    )


def _model_identity(model: Any, device: str, model_names: Iterable[str], kind_suffix: str | None) -> dict[str, Any]:
    """``manufacturer``, ``model`` and ``model_name`` as a device spec derives its model's name from them."""
    name = model.name
    taken = set(model_names)
    if kind_suffix and name.endswith(f"_{kind_suffix}") and name.removesuffix(f"_{kind_suffix}") in taken:
        name = name.removesuffix(f"_{kind_suffix}")  # renamed by the emitter: another kind's model has the name
    number = plain(model.model_number)
    derived = safe_name(number) if isinstance(number, str) else f"{device}Model"
    return {"manufacturer": plain(model.manufacturer), "model": number, "model_name": None if name == derived else name}


def _model_kind_suffix(type_name: str) -> str | None:
    kinds = {"MicroscopeModel": "microscope", "ExcitationSourceModel": "excitation_source", "BandOpticalFilterModel":
             "band_filter", "EdgeOpticalFilterModel": "edge_filter", "OpticalFilterModel": "other_filter",
             "DichroicMirrorModel": "dichroic_mirror", "PhotodetectorModel": "photodetector",
             "ObjectiveLensModel": "objective_lens"}
    return kinds.get(type_name)


def _model_words(model: Any) -> str:
    suffix = _model_kind_suffix(type(model).__name__)
    return (suffix or "device").replace("_", " ")


def _default_words(spec_class: type, name: str) -> str:
    return f"{spec_class.label.capitalize()} {name}"


def _deprecated_fields(obj: Any) -> dict[str, Any]:
    """``manufacturer`` / ``model_number`` / ``model_name`` set on a core Device itself (files of other writers)."""
    found = {}
    for field, builder_field in (("manufacturer", "manufacturer"), ("model_number", "model"), ("model_name", "model_name")):
        value = obj.fields.get(field)
        if value is not None:
            found[builder_field] = plain(value)
    return found


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
