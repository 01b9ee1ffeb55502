"""Measure every standard-deflate implementation on the imaging benchmark movie's chunks.

The calcium-like movie of ``bench_imaging.py`` is cut into microscopy-builder's default chunks (read
into memory first, not timed); every installed implementation (ISA-L ``isal``, libdeflate
``deflate``, ``zlib-ng``, Python's ``zlib``) compresses all of them at each of its own levels, on one
thread and on two, into zlib streams. Every stream is then inflated with Python's own ``zlib`` and
compared with its chunk, so a row is printed only for output any gzip reader decodes. Printed per
row: MB/s (raw bytes / wall time, MB = 1e6 bytes) on one and two threads, zlib's inflate MB/s of the
output, and raw/compressed. One thread is timed by the thread's CPU time (steady on a shared
machine), two threads and inflating by the wall clock. Then, per gzip level 1-9, the fastest (two threads) row whose output is
no larger than zlib's at that level, beside what ``microscopy_builder.io.compressor`` chooses.

Usage::

    python benchmarks/bench_deflate.py               # the 1500-frame benchmark movie
    python benchmarks/bench_deflate.py --frames 320  # a quicker, smaller sample of the same movie
    python benchmarks/bench_deflate.py --source mock # roiextractors' uniform Poisson mock instead
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from common import format_rows, load_average, machine, package_versions
from movie import DEFAULT_FRAMES, Movie, make_calcium_movie

PACKAGES = ("microscopy-builder", "isal", "deflate", "zlib-ng", "numpy")


@dataclass(frozen=True)
class Measurement:
    """One implementation at one of its own levels, on all chunks."""

    implementation: str
    level: int
    one_thread_mbs: float
    two_threads_mbs: float
    inflate_mbs: float
    ratio: float


def movie_chunks(movie: Movie) -> list[bytes]:
    """The movie cut into microscopy-builder's default chunks (edge chunks padded, as stored)."""
    import numpy as np
    from microscopy_builder.io.chunking import ImagingDataIterator
    from microscopy_builder.io.parallel import chunk_regions

    source = ImagingDataIterator(movie.extractor(), swap_xy=False)
    chunks = []
    for first, block in source.blocks():
        for region in chunk_regions(first, block.shape, source.chunk_shape):
            padded = np.zeros(source.chunk_shape, dtype=block.dtype)
            piece = block[region]
            padded[tuple(slice(0, n) for n in piece.shape)] = piece
            chunks.append(padded.tobytes())
    return chunks


def measure(name: str, level: int, chunks: list[bytes]) -> Measurement:
    """Compress ``chunks`` with one implementation at its ``level``, check and time everything."""
    from microscopy_builder.io.compressor import implementation

    compress = implementation(name)
    raw = sum(len(c) for c in chunks)

    def one(chunk: bytes) -> bytes:
        return compress(chunk, level, "zlib")

    start = time.thread_time()  # CPU time of this thread: other work on a shared machine does not count
    streams = [one(chunk) for chunk in chunks]
    one_thread = time.thread_time() - start
    with ThreadPoolExecutor(max_workers=2) as pool:
        start = time.perf_counter()
        list(pool.map(one, chunks))
        two_threads = time.perf_counter() - start
    start = time.perf_counter()
    for chunk, stream in zip(chunks, streams):
        if zlib.decompress(stream) != chunk:
            raise AssertionError(f"{name} level {level}: Python's zlib does not give the chunk back")
    inflate = time.perf_counter() - start
    return Measurement(name, level, raw / 1e6 / one_thread, raw / 1e6 / two_threads, raw / 1e6 / inflate,
                       raw / sum(len(s) for s in streams))


def measure_all(chunks: list[bytes], names: Sequence[str]) -> list[Measurement]:
    """Every level of every implementation named."""
    from microscopy_builder.io.compressor import IMPLEMENTATIONS

    results = []
    for name in names:
        for level in IMPLEMENTATIONS[name][1]:
            if level == 0:
                continue  # stored blocks (isal's 0 is a fast mode, measured below with its others)
            print(f"  {name} {level} ...", flush=True)
            results.append(measure(name, level, chunks))
    if "isal" in names:
        results.append(measure("isal", 0, chunks))
    return results


def best_per_gzip_level(results: list[Measurement]) -> dict[int, Measurement]:
    """Per gzip level 1-9: the fastest (two threads) result at least as small as zlib's at that level."""
    zlib_ratio = {r.level: r.ratio for r in results if r.implementation == "zlib"}
    best = {}
    for gzip_level in range(1, 10):
        eligible = [r for r in results if r.ratio >= zlib_ratio[gzip_level]]
        best[gzip_level] = max(eligible, key=lambda r: r.two_threads_mbs)
    return best


def report(results: list[Measurement]) -> list[str]:
    """The table of every measurement, then the choice per gzip level."""
    from microscopy_builder.io.compressor import deflater

    rows = [("implementation", "level", "MB/s 1 thread", "MB/s 2 threads", "zlib inflate MB/s", "raw/compressed")]
    rows += [(r.implementation, str(r.level), f"{r.one_thread_mbs:.1f}", f"{r.two_threads_mbs:.1f}",
              f"{r.inflate_mbs:.0f}", f"{r.ratio:.3f}") for r in results]
    lines = format_rows(rows, left=1)
    by_key = {(r.implementation, r.level): r for r in results}
    rows = [("gzip level", "zlib ratio", "fastest as small", "its MB/s (2 threads)", "its ratio", "library uses")]
    zlib_rows = {r.level: r for r in results if r.implementation == "zlib"}
    for gzip_level, chosen in best_per_gzip_level(results).items():
        used = deflater(gzip_level)
        mark = "" if (used.implementation, used.level) == (chosen.implementation, chosen.level) else "  (differs)"
        measured = by_key.get((used.implementation, used.level))
        used_ratio = f", {measured.ratio:.3f}" if measured else ""
        rows.append((str(gzip_level), f"{zlib_rows[gzip_level].ratio:.3f}", f"{chosen.implementation} {chosen.level}",
                     f"{chosen.two_threads_mbs:.1f}", f"{chosen.ratio:.3f}",
                     f"{used.implementation} {used.level}{used_ratio}{mark}"))
    return [*lines, "", *format_rows(rows, left=1)]


def main(argv: Sequence[str] | None = None) -> int:
    """Make the movie, cut it, measure every installed implementation, print the tables."""
    from microscopy_builder.io.compressor import installed

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help=f"frames of the movie (default {DEFAULT_FRAMES})")
    parser.add_argument("--source", choices=("calcium", "mock"), default="calcium",
                        help="the calcium-like benchmark movie (default) or roiextractors' Poisson mock")
    arguments = parser.parse_args(argv)
    movie = Movie(frames=arguments.frames, source=arguments.source)
    print(f"{movie.describe()} = {movie.raw_bytes / 1e6:.1f} MB raw; load average {load_average()}")
    print(machine())
    print(package_versions(PACKAGES))
    with tempfile.TemporaryDirectory(prefix="bench-deflate-") as folder:
        if movie.source == "calcium":
            movie = replace(movie, npy_path=make_calcium_movie(movie, str(Path(folder) / "movie.npy")))
        chunks = movie_chunks(movie)
    print(f"{len(chunks)} chunks of {len(chunks[0]) / 2**20:.1f} MiB; implementations installed: {', '.join(installed())}")
    results = measure_all(chunks, installed())
    print()
    for line in report(results):
        print(line)
    print(f"load average after the run {load_average()}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
