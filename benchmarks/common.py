"""The benchmarks' shared harness: tools, measuring a write in a fresh process, tables and ratios.

Every write is measured in a freshly *spawned* process of its own, so one tool's memory does not
inflate another's peak. The parent must import nothing heavy: on Linux a spawned child's
``ru_maxrss`` starts at the parent's own peak resident size (the kernel carries the high-water
mark across ``exec``), so a large parent would raise every child's measured peak. This module
imports only the standard library.
"""

from __future__ import annotations

import datetime as dt
import importlib
import multiprocessing
import os
import platform
import resource
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

GZIP_LEVEL = 4  # every tool compresses with gzip at this level
SESSION_START = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone.utc)
NEUROCONV_EXPECTED = "0.10.2"
NEUROCONV_KEY = "neuroconv"
PACKAGES = ("microscopy-builder", "neuroconv", "roiextractors", "pynwb", "hdmf", "hdmf-zarr", "h5py", "zarr",
            "numcodecs", "numpy", "isal", "deflate", "zlib-ng")


@dataclass(frozen=True)
class Tool:
    """One way of writing a benchmark's input.

    Attributes
    ----------
    label
        Name in the table.
    modules
        Imported before the clock starts, so import time is not counted as writing time.
    write
        ``write(source, path)``: the timed part.
    reference
        Key of the tool this one is compared with (``None``: it is the reference).
    """

    label: str
    modules: tuple[str, ...]
    write: Callable[[Any, Path], None]
    reference: str | None = None


@dataclass
class Result:
    """What one write's child process measured.

    Attributes
    ----------
    run
        What was run (a tool key, or a benchmark's own run description).
    seconds, cpu_seconds
        Wall time and user + system CPU time of describing and writing the file.
    baseline_kib
        Peak resident size after imports and building the source, before writing (KiB).
    peak_kib
        Peak resident size of the whole child process at the end (KiB).
    file_bytes
        Size of the written file (0 when the tool failed).
    warnings
        Distinct warning messages raised while writing, with their counts.
    error
        The tool's exception in one line, when it failed (a failure is reported, not fatal).
    anon_peak_kib
        The highest anonymous resident memory seen while writing (``RssAnon``, sampled every 5 ms):
        the process's own allocations, without the file pages a memory-mapped source maps in
        (which ``ru_maxrss`` counts, up to the movie's size). 0 where ``/proc`` is not available.
    """

    run: Hashable
    seconds: float
    cpu_seconds: float
    baseline_kib: int
    peak_kib: int
    file_bytes: int
    warnings: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    anon_peak_kib: int = 0

    @property
    def above_base_kib(self) -> int:
        """Memory the write itself added to the process's peak."""
        return self.peak_kib - self.baseline_kib


def peak_rss_kib() -> int:
    """This process's peak resident set size so far (``ru_maxrss``: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_seconds() -> float:
    """User plus system CPU time this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class AnonymousPeak:
    """Samples this process's ``RssAnon`` (Linux ``/proc/self/status``) in a thread; ``peak_kib`` is the highest."""

    def __init__(self, interval: float = 0.005):
        self.interval, self.peak_kib = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                with open("/proc/self/status") as status:
                    line = next(line for line in status if line.startswith("RssAnon:"))
            except (OSError, StopIteration):
                return
            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            self._stop.wait(self.interval)

    def __enter__(self) -> AnonymousPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def measure(run: Hashable, tool: Tool, make_source: Callable[[], Any], path: Path) -> Result:
    """Import the tool's modules, build its source, then time ``tool.write(source, path)`` and take its peak.

    Meant to run alone in a freshly spawned process (:func:`in_fresh_process`).
    """
    for module in tool.modules:
        importlib.import_module(module)
    source = make_source()
    baseline = peak_rss_kib()
    error = None
    with warnings.catch_warnings(record=True) as caught, AnonymousPeak() as anonymous:
        warnings.simplefilter("always")
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        try:
            tool.write(source, path)
        except Exception as exc:  # a tool that fails is reported in the table, not fatal to the run
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        wall, cpu = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    return Result(run, wall, cpu, baseline, peak_rss_kib(), 0 if error else stored_bytes(path),
                  count_warnings(caught), error, anonymous.peak_kib)


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function(*args)`` in a newly spawned process of its own and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def stored_bytes(path: Path) -> int:
    """Size of an HDF5 file or of every file in a Zarr folder."""
    if path.is_dir():
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
    return path.stat().st_size


