"""``Session``: one NWBFile, the specs added to it, and writing it in the chosen format and backend."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from pynwb import NWBFile

from .builders import Builder
from .emit import FORMATS, emitter_class
from .emit.placeholders import Placeholder, PlaceholderReport
from .errors import BuilderError, CompatibilityWarning, ConflictError, ValidationError
from .io.backend import io_class
from .io.atomic import recover_leftovers, remove_path, replace_path, temporary_sibling, write_atomically
from .io.chunking import DEFAULT_BUFFER_BYTES, preflight
from .io.dataset_config import BACKENDS, DatasetConfiguration, configure_series_data, defer_series_data, is_wrapped
from .io.parallel import default_progress, default_workers, fill_dataset, find_dataset, progress_bar
from .io.repack import stream_large_datasets
from .io.namespaces import drop_extension_namespaces, namespaces_in_use
from .emit.timing import resolve_timing
from .registry import Registry, registrations
from .specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec
from .specs.sources import describe_shape, imaging_shape, segmentation_shape
from .validation import ValidationReport

ADDABLE = (SeriesSpec, SegmentationSpec, RigSpec, ImagingSpaceSpec)


class Session:
    """One recording session: builders and specs in, one NWB file out.

    Parameters
    ----------
    session_description, session_start_time
        As for ``pynwb.NWBFile``; the start time must be timezone-aware.
    format
        ``"ndx-microscopy"`` (default) or ``"legacy"`` (core pynwb.ophys only).
    **nwbfile_kwargs
        Any other ``NWBFile`` keyword (``subject``, ``experimenter``, ``lab``, ...); ``identifier``
        is a fresh UUID when omitted.
    """

    def __init__(
        self,
        *,
        session_description: str,
        session_start_time: dt.datetime,
        format: str = "ndx-microscopy",
        **nwbfile_kwargs: Any,
    ):
        problems = _format_problems(format)
        if not isinstance(session_start_time, dt.datetime):
            problems.append(f"session_start_time: must be a datetime, got {type(session_start_time).__name__}")
        elif session_start_time.tzinfo is None or session_start_time.utcoffset() is None:
            problems.append(
                "session_start_time: must be timezone-aware; pass e.g. "
                "datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo('America/New_York'))"
            )
        if not session_description:
            problems.append("session_description: required; say what the session recorded")
        if problems:
            raise ValidationError(problems)
        nwbfile_kwargs.setdefault("identifier", str(uuid.uuid4()))
        try:
            nwbfile = NWBFile(
                session_description=session_description, session_start_time=session_start_time, **nwbfile_kwargs
            )
        except (TypeError, ValueError) as error:
            raise ValidationError([f"NWBFile arguments: {error}"]) from None
        self._adopt(nwbfile, format)

    @classmethod
    def from_nwbfile(cls, nwbfile: NWBFile, *, format: str = "ndx-microscopy") -> Session:
        """Adopt an existing in-memory ``NWBFile``; added specs are emitted into it."""
        problems = _format_problems(format)
        if not isinstance(nwbfile, NWBFile):
            problems.append(f"nwbfile: must be a pynwb.NWBFile, got {type(nwbfile).__name__}")
        if problems:
            raise ValidationError(problems)
        session = cls.__new__(cls)
        session._adopt(nwbfile, format)
        return session

    @classmethod
    def open(
        cls, path: str | Path, *, format: str | None = None, backend: str | None = None, safe: bool = False
    ) -> Session:
        """Open an existing NWB file (HDF5 or Zarr) to append to it; ``write()`` with no path saves.

        ``format`` is read from the file (ndx-microscopy objects or not) unless given. What the file
        holds is reused when added again (a device, rig or imaging plane of the same name and
        content) and a same-named object with other content is a ``ConflictError``.

        Guarantees: in place (default), an exception while appending leaves the file readable with
        all its previous content intact, though objects of the failed append may be present and
        incomplete; a killed process can leave the file unreadable. With ``safe=True`` the file is
        copied, the copy appended to and moved into place when complete: all or nothing, even if
        the process is killed, at the cost of copying the file.
        """
        path = Path(path)
        backend = backend or ("zarr" if path.is_dir() or path.suffix == ".zarr" else "hdf5")
        problems = [] if format is None else _format_problems(format)
        if backend not in BACKENDS:
            problems.append(f"backend: must be one of {BACKENDS}, got {backend!r}")
        if not path.exists():
            problems.append(f"path: {str(path)!r} does not exist; to write a new file use Session(...).write(path)")
        if problems:
            raise ValidationError(problems)
        recover_leftovers(path)
        working = path
        if safe:
            working = temporary_sibling(path, "partial")
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, working)
        io = None
        try:
            io = io_class(backend)(str(working), mode="a" if backend == "hdf5" else "r+")
            nwbfile = io.read()
        except Exception as error:  # noqa: BLE001 - whatever the reader says, the file is not usable here
            if io is not None:
                io.close()
            if safe:
                remove_path(working)
            raise ValidationError([f"path: {str(path)!r} cannot be read as an NWB file ({type(error).__name__}: {error})"]) from None
        session = cls.__new__(cls)
        session._adopt(nwbfile, format or _format_of(nwbfile))
        session._append = _Append(original=path, working=working, backend=backend, io=io, safe=safe)
        return session

    def close(self) -> None:
        """Close an opened file without saving (a ``safe`` copy is discarded)."""
        append = self._append
        if append is None:
            return
        if append.io is not None:
            append.io.close()
            append.io = None
        if append.safe and append.working.exists():
            remove_path(append.working)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _adopt(self, nwbfile: NWBFile, format: str) -> None:
        self._nwbfile = nwbfile
        self.format = format
        self._registry = Registry()
        self._report = PlaceholderReport()
        self._emitter = emitter_class(format)(nwbfile, self._report)
        self._written: tuple[Path, str] | None = None
        self._spent = False
        self._append: _Append | None = None

    # -- describing -----------------------------------------------------------------------------
    def add(self, item: Builder | SeriesSpec | SegmentationSpec | RigSpec | ImagingSpaceSpec) -> Session:
        """Register a builder or spec (and every rig, device and space it reaches); returns the session.

        Raises ``ValidationError`` for an incomplete description and ``ConflictError`` when a key
        is already registered with different content; nothing is registered then.
        """
        spec = item.build() if isinstance(item, Builder) else item
        if not isinstance(spec, ADDABLE):
            raise BuilderError(
                f"Session.add takes a builder or a series, segmentation, rig or space spec, got {type(item).__name__}"
            )
        problems = [] if isinstance(item, Builder) else spec.problems()
        problems += self._format_needs(spec)
        if problems:
            raise ValidationError(problems)
        if isinstance(spec, SegmentationSpec) and self.format == "legacy" and spec.masks in ("pixel", "voxel"):
            warnings.warn(
                f"segmentation {spec.name!r}: {spec.masks} masks are valid NWB, but roiextractors' "
                f"NwbSegmentationExtractor (and tools built on it) reads only image masks; use .masks('image') "
                f"for files those tools must read",
                CompatibilityWarning,
                stacklevel=2,
            )
        entries = registrations(spec)
        self._check_names(entries)
        self._check_depths(entries)
        if isinstance(spec, (SeriesSpec, SegmentationSpec)):
            self._check_space_shape(spec)
        self._registry.check(entries)
        if isinstance(spec, SeriesSpec):  # grouping conflicts surface here, before anything is registered
            known = [s for s in self._registry.of_kind("series") if s.key != spec.key]
            self._emitter.check_layout([*known, spec])
        self._registry.register(entries)
        return self

    def _check_names(self, entries: list[tuple[str, str, Any]]) -> None:
        """Two keys may not claim one NWB name, nor may a key claim a name the file already holds."""
        existing = {  # devices, rigs and planes the file holds are reused when identical (checked when emitted)
            "series": {**self._nwbfile.acquisition, **self._nwbfile.processing.get("ophys", {}).data_interfaces}
            if "ophys" in self._nwbfile.processing
            else self._nwbfile.acquisition,
        }
        for kind, key, spec in entries:
            if kind not in ("series", "device", "rig", "segmentation", "space"):
                continue
            for other in self._registry.of_kind(kind):
                same_place = kind != "series" or other.location == spec.location
                if other.key != key and other.name == spec.name and same_place:
                    raise ConflictError(
                        kind,
                        key,
                        ["name"],
                        f"{kind} name {spec.name!r} (key {key!r}) is already used by the {kind} with key "
                        f"{other.key!r}; NWB names must be unique here, so rename one of them",
                    )
            held = existing.get(kind, {})
            if spec.name in held and self._emitter.made(kind, key) is None and self._registry.get(kind, key) is None:
                raise ConflictError(
                    kind,
                    key,
                    ["name"],
                    f"the file already holds an object named {spec.name!r} where {kind} {key!r} would go; "
                    f"rename the {kind}",
                )

    def _check_depths(self, entries: list[tuple[str, str, Any]]) -> None:
        """Two planes of one multi-plane recording may not claim one depth."""
        for kind, key, space in entries:
            if kind != "space" or space.base_key is None:
                continue
            for other in self._registry.of_kind("space"):
                if other.base_key == space.base_key and other.pixel_size_um != space.pixel_size_um:
                    raise ValidationError(
                        [
                            f"space {space.name!r}: planes {other.name!r} and {space.name!r} of space "
                            f"{space.base_key!r} differ in pixel size ({other.pixel_size_um} vs {space.pixel_size_um}); "
                            f"planes from at_depth share their base's grid: derive a plane of another space instead"
                        ]
                    )
                if other.base_key == space.base_key and other.depth_um == space.depth_um and other.key != key:
                    raise ValidationError(
                        [
                            f"space {space.name!r}: planes {other.name!r} and {space.name!r} of space "
                            f"{space.base_key!r} both claim depth {space.depth_um:g} um; one depth is one plane: "
                            f"use the same plane for both, or correct the depth"
                        ]
                    )

    def _check_space_shape(self, spec: SeriesSpec | SegmentationSpec) -> None:
        """Everything on one space, or on the planes of one base space, shares its grid (checked when the
        space leaves it to the data)."""
        kind = "series" if isinstance(spec, SeriesSpec) else "segmentation"
        space = spec.space
        if space.dimensions is not None:
            return
        shape = _data_shape(spec)
        for other_kind in ("series", "segmentation"):
            for other in self._registry.of_kind(other_kind):
                same_grid = other.space.key == space.key or (
                    space.base_key is not None and other.space.base_key == space.base_key
                )
                if not same_grid or (other_kind, other.key) == (kind, spec.key):
                    continue
                other_shape = _data_shape(other)
                if other_shape != shape:
                    raise ValidationError(
                        [
                            f"{kind} {spec.name!r}.space: data of {describe_shape(shape)} but {other_kind} "
                            f"{other.name!r} on the same space {space.name!r} has {describe_shape(other_shape)}; "
                            f"one space has one {'voxel' if space.is_volumetric else 'pixel'} grid: use a separate space per "
                            f"field of view"
                        ]
                    )

    # -- checking --------------------------------------------------------------------------------
    def validate(self) -> ValidationReport:
        """Every problem of the current description, without writing or changing anything.

        Errors: anything that makes a description unwritable (missing data or required parts,
        shapes, rates or timestamps that disagree, channels a rig lacks, grouping conflicts, bad
        numbers). Warnings: required NWB fields that will be written as placeholders, and rates
        that disagree between related series and segmentations. ``write()`` raises
        ``ValidationError`` with every error at once.
        """
        errors: list[str] = []
        series, segmentations = self._registry.of_kind("series"), self._registry.of_kind("segmentation")
        for spec in (*self._registry.of_kind("rig"), *self._registry.of_kind("space"), *series, *segmentations):
            errors += spec.problems()
        for segmentation in segmentations:
            errors += self._format_needs(segmentation)
        try:
            self._emitter.check_layout(series)
        except ValidationError as error:
            errors += error.problems
        if errors:  # placeholders are known only by emitting, which needs a sound description
            return ValidationReport.of(errors)
        return ValidationReport.of(warnings=[*self._dry_run_placeholders(), *_rate_mismatches(series, segmentations)])

    def _format_needs(self, spec: Any) -> list[str]:
        """What the session's format needs beyond the description itself."""
        if isinstance(spec, SegmentationSpec) and self.format == "legacy" and spec.series is None:
            if spec.rig is None or spec.channel is None:
                return [
                    f"segmentation {spec.name!r}: the legacy format puts ROIs on the ImagingPlane of a rig's "
                    f"channel; give .series(series) or .rig(rig, channel)"
                ]
        return []

    def _dry_run_placeholders(self) -> list[str]:
        """Emit into a scratch file to learn which required fields would be placeholders."""
        scratch = NWBFile(session_description="dry run", identifier="dry run",
                          session_start_time=self._nwbfile.session_start_time)
        report = PlaceholderReport(quiet=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            emitter_class(self.format)(scratch, report).emit(
                self._registry.of_kind("rig"), self._registry.of_kind("series"), self._registry.of_kind("segmentation")
            )
        return [f"{p.object_path}.{p.field}: not given, so written as a placeholder; {p.fix}" for p in report.items]

    def inspect(self) -> list[Any]:
        """nwbinspector's messages on the in-memory file (emitting what was added, as ``nwbfile`` does).

        Needs nwbinspector (``pip install nwbinspector``). Checks that read data see the streams
        not yet written; inspect the written file for those.
        """
        try:
            from nwbinspector import inspect_nwbfile_object
        except ImportError:
            raise BuilderError("session.inspect() needs nwbinspector: pip install nwbinspector") from None
        return list(inspect_nwbfile_object(self.nwbfile))

    def plot(self, path: str | Path) -> Path:
        """A PNG of what goes into the file: each series' mean frame, each segmentation's ROI outlines
        (accepted green, rejected red) over its summary image. Needs matplotlib."""
        from .pictures import panels_from_session, render

        return render(panels_from_session(self._registry.of_kind("series"), self._registry.of_kind("segmentation")), path)

    # -- the file -------------------------------------------------------------------------------
    @property
    def nwbfile(self) -> NWBFile:
        """The ``pynwb.NWBFile`` this session owns, with everything added so far emitted into it."""
        self._emit()
        return self._nwbfile

    @property
    def placeholders(self) -> list[Placeholder]:
        """Required fields written as placeholders because the description lacked them."""
        self._emit()
        return list(self._report.items)

    def _emit(self) -> None:
        self._emitter.emit(
            self._registry.of_kind("rig"), self._registry.of_kind("series"), self._registry.of_kind("segmentation")
        )

    def write(
        self,
        path: str | Path | None = None,
        *,
        backend: str | None = None,
        overwrite: bool = False,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        max_workers: int | None = None,
        progress: bool | None = None,
        compression: DatasetConfiguration | Mapping[str, DatasetConfiguration] | None = None,
    ) -> Path:
        """Write the session to ``path`` and return it.

        Parameters
        ----------
        path
            Destination; written beside it and moved into place only when complete. Sessions from
            :meth:`open` save to their file and take no path.
        backend
            ``"hdf5"`` or ``"zarr"``; by default a ``.zarr`` suffix selects Zarr.
        overwrite
            Replace an existing ``path`` (otherwise a ``ValidationError``).
        buffer_bytes
            Upper bound of one read from an extractor (default 16 MiB): memory used for data
            does not grow with the movie.
        max_workers
            Threads compressing imaging chunks (default: the cores available); 1 compresses in
            the writing thread.
        progress
            Show a progress bar per imaging series; by default only when standard error is a terminal.
        compression
            Either one ``DatasetConfiguration`` for every imaging series, or one per series name
            (``{"TwoPhotonSeries": DatasetConfiguration(compression_level=6)}``); unnamed series
            keep the default (gzip level 4, chunks of about 4 MiB, two per frame).

        Notes
        -----
        A second ``write`` of the same session exports the first file to the new path.
        """
        if self._append is not None:
            return self._write_append(path, buffer_bytes, max_workers, progress, compression)
        if path is None:
            raise ValidationError(["path: required; give the file to write (Session.open(...) sessions save without one)"])
        path = Path(path)
        recover_leftovers(path)  # a writer of this path that was killed left a partial file behind
        backend = backend or ("zarr" if path.suffix == ".zarr" else "hdf5")
        problems = [] if backend in BACKENDS else [f"backend: must be one of {BACKENDS}, got {backend!r}"]
        if path.exists() and not overwrite:
            problems.append(f"path: {str(path)!r} already exists; pass overwrite=True to replace it")
        if path.is_dir() and backend == "hdf5":
            problems.append(f"path: {str(path)!r} is a folder; an HDF5 file cannot replace it")
        problems += _stream_option_problems(buffer_bytes, max_workers)
        configurations = _configurations(compression, self._registry.of_kind("series"), problems)
        if self._spent:
            problems.append(
                "session: an earlier write failed part-way and consumed its data streams; "
                "build a new Session from the same builders to write again"
            )
        if problems:
            raise ValidationError(problems)
        if self._written is not None:
            added_since = [f"{kind} {key!r}" for kind, key in self._registry.identities() - self._written_identities]
            if added_since:
                raise ValidationError(
                    [
                        f"session: {', '.join(sorted(added_since))} were added after the first write; "
                        f"a written NWBFile cannot take new objects. Add everything before the first write, or "
                        f"build a new Session for the new file"
                    ]
                )
            write_atomically(path, lambda tmp: self._export(tmp, backend))
            return path
        plan = self._prepare(backend, configurations, buffer_bytes, max_workers, progress)
        try:
            write_atomically(path, lambda tmp: self._write_new(tmp, backend, plan))
        except BaseException:
            self._spent = True
            raise
        self._written = (path, backend)
        self._written_identities = self._registry.identities()
        return path

    def _prepare(
        self,
        backend: str,
        configurations: dict[str, DatasetConfiguration],
        buffer_bytes: int,
        max_workers: int | None,
        progress: bool | None,
    ) -> _FillPlan:
        """Validate, check every source's first frame, emit, and set up how each dataset is stored."""
        self.validate().raise_for_errors()
        for series in self._registry.of_kind("series"):
            preflight(series.source, f"series {series.name!r}.source")
        self._emit()
        pending = [(s, configurations.get(s.name, DatasetConfiguration())) for s in self._emitter.series_objects if not is_wrapped(s)]
        problems = [p for s, c in pending for p in c.problems(f"compression[{s.name!r}]", tuple(s.data.maxshape))]
        if problems:
            raise ValidationError(problems)
        deferred = [(s, defer_series_data(s, backend, c, buffer_bytes), c) for s, c in pending]
        for dataset in self._emitter.streamed_datasets:
            if not is_wrapped(dataset):
                configure_series_data(dataset, backend, DatasetConfiguration())
        return _FillPlan(deferred, max_workers or default_workers(), default_progress() if progress is None else progress)

    def _write_new(self, temporary: Path, backend: str, plan: _FillPlan) -> None:
        with io_class(backend)(str(temporary), mode="w") as io:
            io.write(self._nwbfile)
        self._fill(temporary, backend, plan)
        self._finish(temporary, backend)

    def _fill(self, path: Path, backend: str, plan: _FillPlan) -> None:
        """Store the frames of every imaging series written empty by hdmf."""
        for series, source, configuration in plan.series:
            file, dataset = find_dataset(path, backend, series.object_id)
            try:
                with progress_bar(plan.progress, source.maxshape[0], series.name) as bar:
                    fill_dataset(dataset, source, backend=backend, compression_level=configuration.level,
                                 max_workers=plan.max_workers, progress=bar)
            finally:
                if backend == "hdf5":
                    file.close()

    def _write_append(
        self,
        path: str | Path | None,
        buffer_bytes: int,
        max_workers: int | None,
        progress: bool | None,
        compression: Any,
    ) -> Path:
        """Save what was added to the file the session was opened from (see :meth:`open`)."""
        append = self._append
        problems = []
        if path is not None and Path(path).resolve() != append.original.resolve():
            problems.append(
                f"path: this session was opened from {str(append.original)!r} and saves there; to write the "
                f"result elsewhere, copy the file first and open the copy"
            )
        if append.io is None:
            problems.append("session: already saved or closed; open the file again to add more")
        problems += _stream_option_problems(buffer_bytes, max_workers)
        configurations = _configurations(compression, self._registry.of_kind("series"), problems)
        if problems:
            raise ValidationError(problems)
        plan = self._prepare(append.backend, configurations, buffer_bytes, max_workers, progress)
        try:
            append.io.write(self._nwbfile)
            append.io.close()
            append.io = None
            self._fill(append.working, append.backend, plan)
            self._finish(append.working, append.backend)
            if append.safe:
                replace_path(append.working, append.original)
        except BaseException:
            self._spent = True
            self.close()
            raise
        self._written = (append.original, append.backend)
        self._written_identities = self._registry.identities()
        return append.original

    def _export(self, temporary: Path, backend: str) -> None:
        source_path, source_backend = self._written
        with io_class(source_backend)(str(source_path), mode="r") as source:
            written = source.read()
            stream_large_datasets(written, backend, DatasetConfiguration())
            with io_class(backend)(str(temporary), mode="w") as destination:
                destination.export(src_io=source, nwbfile=written, write_args={"link_data": False})
        self._finish(temporary, backend)

    def _finish(self, temporary: Path, backend: str) -> None:
        if self.format == "legacy":
            drop_extension_namespaces(temporary, backend, keep=namespaces_in_use(self._nwbfile))


@attrs.define
class _Append:
    """Where an opened session saves: the file, the copy being written (``safe``) and its reader."""

    original: Path
    working: Path
    backend: str
    io: Any
    safe: bool


def _stream_option_problems(buffer_bytes: Any, max_workers: Any) -> list[str]:
    problems = []
    if not isinstance(buffer_bytes, int) or buffer_bytes <= 0:
        problems.append(f"buffer_bytes: must be a positive number of bytes, got {buffer_bytes!r}")
    if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
        problems.append(f"max_workers: must be a whole number of threads >= 1, got {max_workers!r}")
    return problems


def _format_of(nwbfile: NWBFile) -> str:
    """"ndx-microscopy" when the file holds ndx-microscopy objects, else "legacy"."""
    from .emit.microscopy import METADATA_NAME

    if METADATA_NAME in nwbfile.lab_meta_data:
        return "ndx-microscopy"
    uses_extension = any(getattr(obj, "namespace", None) == "ndx-microscopy" for obj in nwbfile.objects.values())
    return "ndx-microscopy" if uses_extension else "legacy"


@attrs.frozen
class _FillPlan:
    """The imaging series written empty by hdmf and filled afterwards, and how."""

    series: list[tuple[Any, Any, DatasetConfiguration]]
    max_workers: int
    progress: bool


def _configurations(
    compression: DatasetConfiguration | Mapping[str, DatasetConfiguration] | None,
    series: list[SeriesSpec],
    problems: list[str],
) -> dict[str, DatasetConfiguration]:
    """Per series name, the configuration the caller chose."""
    if compression is None:
        return {}
    if isinstance(compression, DatasetConfiguration):
        return {s.name: compression for s in series}
    if not isinstance(compression, Mapping):
        problems.append(f"compression: give a DatasetConfiguration or a dict of them by series name, got {compression!r}")
        return {}
    names = {s.name for s in series}
    for name, configuration in compression.items():
        if name not in names:
            problems.append(f"compression[{name!r}]: no series of that name (series: {', '.join(sorted(names)) or 'none'})")
        elif not isinstance(configuration, DatasetConfiguration):
            problems.append(f"compression[{name!r}]: must be a DatasetConfiguration, got {configuration!r}")
    return dict(compression)


def _rate_mismatches(series: list[SeriesSpec], segmentations: list[SegmentationSpec]) -> list[str]:
    """Warnings for related data whose regular rates disagree (a likely unit or metadata slip)."""
    from .emit.base import Emitter
    from .emit.grouping import plan_layout

    found = []
    for segmentation in segmentations:
        if segmentation.series is None:
            continue
        traces, movie = Emitter.segmentation_timing(segmentation).rate, resolve_timing(segmentation.series).rate
        if traces and movie and not math.isclose(traces, movie, rel_tol=1e-6):
            found.append(
                f"segmentation {segmentation.name!r}.source: traces at {traces:g} Hz but series "
                f"{segmentation.series.name!r} at {movie:g} Hz; check the extractors' sampling rates"
            )
    layout = plan_layout(series)
    groups: dict[str, list[SeriesSpec]] = {}
    for item in series:
        group = layout.plane_group_of.get(item.key)
        if group is not None:
            groups.setdefault(group.name, []).append(item)
    for name, members in groups.items():
        rates = {resolve_timing(m).rate for m in members}
        if len(rates) > 1 and None not in rates:
            found.append(
                f"series {', '.join(repr(m.name) for m in members)}: planes of one recording ({name}) at different "
                f"rates {sorted(rates)} Hz; planes of one volume share the volume rate"
            )
    return found


def _data_shape(spec: SeriesSpec | SegmentationSpec) -> tuple[int, ...]:
    return imaging_shape(spec.source) if isinstance(spec, SeriesSpec) else segmentation_shape(spec.source)


def _format_problems(format: str) -> list[str]:
    return [] if format in FORMATS else [f"format: must be one of {FORMATS}, got {format!r}"]
