"""Pickled data files checked without running them, before an extractor that unpickles reads them.

Some roiextractors extractors unpickle what they read: ``Suite2pSegmentationExtractor`` loads
``ops.npy`` and ``stat.npy`` with ``np.load(..., allow_pickle=True)``, and unpickling can call any
Python function (``os.system``, ``builtins.eval``, ...). A pickle names every function and class it
calls, so it can be read with an unpickler that knows only a few harmless ones (the "Restricting
Globals" recipe of Python's ``pickle`` documentation): numpy's array and scalar reconstruction
helpers, ``ndarray``, ``dtype``, a few plain builtins and ``datetime``. That is all plain Suite2p
output holds (dicts, lists, arrays, numbers, strings, its processing date). Anything else is
refused without being called: the check reads the whole pickle, and any name outside the list,
or any failure, refuses the file.

Zarr stores (Minian output, NWB files in Zarr) are unpickled when an array names numcodecs'
``pickle`` codec; such a store is refused (NWB files written by hdmf-zarr use ``json2`` instead).
Extractors that unpickle in ways this module cannot check (``SimaSegmentationExtractor``: dill
pickles of the ``sima`` package's own classes) are refused outright.
"""

from __future__ import annotations

import builtins
import codecs
import datetime as dt
import json
import math
import os
import pickle
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ValidationError

#: extractors whose unpickling cannot be checked; refused unless the data is trusted
UNCHECKABLE = {"SimaSegmentationExtractor": "it unpickles sima datasets (dill pickles of arbitrary classes)"}


class _Refused(pickle.UnpicklingError):
    """A pickle reaching for a name outside the allowed ones."""

    def __str__(self) -> str:
        return f"{self.args[0]} (refused: not plain data)"


def _no_size(constructor: type) -> Any:
    """``bytes`` / ``bytearray`` from data, never ``bytes(10**12)`` (a size to allocate)."""

    def from_data(*args: Any) -> Any:
        if args and isinstance(args[0], int):
            raise _Refused(f"builtins.{constructor.__name__} of a size")
        return constructor(*args)

    return from_data


def _empty_array(reconstruct: Any) -> Any:
    """numpy's ``_reconstruct`` makes an empty array that the pickle then fills; a larger one is refused."""

    def empty(subtype: Any, shape: Any, dtype: Any) -> Any:
        if subtype is not np.ndarray or not isinstance(shape, tuple) or math.prod(shape) > 1:
            raise _Refused("numpy's _reconstruct with an unusual class or shape")
        return reconstruct(subtype, shape, dtype)

    return empty


def _allowed() -> dict[tuple[str, str], Any]:
    reconstruct = np.zeros(1).__reduce__()[0]  # numpy's own helpers, found without naming private modules
    scalar = np.float64(0).__reduce__()[0]
    frombuffer = np.zeros(1).__reduce_ex__(5)[0]
    allowed: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                                           ("_codecs", "encode"): codecs.encode}  # protocol 2 spells bytes so
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[module, "_reconstruct"] = _empty_array(reconstruct)
        allowed[module, "scalar"] = scalar
    for module in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[module, "_frombuffer"] = frombuffer
    for module in ("builtins", "__builtin__"):
        for name in ("set", "frozenset", "complex", "slice", "int", "float", "str", "bool", "list", "dict", "tuple"):
            allowed[module, name] = getattr(builtins, name)
        allowed[module, "bytes"] = _no_size(bytes)
        allowed[module, "bytearray"] = _no_size(bytearray)
    for name in ("datetime", "date", "time", "timedelta", "timezone"):
        allowed["datetime", name] = getattr(dt, name)
    allowed["collections", "OrderedDict"] = OrderedDict
    return allowed


_ALLOWED = _allowed()


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can make only plain data: numpy arrays and scalars, builtins, datetimes."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("a persistent id")


def check_npy(path: Path) -> None:
    """Refuse a ``.npy`` file whose pickled content reaches beyond plain data; nothing in it runs.

    Arrays of numbers hold no pickle and pass after their header is read. An object array's data is
    a pickle stream, read here with :class:`RestrictedUnpickler`.

    Raises
    ------
    ValueError
        Naming the file and what it reaches for.
    """
    if not path.is_file():
        raise ValueError(f"{path}: not a regular file")
    with open(path, "rb") as file:
        try:
            version = np.lib.format.read_magic(file)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            _, _, dtype = read_header(file)
        except (ValueError, OSError, SyntaxError):
            # np.load(allow_pickle=True) unpickles a file without the .npy header as a whole: never let it
            raise ValueError(f"{path}: not a .npy file (no valid .npy header); it would be unpickled as a whole, "
                             f"so it is refused") from None
        if not dtype.hasobject:
            return
        try:
            RestrictedUnpickler(file, encoding="ASCII").load()  # as np.load unpickles it
        except _Refused as error:
            raise ValueError(f"{path}: its pickled data reaches for {error}, which plain Suite2p data never does; "
                             f"refused without running it") from None
        except Exception as error:  # noqa: BLE001 - a pickle this check cannot read is refused, never passed
            raise ValueError(f"{path}: its pickled data could not be checked ({type(error).__name__}); "
                             f"refused without running it") from None


