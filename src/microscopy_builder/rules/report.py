"""Everything ``Session.validate()`` reports about a description, errors and warnings."""

from __future__ import annotations

import warnings as python_warnings
from typing import TYPE_CHECKING

from pynwb import NWBFile

from ..dandi import subject_report
from ..emit.placeholders import PlaceholderReport
from ..errors import SourceDataError, ValidationError
from ..plausibility import implausible_values, source_rate_problems
from ..specs.header_notes import header_disagreements
from ..validation import ValidationReport
from .rates import rate_warnings

if TYPE_CHECKING:
    from ..description import Description


def validation_report(description: Description, *, dandi: bool = False, warnings: bool = True) -> ValidationReport:
    """Every problem of ``description``; raises ``SourceDataError`` when a source's data cannot be written.

    ``warnings=False``: the errors alone (what a write needs), without the dry run that finds placeholders.
    """
    subject_errors, subject_warnings = subject_report(description.nwbfile, dandi=dandi)
    specs = description.specs
    series, segmentations = specs("series"), specs("segmentation")
    errors: list[str] = []
    for spec in (*specs("rig"), *specs("space"), *series, *segmentations, *specs("static image")):
        errors += spec.problems()
    for segmentation in segmentations:
        errors += description.format.description_problems(segmentation)
    try:
        description.emitter.check_layout(series)
    except ValidationError as error:
        errors += error.problems
    unusable = [p for spec in (*series, *segmentations) for p in spec.data_problems()]
    if unusable:
        raise SourceDataError([*dict.fromkeys(errors), *dict.fromkeys(unusable)])
    if errors or not warnings:  # placeholders are known only by emitting, which needs a sound description
        return ValidationReport.of([*errors, *subject_errors], subject_warnings)
    unlikely = implausible_values([*specs("rig"), *specs("space"), *series])
    unlikely += [p for s in series for p in source_rate_problems(s)]
    unlikely += [p for spec in (*specs("rig"), *specs("space"), *series) for p in header_disagreements(spec)]
    rates = [str(p) for p in rate_warnings(series, segmentations)]
    return ValidationReport.of(subject_errors, [*placeholder_warnings(description), *unlikely, *rates, *subject_warnings])


def placeholder_warnings(description: Description) -> list[str]:
    """Emit into a scratch file to learn which required fields would be placeholders."""
    scratch = NWBFile(session_description="dry run", identifier="dry run",
                      session_start_time=description.nwbfile.session_start_time)
    report = PlaceholderReport(quiet=True)
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore")
        emitter = description.format.emitter_class()(scratch, report)
        emitter.emit(description.specs("rig"), description.specs("series"), description.specs("segmentation"))
        emitter.emit_static_images(description.specs("static image"))
    return [f"{p.object_path}.{p.field}: {p.reason.removeprefix('was ')}, so written as a placeholder; {p.fix}"
            for p in report.items]
