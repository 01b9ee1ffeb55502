"""Builders as plain mappings and back: the form session files (YAML) take, derived from the builders' calls.

Each key of a mapping names a builder call (``microscope``, ``emission_filter``, ``planar``,
``line_scan``, ``rate``, ...) and holds its arguments, so a file reads like the Python chain and
maps one-to-one onto it. How a call's arguments stand in a file is its *form*:

* :class:`Auto` (the default): a call of no parameter is ``true``; of one, its value; of more, a
  mapping of its parameters (``rate: {rate_hz: 30, starting_time: 0.5}``);
* :class:`Flat`: each parameter under its own key (``control`` and ``control_description``);
* :class:`ListOf`, :class:`OneOrList`, :class:`ByKey`: calls that add one item per name (channels,
  devices, traces);
* a few forms of their own (an extractor, a plane at depth, summary images).

Every form gives the schema check of its keys (:mod:`.schema`) from the parameters' types, so a
field added to a spec is written, read and checked without being listed again. Values are plain
YAML types; ``mb.UNKNOWN`` is the text ``UNKNOWN``; rigs, spaces and series are named.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import ValidationError
from . import schema
from .calls import Argument, Call, Item, arguments_of
from .sources import extractor_from_dict, extractor_to_dict
from .conversion import from_text, spec_class_of, structure, unstructure
from .values import derived, fits, same


@attrs.frozen
class Context:
    """What loading a mapping needs beyond it: the builders names refer to, the folder paths are relative to."""

    tables: Mapping[str, Mapping[str, Any]]
    base_folder: Any = None


def _arguments(call: Call, builder_class: type) -> tuple[Argument, ...]:
    return arguments_of(call, builder_class.spec_class)


def _value_at(holder: Any, path: str) -> Any:
    for part in path.split("."):
        holder = holder.get(part) if isinstance(holder, Mapping) else getattr(holder, part, None)
    return holder


def _field_default(spec_class: type, path: str) -> Any:
    """The spec's default for a dotted field path (``None`` for a derived or required field)."""
    from .calls import nested_class

    *outer, last = path.split(".")
    for name in outer:
        spec_class = nested_class(spec_class, name)
    default = attrs.fields_dict(spec_class)[last].default
    if isinstance(default, attrs.Factory):
        return default.factory() if not default.takes_self else None
    return None if default is attrs.NOTHING else default


def _given(builder: Any, argument: Argument) -> Any:
    """What a parameter's field holds in the builder's draft, or ``None`` when it holds the spec's default."""
    value = _value_at(builder.draft, argument.param.field)
    default = _field_default(builder.spec_class, argument.param.field)
    if value is None or (default is not None and same(value, default)):
        return None
    return value


def to_file(argument: Argument, value: Any) -> Any:
    """A parameter's value as a file holds it: rigs, spaces and series by name, specs as mappings."""
    if argument.param.refers_to is not None:
        return getattr(value, "name", value)
    out = unstructure(value)
    nested = spec_class_of(argument.annotation)
    if nested is not None and isinstance(out, dict) and list(out) == [attrs.fields(nested)[0].name] \
            and fits(argument.annotation, out[attrs.fields(nested)[0].name]) is None:
        return next(iter(out.values()))  # an indicator of a label only is its label
    return out


def from_file(argument: Argument, value: Any, where: str, context: Context) -> Any:
    """A parameter's value read from a file: names looked up, mappings made into specs, ``UNKNOWN`` read."""
    refers_to = argument.param.refers_to
    if refers_to is not None:
        table = context.tables[refers_to]
        if value not in table:
            kind = refers_to.removesuffix("s")
            raise ValidationError([f"{where}: no {kind} named {value!r} in the file (its {refers_to}: "
                                   f"{', '.join(map(str, table)) or 'none'})"])
        return table[value]
    nested = spec_class_of(argument.annotation)
    if nested is not None and isinstance(value, Mapping):
        return structure(nested, value, where)
    return from_text(value) if argument.about.unknown else value


