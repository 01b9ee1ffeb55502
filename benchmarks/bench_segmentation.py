"""Benchmark: write one Suite2p-sized segmentation to an NWB file (HDF5 and Zarr) with microscopy-builder and NeuroConv.

The same synthetic segmentation (2,000 disk-shaped ROIs of ~110 pixels on a 512 x 512 field,
9,000 frames of four float32 trace types, mean and correlation images, some ROIs rejected) is
written, in one run, by

* microscopy-builder, ``format="legacy"`` (core ``PlaneSegmentation`` + ``RoiResponseSeries``),
* microscopy-builder, ``format="ndx-microscopy"`` (``PlanarSegmentation`` + ``MicroscopyResponseSeries``),
* NeuroConv (``add_segmentation_to_nwbfile`` + ``configure_and_write_nwbfile``, its default HDF5
  configuration with gzip level 4),

once with image masks and once with pixel masks, each write in its own freshly spawned process
(``common.measure``). Every output is read back with pynwb in another fresh process and the ROI
count, a few masks, the acceptance and a slice of every trace are compared with the source.
NeuroConv 0.10.2 writes the mask kind the extractor holds natively and ignores ``mask_type``, so
each mask kind has its own source (``segmentation_data.py``): sparse pixel lists as Suite2p's, or
a lazy dense stack as image masks read from disk.

Usage::

    python benchmarks/bench_segmentation.py            # 2000 ROIs, 512 x 512, 9000 frames
    python benchmarks/bench_segmentation.py --quick    # 200 ROIs, 128 x 128, 500 frames
    python benchmarks/bench_segmentation.py --rois 500 --frames 3000 --masks image --workdir /scratch
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from common import (
    GZIP_LEVEL, NEUROCONV_KEY, RESULT_HEADER, SESSION_START, Result, Tool, bench_rig, bench_space, comparison,
    format_rows, header_lines, in_fresh_process, measure, memory_note, neuroconv_missing, neuroconv_nwbfile,
    neuroconv_write, result_cells, sample_indices, warning_lines,
)
from floors import Floor, compress_pieces, copy_pieces, trace_chunks
from segmentation_data import SAMPLING_HZ, TRACE_KINDS, Segmentation, dense_mask

MASK_KINDS = ("image", "pixel")
FULL = {"rois": 2000, "size": 512, "frames": 9000}
QUICK = {"rois": 200, "size": 128, "frames": 500}


# -- the tools ----------------------------------------------------------------------------------------
def write_with_microscopy_builder(extractor: Any, path: Path, *, format: str, masks: str, backend: str = "hdf5") -> None:
    """Describe a segmentation-only session with the fluent builders and write it to ``backend``.

    No imaging series is written (as when converting a Suite2p folder alone), so the ROIs are
    placed with ``.space(space).rig(rig, "Green")``.
    """
    from microscopy_builder import SegmentationBuilder, Session

    segmentation = (SegmentationBuilder("PlaneSegmentation").from_extractor(extractor).space(bench_space())
                    .rig(bench_rig(), "Green").masks(masks).description("Synthetic Suite2p-like segmentation."))
    session = Session(session_description="Segmentation write benchmark.", session_start_time=SESSION_START,
                      format=format, identifier=f"bench-microscopy-builder-{format}-{masks}")
    session.add(segmentation).write(path, backend=backend)


def write_with_neuroconv(extractor: Any, path: Path, *, masks: str, backend: str = "hdf5") -> None:
    """Write the extractor with NeuroConv's ``add_segmentation_to_nwbfile`` and ``common.neuroconv_write``.

    ``mask_type`` is passed although NeuroConv 0.10.2 writes the extractor's native kind whatever
    it says (the read-back check fails if the file holds another kind).
    """
    from neuroconv.tools.roiextractors import add_segmentation_to_nwbfile

    nwbfile = neuroconv_nwbfile("Segmentation write benchmark.", f"bench-neuroconv-{masks}")
    add_segmentation_to_nwbfile(segmentation_extractor=extractor, nwbfile=nwbfile, mask_type=masks)
    neuroconv_write(nwbfile, path, backend)


def _mb_legacy(extractor: Any, path: Path, masks: str, backend: str) -> None:
    write_with_microscopy_builder(extractor, path, format="legacy", masks=masks, backend=backend)


def _mb_ndx(extractor: Any, path: Path, masks: str, backend: str) -> None:
    write_with_microscopy_builder(extractor, path, format="ndx-microscopy", masks=masks, backend=backend)


def _neuroconv(extractor: Any, path: Path, masks: str, backend: str) -> None:
    write_with_neuroconv(extractor, path, masks=masks, backend=backend)


# Where each tool puts things: the ROI table and one series per trace type.
def _legacy_objects(nwbfile: Any) -> tuple[Any, dict[str, Any]]:
    ophys = nwbfile.processing["ophys"]
    fluorescence = ophys["Fluorescence"]
    return ophys["ImageSegmentation"]["PlaneSegmentation"], {
        "raw": fluorescence["RoiResponseSeries"],
        "dff": ophys["DfOverF"]["RoiResponseSeries"],
        "neuropil": fluorescence["Neuropil"],
        "deconvolved": fluorescence["Deconvolved"],
    }


def _ndx_objects(nwbfile: Any) -> tuple[Any, dict[str, Any]]:
    ophys = nwbfile.processing["ophys"]
    responses = ophys["PlaneSegmentationResponseSeries"].microscopy_response_series
    names = {"raw": "Fluorescence", "dff": "DfOverF", "neuropil": "Neuropil", "deconvolved": "Deconvolved"}
    return ophys["SegmentationContainer"].segmentations["PlaneSegmentation"], {k: responses[n] for k, n in names.items()}


def _neuroconv_objects(nwbfile: Any) -> tuple[Any, dict[str, Any]]:
    ophys = nwbfile.processing["ophys"]
    fluorescence = ophys["Fluorescence"]
    names = {"raw": "RoiResponseSeries", "dff": "DfOverF", "neuropil": "Neuropil", "deconvolved": "Deconvolved"}
    return ophys["ImageSegmentation"]["PlaneSegmentation"], {k: fluorescence[n] for k, n in names.items()}


@dataclass(frozen=True)
class SegmentationTool(Tool):
    """A :class:`common.Tool` (whose ``write`` also takes ``masks``) and how to find its output again.

    Attributes
    ----------
    objects
        ``objects(nwbfile)`` -> (ROI table, {trace kind: series}).
    transposed
        ``True`` when image masks are stored (ROI, x, y) = (ROI, column, row).
    pixel_order
        What the first two ``pixel_mask`` fields hold: ``"column, row"`` or ``"row, column"``.
    accepted_column
        Name of the column that flags accepted ROIs.
    """

    objects: Callable[[Any], tuple[Any, dict[str, Any]]] | None = None
    transposed: bool = False
    pixel_order: str = "column, row"
    accepted_column: str = "Accepted"


MB = ("microscopy_builder",)
TOOLS: dict[str, SegmentationTool] = {
    "mb-legacy": SegmentationTool("microscopy-builder legacy", MB, _mb_legacy, NEUROCONV_KEY, _legacy_objects,
                                  transposed=True),
    "mb-ndx": SegmentationTool("microscopy-builder ndx-microscopy", MB + ("ndx_microscopy",), _mb_ndx, NEUROCONV_KEY,
                               _ndx_objects),
    NEUROCONV_KEY: SegmentationTool("NeuroConv", ("pynwb", "neuroconv.tools.roiextractors", "neuroconv.tools.nwb_helpers"),
                                    _neuroconv, None, _neuroconv_objects, transposed=True, pixel_order="row, column",
                                    accepted_column="is_accepted"),
}


@dataclass(frozen=True)
class Run:
    """One tool writing one mask kind to one backend."""

    tool: str
    masks: str
    backend: str = "hdf5"

    @property
    def label(self) -> str:
        return f"{TOOLS[self.tool].label}{' Zarr' if self.backend == 'zarr' else ''}, {self.masks} masks"

    @property
    def file_name(self) -> str:
        return f"{self.tool}-{self.masks}.nwb" + (".zarr" if self.backend == "zarr" else "")


def measure_run(run: Run, segmentation: Segmentation, path: Path) -> Result:
    """``common.measure`` of one tool writing one mask kind; building the extractor (generating the
    traces and masks) is not timed and counts in the baseline."""
    tool = TOOLS[run.tool]
    write = replace(tool, write=functools.partial(tool.write, masks=run.masks, backend=run.backend))
    return measure(run, write, functools.partial(segmentation.extractor, run.masks), path)


def trace_compress_floor(segmentation: Segmentation) -> Floor:
    """Compress every trace chunk (in memory beforehand) with the default encoder on every core, best of three."""
    return compress_pieces(list(trace_chunks(list(segmentation.traces().values()))))


def trace_copy_floor(segmentation: Segmentation, path: Path) -> Floor:
    """Write every trace chunk's raw bytes to ``path``, best of three."""
    traces = list(segmentation.traces().values())
    return copy_pieces(lambda: trace_chunks(traces), path)


