"""CaImAn: the ``params`` group of its HDF5 results (the settings the analysis ran with)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import Collector, empty, floats, to_int, to_text
from .metadata import SourceMetadata

VENDOR = "CaImAn"
SUFFIXES = (".hdf5", ".h5")
RATE_NOTE = "the rate CaImAn was given (params/data/fr), not read from the raw files; check it against the acquisition"


def is_caiman(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as file:
            return isinstance(file.get("params"), h5py.Group) and isinstance(file.get("estimates"), h5py.Group)
    except (OSError, ValueError):
        return False


def read(path: Path) -> SourceMetadata:
    """The facts a CaImAn results file's ``params`` record."""
    import h5py

    path = Path(path)
    try:
        with h5py.File(path, "r") as file:
            group = file.get("params")
            if not isinstance(group, h5py.Group):
                return empty(f"{path}: no CaImAn params group")
            facts = Collector(VENDOR, [path])
            params = facts.attempt("params", lambda: _group(group)) or {}
    except OSError as error:
        return empty(f"{path}: not read as HDF5 ({error})")
    facts.raw = {"params": params}
    data = params.get("data") if isinstance(params.get("data"), dict) else {}
    key = f"{path.name} params/data/"
    facts.fact("frame_rate_hz", data.get("fr"), key + "fr", unit="Hz", note=RATE_NOTE)
    facts.fact("frame_shape", data.get("dims"), key + "dims", lambda d: tuple(to_int(v) for v in floats(d)))
    facts.fact("pixel_size_um", data.get("dxy"), key + "dxy", lambda d: _pair(floats(d))[::-1], unit="um",
               note="dxy is per axis of dims (rows, columns), given here as (x, y); CaImAn's default is (1, 1): "
                    "check it was set")
    facts.fact("source_files", data.get("fnames"), key + "fnames", _names)
    return facts.build()


def _group(group: Any) -> dict[str, Any]:
    import h5py

    out: dict[str, Any] = {}
    for name, item in group.items():
        if isinstance(item, h5py.Group):
            out[name] = _group(item)
        else:
            value = item[()]
            out[name] = value.decode() if isinstance(value, bytes) else value
    return out


def _pair(values: tuple[float, ...]) -> tuple[float, ...]:
    return values * 2 if len(values) == 1 else values


def _names(value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, (str, bytes)) else (value.tolist() if hasattr(value, "tolist") else list(value))
    return tuple(to_text(v) for v in values if to_text(v) != "NoneType")  # h5py's text for a saved None
