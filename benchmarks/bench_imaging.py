"""Benchmark: write one imaging movie to NWB (HDF5 and Zarr) with microscopy-builder and NeuroConv.

The same movie is written, in one run, by

* microscopy-builder, ``format="legacy"`` (core ``TwoPhotonSeries``) to HDF5,
* microscopy-builder, ``format="ndx-microscopy"`` (``PlanarMicroscopySeries`` or
  ``VolumetricMicroscopySeries``) to HDF5 and to Zarr,
* NeuroConv (``add_imaging_to_nwbfile`` + ``configure_and_write_nwbfile``, its default
  configuration with gzip level 4) to HDF5 and to Zarr,

each in its own freshly spawned process (``common.measure``), three times, the fastest kept (other
work on a shared machine only ever slows a run; ``--repeat``). Beside them run two floors
(``floors.py``): compress-only (the default encoder on every core, no I/O) and an uncompressed
copy (read the source, store raw chunk bytes). Every output is read back in another fresh process
and a few frames are compared with the source; then the cost of reading one frame and one pixel's
time course is taken from each file's chunk layout (``read_cost.py``).

The default movie is calcium-like (``movie.py``): 256 x 256 uint16 at 30 Hz, precomputed into a
``.npy`` file that every tool reads through roiextractors' ``NumpyImagingExtractor``
(memory-mapped, as TIFF stacks are). ``--source mock`` uses roiextractors' lazy
``MockImagingExtractor`` instead; ``--planes N`` writes volumes (mock source).

Usage::

    python benchmarks/bench_imaging.py            # ~200 MB of raw frames (1500 frames)
    python benchmarks/bench_imaging.py --quick    # 200 frames: does everything work?
    python benchmarks/bench_imaging.py --frames 3000 --workdir /scratch
    python benchmarks/bench_imaging.py --planes 4   # volumes of 4 planes (400 volumes, ~210 MB)
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from common import (
    GZIP_LEVEL, NEUROCONV_KEY, RESULT_HEADER_RAW, SESSION_START, Result, Tool, bench_rig, bench_space, comparison,
    format_rows, header_lines, in_fresh_process, measure, memory_note, neuroconv_missing, neuroconv_nwbfile,
    neuroconv_write, result_cells, sample_indices, warning_lines,
)
from floors import Floor, compress_floor, copy_floor
from movie import DEFAULT_FRAMES, SAMPLING_HZ, Movie, make_calcium_movie
from read_cost import ReadCosts, cost_rows, read_costs

DEFAULT_VOLUMES = 400  # with --planes 4: 400 x 4 x 256 x 256 x 2 bytes = 210 MB
QUICK_FRAMES = 200
QUICK_VOLUMES = 50
TARGETS = {"hdf5": 5.0, "zarr": 4.0}  # throughput against NeuroConv's, from the work item


# -- the tools ----------------------------------------------------------------------------------------
def write_with_microscopy_builder(extractor: Any, path: Path, *, format: str, backend: str = "hdf5") -> None:
    """Describe a minimal two-photon session with the fluent builders and write it (``format``:
    ``"legacy"`` or ``"ndx-microscopy"``)."""
    from microscopy_builder import SeriesBuilder, Session

    space = bench_space(volumetric=getattr(extractor, "is_volumetric", False))
    series = SeriesBuilder("TwoPhotonSeries").from_extractor(extractor).rig(bench_rig()).channel("Green").space(space)
    session = Session(session_description="Imaging write benchmark.", session_start_time=SESSION_START, format=format,
                      identifier=f"bench-microscopy-builder-{format}")
    session.add(series.description("Synthetic movie.")).write(path, backend=backend, progress=False)


def write_with_neuroconv(extractor: Any, path: Path, backend: str = "hdf5") -> None:
    """Write the extractor with NeuroConv's ``add_imaging_to_nwbfile`` and ``common.neuroconv_write``."""
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile

    nwbfile = neuroconv_nwbfile("Imaging write benchmark.", "bench-neuroconv")
    add_imaging_to_nwbfile(imaging=extractor, nwbfile=nwbfile, photon_series_type="TwoPhotonSeries")
    neuroconv_write(nwbfile, path, backend)


def _mb_legacy(extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format="legacy")


def _mb_ndx(extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format="ndx-microscopy")


def _mb_ndx_zarr(extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format="ndx-microscopy", backend="zarr")


def _neuroconv_zarr(extractor: Any, path: Path) -> None:
    write_with_neuroconv(extractor, path, backend="zarr")


@dataclass(frozen=True)
class ImagingTool(Tool):
    """A :class:`common.Tool` that stores frames (frames, x, y) when ``transposed``, to ``backend``."""

    transposed: bool = False
    backend: str = "hdf5"

    @property
    def suffix(self) -> str:
        return "nwb.zarr" if self.backend == "zarr" else "nwb"


