"""What the builders' declarations generate for readers: ``docs/fields.md`` and ``methods.pyi``.

Both come from the builders' calls and the spec fields' declarations, the same ones the methods
are made from; ``python -m microscopy_builder.builders.reference`` writes them again, and a test
checks that the files in the repository are what it writes.
"""

from __future__ import annotations

import inspect
import sys
import typing
from pathlib import Path
from typing import Any

import attrs

from ..specs import IndicatorSpec, InjectionSpec, PositionSpec
from ..unknown import Unknown
from .calls import REQUIRED, Argument, Param, arguments_of, resolve_param
from .rig import RigBuilder
from .segmentation import SegmentationBuilder
from .series import SeriesBuilder
from .space import ImagingSpaceBuilder
from .static_image import StaticImageBuilder
from .values import members, type_text

BUILDERS = (RigBuilder, ImagingSpaceBuilder, SeriesBuilder, SegmentationBuilder, StaticImageBuilder)
#: the value types users make themselves, by their public names
VALUES = {"Indicator": IndicatorSpec, "Injection": InjectionSpec, "Position": PositionSpec}
ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "fields.md"
STUB = Path(__file__).with_name("methods.pyi")

HEADER = """# Field reference

Every builder method and every parameter it takes: its type, unit, default, whether it takes
`mb.UNKNOWN` (an explicit unknown, written as NWB's visible placeholder and reported) and what it
means. Device fields say whether they describe the device's *model* (shared by every unit of a
product, written once per model) or the *instance* used. This page is generated from the spec
fields' declarations (`python -m microscopy_builder.builders.reference`); a test checks that it is
up to date.
"""


def _doc_type(annotation: Any) -> str:
    kept = [m for m in members(annotation) if m not in (type(None), Unknown)]
    return " \\| ".join(type_text(m).replace("Literal[", "one of [") for m in kept) or "any"


def _default(argument: Argument) -> str:
    if argument.kind == "varargs":
        return "none"
    return "required" if argument.default is REQUIRED else f"`{argument.default!r}`"


def _row(argument: Argument) -> str:
    name = f"*{argument.name}" if argument.kind == "varargs" else argument.name
    meaning = argument.doc + (f" ({argument.about.role})" if argument.about.role else "")
    unknown = "yes" if Unknown in members(argument.annotation) else "no"
    return (f"| `{name}` | {_doc_type(argument.annotation)} | {argument.about.unit or ''} | {_default(argument)} | "
            f"{unknown} | {meaning} |")


TABLE = "| parameter | type | unit | default | `mb.UNKNOWN` | meaning |\n|---|---|---|---|---|---|"


def _value_arguments(spec_class: type) -> list[Argument]:
    fields = [f for f in attrs.fields(spec_class) if f.init]
    return [resolve_param(Param(f.name, f.name, REQUIRED if f.default is attrs.NOTHING else None, "keyword"), spec_class)
            for f in fields]


def _heading(arguments: tuple[Argument, ...]) -> str:
    """``name, ...``: the positional parameters, and ``...`` for the keyword ones."""
    shown = [("*" if a.kind == "varargs" else "") + a.name for a in arguments if a.kind != "keyword"]
    return ", ".join(shown + (["..."] if any(a.kind == "keyword" for a in arguments) else []))


def field_reference() -> str:
    """``docs/fields.md``: a section per builder, a table per method, a row per parameter."""
    parts = [HEADER]
    for builder in BUILDERS:
        parts.append(f"## {builder.__name__}\n")
        for call in builder.calls:
            parts.append(f"### `.{call.name}({_heading(arguments_of(call, builder.spec_class))})`\n\n"
                         f"{inspect.getdoc(getattr(builder, call.name)).splitlines()[0]}\n")
            rows = [_row(a) for a in arguments_of(call, builder.spec_class)]
            parts.append(f"{TABLE}\n" + "\n".join(rows) + "\n" if rows else "No parameters.\n")
    parts.append("## Values passed to builders\n")
    for name, spec_class in VALUES.items():
        parts.append(f"### `mb.{name}(...)`\n\n{inspect.getdoc(spec_class).splitlines()[0]}\n")
        parts.append(f"{TABLE}\n" + "\n".join(_row(a) for a in _value_arguments(spec_class)) + "\n")
    return "\n".join(parts)


def _spelled(cls: type) -> str:
    return "np.ndarray" if cls.__name__ == "ndarray" else cls.__name__


def _stub_parameter(parameter: inspect.Parameter) -> str:
    text = parameter.name if parameter.annotation is inspect.Parameter.empty else \
        f"{parameter.name}: {type_text(parameter.annotation, _spelled)}"
    return text if parameter.default is inspect.Parameter.empty else f"{text} = ..."


def _stub_method(builder: type, name: str) -> str:
    signature = inspect.signature(getattr(builder, name))
    parameters, seen_keyword = [], False
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and not seen_keyword:
            parameters.append("*")
            seen_keyword = True
        prefix = "*" if parameter.kind is inspect.Parameter.VAR_POSITIONAL else ""
        seen_keyword = seen_keyword or bool(prefix)
        parameters.append(prefix + _stub_parameter(parameter))
    return f"    def {name}({', '.join(parameters)}) -> Self: ..."


STUB_DOC = '''"""The builders' methods, for type checkers and editors: generated by
``python -m microscopy_builder.builders.reference`` from the builders' declarations; do not edit."""

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import numpy as np
'''


def _classes(annotation: Any) -> set[type]:
    """The classes a stub must import to spell ``annotation``."""
    found = set()
    for member in members(annotation):
        arguments = typing.get_args(member)
        if arguments and typing.get_origin(member) is not typing.Literal:
            found |= {c for a in arguments for c in _classes(a)}
        elif isinstance(member, type) and member.__module__.startswith("microscopy_builder"):
            found.add(member)
    return found


def _imports(builders: tuple[type, ...]) -> str:
    """``from ..specs import RigSpec, ...`` lines for every class the stub's annotations name."""
    needed = {cls for builder in builders for call in builder.calls
              for argument in arguments_of(call, builder.spec_class) for cls in _classes(argument.annotation)}
    by_module: dict[str, list[str]] = {}
    for cls in needed:
        module = cls.__module__
        if module.startswith("microscopy_builder.builders."):
            where = "." + module.rsplit(".", 1)[1]
        elif module.startswith("microscopy_builder.specs"):
            where = "..specs"
        else:
            where = ".." + module.removeprefix("microscopy_builder.")
        by_module.setdefault(where, []).append(cls.__name__)
    return "\n".join(f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(by_module.items()))


def stub_text() -> str:
    """``methods.pyi``: one class of methods per builder, one line a method."""
    parts = [STUB_DOC + "\n" + _imports(BUILDERS) + "\n"]
    for builder in BUILDERS:
        mixin = next(base for base in builder.__mro__ if base.__name__.endswith("Methods"))
        methods = "\n".join(_stub_method(builder, call.name) for call in builder.calls)
        parts.append(f"\nclass {mixin.__name__}:\n{methods}\n")
    return "\n".join(parts)


def main() -> None:
    """Write ``docs/fields.md`` and ``methods.pyi`` again."""
    DOCS.write_text(field_reference())
    STUB.write_text(stub_text())
    print(f"wrote {DOCS} and {STUB}", file=sys.stderr)


if __name__ == "__main__":
    main()
