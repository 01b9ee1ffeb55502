"""``mb.translate``: an NWB file written again in the other layout (or the same), streamed through ``Session.write``.

The source is read (:func:`~.recording.read`), made into a session of the target format and
written, so frames, masks and traces stream from the source file with the bounded memory and
parallel compression of any write. The source is opened read-only and never changed; a
destination that exists is replaced only with ``overwrite=True``, and never when it is the source.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from ..errors import CompatibilityWarning, ValidationError
from .losses import losses
from .recording import read

FORMATS = ("ndx-microscopy", "legacy")


def translate(
    source: str | Path,
    destination: str | Path,
    *,
    format: str = "ndx-microscopy",
    backend: str | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    **write_options: Any,
) -> Path:
    """Write the optical physiology of ``source`` into ``destination`` in ``format``; return ``destination``.

    Parameters
    ----------
    source
        An NWB file or Zarr store of either layout (see :func:`microscopy_builder.read`).
    destination
        The file to write; ``backend`` ``"hdf5"`` or ``"zarr"`` (default: by its suffix, ``.zarr`` for Zarr).
    format
        ``"ndx-microscopy"`` (upgrade a legacy file) or ``"legacy"`` (core NWB only, for tools that read
        nothing else).
    overwrite
        Replace an existing ``destination`` (an NWB file or store; anything else is refused even then).
    progress, **write_options
        As for :meth:`microscopy_builder.Session.write` (``buffer_bytes``, ``max_workers``, ``compression``).

    Raises
    ------
    ValidationError
        Before anything is written: ``destination`` exists and ``overwrite`` is not set, ``destination``
        is ``source`` (or inside it, or holds it), ``source`` is not a readable NWB file, or what it
        holds does not make a writable session in ``format``.

    Warns
    -----
    CompatibilityWarning
        Once per object and field that ``format`` cannot hold (and for what ``source`` holds that is
        not optical physiology, which is not carried over).
    """
    source, destination = Path(source), Path(destination)
    problems = _path_problems(source, destination, overwrite, format)
    if problems:
        raise ValidationError(problems)
    recording = read(source)
    try:
        for lost in losses(recording, format):
            warnings.warn(f"translating {source.name} to {format}: {lost}", CompatibilityWarning, stacklevel=2)
        session = recording.to_session(format=format)
        return session.write(destination, backend=backend, overwrite=overwrite, progress=progress, **write_options)
    finally:
        recording.close()


def _path_problems(source: Path, destination: Path, overwrite: bool, format: str) -> list[str]:
    problems = []
    if format not in FORMATS:
        problems.append(f"format: must be one of {', '.join(FORMATS)}, got {format!r}")
    if not source.exists():
        problems.append(f"source: {str(source)!r} does not exist; give the NWB file (or Zarr store) to translate")
        return problems
    if destination.exists() or destination.is_symlink():
        if _same_place(source, destination):
            problems.append(f"destination: {str(destination)!r} is the source file; a translation never changes its "
                            f"source: write to another file")
        elif not overwrite:
            problems.append(f"destination: {str(destination)!r} already exists; pass overwrite=True to replace it")
    if _inside(destination, source) or _inside(source, destination):
        problems.append(f"destination: {str(destination)!r} and the source {str(source)!r} hold one another; write "
                        f"to a file outside the source")
    return problems


def _same_place(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()


def _inside(inner: Path, outer: Path) -> bool:
    """Whether ``inner`` lies inside the folder ``outer`` (a Zarr store)."""
    try:
        inner, outer = inner.resolve(), outer.resolve()
    except OSError:
        return False
    return outer.is_dir() and inner != outer and outer in inner.parents