def count_warnings(caught: Sequence[warnings.WarningMessage]) -> dict[str, int]:
    """Distinct warnings as ``"Category: first line of message"`` -> number of occurrences."""
    counts: dict[str, int] = {}
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:160]}"
        counts[text] = counts.get(text, 0) + 1
    return counts


def sample_indices(length: int, count: int = 4) -> list[int]:
    """First, second, middle and last index (of frames, ROIs, ...), plus ``count`` reproducible random ones."""
    import numpy as np

    chosen = {0, min(1, length - 1), length // 2, length - 1}
    chosen.update(int(i) for i in np.random.default_rng(0).integers(0, length, size=count))
    return sorted(chosen)


# -- what every tool writes ----------------------------------------------------------------------------
def bench_rig() -> Any:
    """The benchmark's two-photon rig, fully described with microscopy-builder's fluent builder."""
    from microscopy_builder import RigBuilder

    return (
        RigBuilder("BenchRig")
        .description("Two-photon microscope of the benchmark (synthetic data).")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", technique="resonant scanning")
        .excitation_source("Laser", manufacturer="Coherent", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0)
        .photodetector("PMT", manufacturer="Hamamatsu", detector_type="PMT")
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6s", description="GCaMP6s fluorescence.")
    )


def bench_space(volumetric: bool = False) -> Any:
    """The benchmark's field of view (planar, or volumetric with 10 um planes)."""
    from microscopy_builder import ImagingSpaceBuilder

    space = ImagingSpaceBuilder("FieldOfView")
    space = space.volumetric(voxel_size_um=(1.0, 1.0, 10.0)) if volumetric else space.planar(pixel_size_um=(1.0, 1.0))
    return (space.anatomical_target("VISp2/3").description("Synthetic field of view.")
            .line_scan(line_rate_hz=7910.0, description="Resonant raster scan."))


def neuroconv_nwbfile(description: str, identifier: str) -> Any:
    """An empty pynwb ``NWBFile`` for NeuroConv to fill."""
    from pynwb import NWBFile

    return NWBFile(session_description=description, identifier=identifier, session_start_time=SESSION_START)


def neuroconv_write(nwbfile: Any, path: Path, backend: str = "hdf5") -> None:
    """Write ``nwbfile`` with NeuroConv's default configuration for ``backend``, every compressed dataset
    set to gzip at ``GZIP_LEVEL`` (its default is gzip with no level, which h5py stores as 4), so both
    sides compress alike. Chunking and buffering stay NeuroConv's."""
    from neuroconv.tools.nwb_helpers import configure_and_write_nwbfile, get_default_backend_configuration

    configuration = get_default_backend_configuration(nwbfile=nwbfile, backend=backend)
    for dataset in configuration.dataset_configurations.values():
        if dataset.compressors:
            dataset.compressors = ["gzip"]
            dataset.compressor_options = [{"level": GZIP_LEVEL}]
    configure_and_write_nwbfile(nwbfile=nwbfile, nwbfile_path=path, backend_configuration=configuration)


# -- reporting ----------------------------------------------------------------------------------------
def mib(kib: int) -> float:
    """KiB to MiB."""
    return kib / 1024


def format_rows(rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Fixed-width lines of ``rows`` (the first is the header, ruled off); the first ``left`` columns
    are left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if i < left else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def result_cells(result: Result, raw_bytes: int | None = None) -> tuple[str, ...]:
    """wall s, CPU s, [MB/s,] file MB, [raw/file,] peak MiB, base MiB, peak-base of one result."""
    throughput = () if raw_bytes is None else (f"{raw_bytes / 1e6 / result.seconds:.1f}" if not result.error else "-",)
    ratio = () if raw_bytes is None else (f"{raw_bytes / result.file_bytes:.2f}" if not result.error else "-",)
    return (f"{result.seconds:.2f}", f"{result.cpu_seconds:.2f}", *throughput,
            f"{result.file_bytes / 1e6:.1f}" if not result.error else "-", *ratio,
            f"{mib(result.peak_kib):.0f}", f"{mib(result.baseline_kib):.0f}", f"{mib(result.above_base_kib):.0f}",
            f"{mib(result.anon_peak_kib):.0f}")


RESULT_HEADER = ("wall s", "CPU s", "file MB", "peak MiB", "base MiB", "peak-base", "anon MiB")
RESULT_HEADER_RAW = ("wall s", "CPU s", "MB/s", "file MB", "raw/file", "peak MiB", "base MiB", "peak-base", "anon MiB")


def comparison(result: Result, reference: Result, *, raw_bytes: int | None = None) -> str:
    """``result`` against ``reference``: throughput (time) ratio, size ratio, peak memory ratios."""
    speed = f"throughput {reference.seconds / result.seconds:.2f}x" if raw_bytes else f"time {result.seconds / reference.seconds:.2f}"
    size = f"raw/file {raw_bytes / result.file_bytes:.3f} vs {raw_bytes / reference.file_bytes:.3f}" if raw_bytes else \
        f"file {result.file_bytes / reference.file_bytes:.3f}"
    return (f"{speed}, {size}, peak memory {result.peak_kib / reference.peak_kib:.2f} "
            f"(CPU time {result.cpu_seconds / reference.cpu_seconds:.2f}, "
            f"peak above base {result.above_base_kib / max(reference.above_base_kib, 1):.2f})")


def warning_lines(results: Sequence[Result], label: Callable[[Result], str]) -> list[str]:
    """One line per failure and per distinct warning raised while writing."""
    lines = []
    for result in results:
        if result.error:
            lines.append(f"{label(result)} failed: {result.error}")
        lines += [f"warning while writing with {label(result)} (x{count}): {message}"
                  for message, count in result.warnings.items()]
    return lines


# -- the machine --------------------------------------------------------------------------------------
def load_average() -> str:
    """The machine's 1-minute load average."""
    return f"{os.getloadavg()[0]:.2f}"


def package_versions(names: Sequence[str] = PACKAGES) -> str:
    """Versions of the packages that decide the result, e.g. ``neuroconv 0.10.2``."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def machine() -> str:
    """CPU model and count (``lscpu``), memory, Python: the line a results table is quoted with."""
    model = platform.processor() or platform.machine()
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        fields = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}
        model = f"{fields.get('Model name', model)} (family {fields.get('CPU family', '?')}, model {fields.get('Model', '?')}, " \
                f"{fields.get('Hypervisor vendor', 'no')} hypervisor)"
    except (OSError, subprocess.CalledProcessError):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{model}, {os.cpu_count()} CPUs, {memory:.0f} GiB; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def header_lines(description: str) -> list[str]:
    """What every benchmark prints first: the input, the machine, the versions, the load."""
    lines = [description, machine(), package_versions(),
             f"1-minute load average before the run: {load_average()} (other work on the machine inflates wall "
             f"times, not the CPU column)"]
    try:
        installed = metadata.version("neuroconv")
        if installed != NEUROCONV_EXPECTED:
            lines.append(f"note: NeuroConv {installed} is installed; this benchmark was written for {NEUROCONV_EXPECTED}")
    except metadata.PackageNotFoundError:
        pass
    return lines


def neuroconv_missing() -> bool:
    """``True`` (after saying how to install it) when NeuroConv is not installed."""
    try:
        metadata.version("neuroconv")
        return False
    except metadata.PackageNotFoundError:
        import sys

        print("NeuroConv is not installed: pip install -e '.[benchmark]'", file=sys.stderr)
        return True


def memory_note(what: str) -> str:
    """The closing note on how memory is measured."""
    return (f"1-minute load average after the run: {load_average()}. "
            f"MB = 1e6 bytes; peak = ru_maxrss of the run's own process, base = the same after imports and {what}; "
            f"anon = the highest RssAnon sampled while writing (without the pages of memory-mapped files); "
            f"parent peak {mib(peak_rss_kib()):.0f} MiB (a floor for every child's peak)")
