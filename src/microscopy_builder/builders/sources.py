"""Data sources as mappings: ``{TiffImagingExtractor: {file_path: movie.tif, sampling_frequency: 30}}``.

Only roiextractors' own extractor classes can be named; relative paths are resolved against the
folder of the file that holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ValidationError

#: extractor arguments that name files: relative values are relative to the session file
PATH_ARGUMENTS = ("file_path", "folder_path", "file_paths", "folder_paths", "timeseries", "image_masks", "raw", "dff",
                  "deconvolved", "neuropil")


def extractor_to_dict(source: Any, described: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """``{ClassName: {arguments}}`` for a source: as a file described it, else from its recorded arguments."""
    if described is not None:
        return dict(described)
    arguments = getattr(source, "_kwargs", None)
    if isinstance(arguments, Mapping) and all(isinstance(v, (str, int, float, bool, list, type(None))) for v in arguments.values()):
        return {type(source).__name__: dict(arguments)}
    raise ValidationError(
        [f"{where}.extractor: a {type(source).__name__} made in Python cannot be written to a file; describe it "
         f"in the file as {{{type(source).__name__}: {{...its arguments...}}}} instead"]
    )


def extractor_call(data: Any, where: str, base_folder: Any, kind: str) -> tuple[type, dict[str, Any]]:
    """The roiextractors class a mapping names and its arguments, relative paths resolved against ``base_folder``.

    ``kind`` is ``"imaging"`` or ``"segmentation"``. Nothing is created or read.
    """
    import roiextractors

    if not isinstance(data, Mapping) or len(data) != 1:
        raise ValidationError([f"{where}: give one extractor as {{ClassName: {{arguments}}}}, e.g. "
                               f"{{NumpyImagingExtractor: {{timeseries: movie.npy, sampling_frequency: 30}}}}"])
    (class_name, arguments), = data.items()
    base = roiextractors.ImagingExtractor if kind == "imaging" else roiextractors.SegmentationExtractor
    extractor_class = getattr(roiextractors, class_name, None) if isinstance(class_name, str) else None
    if not (isinstance(extractor_class, type) and issubclass(extractor_class, base)):
        known = sorted(n for n in dir(roiextractors) if isinstance(getattr(roiextractors, n), type)
                       and issubclass(getattr(roiextractors, n), base) and getattr(roiextractors, n) is not base)
        shown = repr(class_name) if isinstance(class_name, str) else "the name"
        raise ValidationError([f"{where}: {shown} is not a roiextractors {kind} extractor; use one of {', '.join(known)}"])
    if arguments is not None and not isinstance(arguments, Mapping):
        raise ValidationError([f"{where}.{class_name}: its arguments must be a mapping of names to values"])
    arguments = dict(arguments or {})
    for name in PATH_ARGUMENTS:
        if name in arguments and base_folder is not None:
            arguments[name] = _resolved(arguments[name], Path(base_folder))
    return extractor_class, arguments


def _resolved(value: Any, base_folder: Path) -> Any:
    if isinstance(value, str):
        return value if Path(value).is_absolute() else str(base_folder / value)
    if isinstance(value, list):
        return [_resolved(item, base_folder) for item in value]
    return value


def extractor_from_dict(data: Any, where: str, base_folder: Any, kind: str) -> Any:
    """Create a roiextractors extractor named by class: ``{TiffImagingExtractor: {file_path: ...}}``.

    Only roiextractors' own extractor classes are accepted; relative paths are resolved against
    ``base_folder`` (the session file's folder).
    """
    extractor_class, arguments = extractor_call(data, where, base_folder, kind)
    try:
        return extractor_class(**arguments)
    except Exception as error:  # noqa: BLE001 - whatever the reader raises, name the place in the file
        raise ValidationError([f"{where}.{extractor_class.__name__}: could not be created "
                               f"({type(error).__name__}: {_first_line(error)})"]) from None


def _first_line(error: Exception) -> str:
    lines = str(error).splitlines()
    return lines[0][:300] if lines else ""
