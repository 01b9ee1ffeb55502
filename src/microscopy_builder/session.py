"""``Session``: one NWBFile, the specs added to it, and writing it in the chosen format and backend."""

from __future__ import annotations

import datetime as dt
import errno
import math
import threading
import uuid
import weakref
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from pynwb import NWBFile

from .builders import Builder
from .emit import FORMATS, emitter_class, load_extension_classes
from .emit.placeholders import Placeholder, PlaceholderReport
from .errors import BuilderError, CompatibilityWarning, ConflictError, SourceDataError, ValidationError
from .io.backend import io_class, written_root
from .appending import AppendTarget
from .io.atomic import fingerprint, make_folders, recover_leftovers, remove_folders, write_atomically
from .io.destination import destination_problems
from .io.locking import canonical, destination_lock
from .io.space import SpaceReserve, uncompressed_bytes
from .io.chunking import DEFAULT_BUFFER_BYTES
from .io.dataset_config import BACKENDS, DatasetConfiguration, configure_series_data, defer_series_data, is_wrapped
from .io.parallel import dataset_of, default_progress, default_workers, fill_dataset, progress_bar
from .io.repack import stream_large_datasets
from .io.namespaces import drop_extension_namespaces, namespaces_in_use
from .emit.timing import resolve_timing
from .naming import clash_problems
from .plausibility import implausible_values, source_rate_problems
from .specs._fields import nul_problems
from .specs.walk import plain_values
from .registry import Registry, registrations
from .specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec, StaticImageSpec
from .specs.sources import describe_shape, imaging_shape, segmentation_shape
from .dandi import dandi_destination, subject_report
from .subject import subject_from_mapping
from .validation import ValidationReport

