"""The fluent machinery every builder shares: immutable state, ``_with`` and ``build``."""

from __future__ import annotations

from typing import Any, Self

import attrs

from ..errors import ValidationError
from ..specs._fields import check_name
from ..specs.facts import probing


@attrs.frozen
class Builder:
    """Base of the fluent builders.

    Builders are frozen attrs classes: every fluent call returns a new builder made with
    ``attrs.evolve``, so one base builder can be shared, extended and subclassed without one use
    leaking into another. Subclasses keep their type through every call.
    """

    name: str
    key: str | None = attrs.field(default=None, kw_only=True)

    def _with(self, **changes: Any) -> Self:
        return attrs.evolve(self, **changes)

    def build(self) -> Any:
        """Return the frozen spec; raise ``ValidationError`` listing every problem found."""
        problems: list[str] = []
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError([f"{type(self).__name__}.name: must be a non-empty string, got {self.name!r}"])
        check_name(problems, f"{type(self).__name__}({self.name!r})", self.name)
        with probing():  # each source is asked once by the checks
            spec = self._assemble(problems)
            problems += spec.problems()
        if problems:
            raise ValidationError(problems)
        return spec

    def _assemble(self, problems: list[str]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _spec_kwargs(self) -> dict[str, Any]:
        return {"name": self.name} if self.key is None else {"name": self.name, "key": self.key}


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
                problems.append(f"{where}.{name}: cannot use {value!r} here; give a number (or numbers) in the unit the name says")
    if problems:
        raise ValidationError(problems)
    try:
        return spec_class(**kwargs)
    except (TypeError, ValueError) as error:
        raise ValidationError([f"{where}: {error}"]) from None


def resolve(value: Any, where: str, problems: list[str]) -> Any:
    """Build ``value`` when it is a builder; collect its problems instead of raising."""
    if isinstance(value, Builder):
        try:
            return value.build()
        except ValidationError as error:
            problems.extend(f"{where} -> {p}" for p in error.problems)
            return None
    return value