# -- checking the outputs, in a child process -----------------------------------------------------------
@dataclass
class Verification:
    """Result of reading one output back.

    Attributes
    ----------
    problems
        Empty when the file holds the segmentation as expected.
    table_type
        Neurodata type of the ROI table.
    layout
        Chunking and compression of the mask column and of the raw trace.
    """

    run: Run
    problems: list[str]
    table_type: str
    layout: str

    @property
    def ok(self) -> bool:
        """``True`` when no problem was found."""
        return not self.problems


def verify_output(run: Run, segmentation: Segmentation, path: Path) -> Verification:
    """Read ``path`` with ``pynwb.read_nwb`` and compare ROIs, masks, acceptance and traces with the source."""
    from pynwb import read_nwb

    tool = TOOLS[run.tool]
    nwbfile = read_nwb(path=path)
    try:
        table, traces = tool.objects(nwbfile)
        problems = []
        if len(table) != segmentation.rois:
            problems.append(f"{len(table)} ROIs, expected {segmentation.rois}")
        problems += compare_masks(table, segmentation, run.masks, tool)
        problems += compare_acceptance(table, segmentation, tool.accepted_column)
        problems += compare_traces(traces, segmentation)
        return Verification(run, problems, table.neurodata_type, describe_layout(table, traces["raw"], run.masks))
    except KeyError as error:
        return Verification(run, [f"not found in the file: {error}"], "?", "?")
    finally:
        nwbfile.read_io.close()