ADDABLE = (SeriesSpec, SegmentationSpec, StaticImageSpec, RigSpec, ImagingSpaceSpec)


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
        is a fresh UUID when omitted. ``subject`` may be a ``pynwb.file.Subject`` or a mapping of
        its fields (``{"subject_id": "mouse-001", "species": "Mus musculus", "sex": "F", "age": "P90D"}``).
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
        texts = {"session_description": session_description, **{k: v for k, v in nwbfile_kwargs.items() if k != "subject"}}
        problems += [p for name, value in texts.items() for p in nul_problems(value, name)]
        subject = nwbfile_kwargs.get("subject")
        if subject is not None and hasattr(subject, "fields"):  # a pynwb Subject: its text fields too
            problems += nul_problems({k: v for k, v in subject.fields.items() if isinstance(v, (str, list))}, "subject")
        elif isinstance(subject, Mapping):
            problems += nul_problems(dict(subject), "subject")
        if isinstance(nwbfile_kwargs.get("subject"), Mapping):
            try:
                nwbfile_kwargs["subject"] = subject_from_mapping(nwbfile_kwargs["subject"])
            except ValidationError as error:
                problems += error.problems
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
        cls,
        path: str | Path,
        *,
        format: str | None = None,
        backend: str | None = None,
        safe: bool = True,
        mix_formats: bool = False,
        lock_timeout: float | None = None,
    ) -> Session:
        """Open an existing NWB file (HDF5 or Zarr) to append to it; ``write()`` with no path saves.

        What the file holds is reused when added again (a device, rig or imaging plane of the same
        name and content) and a same-named object with other content is a ``ConflictError``.

        Parameters
        ----------
        format
            The file's own layout by default (ndx-microscopy objects or core ophys ones). Giving the
            other layout for a file that holds one is a ``ValidationError`` unless ``mix_formats``.
        safe
            ``True`` (default): the file is copied, the copy appended to and moved into place when
            complete, all or nothing, even if the process is killed or the disk fills up.
            ``False``: the new objects are written into the file itself; an exception (a full disk
            too) takes them back out, but a killed process can leave the file damaged. See
            ``docs/how-to/reliability.md``.
        mix_formats
            Allow adding objects of one layout to a file of the other.
        lock_timeout
            Seconds to wait for another writer of the file (default: as long as it takes). The
            file stays locked for other writers until ``write()`` or ``close()``.
        """
        path = Path(path)
        backend = backend or ("zarr" if path.is_dir() or path.suffix == ".zarr" else "hdf5")
        problems = [] if format is None else _format_problems(format)
        if backend not in BACKENDS:
            problems.append(f"backend: must be one of {BACKENDS}, got {backend!r}")
        if problems:
            raise ValidationError(problems)
        target, nwbfile = AppendTarget.open(path, backend, safe=safe, lock_timeout=lock_timeout)
        try:
            held = _format_of(nwbfile)
            chosen = format or (held if held in FORMATS else None) or "ndx-microscopy"
            if held == "mixed" and format is None:
                raise ValidationError([f"format: {str(path)!r} holds both legacy and ndx-microscopy objects; say which "
                                       f"layout to append in (format='legacy' or 'ndx-microscopy') and pass mix_formats=True"])
            if held not in (None, chosen) and not mix_formats:
                raise ValidationError([_mixing_problem(path, held, chosen)])
            session = cls.__new__(cls)
            session._adopt(nwbfile, chosen)
        except BaseException:
            target.abandon()
            raise
        session._append = target
        # a session dropped without close() (an error in a notebook cell) still lets other writers in
        session._finalizer = weakref.finalize(session, target.abandon)
        return session

    def close(self) -> None:
        """Close an opened file without saving (a ``safe`` copy is discarded) and let other writers in."""
        append = self._append
        if append is not None and append.lock.held:
            append.abandon()

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
        self._append: AppendTarget | None = None
        self._write_lock = threading.RLock()  # one write of this session at a time, whatever the thread

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
        problems += [p for spec_in in (spec, *_nested(spec)) for where, name, value in plain_values(spec_in)
                     for p in nul_problems(value, f"{where}.{name}")]
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
        rigs, series, segmentations = self._with_entries(entries)
        images = {s.key: s for s in self._registry.of_kind("static image")}
        images.update({key: s for kind, key, s in entries if kind == "static image"})
        claims = self._emitter.claims(rigs, series, segmentations)
        claims += [claim for image in images.values() for claim in self._emitter.static_image_claims(image)]
        problems = clash_problems(claims)
        if problems:
            raise ValidationError(problems)
        self._registry.register(entries)
        return self

    def _with_entries(self, entries: list[tuple[str, str, Any]]) -> tuple[list, list, list]:
        """Rigs, series and segmentations registered, with ``entries`` added (by key, in order)."""
        found = []
        for kind in ("rig", "series", "segmentation"):
            specs = {spec.key: spec for spec in self._registry.of_kind(kind)}
            specs.update({key: spec for k, key, spec in entries if k == kind and key not in specs})
            found.append(list(specs.values()))
        return found[0], found[1], found[2]

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
    def validate(self, *, dandi: bool = False) -> ValidationReport:
        """Every problem of the current description, without writing or changing anything.

        Errors: anything that makes a description unwritable (missing data or required parts,
        shapes, rates or timestamps that disagree, channels a rig lacks, grouping conflicts, bad
        numbers). Warnings: required NWB fields that will be written as placeholders, rates that
        disagree between related series and segmentations, and a subject nwbinspector rates
        CRITICAL (missing, or without ``subject_id``, ``species``, ``sex`` or ``age``). With
        ``dandi=True`` what DANDI requires (that subject, ids fit for its paths) is an error.
        ``write()`` raises ``ValidationError`` with every error at once.

        Raises ``SourceDataError`` (listing every error) when a source's data cannot be written as
        it is: an unsupported dtype, a first frame other than the extractor declares, native
        timestamps of the wrong length.
        """
        subject_errors, subject_warnings = subject_report(self._nwbfile, dandi=dandi)
        errors: list[str] = []
        series, segmentations = self._registry.of_kind("series"), self._registry.of_kind("segmentation")
        for spec in (*self._registry.of_kind("rig"), *self._registry.of_kind("space"), *series, *segmentations,
                     *self._registry.of_kind("static image")):
            errors += spec.problems()
        for segmentation in segmentations:
            errors += self._format_needs(segmentation)
        try:
            self._emitter.check_layout(series)
        except ValidationError as error:
            errors += error.problems
        unusable = [p for spec in (*series, *segmentations) for p in spec.data_problems()]
        if unusable:
            raise SourceDataError([*dict.fromkeys(errors), *dict.fromkeys(unusable)])
        if errors:  # placeholders are known only by emitting, which needs a sound description
            return ValidationReport.of([*errors, *subject_errors], subject_warnings)
        placeholders = self._dry_run_placeholders()
        unlikely = implausible_values([*self._registry.of_kind("rig"), *self._registry.of_kind("space"), *series])
        unlikely += [p for s in series for p in source_rate_problems(s)]
        return ValidationReport.of(subject_errors, [*placeholders, *unlikely, *_rate_mismatches(series, segmentations),
                                                    *subject_warnings])

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
            scratch_emitter = emitter_class(self.format)(scratch, report)
            scratch_emitter.emit(
                self._registry.of_kind("rig"), self._registry.of_kind("series"), self._registry.of_kind("segmentation")
            )
            scratch_emitter.emit_static_images(self._registry.of_kind("static image"))
        return [f"{p.object_path}.{p.field}: {p.reason.removeprefix('was ')}, so written as a placeholder; {p.fix}"
                for p in report.items]

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
        """A PNG of what goes into the file: each series' mean image (a panel per plane or channel)
        with its ROI outlines (accepted green, rejected red) and a scale bar, and a few ROIs' traces.
        Needs matplotlib."""
        from .picture_sources import picture_from_session
        from .pictures import render

        return render(picture_from_session(self._registry.of_kind("series"), self._registry.of_kind("segmentation")), path)

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
        self._emitter.emit_static_images(self._registry.of_kind("static image"))

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
        lock_timeout: float | None = None,
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
        with self._write_lock:
            if self._append is not None:
                return self._write_append(path, buffer_bytes, max_workers, progress, compression)
            if path is None:
                raise ValidationError(["path: required; give the file to write (Session.open(...) sessions save without one)"])
            path = Path(path)
            backend = backend or ("zarr" if path.suffix == ".zarr" else "hdf5")
            problems = [] if backend in BACKENDS else [f"backend: must be one of {BACKENDS}, got {backend!r}"]
            problems += _stream_option_problems(buffer_bytes, max_workers)
            configurations = _configurations(compression, self._registry.of_kind("series"), problems)
            if self._spent:
                problems.append(
                    "session: an earlier write failed part-way and consumed its data streams; "
                    "build a new Session from the same builders to write again"
                )
            if problems:
                raise ValidationError(problems)
            problems = destination_problems(path, backend, overwrite=overwrite)
            if problems:  # before the lock: a read-only folder cannot even hold the lock file
                raise ValidationError(problems)
            target = canonical(path) if path.is_symlink() and path.exists() else path  # through a link to an NWB file
            created = make_folders(target)
            try:
                written = self._write_locked(path, target, backend, overwrite, lock_timeout,
                                             (configurations, buffer_bytes, max_workers, progress))
            except OSError as error:
                remove_folders(created)
                if error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(error):
                    error.add_note(f"microscopy-builder: the disk of {str(target.parent)!r} is full; nothing was "
                                   f"written to {str(path)!r}, which holds what it held before")
                raise
            except BaseException:
                remove_folders(created)
                raise
            return written

    def _write_locked(self, path: Path, target: Path, backend: str, overwrite: bool, lock_timeout: float | None,
                      stream_options: tuple) -> Path:
        """A new file (or an export of the first one) at ``target``, holding its lock."""
        with destination_lock(target, timeout=lock_timeout):
            recover_leftovers(target)  # a writer of this path that was killed left a partial file behind
            problems = destination_problems(path, backend, overwrite=overwrite)  # again: another writer may have
            if problems:                                                          # been first
                raise ValidationError(problems)
            if self._written is not None:
                self._check_nothing_added_since_written()
                self._check_first_file_unchanged()
                write_atomically(target, lambda tmp: self._export(tmp, target, backend), overwrite=overwrite)
                return path
            plan = self._prepare(backend, *stream_options)
            try:
                with SpaceReserve(target) as spare:
                    write_atomically(target, lambda tmp: self._write_new(tmp, backend, plan, spare), overwrite=overwrite)
            except BaseException:
                self._spent = True
                raise
        self._written = (target, backend)
        self._written_identities = self._registry.identities()
        self._written_fingerprint = fingerprint(target)
        return path

    def _check_first_file_unchanged(self) -> None:
        """A second write copies the first file: it must still be what this session wrote."""
        first, _ = self._written
        if not first.exists() or fingerprint(first) != self._written_fingerprint:
            what = "was removed" if not first.exists() else "was changed (appended to or replaced)"
            raise ValidationError([f"session: the first file this session wrote, {str(first)!r}, {what} since, and a "
                                   f"second write copies it; build a new Session from the same builders to write again"])

    def _check_nothing_added_since_written(self) -> None:
        added_since = [f"{kind} {key!r}" for kind, key in self._registry.identities() - self._written_identities]
        if added_since:
            raise ValidationError(
                [
                    f"session: {', '.join(sorted(added_since))} were added after the first write; "
                    f"a written NWBFile cannot take new objects. Add everything before the first write, or "
                    f"build a new Session for the new file"
                ]
            )

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
        self._emit()
        pending = [(s, configurations.get(s.name, DatasetConfiguration())) for s in self._emitter.series_objects if not is_wrapped(s)]
        problems = [p for s, c in pending for p in c.problems(f"compression[{s.name!r}]", tuple(s.data.maxshape))]
        if problems:
            raise ValidationError(problems)
        deferred = [(s, defer_series_data(s, backend, c, buffer_bytes), c) for s, c in pending]
        others = tuple(d.data for d in self._emitter.streamed_datasets if not is_wrapped(d))
        for dataset in self._emitter.streamed_datasets:
            if not is_wrapped(dataset):
                configure_series_data(dataset, backend, DatasetConfiguration())
        return _FillPlan(deferred, max_workers or default_workers(), default_progress() if progress is None else progress,
                         others)

    def _write_new(self, temporary: Path, backend: str, plan: _FillPlan, spare: SpaceReserve) -> None:
        io = io_class(backend)(str(temporary), mode="w")
        with spare.closing(io.close):
            io.write(self._nwbfile)
        with written_root(temporary, backend, spare) as root:
            self._fill(root, backend, plan)
            self._finish(root)

    def _fill(self, root: Any, backend: str, plan: _FillPlan) -> None:
        """Store the frames of every imaging series written empty by hdmf, in the file open at ``root``."""
        for series, source, configuration in plan.series:
            dataset = dataset_of(root, series.object_id)
            with progress_bar(plan.progress, source.maxshape[0], series.name) as bar:
                fill_dataset(dataset, source, backend=backend, compression_level=configuration.level,
                             max_workers=plan.max_workers, progress=bar)

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
        if not append.lock.held:
            problems.append("session: already saved or closed; open the file again to add more")
        problems += _stream_option_problems(buffer_bytes, max_workers)
        configurations = _configurations(compression, self._registry.of_kind("series"), problems)
        if problems:
            raise ValidationError(problems)
        plan = self._prepare(append.backend, configurations, buffer_bytes, max_workers, progress)
        try:
            append.save(self._nwbfile, lambda root: (self._fill(root, append.backend, plan), self._finish(root)),
                        plan.uncompressed_bytes())
        except BaseException as error:
            self._spent = True
            append.abandon(error)
            raise
        self._written = (append.original, append.backend)
        self._written_identities = self._registry.identities()
        return append.original

    def write_dandi(self, folder: str | Path, *, desc: str | None = None, overwrite: bool = False,
                    **write_options: Any) -> Path:
        """Write the session into a dandiset folder where DANDI expects it, and return the file.

        The file is ``folder/sub-<subject_id>/sub-<subject_id>_ses-<session_id>[_desc-<desc>]_ophys.nwb``
        (HDF5); ``session_id`` is the session's, or derived from the start time as ``dandi organize``
        does (``20240305T143000``; ``validate(dandi=True)`` says so). ``folder`` may exist (empty or a
        dandiset). Raises ``ValidationError`` before anything is written when DANDI would reject the
        file: a subject it requires, ids that are not DANDI labels (letters, digits, hyphens).
        Other keywords are those of :meth:`write`.
        """
        report = self.validate(dandi=True)
        try:
            if write_options.get("backend", "hdf5") != "hdf5":
                raise ValidationError(["backend: DANDI's layout names .nwb (HDF5) files; write_dandi writes HDF5"])
            path, _ = dandi_destination(folder, self._nwbfile, desc)
        except ValidationError as error:
            raise ValidationError(dict.fromkeys([*map(str, report.errors), *error.problems])) from None
        report.raise_for_errors()
        made = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self.write(path, overwrite=overwrite, **write_options)
        except BaseException:
            for created in made:  # leave no empty folders behind a refused or failed write
                if created.exists() and not any(created.iterdir()):
                    created.rmdir()
            raise

    def _export(self, temporary: Path, destination: Path, backend: str) -> None:
        source_path, source_backend = self._written
        with io_class(source_backend)(str(source_path), mode="r") as source:
            written = source.read()
            stream_large_datasets(written, backend, DatasetConfiguration())
            copy = io_class(backend)(str(temporary), mode="w")
            with SpaceReserve(destination) as spare:
                with spare.closing(copy.close):
                    copy.export(src_io=source, nwbfile=written, write_args={"link_data": False})
                with written_root(temporary, backend, spare) as root:
                    self._finish(root)

    def _finish(self, root: Any) -> None:
        """Last touches to the written file: a legacy file keeps only the namespaces its objects use."""
        if self.format == "legacy":
            drop_extension_namespaces(root, keep=namespaces_in_use(self._nwbfile))


