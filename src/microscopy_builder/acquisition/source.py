"""``source_metadata``: what a roiextractors extractor's files (or a path) record."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import bruker, caiman, miniscope, suite2p, thorimage, tiff
from .common import empty
from .guess import guess_source
from .metadata import SourceMetadata

READERS: dict[str, Callable[[Path], SourceMetadata]] = {
    "scanimage": tiff.read,
    "scanimage3": tiff.read,
    "tiff": tiff.read,
    "thorimage": thorimage.read,
    "bruker": bruker.read,
    "miniscope": miniscope.read,
    "suite2p": suite2p.read,
    "caiman": caiman.read,
}


def source_metadata(source: Any) -> SourceMetadata:
    """What the files behind ``source`` record: rates, start time, geometry, channels, devices, the header.

    Parameters
    ----------
    source
        A roiextractors imaging or segmentation extractor, or the path of a file or folder
        (the vendor is guessed from its contents).

    Returns
    -------
    SourceMetadata
        Empty for a source nothing is known about (e.g. an in-memory ``NumpyImagingExtractor``);
        for a damaged header, what could be read, with ``notes`` saying what could not.
    """
    if isinstance(source, (str, os.PathLike)):
        return _from_path(Path(source))
    try:
        return _from_extractor(source)
    except Exception as error:  # noqa: BLE001 - never raise on a source we merely describe
        return empty(f"{type(source).__name__}: its files could not be read ({type(error).__name__}: {error})")


def _from_path(path: Path) -> SourceMetadata:
    if not path.exists():
        return empty(f"{path}: no such file or folder")
    guess = guess_source(path)
    if guess is None:
        return empty()
    return READERS[guess.format](guess.header)


def _from_extractor(extractor: Any) -> SourceMetadata:
    for cls in type(extractor).__mro__:
        reader = _BY_CLASS.get(cls.__name__)
        if reader is not None:
            return reader(extractor)
    paths = [p for p in _recorded_paths(extractor) if p.exists()]
    return _from_path(paths[0]) if paths else empty()


def _recorded_paths(extractor: Any) -> list[Path]:
    """The paths an extractor says it was built from (its ``_kwargs``, else ``file_path`` / ``folder_path``)."""
    arguments = getattr(extractor, "_kwargs", None)
    arguments = arguments if isinstance(arguments, dict) else {}
    found = []
    for name in ("file_path", "folder_path", "file_paths", "folder_paths"):
        value = arguments.get(name, getattr(extractor, name, None))
        values = value if isinstance(value, (list, tuple)) else [value]
        found += [Path(v) for v in values if isinstance(v, (str, os.PathLike))]
    return found


def _scanimage(extractor: Any) -> SourceMetadata:
    files = [Path(p) for p in getattr(extractor, "file_paths", None) or [extractor.file_path]]
    return tiff.read(files[0], timestamp_files=files)


def _first_path(extractor: Any) -> Path:
    paths = _recorded_paths(extractor)
    if not paths:
        raise ValueError("it records no file_path or folder_path")
    return paths[0]


def _bruker(extractor: Any) -> SourceMetadata:
    if getattr(extractor, "folder_path", None) is not None:
        return bruker.read(Path(extractor.folder_path))
    files = getattr(extractor, "_file_paths", None)
    if files:
        return bruker.read(Path(files[0]).parent)
    parts = getattr(extractor, "_imaging_extractors", None) or []
    return bruker.read(Path(parts[0].file_path).parent)


def _miniscope(extractor: Any) -> SourceMetadata:
    times = getattr(extractor, "_timestamps_path", None)
    if times is not None:
        return miniscope.read(Path(times).parent)
    parts = getattr(extractor, "_imaging_extractors", None) or []
    return miniscope.read(Path(parts[0].file_path).parent)


def _suite2p(extractor: Any) -> SourceMetadata:
    return suite2p.read(Path(extractor.folder_path) / getattr(extractor, "plane_name", "plane0"))


_BY_CLASS: dict[str, Callable[[Any], SourceMetadata]] = {
    "ScanImageImagingExtractor": _scanimage,
    "ScanImageLegacyImagingExtractor": lambda e: tiff.read(Path(e.file_path)),
    "TiffImagingExtractor": lambda e: tiff.read(_first_path(e)),
    "ThorTiffImagingExtractor": lambda e: thorimage.read(_first_path(e).parent),
    "BrukerTiffImagingExtractor": _bruker,
    "BrukerTiffSinglePlaneImagingExtractor": _bruker,
    "BrukerTiffMultiPlaneImagingExtractor": _bruker,
    "MiniscopeImagingExtractor": _miniscope,
    "Suite2pSegmentationExtractor": _suite2p,
    "CaimanSegmentationExtractor": lambda e: caiman.read(Path(e.file_path)),
    # in-memory and NWB sources record no acquisition header
    "NumpyImagingExtractor": lambda e: empty(),
    "NumpySegmentationExtractor": lambda e: empty(),
}
