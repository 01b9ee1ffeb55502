"""Spec values as plain mappings and back, by cattrs: the values session files hold (indicators,
injections, positions, a trace's options) follow from the spec classes' own fields.

One :class:`cattrs.Converter` does both directions for every attrs spec class. Unstructuring leaves
out what the spec would give anyway (cattrs' ``omit_if_default``, which also knows derived defaults:
a key equal to the name, a band filter's type) and ``None``; ``mb.UNKNOWN`` is the text ``UNKNOWN``;
tuples and arrays are lists. Structuring reads ``UNKNOWN`` (also as a list item) where the field
takes ``mb.UNKNOWN``, makes nested mappings into their specs, and leaves the rest to the fields'
attrs converters; a value a spec refuses is a ``ValidationError`` naming its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import cattrs
import numpy as np
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ..errors import ValidationError
from ..specs.fields import hints, info
from ..unknown import UNKNOWN, UNKNOWN_TEXT, Unknown
from .values import members

converter = cattrs.Converter(prefer_attrib_converters=True)


def from_text(value: Any) -> Any:
    """A value read from a file with the text ``UNKNOWN`` (also as an item of a list) as ``mb.UNKNOWN``."""
    if isinstance(value, str) and value == UNKNOWN_TEXT:
        return UNKNOWN
    if isinstance(value, list):
        return [from_text(item) for item in value]
    return value


def spec_class_of(annotation: Any) -> type | None:
    """The one attrs class among a type's members (an indicator's ``IndicatorSpec``), or ``None``."""
    found = [m for m in members(annotation) if isinstance(m, type) and attrs.has(m)]
    return found[0] if len(found) == 1 else None


# -- unstructuring: specs to plain values -----------------------------------------------------------------
def _compared_its_own_way(attribute: attrs.Attribute) -> bool:
    """A field compared through ``attrs.cmp_using`` (arrays, data sources): ``==`` with its default says nothing."""
    return attribute.eq_key is not None


def _unstructure_spec_factory(spec_class: type) -> Any:
    overrides = {a.name: override(omit_if_default=False if _compared_its_own_way(a) else None,
                                  unstruct_hook=converter.unstructure)  # by the value's own type: mb.UNKNOWN too
                 for a in attrs.fields(spec_class)}
    made = make_dict_unstructure_fn(spec_class, converter, _cattrs_omit_if_default=True, **overrides)

    def unstructure(spec: Any) -> dict[str, Any]:
        return {name: value for name, value in made(spec).items() if value is not None}

    return unstructure


converter.register_unstructure_hook(Unknown, lambda _: UNKNOWN_TEXT)
converter.register_unstructure_hook(np.ndarray, lambda array: array.tolist())
converter.register_unstructure_hook(np.generic, lambda number: number.item())
converter.register_unstructure_hook(tuple, lambda items: [converter.unstructure(item) for item in items])
converter.register_unstructure_hook_factory(attrs.has, _unstructure_spec_factory)


def unstructure(value: Any) -> Any:
    """A value as YAML-ready plain values: specs as mappings of the fields they were given, tuples and
    arrays as lists, ``mb.UNKNOWN`` as the text ``UNKNOWN``."""
    return converter.unstructure(value)


# -- structuring: plain values to specs ---------------------------------------------------------------------
def _field_hook(annotation: Any, takes_unknown: bool) -> Any:
    """How one field's value is read: a mapping into its spec, ``UNKNOWN`` read where the field takes it;
    everything else is the field's attrs converter's to convert (and the spec's to check)."""
    nested = spec_class_of(annotation)

    def structure_field(value: Any, _: Any) -> Any:
        if nested is not None and isinstance(value, Mapping):
            return converter.structure(value, nested)
        return from_text(value) if takes_unknown else value

    return structure_field


def _structure_spec_factory(spec_class: type) -> Any:
    annotations = hints(spec_class)
    overrides = {a.name: override(struct_hook=_field_hook(annotations[a.name], info(a).unknown))
                 for a in attrs.fields(spec_class) if a.init}
    return make_dict_structure_fn(spec_class, converter, _cattrs_forbid_extra_keys=True, **overrides)


converter.register_structure_hook_factory(attrs.has, _structure_spec_factory)


def _messages(error: BaseException, where: str) -> list[str]:
    """One line per refusal inside a cattrs error group, each naming its place below ``where``."""
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        return [f"{where}: unknown field(s) {', '.join(sorted(map(str, error.extra_fields)))}"]
    if isinstance(error, cattrs.ClassValidationError):
        placed, other = error.group_exceptions()
        return [m for inner, note in placed for m in _messages(inner, f"{where}.{note.name}")] + \
            [m for inner in other for m in _messages(inner, where)]
    if isinstance(error, KeyError):
        return [f"{where}: required"]
    return [f"{where}: {error}"]


def structure(spec_class: type, data: Mapping[str, Any], where: str) -> Any:
    """The spec a mapping from a file describes, nested specs and ``UNKNOWN`` included; a value the spec
    refuses is a ``ValidationError`` naming ``where``."""
    try:
        return converter.structure(dict(data), spec_class)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as error:
        raise ValidationError(_messages(error, where)) from None