def _stream_option_problems(buffer_bytes: Any, max_workers: Any) -> list[str]:
    problems = []
    if not isinstance(buffer_bytes, int) or buffer_bytes <= 0:
        problems.append(f"buffer_bytes: must be a positive number of bytes, got {buffer_bytes!r}")
    if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
        problems.append(f"max_workers: must be a whole number of threads >= 1, got {max_workers!r}")
    return problems


#: core types that make a file a legacy (pynwb.ophys) optical-physiology file
LEGACY_TYPES = ("ImagingPlane", "TwoPhotonSeries", "OnePhotonSeries", "PlaneSegmentation", "RoiResponseSeries")


def _format_of(nwbfile: NWBFile) -> str | None:
    """The layout a file's optical physiology uses: "ndx-microscopy", "legacy", "mixed", or ``None`` (none yet)."""
    from .emit.microscopy import METADATA_NAME

    types = {type(obj).__name__ for obj in nwbfile.objects.values()}
    uses_extension = METADATA_NAME in nwbfile.lab_meta_data or any(
        getattr(obj, "namespace", None) == "ndx-microscopy" for obj in nwbfile.objects.values()
    )
    uses_core = bool(types & set(LEGACY_TYPES))
    if uses_extension and uses_core:
        return "mixed"
    return "ndx-microscopy" if uses_extension else "legacy" if uses_core else None


