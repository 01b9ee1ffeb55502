"""Builder methods, declared once: each call names the spec fields it fills.

A builder class lists its calls; :func:`method` turns each into the builder's method, whose
signature (``help()``, ``inspect.signature``), docstring and argument checks follow from the spec
fields' declarations (:mod:`microscopy_builder.specs.fields`): types with ``mb.UNKNOWN`` where the
field takes it, defaults, units, one-line meanings. The session-file form of each call follows from
the same declarations (:mod:`.mapping`), and so does ``docs/fields.md`` (:mod:`.reference`).

Three kinds of call: :class:`Set` sets fields of the builder's spec; :class:`Item` makes a spec of
its own from its arguments (a device, a channel, a position) and puts it in a field, once or one
per name; :class:`Custom` runs a function (a few calls do more than set fields).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, Literal, Self

import attrs

from ..errors import ValidationError
from ..specs.fields import FieldInfo, hints, info
from ..unknown import Unknown
from .values import expectation, fits, item_type, items_expectation, members

REQUIRED = inspect.Parameter.empty
Kind = Literal["positional", "keyword", "varargs"]
_KINDS = {"positional": inspect.Parameter.POSITIONAL_OR_KEYWORD, "keyword": inspect.Parameter.KEYWORD_ONLY,
          "varargs": inspect.Parameter.VAR_POSITIONAL}


@attrs.frozen
class Param:
    """One parameter of a call, and the spec field it fills (``"options.resolution"``: a field of a field).

    ``annotation``, ``doc``, ``items`` default to the field's; ``label`` names the parameter in messages
    (the field's name unless given); ``file_key`` is its own key in a session file (calls whose
    parameters stand alone there); ``refers_to`` says a file names the value (``"rigs"``).
    """

    name: str
    field: str | None = None
    default: Any = REQUIRED
    kind: Kind = "positional"
    annotation: Any = None
    doc: str | None = None
    label: str | None = None
    file_key: str | None = None
    refers_to: str | None = None
    items: tuple[str, ...] | None = None


def arg(name: str, field: str | None = None, **options: Any) -> Param:
    """A required parameter, passed by position or by name, filling ``field`` (default: ``name``)."""
    return Param(name, field or name, **options)


def option(name: str, field: str | None = None, default: Any = None, **options: Any) -> Param:
    """A keyword-only parameter with a default, filling ``field`` (default: ``name``)."""
    return Param(name, field or name, default, "keyword", **options)


@attrs.frozen
class Argument:
    """A parameter resolved against its spec: the type the call takes, and what the field declares."""

    param: Param
    annotation: Any
    about: FieldInfo

    name = property(lambda self: self.param.name)
    default = property(lambda self: self.param.default)
    kind = property(lambda self: self.param.kind)
    label = property(lambda self: self.param.label or (self.param.field or self.param.name).rsplit(".", 1)[-1])
    doc = property(lambda self: self.param.doc or self.about.doc)
    items = property(lambda self: self.param.items or self.about.items)

    def expect(self) -> str:
        """What to give, in words, for messages."""
        return self.about.expect or expectation(self.annotation, unit=self.about.unit, items=self.items)

    def problem(self, value: Any, where: str) -> str | None:
        """Why ``value`` cannot be given here, or ``None``."""
        values = value if self.kind == "varargs" else (value,)
        reasons = [fits(self.annotation, v) for v in values]
        if all(reason is None for reason in reasons):
            return None
        shown = repr(value)[:80]
        if "items" in reasons:
            return f"{where}.{self.label}: must be {items_expectation(self.annotation, self.about.unit)}, got {shown}"
        return f"{where}.{self.label}: cannot use {shown} here; give {self.expect()}"


def nested_class(spec_class: type, name: str) -> type:
    """The spec class a field of ``spec_class`` holds (``SeriesSpec.options``: ``TimeSeriesOptions``)."""
    return next(m for m in members(hints(spec_class)[name]) if attrs.has(m))


def _field(spec_class: type, path: str) -> tuple[type, attrs.Attribute]:
    """The class holding a dotted field path's last field, and that field."""
    *outer, last = path.split(".")
    for name in outer:
        spec_class = nested_class(spec_class, name)
    return spec_class, attrs.fields_dict(spec_class)[last]


def _accepted(owner: type, attribute: attrs.Attribute) -> Any:
    """What a field takes: its converter's declared input when it declares one, else the field's type."""
    converter = attribute.converter
    if inspect.isfunction(converter):
        declared = typing.get_type_hints(converter)
        first = next(iter(inspect.signature(converter).parameters), None)
        if first in declared and declared[first] is not Any:
            return declared[first]
    return hints(owner)[attribute.name]


