"""Benchmark: write one imaging movie to NWB (HDF5 and Zarr) with microscopy-builder and NeuroConv.

The same movie is written, in one run, by

* microscopy-builder, ``format="legacy"`` (core ``TwoPhotonSeries``) to HDF5,
* microscopy-builder, ``format="ndx-microscopy"`` (``PlanarMicroscopySeries`` or
  ``VolumetricMicroscopySeries``) to HDF5 and to Zarr,
* NeuroConv (``add_imaging_to_nwbfile`` + ``configure_and_write_nwbfile``, its default
  configuration with gzip level 4) to HDF5 and to Zarr,

each in its own freshly spawned process, so one tool's memory does not inflate another's peak.
Beside them runs the *compress-only floor*: the same frames, cut into microscopy-builder's chunks
and gzip-compressed on every core with no file I/O, the fastest any writer of these bytes can be.
Every output is then read back in another fresh process and a few frames are compared with the
source.

The default movie is calcium-like (static background, cells that flicker with calcium
transients, Poisson shot noise), 256 x 256 uint16 at 30 Hz, precomputed into a ``.npy`` file
that every tool reads through roiextractors' ``NumpyImagingExtractor`` (memory-mapped, as TIFF
stacks are). ``--source mock`` uses roiextractors' lazy ``MockImagingExtractor`` instead (uniform
Poisson noise computed on each read); ``--planes N`` writes volumes (mock source).

Usage::

    python benchmarks/bench_imaging.py            # ~200 MB of raw frames (1500 frames)
    python benchmarks/bench_imaging.py --quick    # 200 frames: does everything work?
    python benchmarks/bench_imaging.py --frames 3000 --workdir /scratch
    python benchmarks/bench_imaging.py --planes 4   # volumes of 4 planes (400 volumes, ~210 MB)

The parent process deliberately imports nothing heavy: on Linux a spawned child's
``ru_maxrss`` starts at the parent's own peak resident size (the kernel carries the high-water
mark across ``exec``), so a large parent would raise every child's measured peak.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

DEFAULT_FRAMES = 1500  # 1500 x 256 x 256 x 2 bytes = 197 MB of raw frames
DEFAULT_VOLUMES = 400  # with --planes 4: 400 x 4 x 256 x 256 x 2 bytes = 210 MB
QUICK_FRAMES = 200
QUICK_VOLUMES = 50
ROWS = COLUMNS = 256
SAMPLING_HZ = 30.0
SEED = 7
GZIP_LEVEL = 4
SESSION_START = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone.utc)
NEUROCONV_EXPECTED = "0.10.2"


# -- the input --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Movie:
    """Parameters of the synthetic movie; every process rebuilds the same extractor from them.

    Attributes
    ----------
    frames, rows, columns
        Movie shape as roiextractors gives it: (frames, rows, columns).
    """

    frames: int
    rows: int = ROWS
    columns: int = COLUMNS
    planes: int = 1
    source: str = "calcium"
    npy_path: str | None = None  # the calcium movie, written once by ``make_calcium_movie``

    @property
    def volumetric(self) -> bool:
        return self.planes > 1

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """(rows, columns[, planes]) as roiextractors gives one sample."""
        return (self.rows, self.columns, self.planes) if self.volumetric else (self.rows, self.columns)

    @property
    def raw_bytes(self) -> int:
        """Size of the uncompressed uint16 frames in bytes."""
        return self.frames * self.rows * self.columns * self.planes * 2

    def describe(self) -> str:
        planes = f" x {self.planes} planes" if self.volumetric else ""
        kind = "calcium-like movie" if self.source == "calcium" else "Poisson-noise mock movie"
        return f"{kind}, {self.frames} x {self.rows} x {self.columns}{planes} uint16"


    def extractor(self) -> Any:
        """The roiextractors extractor every tool reads: ``NumpyImagingExtractor`` on the calcium
        movie, or a lazy ``MockImagingExtractor`` (uniform Poisson noise, uint16)."""
        if self.source == "calcium":
            from roiextractors import NumpyImagingExtractor

            return NumpyImagingExtractor(timeseries=self.npy_path, sampling_frequency=SAMPLING_HZ)
        from roiextractors.testing import generate_dummy_imaging_extractor

        return generate_dummy_imaging_extractor(
            num_rows=self.rows,
            num_columns=self.columns,
            num_samples=self.frames,
            sampling_frequency=SAMPLING_HZ,
            dtype="uint16",
            seed=SEED,
            num_planes=self.planes if self.volumetric else None,
        )


def make_calcium_movie(movie: Movie, path: str, cells: int = 120) -> str:
    """Write a calcium-like movie to ``path`` (.npy, (frames, rows, columns, 1) uint16) and return it.

    A smooth static background, ``cells`` Gaussian-footprint cells whose fluorescence follows
    sparse spikes convolved with a 1 s decay, and Poisson shot noise on every pixel.
    """
    import numpy as np

    rng = np.random.default_rng(SEED)
    y, x = np.mgrid[0 : movie.rows, 0 : movie.columns]
    background = 300 + 120 * np.sin(x / movie.columns * np.pi) * np.cos(y / movie.rows * np.pi / 2)
    centres = rng.uniform(8, [movie.rows - 8, movie.columns - 8], size=(cells, 2))
    radius = rng.uniform(3.0, 5.0, size=cells)
    footprints = np.exp(-((y[None] - centres[:, 0, None, None]) ** 2 + (x[None] - centres[:, 1, None, None]) ** 2)
                        / (2 * radius[:, None, None] ** 2)).reshape(cells, -1)
    spikes = rng.random((movie.frames, cells)) < 0.02
    decay = np.exp(-np.arange(int(SAMPLING_HZ * 3)) / SAMPLING_HZ)
    activity = np.stack([np.convolve(spikes[:, k], decay)[: movie.frames] for k in range(cells)], axis=1)
    brightness = rng.uniform(200, 800, size=cells)
    output = np.lib.format.open_memmap(path, mode="w+", dtype="uint16", shape=(movie.frames, movie.rows, movie.columns, 1))
    for start in range(0, movie.frames, 100):
        stop = min(start + 100, movie.frames)
        expected = background.reshape(1, -1) + (activity[start:stop] * brightness) @ footprints
        output[start:stop, :, :, 0] = rng.poisson(expected).reshape(stop - start, movie.rows, movie.columns)
    output.flush()
    del output
    return path


# -- the tools ----------------------------------------------------------------------------------------
def write_with_microscopy_builder(extractor: Any, path: Path, *, format: str, backend: str = "hdf5") -> None:
    """Describe a minimal two-photon session with the fluent builders and write it to HDF5.

    Parameters
    ----------
    extractor
        The roiextractors imaging extractor to write.
    path
        Destination ``.nwb`` file.
    format
        ``"legacy"`` or ``"ndx-microscopy"``.
    """
    from microscopy_builder import ImagingSpaceBuilder, RigBuilder, SeriesBuilder, Session

    rig = (
        RigBuilder("BenchRig")
        .description("Two-photon microscope of the benchmark (synthetic data).")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", technique="resonant scanning")
        .excitation_source("Laser", manufacturer="Coherent", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0)
        .photodetector("PMT", manufacturer="Hamamatsu", detector_type="PMT")
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6s",
                 description="GCaMP6s fluorescence.")
    )
    volumetric = getattr(extractor, "is_volumetric", False)
    space = ImagingSpaceBuilder("FieldOfView")
    space = space.volumetric(voxel_size_um=(1.0, 1.0, 10.0)) if volumetric else space.planar(pixel_size_um=(1.0, 1.0))
    space = (
        space
        .anatomical_target("VISp2/3")
        .description("Synthetic field of view.")
        .line_scan(line_rate_hz=7910.0, description="Resonant raster scan.")
    )
    series = (
        SeriesBuilder("TwoPhotonSeries")
        .from_extractor(extractor)
        .rig(rig)
        .channel("Green")
        .space(space)
        .description("Synthetic Poisson-noise movie.")
    )
    session = Session(
        session_description="Imaging write benchmark.",
        session_start_time=SESSION_START,
        format=format,
        identifier=f"bench-microscopy-builder-{format}",
    )
    session.add(series).write(path, backend=backend, progress=False)


def write_with_neuroconv(extractor: Any, path: Path, backend: str = "hdf5") -> None:
    """Write the extractor with NeuroConv's roiextractors helpers and its default HDF5 configuration.

    NeuroConv's default compression is gzip without a level (h5py then uses 4); the level is set
    explicitly to ``GZIP_LEVEL`` so both sides are known to compress alike. Chunking and buffering
    stay NeuroConv's defaults.
    """
    from neuroconv.tools.nwb_helpers import configure_and_write_nwbfile, get_default_backend_configuration
    from neuroconv.tools.roiextractors import add_imaging_to_nwbfile
    from pynwb import NWBFile

    nwbfile = NWBFile(
        session_description="Imaging write benchmark.",
        identifier="bench-neuroconv",
        session_start_time=SESSION_START,
    )
    add_imaging_to_nwbfile(imaging=extractor, nwbfile=nwbfile, photon_series_type="TwoPhotonSeries")
    configuration = get_default_backend_configuration(nwbfile=nwbfile, backend=backend)
    for dataset in configuration.dataset_configurations.values():
        if dataset.compressors:  # gzip at the level microscopy-builder uses, in both backends
            dataset.compressors = ["gzip"]
            dataset.compressor_options = [{"level": GZIP_LEVEL}]
    configure_and_write_nwbfile(nwbfile=nwbfile, nwbfile_path=path, backend_configuration=configuration)


@dataclass(frozen=True)
class Tool:
    """One way of writing the movie.

    Attributes
    ----------
    label
        Name in the table.
    modules
        Imported before the clock starts, so import time is not counted as writing time.
    write
        ``write(extractor, path)``.
    transposed
        ``True`` when the file stores frames as (frames, x, y) = (frames, columns, rows).
    """

    label: str
    modules: tuple[str, ...]
    write: Callable[[Any, Path], None]
    transposed: bool
    backend: str = "hdf5"
    reference: str | None = None  # the NeuroConv run it is compared with

    @property
    def suffix(self) -> str:
        return "nwb.zarr" if self.backend == "zarr" else "nwb"


def _mb_legacy(extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format="legacy")


def _mb_ndx(extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format="ndx-microscopy")


def _mb_ndx_zarr(extractor: Any, path: Path) -> None:
    write_with_microscopy_builder(extractor, path, format="ndx-microscopy", backend="zarr")


def _neuroconv_zarr(extractor: Any, path: Path) -> None:
    write_with_neuroconv(extractor, path, backend="zarr")


# microscopy-builder imports ndx_microscopy (whose namespace loading takes ~0.7 s) only when a
# Session first needs the ndx-microscopy emitter; it is imported here so that, as for NeuroConv,
# no import is timed as writing.
MB_LEGACY_MODULES = ("microscopy_builder",)
MB_NDX_MODULES = ("microscopy_builder", "ndx_microscopy")
NC_MODULES = ("pynwb", "neuroconv.tools.roiextractors", "neuroconv.tools.nwb_helpers")
ZARR_MODULES = ("hdmf_zarr",)

TOOLS: dict[str, Tool] = {
    "mb-legacy": Tool("microscopy-builder legacy", MB_LEGACY_MODULES, _mb_legacy, transposed=True, reference="neuroconv"),
    "mb-ndx": Tool("microscopy-builder ndx-microscopy", MB_NDX_MODULES, _mb_ndx, transposed=False, reference="neuroconv"),
    "neuroconv": Tool("NeuroConv", NC_MODULES, write_with_neuroconv, transposed=True),
    "mb-ndx-zarr": Tool("microscopy-builder ndx-microscopy Zarr", MB_NDX_MODULES + ZARR_MODULES, _mb_ndx_zarr,
                        transposed=False, backend="zarr", reference="neuroconv-zarr"),
    "neuroconv-zarr": Tool("NeuroConv Zarr", NC_MODULES + ZARR_MODULES, _neuroconv_zarr, transposed=True, backend="zarr"),
}
NEUROCONV_KEY = "neuroconv"


# -- measuring, in a child process -----------------------------------------------------------------------
@dataclass
class WriteResult:
    """What one tool's child process measured.

    Attributes
    ----------
    seconds, cpu_seconds
        Wall time and user + system CPU time of describing and writing the file.
    baseline_kib
        Peak resident size after imports and creating the extractor, before writing (KiB).
    peak_kib
        Peak resident size of the whole child process at the end (KiB).
    file_bytes
        Size of the written file.
    warnings
        Distinct warning messages raised while writing, with their counts.
    """

    key: str
    seconds: float
    cpu_seconds: float
    baseline_kib: int
    peak_kib: int
    file_bytes: int
    warnings: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # the tool failed: its exception, one line


def peak_rss_kib() -> int:
    """This process's peak resident set size so far (``ru_maxrss``: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_seconds() -> float:
    """User plus system CPU time this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_write(key: str, movie: Movie, path: Path) -> WriteResult:
    """Run one tool's write and measure it; meant to run alone in a freshly spawned process."""
    tool = TOOLS[key]
    for module in tool.modules:
        importlib.import_module(module)
    extractor = movie.extractor()
    baseline = peak_rss_kib()
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        try:
            tool.write(extractor, path)
        except Exception as exc:  # a tool that fails is reported in the table, not fatal to the run
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        wall, cpu = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    peak = peak_rss_kib()
    return WriteResult(
        key=key,
        seconds=wall,
        cpu_seconds=cpu,
        baseline_kib=baseline,
        peak_kib=peak,
        file_bytes=0 if error else stored_bytes(path),
        warnings=count_warnings(caught),
        error=error,
    )