def compare_masks(table: Any, segmentation: Segmentation, masks: str, tool: SegmentationTool) -> list[str]:
    """Compare a few stored masks of kind ``masks`` with the source's pixel masks."""
    import numpy as np

    column = f"{masks}_mask"
    if column not in table.colnames:
        return [f"no {column} column (columns: {', '.join(table.colnames)})"]
    source = segmentation.pixel_masks()
    frame_shape = (segmentation.rows, segmentation.columns)
    problems = []
    for index in sample_indices(segmentation.rois):
        if masks == "image":
            stored = np.asarray(table["image_mask"].data[index])
            expected = dense_mask(source[index], frame_shape)
            if not np.array_equal(stored.T if tool.transposed else stored, expected):
                problems.append(f"image mask of ROI {index} differs from the source's")
        else:
            rows = np.array([tuple(row) for row in table["pixel_mask"][index]], dtype="float64")
            first, second = (1, 0) if tool.pixel_order == "column, row" else (0, 1)
            expected = source[index][:, [first, second, 2]]
            if rows.shape != expected.shape or not np.array_equal(rows, expected):
                problems.append(f"pixel mask of ROI {index} differs from the source's ({tool.pixel_order})")
    return problems


def compare_acceptance(table: Any, segmentation: Segmentation, column: str) -> list[str]:
    """The accepted flags must be 0 exactly for the rejected ROIs."""
    import numpy as np

    if column not in table.colnames:
        return [f"no {column} column"]
    accepted = np.asarray(table[column].data[:]).astype(bool)
    rejected = np.flatnonzero(~accepted).tolist()
    return [] if rejected == segmentation.rejected() else [f"{column}: {len(rejected)} ROIs rejected, expected {len(segmentation.rejected())}"]