def resolve_param(param: Param, spec_class: type) -> Argument:
    """``param`` with the type the call takes: the field's (``| Unknown`` where it takes ``mb.UNKNOWN``,
    ``| None`` where ``None`` means "not given"), unless the parameter declares its own."""
    about = FieldInfo()
    annotation = param.annotation
    if param.field is not None:
        owner, attribute = _field(spec_class, param.field)
        about = info(attribute)
        if annotation is None:
            annotation = _accepted(owner, attribute)
            if param.kind == "varargs":  # the type of one of them
                annotation = item_type(next(m for m in members(annotation) if typing.get_args(m)))[0]
    annotation = Any if annotation is None else annotation
    kept = [m for m in members(annotation) if m is not type(None)]
    if about.unknown and Unknown not in kept:
        kept.append(Unknown)
    if param.default is None or (type(None) in members(annotation) and param.kind == "varargs"):
        kept.append(type(None))
    return Argument(param, functools.reduce(lambda a, b: a | b, kept) if kept else Any, about)


@attrs.frozen
class Call:
    """A builder method: its name, its one-line doc and how a session file holds it (``form``)."""

    name: str
    doc: str = ""
    form: Any = attrs.field(default=None, kw_only=True)

    def params(self) -> tuple[Param, ...]:  # pragma: no cover - every kind of call says
        raise NotImplementedError

    def place(self, values: dict[str, Any]) -> str | None:
        """Where the call's arguments sit below the builder, in messages (``None``: on the builder itself)."""
        return None

    def apply(self, builder: Any, values: dict[str, Any]) -> Any:  # pragma: no cover - every kind of call says
        raise NotImplementedError


@attrs.frozen
class Set(Call):
    """Set fields of the builder's spec: one per parameter, plus ``constants``; ``clears`` are set to ``None``."""

    arguments: tuple[Param, ...] = ()
    constants: tuple[tuple[str, Any], ...] = ()
    clears: tuple[str, ...] = ()

    def params(self) -> tuple[Param, ...]:
        return self.arguments

    def apply(self, builder: Any, values: dict[str, Any]) -> Any:
        changes = {p.field: converted(builder.spec_class, p.field, tuple(values[p.name]) if p.kind == "varargs"
                                      else values[p.name]) for p in self.arguments}
        return builder.with_fields({**changes, **dict(self.constants), **dict.fromkeys(self.clears)})


def converted(spec_class: type, path: str, value: Any) -> Any:
    """``value`` as the spec field stores it (a copy of an array, a tuple of numbers), so that a builder holds
    nothing its caller can still change; fields of fields are converted when their spec is made."""
    if value is None or "." in path:
        return value
    converter = attrs.fields_dict(spec_class)[path].converter
    return value if converter is None else converter(value)


@attrs.frozen
class Custom(Call):
    """A call that runs ``function(builder, *arguments)``, the arguments in the order of the parameters."""

    arguments: tuple[Param, ...] = ()
    function: Callable[..., Any] = attrs.field(default=None, kw_only=True)

    def params(self) -> tuple[Param, ...]:
        return self.arguments

    def apply(self, builder: Any, values: dict[str, Any]) -> Any:
        return self.function(builder, *values.values())


def _no_defaults() -> tuple:
    return ()


@attrs.frozen
class Item(Call):
    """Make a ``spec`` of the call's arguments (one per field of ``spec``) and put it in the field ``into``.

    ``key``: the field that tells items apart (an item of the same key is replaced); ``None`` keeps
    one. ``slot``: ``into`` holds (slot, item) pairs, the slot being the call's name (a rig's optics).
    ``positional`` fields are passed by position; ``required`` fields have no default even when the
    spec gives one; ``expand`` fields hold specs whose own fields become parameters; ``place`` says
    where the item sits, in messages (``"channels[{key!r}]"``; default: the call's name); ``defaults``
    give a parameter left as ``None`` a value made from the builder.
    """

    spec: type = attrs.field(default=None, kw_only=True)
    into: str = attrs.field(default="", kw_only=True)
    key: str | None = attrs.field(default=None, kw_only=True)
    slot: bool = attrs.field(default=False, kw_only=True)
    positional: tuple[str, ...] = attrs.field(default=("name",), kw_only=True)
    required: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    expand: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    at: str | None = attrs.field(default=None, kw_only=True)
    defaults: tuple[tuple[str, Callable[[Any], Any]], ...] = attrs.field(factory=_no_defaults, kw_only=True)

    @property
    def item_doc(self) -> str:
        return self.doc or (inspect.getdoc(self.spec) or "").split("\n")[0]

    def params(self) -> tuple[Param, ...]:
        found = []
        for field in attrs.fields(self.spec):
            if field.name in self.expand:
                inner = nested_class(self.spec, field.name)
                found += [option(f.name, f"{field.name}.{f.name}", _default(f)) for f in attrs.fields(inner) if f.init]
            elif field.init:
                made = field.name in dict(self.defaults)
                required = field.name in self.required or (field.default is attrs.NOTHING and not made)
                kind = "positional" if field.name in self.positional else "keyword"
                found.append(Param(field.name, field.name, REQUIRED if required else _default(field), kind))
        return tuple(sorted(found, key=lambda p: p.kind != "positional"))

    def place(self, values: dict[str, Any]) -> str:
        return (self.at or self.name).format(key=values.get(self.key))

    def apply(self, builder: Any, values: dict[str, Any]) -> Any:
        from .base import make_spec

        for name, make in self.defaults:
            values[name] = make(builder) if values.get(name) is None else values[name]
        where = f"{builder.where}.{self.place(values)}"
        given = {name: value for name, value in values.items() if value is not None or _default_of(self, name) is not None}
        for outer in self.expand:
            inner = {p.field.split(".", 1)[1]: given.pop(p.name) for p in self.params()
                     if p.field.startswith(f"{outer}.") and p.name in given}
            given[outer] = make_spec(nested_class(self.spec, outer), where, **inner)
        return builder.with_fields({self.into: self.placed(builder.draft.get(self.into), make_spec(self.spec, where, **given))})

    def placed(self, current: Any, item: Any) -> Any:
        """The field's new value: ``item`` alone, or ``item`` replacing the one of its key."""
        if self.key is None and not self.slot:
            return item
        kept = tuple(current or ())
        if self.slot:
            return (*(p for p in kept if p[0] != self.name or getattr(p[1], self.key) != getattr(item, self.key)),
                    (self.name, item))
        return (*(i for i in kept if getattr(i, self.key) != getattr(item, self.key)), item)