def _required(argument: Argument) -> str:
    doc = argument.doc[:1].lower() + argument.doc[1:] if argument.doc else "its value"
    return f"give {argument.name} ({doc}{', in ' + argument.about.unit if argument.about.unit else ''})"


def check_of(argument: Argument) -> schema.Check:
    """The check of a parameter's value in a file: a name where the file names a rig, space or series, a
    list where the call takes any number of values (``traces: [raw, dff]``)."""
    if argument.param.refers_to is not None:
        return schema.text
    check = schema.check_for(argument.annotation)
    return schema.list_of(check) if argument.kind == "varargs" else check


def mapping_check(arguments: tuple[Argument, ...]) -> schema.Check:
    """A mapping of the parameters (keyword arguments) of a call."""
    return schema.fields({a.name: check_of(a) for a in arguments if a.kind != "varargs"},
                         required={a.name: _required(a) for a in arguments if a.default is schema.REQUIRED})


def _call(builder: Any, call: Call, arguments: tuple[Argument, ...], given: Mapping[str, Any], where: str,
          context: Context, keys: tuple[str, ...] | None = None) -> Any:
    """Call ``call`` with the file's values of its parameters (``keys``: where each stands, when not under ``where``)."""
    places = {a.name: f"{where}.{a.name}" for a in arguments} if keys is None else \
        {a.name: f"{where}.{key}" for a, key in zip(arguments, keys)}
    values = {a.name: from_file(a, given[a.name], places[a.name], context) for a in arguments if a.name in given}
    varargs = [values.pop(a.name) for a in arguments if a.kind == "varargs" and a.name in values]
    return getattr(builder, call.name)(*(varargs[0] if varargs else ()), **values)


# -- forms ---------------------------------------------------------------------------------------------------
@attrs.frozen
class Auto:
    """No parameter: ``key: true``; one: ``key: value``; more: ``key: {parameter: value, ...}``.

    ``key`` defaults to the call's name; ``flag`` is the value standing for the call made without
    arguments (two calls may share a key, ``grouped: false`` standing for ``ungrouped()``);
    ``null``: a null value also stands for the call without arguments.
    """

    key: str | None = None
    flag: Any = None
    null: bool = False

    def keys(self, call: Call) -> tuple[str, ...]:
        return (self.key or call.name,)

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        arguments = _arguments(call, builder_class)
        if not arguments:
            check = schema.boolean
        elif len(arguments) == 1:
            check = check_of(arguments[0])
        else:
            check = mapping_check(arguments)
        if self.flag is not None and arguments:
            check = schema.either(schema.boolean, check)
        return {self.keys(call)[0]: schema.optional(check) if self.null else check}

    def export(self, call: Call, builder: Any) -> dict[str, Any]:
        arguments = _arguments(call, type(builder))
        values = _item_values(call, builder) if isinstance(call, Item) else _set_values(call, builder, arguments)
        if values is None:
            return {}
        if not arguments:
            return {self.keys(call)[0]: True if self.flag is None else self.flag}
        one = len(arguments) == 1
        return {self.keys(call)[0]: next(iter(values.values())) if one else values}

    def load(self, call: Call, builder: Any, data: Mapping[str, Any], where: str, context: Context) -> Any:
        key = self.keys(call)[0]
        if key not in data:
            return builder
        value, arguments = data[key], _arguments(call, type(builder))
        if not arguments or (isinstance(value, bool) and self.flag is not None):  # another call may share the key
            return getattr(builder, call.name)() if value is (True if self.flag is None else self.flag) else builder
        if value is None and self.null:
            return getattr(builder, call.name)()
        if len(arguments) == 1:
            return _call(builder, call, arguments, {arguments[0].name: value}, where, context, keys=(key,))
        return _call(builder, call, arguments, dict(value), f"{where}.{key}", context)