def compare_traces(traces: dict[str, Any], segmentation: Segmentation) -> list[str]:
    """Shape, dtype and a (frames x ROIs) slice of every trace type."""
    import numpy as np

    source = segmentation.traces()
    frames = slice(segmentation.frames // 3, segmentation.frames // 3 + 50)
    rois = sample_indices(segmentation.rois)
    problems = []
    for kind, series in traces.items():
        data = series.data
        if tuple(data.shape) != source[kind].shape or data.dtype != np.float32:
            problems.append(f"{kind} trace {tuple(data.shape)} {data.dtype}, expected {source[kind].shape} float32")
        elif not np.array_equal(np.asarray(data[frames])[:, rois], source[kind][frames][:, rois]):
            problems.append(f"{kind} trace slice differs from the source's")
        if series.rate is None or not math.isclose(series.rate, SAMPLING_HZ):
            problems.append(f"{kind} trace rate {series.rate}, expected {SAMPLING_HZ} Hz")
    return problems


def describe_layout(table: Any, raw: Any, masks: str) -> str:
    """``"image_mask <chunks> <compression>; raw trace <chunks> <compression>"``."""
    column = table[f"{masks}_mask"]
    mask_data = column.data if masks == "image" else column.target.data

    def one(data: Any) -> str:
        data = getattr(data, "dataset", data)  # compound columns come wrapped in a table-dataset view
        if hasattr(data, "compressor"):  # a Zarr array
            compression = str(data.compressor) if data.compressor else "uncompressed"
        else:
            compression = f"{data.compression} {data.compression_opts}" if data.compression else "uncompressed"
        return f"chunks {data.chunks}, {compression}"

    return f"{masks}_mask {one(mask_data)}; raw trace {one(raw.data)}"


# -- running and reporting, in the parent ----------------------------------------------------------------
def report(segmentation: Segmentation, results: list[Result], checks: dict[Run, Verification],
           floors: Sequence[Floor] = ()) -> list[str]:
    """The table, the ratios, what each file holds, warnings and notes."""
    rows = [("tool", "masks", *RESULT_HEADER, "check")]
    rows += [(TOOLS[r.run.tool].label + (" Zarr" if r.run.backend == "zarr" else ""), r.run.masks, *result_cells(r),
              "ok" if checks[r.run].ok else "FAILED") for r in results]
    lines = [*format_rows(rows, left=2), ""]
    by_run = {result.run: result for result in results}
    for result in results:
        reference = by_run.get(Run(NEUROCONV_KEY, result.run.masks, result.run.backend))
        if result.run.tool != NEUROCONV_KEY and reference is not None:
            lines.append(f"{result.run.label} vs NeuroConv: {comparison(result, reference)}")
    lines += ["(ratios are microscopy-builder / NeuroConv with the same mask kind and backend: below 1 is faster or "
              "smaller)", ""]
    for floor in floors:
        lines.append(f"{floor.label}, the traces alone ({floor.stored_bytes / 1e6:.1f} MB out): {floor.seconds:.2f} s")
    for result in results:
        lines.append(f"{result.run.label}: " + "; ".join(
            f"time / {floor.label.split(' floor')[0]} floor {result.seconds / floor.seconds:.2f}" for floor in floors))
    lines.append("")
    for run, check in checks.items():
        lines.append(f"{run.label}: {check.table_type}, {check.layout}; "
                     + ("ROIs, masks, acceptance and traces match the source" if check.ok else "; ".join(check.problems)))
    lines += warning_lines(results, lambda r: r.run.label)
    lines.append(f"pixel_mask fields (x, y) hold (column, row) for microscopy-builder and (row, column) for NeuroConv; "
                 f"both are checked as such. Dense image masks of all ROIs would be {segmentation.image_mask_bytes / 1e6:.0f} MB.")
    return lines


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Sizes (``--quick`` picks small defaults for the ones not given), ``--masks`` and ``--workdir``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"small defaults: {QUICK['rois']} ROIs, {QUICK['size']} x {QUICK['size']}, {QUICK['frames']} frames")
    parser.add_argument("--rois", type=int, help=f"number of ROIs (default {FULL['rois']})")
    parser.add_argument("--size", type=int, help=f"side of the square field of view in pixels (default {FULL['size']})")
    parser.add_argument("--frames", type=int, help=f"frames per trace (default {FULL['frames']})")
    parser.add_argument("--radius", type=float, default=6.0, help="mean ROI radius in pixels (default 6: ~113 pixels)")
    parser.add_argument("--masks", nargs="+", choices=MASK_KINDS, default=list(MASK_KINDS),
                        help="mask kinds to run (default: both)")
    parser.add_argument("--backends", nargs="+", choices=("hdf5", "zarr"), default=["hdf5", "zarr"],
                        help="backends to run (default: both)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder in which the temporary output folder is made (default: the system's)")
    arguments = parser.parse_args(argv)
    defaults = QUICK if arguments.quick else FULL
    for name, value in defaults.items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, value)
    if min(arguments.rois, arguments.frames) < 1 or arguments.size <= 2 * (arguments.radius + 1):
        parser.error("--rois and --frames must be at least 1 and --size larger than an ROI")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Run every tool on both mask kinds, check the outputs, print the table; 1 if a check failed."""
    arguments = parse_arguments(argv)
    if neuroconv_missing():
        return 2
    segmentation = Segmentation(rois=arguments.rois, rows=arguments.size, columns=arguments.size,
                                frames=arguments.frames, radius=arguments.radius)
    for line in header_lines(
        f"segmentation: {segmentation.rois} disk ROIs (radius {segmentation.radius:g} +- 0.5 px) on "
        f"{segmentation.rows} x {segmentation.columns}, {segmentation.frames} frames x {len(TRACE_KINDS)} float32 "
        f"trace types = {segmentation.trace_bytes / 1e6:.0f} MB; gzip level {GZIP_LEVEL}"
    ):
        print(line)
    runs = [Run(tool, masks, backend) for backend in arguments.backends for masks in arguments.masks for tool in TOOLS]
    with tempfile.TemporaryDirectory(prefix="bench-segmentation-", dir=arguments.workdir) as folder:
        results = []
        for run in runs:
            print(f"writing with {run.label} ...", flush=True)
            results.append(in_fresh_process(measure_run, run, segmentation, Path(folder) / run.file_name))
        checks = {run: in_fresh_process(verify_output, run, segmentation, Path(folder) / run.file_name) for run in runs}
        print("the floors: compressing the traces without writing, copying them without compressing ...", flush=True)
        floors = [in_fresh_process(trace_compress_floor, segmentation),
                  in_fresh_process(trace_copy_floor, segmentation, Path(folder) / "copy.raw")]
    print()
    for line in report(segmentation, results, checks, floors):
        print(line)
    print(memory_note("building the extractor (traces in memory)"))
    return 0 if all(check.ok for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