def _default(field: attrs.Attribute) -> Any:
    """A parameter's default: the field's, or ``None`` for one the spec derives."""
    return None if field.default is attrs.NOTHING or isinstance(field.default, attrs.Factory) else field.default


def _default_of(call: Item, name: str) -> Any:
    return next((p.default for p in call.params() if p.name == name), None)


# -- calls as methods -----------------------------------------------------------------------------------------
def arguments_of(call: Call, spec_class: type) -> tuple[Argument, ...]:
    """The call's parameters resolved against the spec the builder builds (or the call's own spec)."""
    return _resolved(call, getattr(call, "spec", None) or spec_class)


@functools.cache
def _resolved(call: Call, spec_class: type) -> tuple[Argument, ...]:
    return tuple(resolve_param(p, spec_class) for p in call.params())


def signature(call: Call, spec_class: type) -> inspect.Signature:
    """The method's signature: ``(self, name: str, *, manufacturer: str | Unknown | None = None, ...) -> Self``."""
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for argument in arguments_of(call, spec_class):
        default = inspect.Parameter.empty if argument.kind == "varargs" else argument.default
        parameters.append(inspect.Parameter(argument.name, _KINDS[argument.kind], default=default,
                                            annotation=argument.annotation))
    return inspect.Signature(parameters, return_annotation=Self)


def docstring(call: Call, spec_class: type) -> str:
    """The method's docstring: its line, then each parameter's meaning, unit and whether it takes mb.UNKNOWN."""
    lines = [getattr(call, "item_doc", call.doc), "", "Parameters", "----------"]
    for argument in arguments_of(call, spec_class):
        facts = [f"in {argument.about.unit}"] if argument.about.unit else []
        facts += ["or mb.UNKNOWN"] if Unknown in members(argument.annotation) else []
        lines += [f"{'*' if argument.kind == 'varargs' else ''}{argument.name}",
                  f"    {argument.doc or argument.name}{' (' + ', '.join(facts) + ')' if facts else ''}."]
    return "\n".join(lines)


def invoke(call: Call, builder: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Run ``call`` on ``builder``: unknown names, wrong numbers of arguments and values of the wrong type
    are a ``ValidationError`` at the call, naming the valid names or what to give."""
    arguments = arguments_of(call, builder.spec_class)
    known = [a.name for a in arguments if a.kind != "varargs"]
    where = builder.where
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        listed = ", ".join(sorted(n for n in known if n not in ("name", "key")))
        place = call.place(kwargs) or call.name
        raise ValidationError([f"{where}.{place}: unknown field(s) {', '.join(unknown)}; known fields are: {listed}"])
    try:
        bound = signature(call, builder.spec_class).bind(builder, *args, **kwargs)
    except TypeError as error:
        raise ValidationError([f"{where}.{call.name}: {error}; it takes ({', '.join(known)})"]) from None
    bound.apply_defaults()
    values = {name: value for name, value in bound.arguments.items() if name != "self"}
    place = call.place(values)
    at = where if place is None else f"{where}.{place}"
    problems = [p for a in arguments if (p := a.problem(values[a.name], at)) is not None]
    if problems:
        raise ValidationError(problems)
    try:
        return call.apply(builder, values)
    except (TypeError, ValueError) as error:  # a converter's refusal of a value of the right type
        raise ValidationError([f"{at}.{call.name}: {error}"]) from None


def method(call: Call, builder_class: type) -> Callable[..., Any]:
    """The builder method ``call`` stands for, with its signature and docstring."""

    def call_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return invoke(call, self, args, kwargs)

    call_method.__name__ = call.name
    call_method.__qualname__ = f"{builder_class.__name__}.{call.name}"
    call_method.__module__ = builder_class.__module__
    call_method.__signature__ = signature(call, builder_class.spec_class)
    call_method.__doc__ = docstring(call, builder_class.spec_class)
    call_method.call = call
    return call_method
