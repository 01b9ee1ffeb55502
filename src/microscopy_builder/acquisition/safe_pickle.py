"""Load pickled ``.npy`` files (Suite2p's ``ops.npy``) without letting them run code.

``numpy.load(..., allow_pickle=True)`` runs whatever the pickle names. Here the unpickler resolves
only numpy's array and dtype reconstruction helpers, a few date and time types and plain builtins
(Python's pickle documentation, "Restricting Globals"); anything else is refused.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    *(("builtins", name) for name in ("set", "frozenset", "complex", "slice", "range", "bytearray", "list", "dict",
                                      "tuple", "str", "bytes", "int", "float", "bool", "object")),
    ("collections", "OrderedDict"),
}


class RefusedPickle(pickle.UnpicklingError):
    """The pickle names something other than plain data."""


#: what ``load_npy`` raises on a file it will not or cannot read
LOAD_ERRORS = (pickle.UnpicklingError, ValueError, OSError, EOFError)


class PlainUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the ``ALLOWED`` (module, name) pairs."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise RefusedPickle(f"the pickle asks for {module}.{name}, which is not plain data; refused")


def load_npy(path: Path) -> np.ndarray:
    """An ``.npy`` array; object arrays are unpickled with only plain-data types allowed.

    Raises
    ------
    RefusedPickle
        The file's pickle names a function or class outside the allowed list.
    ValueError
        The file is not an ``.npy`` file.
    """
    with open(path, "rb") as file:
        version = npy_format.read_magic(file)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(file)
        else:
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(file)
        if not dtype.hasobject:
            file.seek(0)
            return np.load(file)  # plain arrays: numpy never unpickles these
        array = PlainUnpickler(file).load()
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: the pickle holds a {type(array).__name__}, not an array")
    return array
