"""Open an NWB file of either backend for reading, and find the objects an extractor reads in it.

A file is kept open (lazily: datasets are read only when sliced) until ``close()``. Objects are
found by neurodata type wherever they sit, and named by their path inside the file
(``acquisition/TwoPhotonSeries``, ``processing/ophys/SegmentationContainer/PlaneSegmentation``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..io.backends import BACKENDS

NOT_NWB = "not an NWB file (HDF5 or Zarr)"

#: neurodata types of the objects the extractors read, either layout
SERIES_TYPES = ("PlanarMicroscopySeries", "VolumetricMicroscopySeries", "TwoPhotonSeries", "OnePhotonSeries")
TABLE_TYPES = ("PlaneSegmentation", "PlanarSegmentation", "VolumetricSegmentation")
RESPONSE_TYPES = ("RoiResponseSeries", "MicroscopyResponseSeries")
#: base types of the ndx-microscopy objects among them
NDX_SERIES_TYPES = frozenset({"MicroscopySeries"})
NDX_TABLE_TYPES = frozenset({"Segmentation"})


def backend_of(path: Path) -> str | None:
    """``"hdf5"`` or ``"zarr"`` by what ``path`` holds (not by its name), ``None`` for neither."""
    if path.is_dir():
        markers = (".zgroup", "zarr.json", ".zmetadata")
        return "zarr" if any((path / marker).exists() for marker in markers) else None
    import h5py

    return "hdf5" if path.is_file() and h5py.is_hdf5(path) else None


class NwbHandle:
    """An NWB file open for reading, its objects, and their paths.

    Parameters
    ----------
    path
        An HDF5 file or a Zarr folder written by pynwb or hdmf-zarr.
    field
        The argument name used in error messages (``"path"``).

    Raises
    ------
    ValidationError
        When ``path`` does not exist or is not a readable NWB file.
    """

    def __init__(self, path: str | Path, *, field: str = "path"):
        self.path = Path(path).expanduser().absolute()
        if not self.path.exists():
            raise ValidationError([f"{field}: {str(path)!r} does not exist; give the path of an NWB file (HDF5 or Zarr)"])
        self.backend = backend_of(self.path)
        if self.backend is None:
            raise ValidationError([f"{field}: {str(path)!r} is {NOT_NWB}; give the path of a file pynwb wrote"])
        # Files written by a process that never imported the extension read with its real classes.
        importlib.import_module("ndx_microscopy")
        try:
            self._io = BACKENDS[self.backend].io_class()(str(self.path), mode="r")
        except OSError as error:  # truncated, or locked by a process writing it
            busy = isinstance(error, BlockingIOError) or "lock" in str(error).lower()
            advice = ("another process has it open for writing; wait for it to finish (or close it)" if busy
                      else f"it cannot be opened ({error}); it may be truncated or damaged")
            raise ValidationError([f"{field}: {str(path)!r}: {advice}"]) from None
        try:
            self.nwbfile = self._io.read()
        except Exception as error:  # noqa: BLE001 - whatever the reader says, the file is not usable
            self._io.close()
            raise ValidationError(
                [f"{field}: {str(path)!r} is {NOT_NWB} that pynwb can read ({type(error).__name__}: {error})"]
            ) from None

    @property
    def is_open(self) -> bool:
        return self._io is not None

    def close(self) -> None:
        """Close the file; objects read from it can no longer read data."""
        if self._io is not None:
            self._io.close()
            self._io = None

    def objects(self, type_names: Iterable[str]) -> dict[str, Any]:
        """Every object whose neurodata type (or a parent type) is one of ``type_names``, by path."""
        wanted = frozenset(type_names)
        found = {self.path_of(obj): obj for obj in self.nwbfile.objects.values() if has_type(obj, wanted)}
        return dict(sorted(found.items()))

    def stored_links(self, obj: Any) -> dict[str, Any]:
        """``{link name: target object}`` of the links ``obj``'s group stores in the file.

        hdmf fills every field whose target type matches a link on read (one ``emission_filter``
        link of a ``MicroscopyRig`` also shows as its ``excitation_filter``); the stored link names
        say which field the file holds.
        """
        builder = self._io.manager.get_builder(obj) if self._io is not None else None
        if builder is None:
            return {}
        return {name: self._io.manager.construct(link.builder) for name, link in builder.links.items()}

    def path_of(self, obj: Any) -> str:
        """Where ``obj`` is stored inside the file, e.g. ``acquisition/TwoPhotonSeries``."""
        builder = self._io.manager.get_builder(obj) if self._io is not None else None
        path = getattr(builder, "path", None)
        if path:
            return path.removeprefix("root").strip("/")
        parts, node = [], obj
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "/".join(reversed(parts))


def has_type(obj: Any, type_names: frozenset[str]) -> bool:
    """Whether ``obj``'s class or one of its bases is named in ``type_names``.

    Names rather than classes: a file read with classes generated from its cached specification
    (another version of an extension) still matches.
    """
    return any(cls.__name__ in type_names for cls in type(obj).__mro__)


def choose(found: dict[str, Any], name: str | None, *, what: str, field: str, path: Path) -> tuple[str, Any]:
    """The one object of ``found`` (path -> object) that ``name`` (a name or a path) picks.

    With ``name=None`` the file must hold exactly one; otherwise ``ValidationError`` lists the
    choices by path.
    """
    choices = ", ".join(found) or "none"
    if name is None:
        if len(found) == 1:
            return next(iter(found.items()))
        reason = f"the file holds no {what}" if not found else f"the file holds {len(found)} {what}s"
        raise ValidationError([f"{field}: {reason} ({path}); name one of: {choices}"])
    wanted = str(name).strip("/").removeprefix("root/")
    if wanted in found:
        return wanted, found[wanted]
    named = {p: obj for p, obj in found.items() if obj.name == wanted}
    if len(named) == 1:
        return next(iter(named.items()))
    if named:
        raise ValidationError(
            [f"{field}: {len(named)} {what}s are named {name!r} in {path}; give one's path: {', '.join(named)}"]
        )
    raise ValidationError([f"{field}: no {what} named {name!r} in {path}; choices: {choices}"])


class FileBacked:
    """What an extractor over an open NWB file shares: closing, ``with`` blocks, pickling by arguments.

    A subclass sets ``self._handle`` (an ``NwbHandle``) and ``self._kwargs`` (the arguments that
    open the same object again, as roiextractors extractors record them).
    """

    _handle: NwbHandle | None = None
    _kwargs: dict[str, Any]

    def close(self) -> None:
        """Close the file; reading data afterwards raises ``ValueError``."""
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __reduce__(self) -> tuple:
        """Pickled as its arguments: unpickling opens the file again."""
        return (reopen, (type(self), dict(self._kwargs)))

    def _check_open(self) -> None:
        if self._handle is None or not self._handle.is_open:
            raise ValueError(f"{type(self).__name__} of {self._kwargs.get('path')}: the file was closed")


def reopen(cls: type, kwargs: dict[str, Any]) -> Any:
    """An extractor of class ``cls`` made again from its recorded arguments (unpickling)."""
    return cls(**kwargs)