def _set_values(call: Call, builder: Any, arguments: tuple[Argument, ...]) -> dict[str, Any] | None:
    """The file values of a call that sets fields, or ``None`` when the builder's draft shows no such call."""
    constants = dict(getattr(call, "constants", ()))
    if any(not same(_value_at(builder.draft, path) if path in builder.draft else _field_default(builder.spec_class, path),
                      value) for path, value in constants.items()):
        return None
    values = {a.name: to_file(a, v) for a in arguments if (v := _given(builder, a)) is not None}
    made_by_constants = any(not same(_field_default(builder.spec_class, p), v) for p, v in constants.items())
    return values if values or made_by_constants else None


def _item_values(call: Item, builder: Any, item: Any = None) -> dict[str, Any] | None:
    """The file values of an item call: its item's fields, by parameter, but those the spec or the call
    would give it anyway (defaults, a key equal to the name, a derived filter type)."""
    item = builder.draft.get(call.into) if item is None else item
    if type(item) is not call.spec:
        return None
    defaults = {name: make(builder) for name, make in call.defaults}
    out = {}
    for argument in _arguments(call, type(builder)):
        field = argument.param.field
        value = _value_at(item, field)
        if value is None or same(value, _field_default(call.spec, field)) or same(value, defaults.get(argument.name)) \
                or ("." not in field and derived(item, field)):
            continue
        out[argument.name] = to_file(argument, value)
    return out


@attrs.frozen
class Extractor:
    """The data source of a series or segmentation: ``extractor: {ClassName: {arguments}}``."""

    kind: str  # "imaging" or "segmentation"

    def keys(self, call: Call) -> tuple[str, ...]:
        return ("extractor",)

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        return {"extractor": schema.extractor}

    def export(self, call: Call, builder: Any) -> dict[str, Any]:
        source = builder.draft.get("source")
        if source is None:
            return {}
        return {"extractor": extractor_to_dict(source, builder.described_source, f"{builder.section}.{builder.name}")}

    def load(self, call: Call, builder: Any, data: Mapping[str, Any], where: str, context: Context) -> Any:
        if "extractor" not in data:
            return builder
        source = extractor_from_dict(data["extractor"], f"{where}.extractor", context.base_folder, self.kind)
        return attrs.evolve(getattr(builder, call.name)(source), described_source=dict(data["extractor"]))


@attrs.frozen
class Flat:
    """Each parameter under its own key (``file_key``, default its name): ``control: [...]``,
    ``control_description: [...]``; the call is made when any of them is given."""

    def keys(self, call: Call) -> tuple[str, ...]:
        return tuple(p.file_key or p.name for p in call.params())

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        return {a.param.file_key or a.name: check_of(a) for a in _arguments(call, builder_class)}

    def export(self, call: Call, builder: Any) -> dict[str, Any]:
        return {a.param.file_key or a.name: to_file(a, v) for a in _arguments(call, type(builder))
                if (v := _given(builder, a)) is not None}

    def load(self, call: Call, builder: Any, data: Mapping[str, Any], where: str, context: Context) -> Any:
        arguments = _arguments(call, type(builder))
        given = {a.name: data[a.param.file_key or a.name] for a in arguments if (a.param.file_key or a.name) in data}
        if not given:
            return builder
        missing = [a.param.file_key or a.name for a in arguments
                   if a.default is schema.REQUIRED and a.kind != "varargs" and a.name not in given]
        if missing:
            with_ = ", ".join(key for key in self.keys(call) if key in data)
            raise ValidationError([f"{where}.{missing[0]}: required when {with_} is given"])
        return _call(builder, call, arguments, given, where, context, keys=self.keys(call))


