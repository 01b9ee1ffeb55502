"""The two output formats, each one registered object: its emitter, how a file is recognised as
holding it, its own description rules, and the last touches to a file written in it."""

from __future__ import annotations

import importlib
from typing import Any

import attrs

from ..errors import ValidationError
from ..io.namespaces import drop_extension_namespaces, namespaces_in_use

#: the lab_meta_data group every ndx-microscopy file holds
MICROSCOPY_METADATA = "microscopy_experiment_metadata"
#: core types that make a file a legacy (pynwb.ophys) optical-physiology file
LEGACY_TYPES = frozenset({"ImagingPlane", "TwoPhotonSeries", "OnePhotonSeries", "PlaneSegmentation", "RoiResponseSeries"})


@attrs.frozen
class Format:
    """One layout of optical physiology in NWB.

    Attributes
    ----------
    name
        What users pass (``format="legacy"``).
    label
        How messages name it.
    emitter_path
        ``module:Class`` of its emitter, imported when first needed (only that format's NWB modules load).
    core_only
        Its files cache no extension namespace (readers need no extension to open them).
    """

    name: str
    label: str
    emitter_path: str
    core_only: bool = False

    def emitter_class(self) -> type:
        module, _, name = self.emitter_path.partition(":")
        return getattr(importlib.import_module(module, __package__), name)

    def description_problems(self, spec: Any) -> list[str]:
        """What this format needs of a spec beyond the spec's own checks."""
        return self.emitter_class().description_problems(spec)

    def add_warnings(self, spec: Any) -> list[str]:
        """``CompatibilityWarning`` texts for a spec the format can write but its readers may not read."""
        return self.emitter_class().add_warnings(spec)

    def holds(self, nwbfile: Any) -> bool:
        """Whether the file's objects include this format's optical physiology."""
        if self.core_only:
            return bool({type(o).__name__ for o in nwbfile.objects.values()} & LEGACY_TYPES)
        return MICROSCOPY_METADATA in nwbfile.lab_meta_data or any(
            getattr(o, "namespace", None) == "ndx-microscopy" for o in nwbfile.objects.values())

    def finish(self, root: Any, nwbfile: Any) -> None:
        """Last touches to a file just written (open at ``root``): a core-only format drops the cached extension
        namespaces no object in the file uses."""
        if self.core_only:
            drop_extension_namespaces(root, keep=namespaces_in_use(nwbfile))


MICROSCOPY = Format("ndx-microscopy", "ndx-microscopy", ".microscopy:MicroscopyEmitter")
LEGACY = Format("legacy", "legacy (core pynwb.ophys)", ".legacy:LegacyEmitter", core_only=True)
FORMATS: dict[str, Format] = {f.name: f for f in (MICROSCOPY, LEGACY)}


def format_problems(name: Any) -> list[str]:
    return [] if isinstance(name, str) and name in FORMATS else [f"format: must be one of {tuple(FORMATS)}, got {name!r}"]


def format_of(nwbfile: Any) -> str | None:
    """The layout a file's optical physiology uses: a format's name, ``"mixed"``, or ``None`` (none yet)."""
    held = [f.name for f in FORMATS.values() if f.holds(nwbfile)]
    return "mixed" if len(held) > 1 else held[0] if held else None


def opened_format(path: Any, held: str | None, asked: str | None, *, mix_formats: bool) -> str:
    """The format to append to a file holding ``held`` in: ``asked``, else the file's own (ndx-microscopy for a
    file holding none); ``ValidationError`` when that would mix two layouts unasked."""
    if held == "mixed" and asked is None:
        raise ValidationError([f"format: {str(path)!r} holds both legacy and ndx-microscopy objects; say which layout "
                               f"to append in (format='legacy' or 'ndx-microscopy') and pass mix_formats=True"])
    chosen = asked or held or MICROSCOPY.name
    if held not in (None, chosen) and not mix_formats:
        described = FORMATS[held].label if held in FORMATS else "both legacy and ndx-microscopy"
        raise ValidationError([
            f"format: {str(path)!r} holds {described} objects; appending {chosen} objects would mix two layouts that "
            f"readers treat apart. Append in the file's own layout (leave format= out), or translate the file first "
            f"(mb.translate({str(path)!r}, 'translated.nwb', format={chosen!r}), or the command microscopy-builder "
            f"translate), or pass mix_formats=True to mix them on purpose"])
    return chosen
