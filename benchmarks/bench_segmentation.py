"""Benchmark: write one Suite2p-sized segmentation to an HDF5 NWB file with microscopy-builder and NeuroConv.

The same synthetic segmentation (2,000 disk-shaped ROIs of ~110 pixels on a 512 x 512 field,
9,000 frames of four float32 trace types, mean and correlation images, some ROIs rejected) is
written, in one run, by

* microscopy-builder, ``format="legacy"`` (core ``PlaneSegmentation`` + ``RoiResponseSeries``),
* microscopy-builder, ``format="ndx-microscopy"`` (``PlanarSegmentation`` + ``MicroscopyResponseSeries``),
* NeuroConv (``add_segmentation_to_nwbfile`` + ``configure_and_write_nwbfile``, its default HDF5
  configuration with gzip level 4),

once with image masks and once with pixel masks, each write in its own freshly spawned process so
one tool's memory does not inflate another's peak. Every output is then read back with pynwb in
another fresh process and the ROI count, a few masks, the acceptance and a slice of every trace
are compared with the source.

NeuroConv 0.10.2 writes the mask kind the extractor holds natively and ignores its ``mask_type``
argument, so each mask kind has its own source, shared by all three tools:

* pixel masks: the extractor holds sparse (y, x, weight) pixel lists, as roiextractors'
  ``Suite2pSegmentationExtractor`` does;
* image masks: the same ROIs served as a lazy dense (rows, columns, ROIs) stack that builds one
  ROI's image when it is indexed, the way an h5py-backed or memory-mapped mask stack is read
  (roiextractors' NWB, EXTRACT, CNMF-E and Minian extractors hold image masks).

Usage::

    python benchmarks/bench_segmentation.py            # 2000 ROIs, 512 x 512, 9000 frames
    python benchmarks/bench_segmentation.py --quick    # 200 ROIs, 128 x 128, 500 frames
    python benchmarks/bench_segmentation.py --rois 500 --frames 3000 --masks image --workdir /scratch

The parent process imports nothing heavy, for the reason given in ``bench_imaging.py``: a spawned
child's ``ru_maxrss`` starts at the parent's own peak.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from bench_imaging import (
    sample_indices,
    GZIP_LEVEL,
    NEUROCONV_EXPECTED,
    SESSION_START,
    count_warnings,
    cpu_seconds,
    in_fresh_process,
    load_average,
    mib,
    package_versions,
    peak_rss_kib,
)

SAMPLING_HZ = 30.0
SEED = 11
REJECTED_FRACTION = 0.15
TRACE_KINDS = ("raw", "dff", "neuropil", "deconvolved")
MASK_KINDS = ("image", "pixel")
FULL = {"rois": 2000, "size": 512, "frames": 9000}
QUICK = {"rois": 200, "size": 128, "frames": 500}


# -- the input --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segmentation:
    """Parameters of the synthetic segmentation; every process rebuilds the same data from them.

    Attributes
    ----------
    rois
        Number of ROIs (all cells; none is background).
    rows, columns
        Field of view in pixels.
    frames
        Length of every trace.
    radius
        Mean disk radius in pixels; each ROI's radius is drawn from ``radius`` +- 0.5.
    """

    rois: int
    rows: int
    columns: int
    frames: int
    radius: float = 6.0

    @property
    def trace_bytes(self) -> int:
        """Size of all float32 traces in bytes."""
        return len(TRACE_KINDS) * self.frames * self.rois * 4

    @property
    def image_mask_bytes(self) -> int:
        """Size of all dense float32 image masks in bytes."""
        return self.rois * self.rows * self.columns * 4

    def pixel_masks(self) -> list[Any]:
        """One (n, 3) float64 array of (row, column, weight) per ROI, roiextractors' pixel-mask layout.

        Centres lie on a jittered grid with one ROI per cell, so neighbours overlap only at their
        rims (2,000 disks of ~113 pixels cover most of a 512 x 512 field: fully disjoint random
        disks do not fit). Weights fall off from the centre like Suite2p's ``lam`` and are exact
        float32 values, so every tool's float32 copy equals the source.
        """
        import numpy as np

        rng = np.random.default_rng([SEED, 0])
        per_side = math.ceil(math.sqrt(self.rois))
        cells = rng.choice(per_side * per_side, size=self.rois, replace=False)
        margin = self.radius + 0.5
        cell_rows = (self.rows - 2 * margin) / per_side
        cell_columns = (self.columns - 2 * margin) / per_side
        radii = rng.uniform(self.radius - 0.5, self.radius + 0.5, size=self.rois)
        masks = []
        for cell, radius in zip(cells, radii):
            centre_row = margin + (cell // per_side + rng.uniform(0.2, 0.8)) * cell_rows
            centre_column = margin + (cell % per_side + rng.uniform(0.2, 0.8)) * cell_columns
            reach = math.ceil(radius)
            offsets = np.arange(-reach, reach + 1)
            rows, columns = np.meshgrid(offsets + round(centre_row), offsets + round(centre_column), indexing="ij")
            distance_sq = (rows - centre_row) ** 2 + (columns - centre_column) ** 2
            inside = (distance_sq <= radius**2) & (rows >= 0) & (rows < self.rows) & (columns >= 0) & (columns < self.columns)
            weights = (np.exp(-distance_sq[inside] / (2 * (radius / 2) ** 2)) * rng.uniform(0.5, 1.5)).astype("float32")
            masks.append(np.column_stack([rows[inside], columns[inside], weights]).astype("float64"))
        return masks

    def traces(self) -> dict[str, Any]:
        """(frames, ROIs) float32 arrays of every trace type, each from its own seeded generator.

        Built in place, so generating them needs no temporaries: the process's peak before writing
        is the traces themselves, and the write's own memory shows above it.
        """
        import numpy as np

        traces = {}
        for index, kind in enumerate(TRACE_KINDS, start=1):
            rng = np.random.default_rng([SEED, index])
            data = rng.standard_normal((self.frames, self.rois), dtype=np.float32)
            if kind == "raw":  # a baseline per ROI plus noise
                data *= 25
                data += rng.uniform(200, 800, size=self.rois).astype(np.float32)
            elif kind == "neuropil":
                data *= 10
                data += rng.uniform(100, 300, size=self.rois).astype(np.float32)
            elif kind == "dff":
                data *= 0.1
            else:  # deconvolved: sparse non-negative events, mostly zeros
                data -= 1.6
                np.maximum(data, 0, out=data)
            traces[kind] = data
        return traces

    def images(self) -> dict[str, Any]:
        """Mean and correlation images, float32 (rows, columns)."""
        import numpy as np

        rng = np.random.default_rng([SEED, 9])
        return {
            "mean": rng.uniform(100, 2000, size=(self.rows, self.columns)).astype(np.float32),
            "correlation": rng.uniform(0, 1, size=(self.rows, self.columns)).astype(np.float32),
        }

    def rejected(self) -> list[int]:
        """Ids of the rejected ROIs (about ``REJECTED_FRACTION`` of them)."""
        import numpy as np

        rng = np.random.default_rng([SEED, 10])
        return [int(i) for i in np.flatnonzero(rng.random(self.rois) < REJECTED_FRACTION)]

    def extractor(self, masks: str) -> Any:
        """A roiextractors ``NumpySegmentationExtractor`` whose masks are held natively as ``masks``.

        The extractor is built with a zero-byte placeholder mask stack and its ``_roi_masks`` then
        replaced, as roiextractors' own ``generate_dummy_segmentation_extractor`` does for pixel
        masks. ROI ids are the integers 0..n-1, as Suite2p's are.
        """
        import numpy as np
        from roiextractors import NumpySegmentationExtractor
        from roiextractors.segmentationextractor import _ROIMasks

        roi_ids = list(range(self.rois))
        rejected = set(self.rejected())
        traces = self.traces()
        images = self.images()
        extractor = NumpySegmentationExtractor(
            image_masks=np.broadcast_to(np.zeros(1, dtype=np.float32), (self.rows, self.columns, self.rois)),
            raw=traces["raw"],
            dff=traces["dff"],
            neuropil=traces["neuropil"],
            deconvolved=traces["deconvolved"],
            mean_image=images["mean"],
            correlation_image=images["correlation"],
            roi_ids=roi_ids,
            accepted_list=[i for i in roi_ids if i not in rejected],
            rejected_list=sorted(rejected),
            sampling_frequency=SAMPLING_HZ,
            movie_dims=(self.rows, self.columns),
        )
        pixel = self.pixel_masks()
        data = pixel if masks == "pixel" else LazyImageMaskStack(pixel, (self.rows, self.columns))
        extractor._roi_masks = _ROIMasks(
            data=data,
            mask_tpe=f"nwb-{masks}_mask",
            field_of_view_shape=(self.rows, self.columns),
            roi_id_map={roi_id: index for index, roi_id in enumerate(roi_ids)},
        )
        return extractor


class LazyImageMaskStack:
    """A read-only (rows, columns, ROIs) float32 mask stack that builds ROI ``i`` when ``[:, :, i]`` is read.

    It stands for image masks kept on disk (an h5py dataset, a memory-mapped ``.npy``): each ROI
    costs one dense frame to read, but the whole stack is never resident unless a tool asks for it.
    Only the access roiextractors' ``_ROIMasks`` makes, ``stack[:, :, index]``, is supported.
    """

    def __init__(self, pixel_masks: list[Any], frame_shape: tuple[int, int]):
        self._pixel_masks = pixel_masks
        self.shape = (*frame_shape, len(pixel_masks))
        self.ndim = 3
        self.dtype = "float32"

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        import numpy as np

        whole = slice(None)
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] == whole and key[1] == whole
                and isinstance(key[2], (int, np.integer))):
            raise NotImplementedError(f"LazyImageMaskStack supports only [:, :, index], got {key!r}")
        return dense_mask(self._pixel_masks[key[2]], self.shape[:2])


def dense_mask(pixel_mask: Any, frame_shape: tuple[int, int]) -> Any:
    """The (rows, columns) float32 image of one (row, column, weight) pixel mask."""
    import numpy as np

    image = np.zeros(frame_shape, dtype=np.float32)
    image[pixel_mask[:, 0].astype(int), pixel_mask[:, 1].astype(int)] = pixel_mask[:, 2]
    return image


# -- the tools ----------------------------------------------------------------------------------------
def write_with_microscopy_builder(extractor: Any, path: Path, *, format: str, masks: str) -> None:
    """Describe a segmentation-only session with the fluent builders and write it to HDF5.

    No imaging series is written (as when converting a Suite2p folder alone), so the ROIs are
    placed with ``.space(space).rig(rig, "Green")``.
    """
    from microscopy_builder import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, Session

    rig = (
        RigBuilder("BenchRig")
        .description("Two-photon microscope of the benchmark (synthetic data).")
        .microscope(manufacturer="Thorlabs", model="Bergamo II", technique="resonant scanning")
        .excitation_source("Laser", manufacturer="Coherent", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0)
        .photodetector("PMT", manufacturer="Hamamatsu", detector_type="PMT")
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6s", description="GCaMP6s fluorescence.")
    )
    space = (
        ImagingSpaceBuilder("FieldOfView")
        .planar(pixel_size_um=(1.0, 1.0))
        .anatomical_target("VISp2/3")
        .description("Synthetic field of view.")
        .line_scan(line_rate_hz=7910.0, description="Resonant raster scan.")
    )
    segmentation = (
        SegmentationBuilder("PlaneSegmentation")
        .from_extractor(extractor)
        .space(space)
        .rig(rig, "Green")
        .masks(masks)
        .description("Synthetic Suite2p-like segmentation.")
    )
    session = Session(
        session_description="Segmentation write benchmark.",
        session_start_time=SESSION_START,
        format=format,
        identifier=f"bench-microscopy-builder-{format}-{masks}",
    )
    session.add(segmentation).write(path, backend="hdf5")


def write_with_neuroconv(extractor: Any, path: Path, *, masks: str) -> None:
    """Write the extractor with NeuroConv's roiextractors helper and its default HDF5 configuration.

    ``mask_type`` is passed although NeuroConv 0.10.2 writes the extractor's native kind whatever
    it says (the read-back check fails if the file holds another kind). The gzip level is set to
    ``GZIP_LEVEL`` explicitly, as in ``bench_imaging.py``; chunking and buffering stay NeuroConv's.
    """
    from neuroconv.tools.nwb_helpers import configure_and_write_nwbfile, get_default_backend_configuration
    from neuroconv.tools.roiextractors import add_segmentation_to_nwbfile
    from pynwb import NWBFile

    nwbfile = NWBFile(
        session_description="Segmentation write benchmark.",
        identifier=f"bench-neuroconv-{masks}",
        session_start_time=SESSION_START,
    )
    add_segmentation_to_nwbfile(segmentation_extractor=extractor, nwbfile=nwbfile, mask_type=masks)
    configuration = get_default_backend_configuration(nwbfile=nwbfile, backend="hdf5")
    for dataset in configuration.dataset_configurations.values():
        if dataset.compressors == ["gzip"]:
            dataset.compressor_options = [{"level": GZIP_LEVEL}]
    configure_and_write_nwbfile(nwbfile=nwbfile, nwbfile_path=path, backend_configuration=configuration)


def _mb_legacy(extractor: Any, path: Path, masks: str) -> None:
    write_with_microscopy_builder(extractor, path, format="legacy", masks=masks)


def _mb_ndx(extractor: Any, path: Path, masks: str) -> None:
    write_with_microscopy_builder(extractor, path, format="ndx-microscopy", masks=masks)


def _neuroconv(extractor: Any, path: Path, masks: str) -> None:
    write_with_neuroconv(extractor, path, masks=masks)


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
class Tool:
    """One way of writing the segmentation, and how to find it again in the file.

    Attributes
    ----------
    label
        Name in the table.
    modules
        Imported before the clock starts, so import time is not counted as writing time.
    write
        ``write(extractor, path, masks)``.
    objects
        ``objects(nwbfile)`` -> (ROI table, {trace kind: series}).
    transposed
        ``True`` when image masks are stored (ROI, x, y) = (ROI, column, row).
    pixel_order
        What the first two ``pixel_mask`` fields hold: ``"column, row"`` or ``"row, column"``.
    accepted_column
        Name of the column that flags accepted ROIs.
    """

    label: str
    modules: tuple[str, ...]
    write: Callable[[Any, Path, str], None]
    objects: Callable[[Any], tuple[Any, dict[str, Any]]]
    transposed: bool
    pixel_order: str
    accepted_column: str


TOOLS: dict[str, Tool] = {
    "mb-legacy": Tool("microscopy-builder legacy", ("microscopy_builder",), _mb_legacy, _legacy_objects,
                      transposed=True, pixel_order="column, row", accepted_column="Accepted"),
    "mb-ndx": Tool("microscopy-builder ndx-microscopy", ("microscopy_builder", "ndx_microscopy"), _mb_ndx,
                   _ndx_objects, transposed=False, pixel_order="column, row", accepted_column="Accepted"),
    "neuroconv": Tool("NeuroConv", ("pynwb", "neuroconv.tools.roiextractors", "neuroconv.tools.nwb_helpers"),
                      _neuroconv, _neuroconv_objects, transposed=True, pixel_order="row, column",
                      accepted_column="is_accepted"),
}
NEUROCONV_KEY = "neuroconv"


@dataclass(frozen=True)
class Run:
    """One tool writing one mask kind."""

    tool: str
    masks: str

    @property
    def label(self) -> str:
        return f"{TOOLS[self.tool].label}, {self.masks} masks"

    @property
    def file_name(self) -> str:
        return f"{self.tool}-{self.masks}.nwb"


# -- measuring, in a child process -----------------------------------------------------------------------
@dataclass
class WriteResult:
    """What one run's child process measured (times in seconds, memory in KiB, as in ``bench_imaging.py``)."""

    run: Run
    seconds: float
    cpu_seconds: float
    baseline_kib: int
    peak_kib: int
    file_bytes: int
    warnings: dict[str, int] = field(default_factory=dict)