def _mixing_problem(path: Path, held: str, chosen: str) -> str:
    described = {"legacy": "legacy (core pynwb.ophys)", "ndx-microscopy": "ndx-microscopy", "mixed": "both legacy and ndx-microscopy"}
    return (
        f"format: {str(path)!r} holds {described[held]} objects; appending {chosen} objects would mix two layouts "
        f"that readers treat apart. Append in the file's own layout (leave format= out), or translate the file "
        f"first (mb.translate({str(path)!r}, 'translated.nwb', format={chosen!r}), or the command "
        f"microscopy-builder translate), or pass mix_formats=True to mix them on purpose"
    )


@attrs.frozen
class _FillPlan:
    """The imaging series written empty by hdmf and filled afterwards, and how."""

    series: list[tuple[Any, Any, DatasetConfiguration]]
    max_workers: int
    progress: bool
    others: tuple = ()  # the other streamed datasets (traces, masks), for the size of the write

    def uncompressed_bytes(self) -> int:
        """The raw size of everything streamed: what a write may need on disk, counting on no compression."""
        return uncompressed_bytes([source for _, source, _ in self.series] + list(self.others))


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


def _nested(spec: Any) -> list[Any]:
    """The rig, space and series a series or segmentation holds (each is walked on its own)."""
    return [getattr(spec, name) for name in ("rig", "space", "series") if getattr(spec, name, None) is not None]


def _format_problems(format: str) -> list[str]:
    return [] if format in FORMATS else [f"format: must be one of {FORMATS}, got {format!r}"]
