"""Storing chunks as a dataset stores them, bypassing h5py's and zarr's own codecs.

A chunk encoded here (padded to the chunk shape, in the dataset's dtype and byte order, deflated
by the fastest standard-deflate encoder installed) is exactly what HDF5's gzip filter or
numcodecs' ``GZip`` / ``Zlib`` would have stored, so every reader decodes it with plain zlib. Only
datasets whose codecs are exactly that (or none) are written this way; any other filter or codec
is left to h5py / zarr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from .compressor import Deflater, deflater


@attrs.frozen
class DirectChunks:
    """Encodes whole chunks as a dataset stores them and stores the bytes, bypassing the library's codec.

    Attributes
    ----------
    dataset
        The h5py dataset or zarr array.
    deflate
        The compressor, or ``None`` for uncompressed chunks.
    chunk_key
        Zarr only: the store key of the chunk at a grid index (``None`` for HDF5).
    """

    dataset: Any
    deflate: Deflater | None
    chunk_key: Callable[[tuple[int, ...]], str] | None = None

    def encode(self, piece: np.ndarray, offset: tuple[int, ...]) -> tuple[tuple[int, ...], Any]:
        """(offset, stored bytes) of the chunk at ``offset``: padded to the full chunk shape, as HDF5 and
        zarr v2 store edge chunks, in the dataset's own dtype and byte order."""
        chunk_shape = tuple(self.dataset.chunks)
        if piece.shape != chunk_shape:
            padded = np.zeros(chunk_shape, dtype=self.dataset.dtype)
            padded[tuple(slice(0, n) for n in piece.shape)] = piece
            piece = padded
        raw = np.ascontiguousarray(piece, dtype=self.dataset.dtype)
        return offset, raw.data if self.deflate is None else self.deflate(raw)

    def store(self, offset: tuple[int, ...], payload: Any) -> None:
        """Store one encoded chunk (HDF5: ``write_direct_chunk``; Zarr: the chunk's key in the store)."""
        if self.chunk_key is None:
            self.dataset.id.write_direct_chunk(offset, payload, filter_mask=0)
        else:
            index = tuple(o // c for o, c in zip(offset, self.dataset.chunks))
            self.dataset.chunk_store[self.chunk_key(index)] = payload

    def encode_and_store(self, piece: np.ndarray, offset: tuple[int, ...]) -> None:
        """Both, in the calling thread (Zarr chunks are separate objects: stores may run in parallel)."""
        self.store(*self.encode(piece, offset))


def hdf5_direct_chunks(dataset: Any, level: int | None, content: str = "dense") -> DirectChunks | None:
    """How to store an h5py dataset's chunks directly, or ``None`` when its filters are not plain deflate at
    ``level`` (or none): then h5py compresses, and every other filter stays honoured."""
    if not _plain_gzip(dataset, level):
        return None
    return DirectChunks(dataset, None if level is None else deflater(level, "zlib", content))


def zarr_direct_chunks(array: Any, level: int | None, content: str = "dense") -> DirectChunks | None:
    """How to store a zarr array's chunks directly under their keys, or ``None`` when its codecs are not plain
    deflate at ``level`` (or none), or its store keys chunks in a way not known here."""
    container = _plain_zarr_container(array, level)
    if container is None:
        return None
    separator = _zarr_separator(array)
    if separator is None:
        return None
    prefix = f"{array.path}/" if array.path else ""
    return DirectChunks(array, None if level is None else deflater(level, container, content),
                        lambda index: prefix + separator.join(map(str, index)))


def _plain_gzip(dataset: Any, level: int | None) -> bool:
    """Whether the dataset's filters are exactly the ones emulated here: deflate at ``level``, or none."""
    if level is None:
        return not _filter_names(dataset)
    return _filter_names(dataset) == {"gzip"} and dataset.compression_opts == level


def _filter_names(dataset: Any) -> set[str]:
    names = set()
    if dataset.compression:
        names.add(dataset.compression)
    if dataset.shuffle:
        names.add("shuffle")
    if dataset.fletcher32:
        names.add("fletcher32")
    if dataset.scaleoffset is not None:
        names.add("scaleoffset")
    return names


def _plain_zarr_container(array: Any, level: int | None) -> str | None:
    """``"zlib"`` / ``"gzip"`` when the array's only codec is numcodecs Zlib / GZip at ``level``, ``"none"``
    when it has none and ``level`` is ``None``; ``None`` for anything else (filters, other codecs)."""
    if array.filters or array.order != "C" or array.dtype.hasobject:
        return None
    compressor = array.compressor
    if level is None:
        return "none" if compressor is None else None
    codec = getattr(compressor, "codec_id", None)
    if codec in ("zlib", "gzip") and getattr(compressor, "level", None) == level:
        return codec
    return None


def _zarr_separator(array: Any) -> str | None:
    """The separator of a zarr v2 array's chunk keys, from its ``.zarray`` metadata (``"."`` when it names
    none); ``None`` for stores whose keys are not known here (nested stores name ``/`` in the metadata)."""
    import zarr

    if type(array.chunk_store) is not zarr.storage.DirectoryStore:  # not a subclass: nested stores key otherwise
        return None
    prefix = f"{array.path}/" if array.path else ""
    metadata = json.loads(array.store[prefix + ".zarray"])
    if metadata.get("zarr_format") != 2:
        return None
    return metadata.get("dimension_separator") or "."