@attrs.frozen
class ListOf:
    """One mapping of parameters a call, in a list under ``key``: ``channels: [{name: Green, ...}, ...]``."""

    key: str

    def keys(self, call: Call) -> tuple[str, ...]:
        return (self.key,)

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        return {self.key: schema.list_of(mapping_check(_arguments(call, builder_class)))}

    def items(self, call: Item, builder: Any) -> list[Any]:
        return list(builder.draft.get(call.into) or ())

    def exported(self, call: Item, values: list[dict[str, Any]], first: str) -> Any:
        return values

    def entries(self, value: Any, first: str) -> list[tuple[str, Any]]:
        return [(f"[{index}]", entry) for index, entry in enumerate(value)]

    def export(self, call: Item, builder: Any) -> dict[str, Any]:
        found = [_item_values(call, builder, item) for item in self.items(call, builder)]
        first = _arguments(call, type(builder))[0].name
        return {self.keys(call)[0]: self.exported(call, found, first)} if found else {}

    def load(self, call: Call, builder: Any, data: Mapping[str, Any], where: str, context: Context) -> Any:
        key = self.keys(call)[0]
        if key not in data:
            return builder
        arguments = _arguments(call, type(builder))
        for place, entry in self.entries(data[key], arguments[0].name):
            builder = _call(builder, call, arguments, entry, f"{where}.{key}{place}", context)
        return builder


@attrs.frozen
class OneOrList(ListOf):
    """Devices of one kind: one mapping under the call's name, or a list of them."""

    key: str = ""

    def keys(self, call: Call) -> tuple[str, ...]:
        return (call.name,)

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        one = mapping_check(_arguments(call, builder_class))
        return {call.name: schema.either(schema.list_of(one), one)}

    def items(self, call: Item, builder: Any) -> list[Any]:
        return [item for slot, item in builder.draft.get(call.into) or () if slot == call.name]

    def exported(self, call: Item, values: list[dict[str, Any]], first: str) -> Any:
        return values if len(values) > 1 else values[0]

    def entries(self, value: Any, first: str) -> list[tuple[str, Any]]:
        return super().entries(value, first) if isinstance(value, list) else [("", value)]


@attrs.frozen
class ByKey(ListOf):
    """One mapping a call under ``key``, by the value of the call's first parameter: ``trace: {raw: {unit: ...}}``."""

    def checks(self, call: Call, builder_class: type) -> dict[str, schema.Check]:
        rest = _arguments(call, builder_class)[1:]
        return {self.key: schema.optional(schema.names_to(mapping_check(rest)))}

    def exported(self, call: Item, values: list[dict[str, Any]], first: str) -> Any:
        return {entry[first]: {k: v for k, v in entry.items() if k != first} for entry in values}

    def entries(self, value: Any, first: str) -> list[tuple[str, Any]]:
        return [(f".{name}", {first: name, **dict(fields or {})}) for name, fields in dict(value or {}).items()]


def form_of(call: Call) -> Any:
    return call.form if call.form is not None else Auto()


@functools.cache
def builder_schema(builder_class: type) -> schema.Check:
    """The check of a builder's mapping: its key and the keys of its calls (the first call of a key checks it)."""
    checks: dict[str, schema.Check] = {"key": schema.optional(schema.text)}
    for call in builder_class.calls:
        for key, check in form_of(call).checks(call, builder_class).items():
            checks.setdefault(key, check)
    return schema.fields(checks)


def to_dict(builder: Any) -> dict[str, Any]:
    """A builder as the mapping of its calls (a form leaves a key out by giving it ``None``)."""
    out: dict[str, Any] = {"key": builder.key}
    for call in type(builder).calls:
        out.update(form_of(call).export(call, builder))
    return {key: value for key, value in out.items() if value is not None}


def from_dict(cls: type, name: str, data: Mapping[str, Any], where: str, tables: Mapping[str, Any], base_folder: Any) -> Any:
    """The builder of class ``cls`` a mapping describes; every problem names its place under ``where``."""
    schema.validate(builder_schema(cls), data, where)
    context = Context(tables, base_folder)
    builder = cls(name, key=data.get("key"))
    for call in cls.calls:
        builder = form_of(call).load(call, builder, data, where, context)
    return builder
