"""What a session describes: every spec by key, checked as it is added, and emitted in one format."""

from __future__ import annotations

import warnings
from typing import Any

from pynwb import NWBFile

from .builders import Builder
from .emit import OPHYS_MODULE, Format
from .emit.placeholders import PlaceholderReport
from .errors import BuilderError, CompatibilityWarning, ValidationError
from .io.streams import Stream
from .naming import clash_problems
from .registry import Registry, registrations
from .rules import raise_problems
from .rules.grids import grid_problems
from .rules.names import name_problems
from .rules.planes import plane_problems
from .rules.report import validation_report
from .specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec
from .specs.fields import nul_problems
from .specs.facts import probing
from .specs.sources import imaging_shape, segmentation_shape
from .specs.walk import plain_values
from .validation import ValidationReport

#: what ``Session.add`` takes (besides builders of them)
ADDABLE = (SeriesSpec, SegmentationSpec, StaticImageSpec, RigSpec, ImagingSpaceSpec)


class Description:
    """The specs of one session, the rules they keep, and the emitter writing them into ``nwbfile``."""

    def __init__(self, nwbfile: NWBFile, format: Format):
        self.nwbfile = nwbfile
        self.format = format
        self.registry = Registry()
        self.report = PlaceholderReport()
        self.emitter = format.emitter_class()(nwbfile, self.report)

    def specs(self, kind: str) -> list[Any]:
        """The registered specs of a kind (``"series"``, ``"rig"``, ...), in the order added."""
        return self.registry.of_kind(kind)

    def series_names(self) -> set[str]:
        return {series.name for series in self.specs("series")}

    def identities(self) -> set[tuple[str, str]]:
        return self.registry.identities()

    def add(self, item: Any) -> None:
        """Register a builder's spec (or a spec) and every spec it reaches, or raise and register nothing."""
        with probing():  # every source is asked once, whatever the checks that need it
            self._add(item)

    def _add(self, item: Any) -> None:
        spec = item.build() if isinstance(item, Builder) else item
        if not isinstance(spec, ADDABLE):
            raise BuilderError(
                f"Session.add takes a builder or a series, segmentation, rig or space spec, got {type(item).__name__}")
        problems = [] if isinstance(item, Builder) else spec.problems()
        problems += [p for spec_in in (spec, *_nested(spec)) for where, name, value in plain_values(spec_in)
                     for p in nul_problems(value, f"{where}.{name}")]
        problems += self.format.description_problems(spec)
        if problems:
            raise ValidationError(problems)
        for message in self.format.add_warnings(spec):
            warnings.warn(message, CompatibilityWarning, stacklevel=3)
        entries = registrations(spec)
        raise_problems(name_problems(self.registry, entries, self._held_series_names(), self._is_new))
        raise_problems(plane_problems(self.registry, entries))
        if isinstance(spec, (SeriesSpec, SegmentationSpec)):
            raise_problems(grid_problems(self.registry, spec, data_shape))
        self.registry.check(entries)
        if isinstance(spec, SeriesSpec):  # grouping conflicts surface here, before anything is registered
            known = [s for s in self.specs("series") if s.key != spec.key]
            self.emitter.check_layout([*known, spec])
        clashes = clash_problems(self._claims(entries))
        if clashes:
            raise ValidationError(clashes)
        self.registry.register(entries)

    def _claims(self, entries: list[tuple[str, str, Any]]) -> list:
        """Where every named object goes, with ``entries`` added (see :mod:`microscopy_builder.naming`)."""
        found = []
        for kind in ("rig", "series", "segmentation", "static image"):
            specs = {spec.key: spec for spec in self.specs(kind)}
            specs.update({key: spec for k, key, spec in entries if k == kind and key not in specs})
            found.append(list(specs.values()))
        rigs, series, segmentations, images = found
        claims = self.emitter.claims(rigs, series, segmentations)
        return claims + [claim for image in images for claim in self.emitter.static_image_claims(image)]

    def _held_series_names(self) -> set[str]:
        """Names in the file's acquisition and ``processing/ophys``, where series go."""
        held = set(self.nwbfile.acquisition)
        if OPHYS_MODULE in self.nwbfile.processing:
            held |= set(self.nwbfile.processing[OPHYS_MODULE].data_interfaces)
        return held

    def _is_new(self, kind: str, key: str) -> bool:
        return self.emitter.made(kind, key) is None and self.registry.get(kind, key) is None

    def emit(self) -> list[Stream]:
        """Emit everything not emitted yet; return every dataset the writer streams."""
        with probing():
            streams = self.emitter.emit(self.specs("rig"), self.specs("series"), self.specs("segmentation"))
            self.emitter.emit_static_images(self.specs("static image"))
        return streams

    def validate(self, *, dandi: bool = False, warnings: bool = True) -> ValidationReport:
        """Every problem of the description (see ``Session.validate``); ``warnings=False`` finds the errors alone,
        without the dry run that finds placeholders."""
        with probing():
            return validation_report(self, dandi=dandi, warnings=warnings)


def data_shape(spec: SeriesSpec | SegmentationSpec) -> tuple[int, ...]:
    """(rows, columns[, planes]) of a series' frames or a segmentation's masks."""
    return imaging_shape(spec.source) if isinstance(spec, SeriesSpec) else segmentation_shape(spec.source)


def _nested(spec: Any) -> list[Any]:
    """The rig, space and series a series or segmentation holds (each is walked on its own)."""
    return [getattr(spec, name) for name in ("rig", "space", "series") if getattr(spec, name, None) is not None]
