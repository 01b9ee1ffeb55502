"""Benchmark: translating an NWB file between layouts against writing the same movie from an extractor.

The calcium-like movie (``movie.py``, 256 x 256 uint16) is written by microscopy-builder from
roiextractors' ``NumpyImagingExtractor`` in both layouts (HDF5); then each file is translated
to the other layout with ``mb.translate``. A translation reads the stored (compressed) frames
instead of the extractor's, and otherwise writes exactly as a fresh write does, so the number to
watch is its speed relative to writing the same movie in the same layout from the extractor:

    ratio = seconds(write <layout> from the extractor) / seconds(translate into <layout>)

(target: at least 0.8). Every run is measured in a freshly spawned process of its own
(``common.measure``), three times, the fastest kept; each translated file is read back and
compared frame by frame with the movie.

Usage::

    python benchmarks/bench_translate.py             # 1500 frames, ~197 MB raw
    python benchmarks/bench_translate.py --quick     # 200 frames
    python benchmarks/bench_translate.py --frames 3000 --workdir /scratch
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from common import RESULT_HEADER_RAW, Result, Tool, format_rows, header_lines, in_fresh_process, measure, memory_note, \
    result_cells, sample_indices, warning_lines
from bench_imaging import write_with_microscopy_builder
from movie import DEFAULT_FRAMES, Movie, make_calcium_movie

TARGET = 0.8
MODULES = ("microscopy_builder", "ndx_microscopy")
LAYOUTS = ("legacy", "ndx-microscopy")


def _write(format: str, extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format=format)


def _translate(format: str, source: Path, path: Path) -> None:
    import warnings

    import microscopy_builder as mb

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mb.CompatibilityWarning)  # the rig description, named once: measured elsewhere
        mb.translate(source, path, format=format, progress=False)


def _movie_source(movie: Movie) -> Any:
    return movie.extractor()


def _path_source(path: Path) -> Path:
    return path


def other(format: str) -> str:
    return LAYOUTS[1 - LAYOUTS.index(format)]


def fastest(runs: int, function: Any, *args: Any) -> Result:
    results = [in_fresh_process(function, *args) for _ in range(runs)]
    return min(results, key=lambda r: (r.error is not None, r.seconds))


def check(movie: Movie, path: Path) -> list[str]:
    """Problems of a translated file: its only series must hold the movie's frames (in its layout's axis order)."""
    import numpy as np
    from pynwb import NWBHDF5IO

    frames = movie.extractor()
    with NWBHDF5IO(str(path), "r") as io:
        series = next(iter(io.read().acquisition.values()))
        transposed = type(series).__name__ == "TwoPhotonSeries"
        problems = []
        for index in sample_indices(movie.frames):
            stored = np.asarray(series.data[index])
            expected = frames.get_series(index, index + 1)[0]
            if not np.array_equal(stored.T if transposed else stored, expected):
                problems.append(f"{path.name}: frame {index} differs from the movie")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES)
    parser.add_argument("--quick", action="store_true", help="200 frames")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, the fastest kept")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary folder)")
    args = parser.parse_args(argv)
    movie = Movie(frames=200 if args.quick else args.frames)
    folder = Path(tempfile.mkdtemp(prefix="bench-translate-", dir=args.workdir))
    try:
        movie = replace(movie, npy_path=make_calcium_movie(movie, str(folder / "movie.npy")))
        print("\n".join(header_lines(f"Translation benchmark: {movie.describe()} ({movie.raw_bytes / 1e6:.0f} MB raw), HDF5")))
        rows, results, problems, ratios = [("run", *RESULT_HEADER_RAW)], [], [], []
        written = {}
        for format in LAYOUTS:
            tool = Tool(f"write {format} from the extractor", MODULES, functools.partial(_write, format))
            written[format] = fastest(args.repeat, measure, tool.label, tool,
                                      functools.partial(_movie_source, movie), folder / f"written_{format}.nwb")
        for format in LAYOUTS:
            source = folder / f"written_{other(format)}.nwb"
            tool = Tool(f"translate {other(format)} -> {format}", MODULES, functools.partial(_translate, format))
            translated = fastest(args.repeat, measure, tool.label, tool, functools.partial(_path_source, source),
                                 folder / f"translated_{format}.nwb")
            problems += check(movie, folder / f"translated_{format}.nwb")
            ratios.append((format, written[format].seconds / translated.seconds))
            results += [written[format], translated]
            rows += [(r.run, *result_cells(r, movie.raw_bytes)) for r in (written[format], translated)]
        print("\n".join(format_rows(rows)))
        for format, ratio in ratios:
            verdict = "meets" if ratio >= TARGET else "misses"
            print(f"translate into {format}: {ratio:.2f}x the speed of writing the same movie from the extractor "
                  f"({verdict} the {TARGET}x target)")
        print("\n".join(warning_lines(results, lambda r: r.run)))
        print(memory_note("building the source"))
        print("\n".join(problems) or "every translated file holds the movie")
        return 1 if problems else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