def measure_write(run: Run, segmentation: Segmentation, path: Path) -> WriteResult:
    """Run one write and measure it; meant to run alone in a freshly spawned process.

    Imports and building the extractor (generating the traces and masks) happen before the clock
    starts and before the baseline memory is read.
    """
    tool = TOOLS[run.tool]
    for module in tool.modules:
        importlib.import_module(module)
    extractor = segmentation.extractor(run.masks)
    baseline = peak_rss_kib()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        tool.write(extractor, path, run.masks)
        wall, cpu = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    return WriteResult(
        run=run,
        seconds=wall,
        cpu_seconds=cpu,
        baseline_kib=baseline,
        peak_kib=peak_rss_kib(),
        file_bytes=path.stat().st_size,
        warnings=count_warnings(caught),
    )


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


def compare_masks(table: Any, segmentation: Segmentation, masks: str, tool: Tool) -> list[str]:
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
        compression = f"{data.compression} {data.compression_opts}" if data.compression else "uncompressed"
        return f"chunks {data.chunks}, {compression}"

    return f"{masks}_mask {one(mask_data)}; raw trace {one(raw.data)}"


# -- running and reporting, in the parent ----------------------------------------------------------------
def format_table(results: list[WriteResult], checks: dict[Run, Verification]) -> str:
    """The results as a fixed-width text table."""
    header = ("tool", "masks", "wall s", "CPU s", "file MB", "peak MiB", "base MiB", "peak-base", "check")
    rows = [header]
    for result in results:
        rows.append((
            TOOLS[result.run.tool].label,
            result.run.masks,
            f"{result.seconds:.2f}",
            f"{result.cpu_seconds:.2f}",
            f"{result.file_bytes / 1e6:.1f}",
            f"{mib(result.peak_kib):.0f}",
            f"{mib(result.baseline_kib):.0f}",
            f"{mib(result.peak_kib - result.baseline_kib):.0f}",
            "ok" if checks[result.run].ok else "FAILED",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) if i < 2 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def format_ratios(results: list[WriteResult]) -> list[str]:
    """Per mask kind and microscopy-builder format: its time and peak memory divided by NeuroConv's."""
    by_run = {result.run: result for result in results}
    lines = []
    for result in results:
        reference = by_run.get(Run(NEUROCONV_KEY, result.run.masks))
        if result.run.tool == NEUROCONV_KEY or reference is None:
            continue
        lines.append(
            f"{result.run.label} vs NeuroConv: "
            f"time {result.seconds / reference.seconds:.2f}, "
            f"peak memory {result.peak_kib / reference.peak_kib:.2f} "
            f"(CPU time {result.cpu_seconds / reference.cpu_seconds:.2f}, "
            f"peak above base {above_base(result) / max(above_base(reference), 1):.2f})"
        )
    return lines


def above_base(result: WriteResult) -> int:
    """Memory the write itself added to the process's peak (KiB)."""
    return result.peak_kib - result.baseline_kib


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


def print_report(segmentation: Segmentation, results: list[WriteResult], checks: dict[Run, Verification]) -> None:
    """The table, the ratios, what each file holds, warnings and notes."""
    print()
    print(format_table(results, checks))
    print()
    for line in format_ratios(results):
        print(line)
    print("(ratios are microscopy-builder / NeuroConv with the same mask kind: below 1 is faster or smaller)")
    print()
    for run, check in checks.items():
        print(f"{run.label}: {check.table_type}, {check.layout}; "
              + ("ROIs, masks, acceptance and traces match the source" if check.ok else "; ".join(check.problems)))
    for result in results:
        for message, count in result.warnings.items():
            print(f"warning while writing with {result.run.label} (x{count}): {message}")
    print(f"pixel_mask fields (x, y) hold (column, row) for microscopy-builder and (row, column) for NeuroConv; "
          f"both are checked as such. Dense image masks of all ROIs would be {segmentation.image_mask_bytes / 1e6:.0f} MB.")
    print(f"MB = 1e6 bytes; peak = ru_maxrss of the run's own process, base = the same after imports and building "
          f"the extractor (traces in memory); parent peak {mib(peak_rss_kib()):.0f} MiB (a floor for every child's peak)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run every tool on both mask kinds, check the outputs, print the table; 1 if a check failed."""
    arguments = parse_arguments(argv)
    try:
        metadata.version("neuroconv")
    except metadata.PackageNotFoundError:
        print("NeuroConv is not installed: pip install -e '.[benchmark]'", file=sys.stderr)
        return 2
    segmentation = Segmentation(rois=arguments.rois, rows=arguments.size, columns=arguments.size,
                                frames=arguments.frames, radius=arguments.radius)
    print(f"segmentation: {segmentation.rois} disk ROIs (radius {segmentation.radius:g} +- 0.5 px) on "
          f"{segmentation.rows} x {segmentation.columns}, {segmentation.frames} frames x {len(TRACE_KINDS)} float32 "
          f"trace types = {segmentation.trace_bytes / 1e6:.0f} MB; gzip level {GZIP_LEVEL}; {os.cpu_count()} CPUs")
    print(package_versions())
    print(f"1-minute load average before the run: {load_average()} (other work on the machine inflates wall "
          f"times, not the CPU column)")
    if metadata.version("neuroconv") != NEUROCONV_EXPECTED:
        print(f"note: NeuroConv {metadata.version('neuroconv')} is installed; this benchmark was written for "
              f"{NEUROCONV_EXPECTED}")
    runs = [Run(tool, masks) for masks in arguments.masks for tool in TOOLS]
    results: list[WriteResult] = []
    checks: dict[Run, Verification] = {}
    with tempfile.TemporaryDirectory(prefix="bench-segmentation-", dir=arguments.workdir) as folder:
        for run in runs:
            print(f"writing with {run.label} ...", flush=True)
            results.append(in_fresh_process(measure_write, run, segmentation, Path(folder) / run.file_name))
        for run in runs:
            checks[run] = in_fresh_process(verify_output, run, segmentation, Path(folder) / run.file_name)
    print_report(segmentation, results, checks)
    return 0 if all(check.ok for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