#: what :func:`load_npy` raises on a file it will not or cannot read
LOAD_ERRORS = (pickle.UnpicklingError, ValueError, OSError, EOFError)


def load_npy(path: Path) -> np.ndarray:
    """An ``.npy`` array, its pickled content (object arrays such as Suite2p's ``ops.npy``) read with
    :class:`RestrictedUnpickler`: only plain data comes back, nothing in the file runs.

    Raises
    ------
    pickle.UnpicklingError
        The pickle reaches for a name outside the allowed ones.
    ValueError
        The file is not a ``.npy`` file, or holds something other than an array.
    """
    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        _, _, dtype = read_header(file)
        if not dtype.hasobject:
            file.seek(0)
            return np.load(file)  # arrays of numbers: numpy never unpickles these
        array = RestrictedUnpickler(file, encoding="ASCII").load()
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: the pickle holds a {type(array).__name__}, not an array")
    return array


#: extractors that read Zarr stores (Minian output, NWB files in Zarr), and the argument naming the store
ZARR_READERS = {"MinianSegmentationExtractor": "folder_path", "NwbImagingExtractor": "file_path",
                "NwbSegmentationExtractor": "file_path"}
#: how many folders of one Zarr store are looked through, and how large one metadata file may be
MAX_ZARR_FOLDERS, MAX_ZARR_METADATA = 100_000, 16 * 2**20


def check_zarr(path: Path) -> None:
    """Refuse a Zarr store whose arrays name numcodecs' ``pickle`` codec (decoding them unpickles).

    An HDF5 file passes (h5py never unpickles). Any other file is refused: zarr would open a ``.zip``
    as a store whose metadata this check does not read.

    Raises
    ------
    ValueError
        Naming the metadata file (or the store) at fault.
    """
    import h5py

    if path.is_file():
        if h5py.is_hdf5(path):
            return
        raise ValueError(f"{path}: neither an HDF5 file nor a Zarr folder, so its content cannot be checked")
    if not path.is_dir():
        return  # missing: the extractor says so
    seen: set[str] = set()
    for folder, _, files in os.walk(path, followlinks=True):  # zarr follows links too
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        if len(seen) > MAX_ZARR_FOLDERS:
            raise ValueError(f"{path}: more than {MAX_ZARR_FOLDERS:,} folders, too many to check")
        for name in files:
            if name in (".zarray", ".zmetadata") and _names_pickle(Path(folder) / name):
                raise ValueError(f"{Path(folder) / name}: names numcodecs' pickle codec, whose data is unpickled "
                                 f"(and can run code) when read; refused without reading it")


def _names_pickle(metadata: Path) -> bool:
    try:
        with open(metadata, "rb") as file:
            raw = file.read(MAX_ZARR_METADATA + 1)
        if len(raw) > MAX_ZARR_METADATA:
            return True  # too large to check: treated as unsafe
        stack = [json.loads(raw)]
    except (OSError, ValueError, RecursionError):
        return False  # unreadable metadata: zarr cannot open that array either
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("id") == "pickle":
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def pickled_files(class_name: str, arguments: Mapping[str, Any]) -> list[Path]:
    """The files an extractor will unpickle, for the extractors known to unpickle."""
    if class_name != "Suite2pSegmentationExtractor" or not isinstance(arguments.get("folder_path"), str):
        return []
    folder = Path(arguments["folder_path"])
    planes = [folder / arguments["plane_name"]] if isinstance(arguments.get("plane_name"), str) else sorted(folder.glob("plane*"))
    return [plane / name for plane in planes for name in ("ops.npy", "stat.npy") if (plane / name).exists()]


def check_extractor_data(class_name: str, arguments: Mapping[str, Any], where: str) -> None:
    """Refuse what an extractor would unpickle unsafely, before it is created.

    Raises
    ------
    ValidationError
        One problem per refused file (or the extractor itself, for ``UNCHECKABLE`` ones), at ``where``.
    """
    fix = "convert with --trust-data (load_session_file(..., trust_data=True)) only if you trust where the data came from"
    if class_name in UNCHECKABLE:
        raise ValidationError([f"{where}: {class_name} is refused in safe mode: {UNCHECKABLE[class_name]}, which can run "
                               f"code that cannot be checked first; {fix}"])
    checks = [(check_npy, path) for path in pickled_files(class_name, arguments)]
    store = arguments.get(ZARR_READERS.get(class_name, ""))
    if isinstance(store, str):
        checks.append((check_zarr, Path(store)))
    problems = []
    for check, path in checks:
        try:
            check(path)
        except ValueError as error:
            problems.append(f"{where}: {error}; {fix}")
    if problems:
        raise ValidationError(problems)
