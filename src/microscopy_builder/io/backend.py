"""Which pynwb IO class reads and writes each backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynwb import NWBHDF5IO


def io_class(backend: str) -> Callable[..., Any]:
    """``NWBHDF5IO`` for ``"hdf5"``, hdmf-zarr's ``NWBZarrIO`` for ``"zarr"`` (imported only when used)."""
    if backend == "zarr":
        from hdmf_zarr.nwb import NWBZarrIO

        return NWBZarrIO
    return NWBHDF5IO