# ndx_microscopy's namespace loading (~0.7 s) is imported before the clock, as NeuroConv's modules are
MB = ("microscopy_builder",)
MB_NDX = ("microscopy_builder", "ndx_microscopy")
NC = ("pynwb", "neuroconv.tools.roiextractors", "neuroconv.tools.nwb_helpers")
TOOLS: dict[str, ImagingTool] = {
    "mb-legacy": ImagingTool("microscopy-builder legacy", MB, _mb_legacy, NEUROCONV_KEY, transposed=True),
    "mb-ndx": ImagingTool("microscopy-builder ndx-microscopy", MB_NDX, _mb_ndx, NEUROCONV_KEY),
    NEUROCONV_KEY: ImagingTool("NeuroConv", NC, write_with_neuroconv, transposed=True),
    "mb-ndx-zarr": ImagingTool("microscopy-builder ndx-microscopy Zarr", MB_NDX + ("hdmf_zarr",), _mb_ndx_zarr,
                               "neuroconv-zarr", backend="zarr"),
    "neuroconv-zarr": ImagingTool("NeuroConv Zarr", NC + ("hdmf_zarr",), _neuroconv_zarr, transposed=True, backend="zarr"),
}


# -- checking the outputs, in a child process -----------------------------------------------------------
@dataclass
class Verification:
    """Result of reading one output back: problems (empty when it holds the movie), the series' type,
    its stored layout (chunks, codec) and the specification namespaces cached in the file."""

    key: str
    problems: list[str]
    series_type: str
    layout: str
    namespaces: list[str]


def verify_output(key: str, movie: Movie, path: Path) -> Verification:
    """Read ``path`` with pynwb (HDF5 or Zarr) and compare its only acquisition series with the movie."""
    if TOOLS[key].backend == "zarr":
        from hdmf_zarr.nwb import NWBZarrIO as IO
    else:
        from pynwb import NWBHDF5IO as IO
    with IO(str(path), mode="r") as io:
        nwbfile = io.read()
        (series,) = nwbfile.acquisition.values()
        data = series.data
        codec = data.compressor if TOOLS[key].backend == "zarr" else f"{data.compression} {data.compression_opts}"
        problems = compare_frames(data, movie, transposed=TOOLS[key].transposed)
        if not math.isclose(series.rate or 0.0, SAMPLING_HZ):
            problems.append(f"rate {series.rate} Hz, expected {SAMPLING_HZ} Hz")
        return Verification(key, problems, series.neurodata_type, f"chunks {data.chunks}, {codec}", cached_namespaces(path))


def cached_namespaces(path: Path) -> list[str]:
    """Names of the specification namespaces cached in an NWB file (HDF5 or Zarr)."""
    if path.is_dir():
        return sorted(p.name for p in (path / "specifications").iterdir() if p.is_dir())
    import h5py

    with h5py.File(path, "r") as file:
        return sorted(file.get("specifications", {}))


def compare_frames(data: Any, movie: Movie, *, transposed: bool) -> list[str]:
    """Compare shape, dtype and a few frames of a stored dataset with the extractor's frames."""
    import numpy as np

    if movie.volumetric:  # stored axis order, as a permutation of roiextractors' (rows, columns[, planes])
        axes = (1, 0, 2) if transposed else (2, 0, 1)
    else:
        axes = (1, 0) if transposed else (0, 1)
    expected_shape = (movie.frames, *(movie.sample_shape[axis] for axis in axes))
    if tuple(data.shape) != expected_shape or data.dtype != np.uint16:
        return [f"dataset {tuple(data.shape)} {data.dtype}, expected {expected_shape} uint16"]
    extractor = movie.extractor()
    return [f"frame {index} differs from the extractor's" for index in sample_indices(movie.frames)
            if not np.array_equal(np.asarray(data[index]), extractor.get_series(index, index + 1)[0].transpose(axes))]


