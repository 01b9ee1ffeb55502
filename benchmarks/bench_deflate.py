"""Measure every standard-deflate implementation on the imaging benchmark movie's chunks.

The calcium-like movie of ``bench_imaging.py`` is cut into microscopy-builder's default chunks (read
into memory first, not timed); every installed implementation (ISA-L ``isal``, libdeflate
``deflate``, ``zlib-ng``, Python's ``zlib``) compresses all of them at each of its own levels, on one
thread and on two, into zlib streams. Every stream is then inflated with Python's own ``zlib`` and
compared with its chunk, so a row is printed only for output any gzip reader decodes. Printed per
row: MB/s (raw bytes / time, MB = 1e6 bytes) on one and two threads, zlib's inflate MB/s of the
output, and raw/compressed. One thread is timed by the thread's CPU time (steady on a shared
machine), two threads and inflating by the wall clock. Then, per gzip level 1-9, the pick (rule in
:func:`best_per_gzip_level`) beside what ``microscopy_builder.io.compressor`` chooses with what is
installed, and whether that is no larger than zlib's output at the level.

Usage::

    python benchmarks/bench_deflate.py               # the 1500-frame benchmark movie
    python benchmarks/bench_deflate.py --frames 320  # a quicker, smaller sample of the same movie
    python benchmarks/bench_deflate.py --source mock # roiextractors' uniform Poisson mock instead
"""

from __future__ import annotations

import argparse
import math
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


def measure(name: str, level: int, chunks: list[bytes], repeat: int = 1) -> Measurement:
    """Compress ``chunks`` with one implementation at its ``level``, check and time everything (the
    best of ``repeat`` passes)."""
    from microscopy_builder.io.compressor import implementation

    compress = implementation(name)
    raw = sum(len(c) for c in chunks)

    def one(chunk: bytes) -> bytes:
        return compress(chunk, level, "zlib")

    one_thread = two_threads = math.inf
    for _ in range(repeat):
        start = time.thread_time()  # CPU time of this thread: other work on a shared machine does not count
        streams = [one(chunk) for chunk in chunks]
        one_thread = min(one_thread, time.thread_time() - start)
        with ThreadPoolExecutor(max_workers=2) as pool:
            start = time.perf_counter()
            list(pool.map(one, chunks))
            two_threads = min(two_threads, time.perf_counter() - start)
    start = time.perf_counter()
    for chunk, stream in zip(chunks, streams):
        if zlib.decompress(stream) != chunk:
            raise AssertionError(f"{name} level {level}: Python's zlib does not give the chunk back")
    inflate = time.perf_counter() - start
    return Measurement(name, level, raw / 1e6 / one_thread, raw / 1e6 / two_threads, raw / 1e6 / inflate,
                       raw / sum(len(s) for s in streams))


def measure_all(chunks: list[bytes], names: Sequence[str], repeat: int = 1) -> list[Measurement]:
    """Every level of every implementation named."""
    from microscopy_builder.io.compressor import IMPLEMENTATIONS

    results = []
    for name in names:
        for level in IMPLEMENTATIONS[name][1]:
            if level == 0:
                continue  # stored blocks (isal's 0 is a fast mode, measured below with its others)
            print(f"  {name} {level} ...", flush=True)
            results.append(measure(name, level, chunks, repeat))
    if "isal" in names:
        results.append(measure("isal", 0, chunks, repeat))
    return results


SAME_SPEED = 0.05  # speeds this close are one speed: the smaller output wins (then the first measured)
SMALLER = 0.01  # levels 7 and 8 must be at least this much smaller than the level below


def fastest(candidates: list[Measurement]) -> Measurement:
    """The fastest on one thread; among those within ``SAME_SPEED`` of it, the smallest output."""
    top = max(r.one_thread_mbs for r in candidates)
    close = [r for r in candidates if r.one_thread_mbs >= top * (1 - SAME_SPEED)]
    return max(close, key=lambda r: r.ratio)  # max keeps the first of equal ratios


