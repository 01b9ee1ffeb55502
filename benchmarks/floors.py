"""The benchmarks' two floors: what no writer of the data's chunks can beat on this machine.

* **compress-only**: the movie's chunks, read into memory beforehand (not timed), compressed with
  microscopy-builder's default encoder at the benchmark's level on every core; no reading, no file.
* **uncompressed copy**: the movie read from its extractor a buffer at a time, cut into the same
  chunks and their raw bytes written to one flat file; no compression, no container format.

A writer must read, compress and store, so its time is above both. Each runs in a fresh process,
three times, the best kept. The segmentation benchmark's floors do the same to its traces and
pixel masks, cut into microscopy-builder's trace chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import GZIP_LEVEL
from movie import Movie


@dataclass(frozen=True)
class Floor:
    """One floor's time and output.

    Attributes
    ----------
    label
        Name in the table.
    seconds
        Wall time of the timed part.
    stored_bytes
        Bytes produced (compressed, or copied raw).
    """

    label: str
    seconds: float
    stored_bytes: int


def _chunks(source: Any) -> Iterator[Any]:
    """Every chunk of an ``ImagingDataIterator`` (a view of the buffer read), as microscopy-builder cuts it."""
    from microscopy_builder.io.parallel import chunk_regions

    for first, block in source.blocks():
        for region in chunk_regions(first, block.shape, source.chunk_shape):
            yield block[region]


def _source(movie: Movie) -> Any:
    """The movie's frames as microscopy-builder reads them (imports done: they are not timed)."""
    from microscopy_builder.io.chunking import ImagingDataIterator

    return ImagingDataIterator(movie.extractor(), swap_xy=False)


def compress_floor(movie: Movie, repeat: int = 3) -> Floor:
    """Compress every chunk of the movie (in memory beforehand) with the default encoder on every core;
    the best of ``repeat`` passes (a floor: whatever else the machine runs can only slow it)."""
    return compress_pieces([piece for piece in _chunks(_source(movie))], repeat)


def compress_pieces(pieces: list[Any], repeat: int = 3) -> Floor:
    """The compress-only floor of ``pieces`` (arrays, one per chunk)."""
    import numpy as np
    from microscopy_builder.io.compressor import deflater
    from microscopy_builder.io.parallel import default_workers

    pieces = [np.ascontiguousarray(piece) for piece in pieces]
    compress = deflater(GZIP_LEVEL)
    workers = default_workers()
    seconds = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in range(repeat):
            start = time.perf_counter()
            total = sum(len(stream) for stream in pool.map(compress, pieces))
            seconds.append(time.perf_counter() - start)
    return Floor(f"compress-only floor ({compress.implementation} {compress.level}, {workers} threads)", min(seconds), total)


def copy_floor(movie: Movie, path: Path, repeat: int = 3) -> Floor:
    """Read the movie from its extractor and write its chunks' raw bytes to ``path``, in one thread;
    the best of ``repeat`` passes."""
    return copy_pieces(lambda: _chunks(_source(movie)), path, repeat)


def copy_pieces(pieces: Callable[[], Iterator[Any]], path: Path, repeat: int = 3) -> Floor:
    """The uncompressed-copy floor: ``pieces()`` (reading the source anew) written raw to ``path``."""
    import numpy as np

    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        total = 0
        with open(path, "wb") as file:
            for piece in pieces():
                total += file.write(np.ascontiguousarray(piece).data)
        seconds.append(time.perf_counter() - start)
        path.unlink()
    return Floor("uncompressed-copy floor (read + store raw chunks)", min(seconds), total)


def trace_chunks(arrays: list[Any]) -> Iterator[Any]:
    """Every chunk of (frames, ROIs) ``arrays`` as microscopy-builder's trace writer cuts them."""
    from microscopy_builder.emit.rois import TraceIterator

    for array in arrays:
        yield from _chunks(TraceIterator(array))
