"""The fluent machinery every builder shares: a draft of its spec, calls that change it, ``build``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import attrs

from ..errors import ValidationError
from ..specs.facts import probing
from ..specs.fields import check_name
from .calls import Call, method, nested_class
from .values import same


class Draft(Mapping[str, Any]):
    """The spec fields a builder was given so far: an immutable mapping of field name to value."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_fields", dict(fields or {}))

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Draft does not change; builders make a new one")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Draft):
            return NotImplemented
        return self.keys() == other.keys() and all(same(self[k], other[k]) for k in self)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Draft({self._fields!r})"

    def __reduce__(self) -> tuple:
        return (Draft, (self._fields,))


@attrs.frozen
class Builder:
    """Base of the fluent builders.

    Builders are frozen attrs classes holding a :class:`Draft` of the spec they build: every fluent
    call returns a new builder whose draft holds what the call gave, so one base builder can be shared,
    extended and subclassed without one use leaking into another. Subclasses keep their type through
    every call. A builder class names the spec it builds (``spec_class``), how messages name it
    (``label``), its section in session files (``section``) and its methods (``calls``: see
    :mod:`.calls`).
    """

    spec_class: ClassVar[type]
    label: ClassVar[str] = "builder"
    section: ClassVar[str] = ""
    calls: ClassVar[tuple[Call, ...]] = ()
    #: fields the builder derives from another when not given (a series' channel from its rig): when the
    #: other field's builder fails, their problems follow from that failure and are not reported again
    derived_from: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    name: str
    key: str | None = attrs.field(default=None, kw_only=True)
    draft: Draft = attrs.field(factory=Draft, kw_only=True, converter=Draft, hash=False)
    #: what the source's files record (an ``mb.SourceMetadata``, from ``from_source`` or ``from_extractor``):
    #: defaults applied when the builder builds, never over a value given
    recorded: Any = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    @property
    def where(self) -> str:
        """How messages name this builder's spec: ``rig 'Bergamo'``."""
        return f"{self.label} {self.name!r}"

    def with_fields(self, fields: Mapping[str, Any]) -> Self:
        """A builder whose draft also holds ``fields`` (spec field names; ``"options.resolution"`` sets a
        field of a field). Nothing is checked here: the builder's calls check what they are given, and
        ``build()`` checks the whole."""
        changed = dict(self.draft)
        for path, value in fields.items():
            outer, _, inner = path.partition(".")
            if inner:
                held = changed.get(outer) or nested_class(self.spec_class, outer)()
                value = attrs.evolve(held, **{inner: value})
            changed[outer] = value
        return attrs.evolve(self, draft=Draft(changed))

    def build(self) -> Any:
        """Return the frozen spec; raise ``ValidationError`` listing every problem found."""
        problems = Problems()
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError([f"{type(self).__name__}.name: must be a non-empty string, got {self.name!r}"])
        check_name(problems, f"{type(self).__name__}({self.name!r})", self.name)
        if self.key is not None and not isinstance(self.key, str):
            problems.append(f"{self.where}.key: must be text, got {self.key!r:.80}")
        with probing():  # each source is asked once by the checks
            spec = self._assemble(problems)
            problems += [p for p in spec.problems() if not self._follows_from(p, problems.failed)]
        if problems:
            raise ValidationError(problems)
        return spec

    def _follows_from(self, problem: str, failed: set[str]) -> bool:
        """Whether ``problem`` is about a field whose builder failed, or one derived from it: a false
        follow-on error (``series.rig: required`` after the rig's own problems)."""
        names = failed | {d for name in failed for d in self.derived_from.get(name, ())}
        return any(problem.startswith(f"{self.where}.{name}") and problem[len(self.where) + len(name) + 1:][:1] in ":.[ "
                   for name in names)

    def _assemble(self, problems: Problems) -> Any:
        """The spec of the draft, the builders it holds built (their problems collected)."""
        fields = {name: resolve(value, f"{self.where}.{name}", problems, name) for name, value in self.draft.items()}
        return make_spec(self.spec_class, self.where, **self._spec_kwargs(), **self._derived(fields))

    def _derived(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Fields the builder derives from others when they were not given (a rig's only channel, ...)."""
        return fields

    def _spec_kwargs(self) -> dict[str, Any]:
        return {"name": self.name} if self.key is None else {"name": self.name, "key": self.key}

    def to_dict(self) -> dict[str, Any]:
        """This builder as a plain mapping of its calls (the form session files take); the rigs, spaces and
        series it refers to are named."""
        from .mapping import to_dict

        return to_dict(self)

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], *, where: str | None = None,
                  base_folder: str | Path | None = None, rigs: Mapping[str, Any] | None = None,
                  spaces: Mapping[str, Any] | None = None, series: Mapping[str, Any] | None = None) -> Self:
        """The builder a mapping from :meth:`to_dict` (or a session file) describes.

        Names of rigs, spaces and series refer to the builders given; an extractor is created from
        ``{ClassName: {arguments}}`` with relative paths under ``base_folder``. ``where`` names the
        mapping in messages (default ``"<section>.<name>"``, e.g. ``"rigs.Bergamo"``).
        """
        from .mapping import from_dict

        tables = {"rigs": rigs or {}, "spaces": spaces or {}, "series": series or {}}
        return from_dict(cls, name, data, where or f"{cls.section}.{name}", tables, base_folder)


def declare(cls: type) -> type:
    """Give a builder class a method for each of its ``calls`` (a method written in the class wins)."""
    for call in cls.calls:
        if call.name not in cls.__dict__:
            setattr(cls, call.name, method(call, cls))
    return cls


def channel_of(rig: Any, channel: Any) -> Any:
    """The channel named, else the rig's only channel (``None`` when it has several or none)."""
    if channel is None and rig is not None and hasattr(rig, "channels") and len(rig.channels) == 1:
        return rig.channels[0].name
    return channel


def make_spec(spec_class: type, where: str, **kwargs: Any) -> Any:
    """Construct a spec; unknown fields and unconvertible values become a ``ValidationError`` naming them."""
    fields = {f.alias or f.name: f for f in attrs.fields(spec_class) if f.init}
    unknown = sorted(set(kwargs) - set(fields))
    if unknown:
        known = ", ".join(sorted(n for n in fields if n not in ("name", "key")))
        raise ValidationError([f"{where}: unknown field(s) {', '.join(unknown)}; known fields are: {known}"])
    problems = []
    for name, value in kwargs.items():
        converter = fields[name].converter
        if converter is not None and value is not None:
            try:
                converter(value)
            except (TypeError, ValueError):
                problems.append(f"{where}.{name}: cannot use {value!r:.80} here; give a number (or numbers) in the unit "
                                f"the name says")
    if problems:
        raise ValidationError(problems)
    try:
        return spec_class(**kwargs)
    except (TypeError, ValueError) as error:
        raise ValidationError([f"{where}: {error}"]) from None


class Problems(list):
    """The problems a build found, and the fields whose builders failed (``failed``)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[str] = set()


def resolve(value: Any, where: str, problems: list[str], field: str | None = None) -> Any:
    """Build ``value`` when it is a builder; collect its problems instead of raising (and, when
    ``problems`` is a :class:`Problems`, that ``field`` failed)."""
    if isinstance(value, Builder):
        try:
            return value.build()
        except ValidationError as error:
            problems.extend(f"{where} -> {p}" for p in error.problems)
            if isinstance(problems, Problems) and field is not None:
                problems.failed.add(field)
            return None
    return value
