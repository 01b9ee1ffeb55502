"""What a reader pays for one frame and for one pixel's whole time course, from a file's chunk layout.

A reader decompresses every chunk its selection touches, whole; a streaming reader that fetches
whole chunks over the network (remfile on an HDF5 file, LINDI, a Zarr store on S3) downloads each
touched chunk's *stored* (compressed) bytes in one request per chunk. So both costs follow from the
chunk grid and the stored chunk sizes, read here from the file itself (h5py's chunk index, the Zarr
store's chunk objects) with no data decompressed.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Cost:
    """The chunks one selection touches.

    Attributes
    ----------
    chunks
        How many chunks (one request each for a streaming reader).
    raw_bytes
        Bytes decompressed: every touched chunk's full size (HDF5 and Zarr v2 store edge chunks padded).
    stored_bytes
        Bytes fetched by a reader of whole chunks: the touched chunks' compressed sizes.
    """

    chunks: int
    raw_bytes: int
    stored_bytes: int


@dataclass(frozen=True)
class ReadCosts:
    """The chunk layout of one imaging dataset and what reading a frame and a time course costs."""

    chunk_shape: tuple[int, ...]
    chunk_bytes: int
    frame: Cost
    time_course: Cost


def read_costs(path: Path) -> ReadCosts:
    """Costs of reading the middle frame and the middle pixel's time course of the file's only
    acquisition series (HDF5 or Zarr NWB)."""
    if Path(path).is_dir():
        import zarr

        (series,) = zarr.open_group(str(path), mode="r")["acquisition"].group_keys()
        array = zarr.open_group(str(path), mode="r")[f"acquisition/{series}/data"]
        shape, chunks, itemsize = array.shape, array.chunks, array.dtype.itemsize
        stored = _zarr_chunk_sizes(array)
    else:
        import h5py

        with h5py.File(path, "r") as file:
            (series,) = file["acquisition"]
            dataset = file[f"acquisition/{series}/data"]
            shape, chunks, itemsize = dataset.shape, dataset.chunks, dataset.dtype.itemsize
            stored = _hdf5_chunk_sizes(dataset)
    chunk_bytes = math.prod(chunks) * itemsize
    middle = tuple(n // 2 for n in shape)
    frame = [c for c in stored if c[0] == middle[0] // chunks[0]]
    course = [c for c in stored if all(i == m // n for i, m, n in zip(c[1:], middle[1:], chunks[1:]))]
    return ReadCosts(
        tuple(chunks),
        chunk_bytes,
        Cost(len(frame), len(frame) * chunk_bytes, sum(stored[c] for c in frame)),
        Cost(len(course), len(course) * chunk_bytes, sum(stored[c] for c in course)),
    )


def _hdf5_chunk_sizes(dataset: Any) -> dict[tuple[int, ...], int]:
    """Chunk grid index -> stored bytes, from HDF5's chunk index."""
    sizes = {}
    for number in range(dataset.id.get_num_chunks()):
        info = dataset.id.get_chunk_info(number)
        sizes[tuple(o // c for o, c in zip(info.chunk_offset, dataset.chunks))] = info.size
    return sizes


def _zarr_chunk_sizes(array: Any) -> dict[tuple[int, ...], int]:
    """Chunk grid index -> stored bytes, from the store's chunk objects (missing ones: not stored)."""
    prefix = f"{array.path}/" if array.path else ""
    separator = json.loads(array.store[prefix + ".zarray"]).get("dimension_separator") or "."
    grid = [range(math.ceil(n / c)) for n, c in zip(array.shape, array.chunks)]
    sizes = {}
    for index in itertools.product(*grid):
        key = prefix + separator.join(map(str, index))
        if key in array.chunk_store:
            sizes[index] = array.chunk_store.getsize(key)
    return sizes


def cost_rows(costs: dict[str, ReadCosts], references: dict[str, str]) -> list[tuple[str, ...]]:
    """Table rows: per file, the chunk shape and both costs, locally (MB decompressed) and streamed
    (MB fetched), each with its ratio to the file ``references`` names for it (below 1: cheaper)."""
    rows = [("file", "chunks", "chunk MiB", "frame: chunks", "MB decompressed", "MB fetched",
             "time course: chunks", "MB decompressed", "MB fetched")]
    for label, cost in costs.items():
        base = costs[references.get(label, label)]
        rows.append((
            label, "x".join(map(str, cost.chunk_shape)), f"{cost.chunk_bytes / 2**20:.1f}",
            str(cost.frame.chunks), _with_ratio(cost.frame.raw_bytes, base.frame.raw_bytes),
            _with_ratio(cost.frame.stored_bytes, base.frame.stored_bytes),
            str(cost.time_course.chunks), _with_ratio(cost.time_course.raw_bytes, base.time_course.raw_bytes),
            _with_ratio(cost.time_course.stored_bytes, base.time_course.stored_bytes),
        ))
    return rows


def _with_ratio(value: int, reference: int) -> str:
    return f"{value / 1e6:.1f} ({value / reference:.2f})"
