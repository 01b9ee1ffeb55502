"""``Session``: one NWBFile, the specs added to it, and writing it in the chosen format and backend.

The session is a front: what it describes lives in a :class:`~microscopy_builder.description.Description`
(the registry, its rules and the emitter), how it is written in a
:class:`~microscopy_builder.writing.writer.Writer` (its states and the three kinds of write).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pynwb import NWBFile

from .appending import AppendTarget
from .builders import Builder
from .dandi import write_into_dandiset
from .description import Description
from .emit import FORMATS, format_of, format_problems
from .emit.formats import opened_format
from .emit.placeholders import Placeholder
from .errors import BuilderError, ValidationError
from .io.backends import backend_for, backend_problems
from .io.chunking import DEFAULT_BUFFER_BYTES
from .io.dataset_config import DatasetConfiguration
from .new_file import new_nwbfile
from .specs import ImagingSpaceSpec, RigSpec, SegmentationSpec, SeriesSpec
from .validation import ValidationReport
from .writing.options import WriteOptions
from .writing.writer import Writer


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

    def __init__(self, *, session_description: str, session_start_time: dt.datetime, format: str = "ndx-microscopy",
                 **nwbfile_kwargs: Any):
        nwbfile = new_nwbfile(session_description, session_start_time, format_problems(format), **nwbfile_kwargs)
        self._adopt(nwbfile, format)

    @classmethod
    def from_nwbfile(cls, nwbfile: NWBFile, *, format: str = "ndx-microscopy") -> Session:
        """Adopt an existing in-memory ``NWBFile``; added specs are emitted into it."""
        problems = format_problems(format)
        if not isinstance(nwbfile, NWBFile):
            problems.append(f"nwbfile: must be a pynwb.NWBFile, got {type(nwbfile).__name__}")
        if problems:
            raise ValidationError(problems)
        session = cls.__new__(cls)
        session._adopt(nwbfile, format)
        return session

    @classmethod
    def open(cls, path: str | Path, *, format: str | None = None, backend: str | None = None, safe: bool = True,
             mix_formats: bool = False, lock_timeout: float | None = None) -> Session:
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
        problems = ([] if format is None else format_problems(format)) + ([] if backend is None else backend_problems(backend))
        if problems:
            raise ValidationError(problems)
        target, nwbfile = AppendTarget.open(path, backend_for(path, backend, existing=True), safe=safe,
                                            lock_timeout=lock_timeout)
        try:
            chosen = opened_format(path, format_of(nwbfile), format, mix_formats=mix_formats)
            session = cls.__new__(cls)
            session._adopt(nwbfile, chosen, target)
        except BaseException:
            target.abandon()
            raise
        # a session dropped without close() (an error in a notebook cell) still lets other writers in
        session._finalizer = weakref.finalize(session, target.abandon)
        return session

    def _adopt(self, nwbfile: NWBFile, format: str, target: AppendTarget | None = None) -> None:
        self._nwbfile = nwbfile
        self._description = Description(nwbfile, FORMATS[format])
        self._writer = Writer(self._description, target)

    @property
    def format(self) -> str:
        """The output format: ``"ndx-microscopy"`` or ``"legacy"``."""
        return self._description.format.name

    def close(self) -> None:
        """Close an opened file without saving (a ``safe`` copy is discarded) and let other writers in."""
        self._writer.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- describing -----------------------------------------------------------------------------
    def add(self, item: Builder | SeriesSpec | SegmentationSpec | RigSpec | ImagingSpaceSpec) -> Session:
        """Register a builder or spec (and every rig, device and space it reaches); returns the session.

        Raises ``ValidationError`` for an incomplete description and ``ConflictError`` when a key
        is already registered with different content; nothing is registered then.
        """
        self._description.add(item)
        return self

    def specs(self, kind: str) -> list[Any]:
        """The specs added of one kind: ``"series"``, ``"segmentation"``, ``"static image"``, ``"rig"``, ``"space"``,
        ``"device"``, ``"device model"`` or ``"indicator"`` (those a series or segmentation reaches included)."""
        return self._description.specs(kind)

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
        return self._description.validate(dandi=dandi)

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

        return render(picture_from_session(self.specs("series"), self.specs("segmentation")), path)

    # -- the file -------------------------------------------------------------------------------
    @property
    def nwbfile(self) -> NWBFile:
        """The ``pynwb.NWBFile`` this session owns, with everything added so far emitted into it."""
        self._description.emit()
        return self._nwbfile

    @property
    def placeholders(self) -> list[Placeholder]:
        """Required fields written as placeholders because the description lacked them."""
        self._description.emit()
        return list(self._description.report.items)

    def write(self, path: str | Path | None = None, *, backend: str | None = None, overwrite: bool = False,
              buffer_bytes: int = DEFAULT_BUFFER_BYTES, max_workers: int | None = None, progress: bool | None = None,
              compression: DatasetConfiguration | Mapping[str, DatasetConfiguration] | None = None,
              lock_timeout: float | None = None) -> Path:
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
            Threads compressing chunks (default: the cores available); 1 compresses in the writing thread.
        progress
            Show a progress bar per imaging series; by default only when standard error is a terminal.
        compression
            Either one ``DatasetConfiguration`` for every imaging series, or one per series name
            (``{"TwoPhotonSeries": DatasetConfiguration(compression_level=6)}``); unnamed series
            keep the default (gzip level 4, chunks of about 4 MiB, two per frame).
        lock_timeout
            Seconds to wait for another writer of ``path`` (default: as long as it takes).

        Notes
        -----
        A second ``write`` of the same session copies the first file to the new path, streamed and
        compressed as its arguments say.
        """
        options = WriteOptions(buffer_bytes=buffer_bytes, max_workers=max_workers, progress=progress,
                               compression=compression)
        return self._writer.write(path, backend=backend, overwrite=overwrite, options=options, lock_timeout=lock_timeout)

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
        return write_into_dandiset(self, self._nwbfile, folder, desc, overwrite, **write_options)