def stored_bytes(path: Path) -> int:
    """Size of an HDF5 file or of every file in a Zarr folder."""
    if path.is_dir():
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
    return path.stat().st_size


@dataclass
class FloorResult:
    """The compress-only floor: the movie's chunks gzip-compressed on every core, no file I/O."""

    seconds: float
    compressed_bytes: int
    workers: int


def compress_floor(movie: Movie) -> FloorResult:
    """Time only the compression: the movie's chunks (as microscopy-builder cuts them), read into
    memory beforehand, zlib-compressed on every core. No reading, no file I/O. For a fresh process."""
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from microscopy_builder.io.chunking import ImagingDataIterator
    from microscopy_builder.io.parallel import chunk_regions, default_workers

    source = ImagingDataIterator(movie.extractor(), swap_xy=False)
    pieces = [
        np.ascontiguousarray(block[region]).tobytes()
        for first, block in source.blocks()
        for region in chunk_regions(first, block.shape, source.chunk_shape)
    ]
    workers = default_workers()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        start = time.perf_counter()
        total = sum(len(c) for c in pool.map(lambda raw: zlib.compress(raw, GZIP_LEVEL), pieces))
        seconds = time.perf_counter() - start
    return FloorResult(seconds, total, workers)


def count_warnings(caught: Sequence[warnings.WarningMessage]) -> dict[str, int]:
    """Distinct warnings as ``"Category: first line of message"`` -> number of occurrences."""
    counts: dict[str, int] = {}
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:160]}"
        counts[text] = counts.get(text, 0) + 1
    return counts


