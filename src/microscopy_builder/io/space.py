"""Free disk space, checked before a write that could run out of it.

An estimate never counts on compression: it is the uncompressed size of every dataset streamed
from a source plus a margin for metadata, so a write the check lets through does not run out of
space unless something else fills the disk meanwhile.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError

#: room left for metadata, namespaces and HDF5's own bookkeeping
METADATA_MARGIN_BYTES = 4 * 1024**2


def uncompressed_bytes(datasets: Iterable[Any]) -> int:
    """The raw size of datasets given as arrays or chunk iterators (anything with shape/maxshape and dtype)."""
    total = 0
    for data in datasets:
        shape = getattr(data, "maxshape", None) or getattr(data, "shape", None)
        dtype = getattr(data, "dtype", None)
        if shape is None or dtype is None:
            continue
        total += math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
    return total


def free_bytes(path: Path) -> int:
    """Bytes free for this user on the file system of ``path`` (or of its nearest existing parent)."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    return shutil.disk_usage(existing).free


def require_space(path: Path, needed: int, what: str) -> None:
    """Raise ``ValidationError`` before writing when fewer than ``needed`` bytes (plus a margin) are free."""
    needed += METADATA_MARGIN_BYTES
    free = free_bytes(path)
    if free < needed:
        raise ValidationError(
            [f"path: {what} needs up to {_megabytes(needed)} (uncompressed, with room for metadata) but only "
             f"{_megabytes(free)} are free on the disk of {str(path)!r}; free some space or write elsewhere "
             f"(nothing was written)"]
        )


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"