# -- running and reporting, in the parent ----------------------------------------------------------------
def report(movie: Movie, results: list[Result], checks: dict[str, Verification], floors: list[Floor],
           costs: dict[str, ReadCosts]) -> list[str]:
    """The table (floors last), the ratios against NeuroConv and the floors, the read costs, the checks."""
    rows = [("tool", *RESULT_HEADER_RAW, "check")]
    for result in results:
        check = checks.get(result.run)
        status = "ERROR" if result.error else ("ok" if check is not None and not check.problems else "FAILED")
        rows.append((TOOLS[result.run].label, *result_cells(result, movie.raw_bytes), status))
    for floor in floors:
        rows.append((floor.label, f"{floor.seconds:.2f}", "-", f"{movie.raw_bytes / 1e6 / floor.seconds:.1f}",
                     f"{floor.stored_bytes / 1e6:.1f}", f"{movie.raw_bytes / floor.stored_bytes:.2f}", "-", "-", "-", "-", "-"))
    lines = [*format_rows(rows), ""]
    by_key = {result.run: result for result in results}
    for key, result in by_key.items():
        tool, reference = TOOLS[key], by_key.get(TOOLS[key].reference or "")
        if tool.reference is None or result.error:
            continue
        against = [f"time / {floor.label.split(' floor')[0]} floor {result.seconds / floor.seconds:.2f}" for floor in floors]
        if reference is None or reference.error:
            lines.append(f"{tool.label}: {TOOLS[tool.reference].label} failed, no comparison; " + "; ".join(against))
            continue
        lines.append(f"{tool.label}: {comparison(result, reference, raw_bytes=movie.raw_bytes)} "
                     f"[target: throughput >= {TARGETS[tool.backend]:.0f}x, raw/file >= NeuroConv's]; " + "; ".join(against))
    if costs:
        references = {tool.label: TOOLS["neuroconv-zarr" if tool.backend == "zarr" else NEUROCONV_KEY].label
                      for tool in TOOLS.values()}
        lines += ["", "reading one frame and one pixel's whole time course (ratio to NeuroConv's file of the same backend):",
                  *format_rows(cost_rows(costs, references))]
    lines.append("")
    for key, check in checks.items():
        lines.append(f"{TOOLS[key].label}: {check.series_type}, {check.layout}, cached namespaces "
                     f"{', '.join(check.namespaces)}; " + ("frames match the source" if not check.problems else "; ".join(check.problems)))
    return lines + warning_lines(results, lambda r: TOOLS[r.run].label)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """``--frames N`` / ``--quick``, ``--source``, ``--planes`` and ``--workdir``; ``frames`` is set in every case."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help=f"number of frames (default {DEFAULT_FRAMES}, ~200 MB)")
    size.add_argument("--quick", action="store_true", help=f"a small run of {QUICK_FRAMES} frames to check that it works")
    parser.add_argument("--source", choices=("calcium", "mock"), default="calcium",
                        help="calcium-like movie in a .npy file (default) or roiextractors' lazy Poisson mock")
    parser.add_argument("--planes", type=int, default=1,
                        help=f"planes per volume; above 1 writes a volumetric movie (default frames then {DEFAULT_VOLUMES})")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder in which the temporary output folder is made (default: the system's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool, the fastest kept (default 3)")
    arguments = parser.parse_args(argv)
    volumetric = arguments.planes > 1
    if arguments.quick:
        arguments.frames = QUICK_VOLUMES if volumetric else QUICK_FRAMES
    elif volumetric and "--frames" not in (argv if argv is not None else sys.argv):
        arguments.frames = DEFAULT_VOLUMES
    if min(arguments.frames, arguments.planes, arguments.repeat) < 1:
        parser.error("--frames, --planes and --repeat must be at least 1")
    if volumetric:
        arguments.source = "mock"  # NumpyImagingExtractor has no planes
    return arguments


def run(movie: Movie, folder: Path, repeat: int) -> tuple[Movie, list[Result], dict[str, Verification], list[Floor],
                                                       dict[str, ReadCosts]]:
    """Make the movie, write it with every tool (``repeat`` times each in fresh processes, the fastest
    kept: other work on the machine only ever slows a run), run the floors, check every output, take
    the read costs."""
    if movie.source == "calcium":
        print("making the calcium-like movie ...", flush=True)
        movie = replace(movie, npy_path=in_fresh_process(make_calcium_movie, movie, str(folder / "movie.npy")))
    results, paths = [], {}
    for key, tool in TOOLS.items():
        print(f"writing with {tool.label} ({repeat} runs) ...", flush=True)
        tries = {folder / f"{key}-{i}.{tool.suffix}": None for i in range(repeat)}
        for path in tries:
            tries[path] = in_fresh_process(measure, key, tool, movie.extractor, path)
        paths[key], best = min(tries.items(), key=lambda item: item[1].seconds)
        results.append(best)
        for path in tries:
            if path != paths[key] and path.exists():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    print("the floors: compressing without writing, copying without compressing ...", flush=True)
    floors = [in_fresh_process(compress_floor, movie), in_fresh_process(copy_floor, movie, folder / "copy.raw")]
    written = [result.run for result in results if not result.error]
    checks = {key: in_fresh_process(verify_output, key, movie, paths[key]) for key in written}
    costs = {TOOLS[key].label: in_fresh_process(read_costs, paths[key]) for key in written}
    return movie, results, checks, floors, costs


def main(argv: Sequence[str] | None = None) -> int:
    """Run every tool on the same movie, check the outputs, print the tables; 1 if a check failed."""
    arguments = parse_arguments(argv)
    if neuroconv_missing():
        return 2
    movie = Movie(frames=arguments.frames, planes=arguments.planes, source=arguments.source)
    for line in header_lines(f"movie: {movie.describe()} = {movie.raw_bytes / 1e6:.1f} MB raw; gzip level {GZIP_LEVEL}"):
        print(line)
    with tempfile.TemporaryDirectory(prefix="bench-imaging-", dir=arguments.workdir) as folder:
        movie, results, checks, floors, costs = run(movie, Path(folder), arguments.repeat)
    print()
    for line in report(movie, results, checks, floors, costs):
        print(line)
    print(memory_note("creating the extractor"))
    mb_failed = [r for r in results if r.error and str(r.run).startswith("mb-")]
    return 0 if not mb_failed and all(not check.problems for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