# -- checking the outputs, in a child process -----------------------------------------------------------
@dataclass
class Verification:
    """Result of reading one output back.

    Attributes
    ----------
    problems
        Empty when the file holds the movie as expected.
    series_type
        The neurodata type of the series read back.
    layout
        ``"chunks <shape>, <compression> <level>"`` of the stored dataset.
    namespaces
        The specification namespaces cached in the file.
    """

    key: str
    problems: list[str]
    series_type: str
    layout: str
    namespaces: list[str]

    @property
    def ok(self) -> bool:
        """``True`` when no problem was found."""
        return not self.problems


def sample_indices(length: int, count: int = 4) -> list[int]:
    """First, second, middle and last index (of frames, ROIs, ...), plus ``count`` reproducible random ones."""
    import numpy as np

    chosen = {0, min(1, length - 1), length // 2, length - 1}
    chosen.update(int(i) for i in np.random.default_rng(0).integers(0, length, size=count))
    return sorted(chosen)


def verify_output(key: str, movie: Movie, path: Path) -> Verification:
    """Read ``path`` with pynwb (HDF5 or Zarr) and compare its only acquisition series with the movie."""
    if TOOLS[key].backend == "zarr":
        from hdmf_zarr.nwb import NWBZarrIO

        io = NWBZarrIO(str(path), mode="r")
    else:
        from pynwb import NWBHDF5IO

        io = NWBHDF5IO(str(path), mode="r")
    try:
        nwbfile = io.read()
        (series,) = nwbfile.acquisition.values()
        data = series.data
        if TOOLS[key].backend == "zarr":
            layout = f"chunks {data.chunks}, {data.compressor}"
        else:
            layout = f"chunks {data.chunks}, {data.compression} {data.compression_opts}"
        problems = compare_frames(data, movie, transposed=TOOLS[key].transposed)
        if not math.isclose(series.rate or 0.0, SAMPLING_HZ):
            problems.append(f"rate {series.rate} Hz, expected {SAMPLING_HZ} Hz")
        return Verification(key, problems, series.neurodata_type, layout, cached_namespaces(path))
    finally:
        io.close()


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

    # stored axis order, as a permutation of roiextractors' (rows, columns[, planes])
    if movie.volumetric:
        axes = (1, 0, 2) if transposed else (2, 0, 1)  # (x, y, z) or (depth, height, width)
    else:
        axes = (1, 0) if transposed else (0, 1)
    expected_shape = (movie.frames, *(movie.sample_shape[axis] for axis in axes))
    if tuple(data.shape) != expected_shape or data.dtype != np.uint16:
        return [f"dataset {tuple(data.shape)} {data.dtype}, expected {expected_shape} uint16"]
    extractor = movie.extractor()
    problems = []
    for index in sample_indices(movie.frames):
        source = extractor.get_series(start_sample=index, end_sample=index + 1)[0]
        if not np.array_equal(np.asarray(data[index]), source.transpose(axes)):
            problems.append(f"frame {index} differs from the extractor's")
    return problems


# -- running and reporting, in the parent ----------------------------------------------------------------
def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function(*args)`` in a newly spawned process of its own and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def mib(kib: int) -> float:
    """KiB to MiB."""
    return kib / 1024


def format_table(movie: Movie, results: list[WriteResult], checks: dict[str, Verification], floor: FloorResult) -> str:
    """The results as a fixed-width text table, the compress-only floor last."""
    header = ("tool", "wall s", "CPU s", "MB/s", "file MB", "raw/file", "peak MiB", "base MiB", "check")
    rows = [header]
    for result in results:
        check = checks.get(result.key)
        if result.error:
            rows.append((TOOLS[result.key].label, f"{result.seconds:.2f}", f"{result.cpu_seconds:.2f}", "-", "-", "-",
                         f"{mib(result.peak_kib):.0f}", f"{mib(result.baseline_kib):.0f}", "ERROR"))
            continue
        rows.append((
            TOOLS[result.key].label,
            f"{result.seconds:.2f}",
            f"{result.cpu_seconds:.2f}",
            f"{movie.raw_bytes / 1e6 / result.seconds:.1f}",
            f"{result.file_bytes / 1e6:.1f}",
            f"{movie.raw_bytes / result.file_bytes:.2f}",
            f"{mib(result.peak_kib):.0f}",
            f"{mib(result.baseline_kib):.0f}",
            "ok" if check is not None and check.ok else "FAILED",
        ))
    rows.append((f"compress-only floor ({floor.workers} threads)", f"{floor.seconds:.2f}", "-",
                 f"{movie.raw_bytes / 1e6 / floor.seconds:.1f}", f"{floor.compressed_bytes / 1e6:.1f}",
                 f"{movie.raw_bytes / floor.compressed_bytes:.2f}", "-", "-", "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def format_ratios(results: list[WriteResult], floor: FloorResult) -> list[str]:
    """Per microscopy-builder run: throughput and peak memory against its NeuroConv run, time against the floor."""
    by_key = {result.key: result for result in results}
    lines = []
    for key, result in by_key.items():
        reference = by_key.get(TOOLS[key].reference or "")
        if TOOLS[key].reference is None or result.error:
            continue
        parts = [f"time / compress-only floor {result.seconds / floor.seconds:.2f}"]
        if reference is not None and not reference.error:
            parts.insert(0, f"throughput {reference.seconds / result.seconds:.2f}x {TOOLS[reference.key].label}, "
                            f"peak memory {result.peak_kib / reference.peak_kib:.2f} "
                            f"(peak above base {above_base(result) / max(above_base(reference), 1):.2f})")
        else:
            parts.insert(0, f"{TOOLS[TOOLS[key].reference].label} failed: no comparison")
        lines.append(f"{TOOLS[key].label}: " + "; ".join(parts))
    return lines


def above_base(result: WriteResult) -> int:
    """Memory the write itself added to the process's peak (KiB)."""
    return result.peak_kib - result.baseline_kib


def load_average() -> str:
    """The machine's 1-minute load average."""
    return f"{os.getloadavg()[0]:.2f}"


def package_versions() -> str:
    """Versions of the packages that decide the result, e.g. ``neuroconv 0.10.2``."""
    names = ("microscopy-builder", "neuroconv", "roiextractors", "pynwb", "hdmf", "h5py", "numpy")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """``--frames N`` / ``--quick`` and ``--workdir``; ``frames`` is set in both cases."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--frames", type=int, default=DEFAULT_FRAMES,
                      help=f"number of {ROWS}x{COLUMNS} uint16 frames (default {DEFAULT_FRAMES}, ~200 MB)")
    size.add_argument("--quick", action="store_true",
                      help=f"a small run of {QUICK_FRAMES} frames to check that it works")
    parser.add_argument("--source", choices=("calcium", "mock"), default="calcium",
                        help="calcium-like movie in a .npy file (default) or roiextractors' lazy Poisson mock")
    parser.add_argument("--planes", type=int, default=1,
                        help=f"planes per volume; above 1 writes a volumetric movie (default frames then {DEFAULT_VOLUMES})")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder in which the temporary output folder is made (default: the system's)")
    arguments = parser.parse_args(argv)
    volumetric = arguments.planes > 1
    if arguments.quick:
        arguments.frames = QUICK_VOLUMES if volumetric else QUICK_FRAMES
    elif volumetric and "--frames" not in (argv if argv is not None else sys.argv):
        arguments.frames = DEFAULT_VOLUMES
    if arguments.frames < 1 or arguments.planes < 1:
        parser.error("--frames and --planes must be at least 1")
    if volumetric:
        arguments.source = "mock"  # NumpyImagingExtractor has no planes
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Run every tool on the same movie, check the outputs, print the table; 1 if a check failed."""
    arguments = parse_arguments(argv)
    try:
        metadata.version("neuroconv")
    except metadata.PackageNotFoundError:
        print("NeuroConv is not installed: pip install -e '.[benchmark]'", file=sys.stderr)
        return 2
    movie = Movie(frames=arguments.frames, planes=arguments.planes, source=arguments.source)
    print(f"movie: {movie.describe()} = {movie.raw_bytes / 1e6:.1f} MB raw; "
          f"gzip level {GZIP_LEVEL}; {os.cpu_count()} CPUs")
    print(package_versions())
    print(f"1-minute load average before the run: {load_average()} (other work on the machine inflates wall "
          f"times, not the CPU column)")
    if metadata.version("neuroconv") != NEUROCONV_EXPECTED:
        print(f"note: NeuroConv {metadata.version('neuroconv')} is installed; this benchmark was written for "
              f"{NEUROCONV_EXPECTED}")
    results: list[WriteResult] = []
    checks: dict[str, Verification] = {}
    with tempfile.TemporaryDirectory(prefix="bench-imaging-", dir=arguments.workdir) as folder:
        if movie.source == "calcium":
            print("making the calcium-like movie ...", flush=True)
            movie = replace(movie, npy_path=in_fresh_process(make_calcium_movie, movie, str(Path(folder) / "movie.npy")))
        paths = {key: Path(folder) / f"{key}.{tool.suffix}" for key, tool in TOOLS.items()}
        for key in TOOLS:
            print(f"writing with {TOOLS[key].label} ...", flush=True)
            results.append(in_fresh_process(measure_write, key, movie, paths[key]))
        print("compressing without writing (the floor) ...", flush=True)
        floor = in_fresh_process(compress_floor, movie)
        for result in results:
            if not result.error:
                checks[result.key] = in_fresh_process(verify_output, result.key, movie, paths[result.key])
    parent_peak = peak_rss_kib()

    print()
    print(format_table(movie, results, checks, floor))
    print()
    for line in format_ratios(results, floor):
        print(line)
    print()
    for key, check in checks.items():
        print(f"{TOOLS[key].label}: {check.series_type}, {check.layout}, cached namespaces "
              f"{', '.join(check.namespaces)}; "
              + ("frames match the source" if check.ok else "; ".join(check.problems)))
    for result in results:
        if result.error:
            print(f"{TOOLS[result.key].label} failed: {result.error}")
        for message, count in result.warnings.items():
            print(f"warning while writing with {TOOLS[result.key].label} (x{count}): {message}")
    print(f"MB = 1e6 bytes; peak = ru_maxrss of the tool's own process, base = the same after imports and "
          f"creating the extractor; parent peak {mib(parent_peak):.0f} MiB (a floor for every child's peak)")
    mb_failed = [r for r in results if r.error and r.key.startswith("mb-")]
    return 0 if not mb_failed and all(check.ok for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