def best_per_gzip_level(results: list[Measurement]) -> dict[int, Measurement]:
    """The pick per gzip level, from the measurements (speed: one thread, CPU time).

    * 1-6: the fastest whose output is no larger than zlib's at that level, nor than the pick for
      the level below (a higher level never gives a larger file);
    * 7-8: the fastest whose output is also at least 1 % smaller than the pick for the level below
      (the small levels trade speed for size, as in gzip);
    * 9: the smallest output of all.
    """
    zlib_ratio = {r.level: r.ratio for r in results if r.implementation == "zlib"}
    best: dict[int, Measurement] = {}
    below = 0.0
    for gzip_level in range(1, 10):
        need = max(zlib_ratio[gzip_level], below * (1 + SMALLER) if gzip_level in (7, 8) else below)
        eligible = [r for r in results if r.ratio >= need]
        if gzip_level == 9 or not eligible:
            best[gzip_level] = max(results, key=lambda r: r.ratio)
        else:
            best[gzip_level] = fastest(eligible)
        below = best[gzip_level].ratio
    return best


def report(results: list[Measurement]) -> list[str]:
    """The table of every measurement, then the pick per gzip level beside the library's choice."""
    from microscopy_builder.io.compressor import deflater

    rows = [("implementation", "level", "MB/s 1 thread", "MB/s 2 threads", "zlib inflate MB/s", "raw/compressed")]
    rows += [(r.implementation, str(r.level), f"{r.one_thread_mbs:.1f}", f"{r.two_threads_mbs:.1f}",
              f"{r.inflate_mbs:.0f}", f"{r.ratio:.4f}") for r in results]
    lines = format_rows(rows, left=1)
    by_key = {(r.implementation, r.level): r for r in results}
    zlib_rows = {r.level: r for r in results if r.implementation == "zlib"}
    rows = [("gzip level", "zlib MB/s", "zlib ratio", "pick", "MB/s", "ratio", "library uses", "MB/s", "ratio",
             "x zlib speed", "no larger than zlib")]
    differing = []
    for gzip_level, pick in best_per_gzip_level(results).items():
        used = deflater(gzip_level)
        if (used.implementation, used.level) != (pick.implementation, pick.level):
            differing.append(str(gzip_level))
        measured = by_key[(used.implementation, used.level)]
        reference = zlib_rows[gzip_level]
        rows.append((str(gzip_level), f"{reference.one_thread_mbs:.1f}", f"{reference.ratio:.4f}",
                     f"{pick.implementation} {pick.level}", f"{pick.one_thread_mbs:.1f}", f"{pick.ratio:.4f}",
                     f"{used.implementation} {used.level}", f"{measured.one_thread_mbs:.1f}", f"{measured.ratio:.4f}",
                     f"{measured.one_thread_mbs / reference.one_thread_mbs:.1f}",
                     "yes" if measured.ratio >= reference.ratio else "NO"))
    verdict = f"the library differs from the picks at levels {', '.join(differing)}" if differing else \
        "the library uses the picks at every level"
    return [*lines, "", *format_rows(rows, left=1), verdict]


def main(argv: Sequence[str] | None = None) -> int:
    """Make the movie, cut it, measure every installed implementation, print the tables."""
    from microscopy_builder.io.compressor import installed

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help=f"frames of the movie (default {DEFAULT_FRAMES})")
    parser.add_argument("--source", choices=("calcium", "mock"), default="calcium",
                        help="the calcium-like benchmark movie (default) or roiextractors' Poisson mock")
    parser.add_argument("--repeat", type=int, default=1, help="passes per measurement, the best kept (default 1)")
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
    results = measure_all(chunks, installed(), max(1, arguments.repeat))
    print()
    for line in report(results):
        print(line)
    print(f"load average after the run {load_average()}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
