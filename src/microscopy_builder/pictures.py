"""Pictures of what went into a file: each series' mean frame, each segmentation's ROIs over its image.

Panels are gathered from a written NWB file (either format, any writer) or from a session's own
sources, then drawn by one renderer. matplotlib is an optional extra (``pip install
'microscopy-builder[plot]'``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from .emit.rois import acceptance
from .errors import BuilderError

#: frames averaged for a series' mean frame (from its start): enough to see structure, bounded reads
MEAN_FRAMES = 200
ACCEPTED_COLOUR, REJECTED_COLOUR = "#2ca02c", "#d62728"


@attrs.frozen
class Panel:
    """One picture: a (rows, columns) image and, for a segmentation, ROI masks with their acceptance."""

    title: str
    image: np.ndarray
    masks: tuple[np.ndarray, ...] = ()  # (rows, columns) each
    accepted: tuple[bool, ...] = ()


def _flat(image: np.ndarray) -> np.ndarray:
    """(rows, columns) from (rows, columns[, planes]): volumes are shown as their maximum projection."""
    image = np.asarray(image, dtype="float64")
    return image.max(axis=2) if image.ndim == 3 else image


# -- panels from a written file ---------------------------------------------------------------------------
def panels_from_file(nwbfile: Any) -> list[Panel]:
    """Mean frames of every imaging series and ROI outlines of every segmentation in a read NWB file."""
    from .summary import SERIES_TYPES, TABLE_TYPES, _by_type, _location

    panels = []
    for series in _by_type(nwbfile, SERIES_TYPES):
        frames = np.asarray(series.data[: min(MEAN_FRAMES, series.data.shape[0])], dtype="float64").mean(axis=0)
        panels.append(Panel(f"{_location(series)}: mean of {min(MEAN_FRAMES, series.data.shape[0])} frames",
                            _to_rows_columns(frames, series)))
    for table in _by_type(nwbfile, TABLE_TYPES):
        masks = _table_masks(table)
        shape = masks[0].shape if masks else (1, 1)
        image = _table_image(nwbfile, table, shape)
        accepted = [not bool(r) for r in table["Rejected"].data[:]] if "Rejected" in table.colnames else [True] * len(masks)
        panels.append(Panel(f"{_location(table)}: {len(masks)} ROIs", image, tuple(masks), tuple(accepted)))
    return panels


def _legacy(obj: Any) -> bool:
    return getattr(obj, "namespace", "core") == "core"


def _to_rows_columns(frame: np.ndarray, series: Any) -> np.ndarray:
    """A stored frame back to (rows, columns): legacy frames are (x, y[, z]), ndx (height, width) or (depth, h, w)."""
    if _legacy(series):
        frame = frame.transpose(1, 0, *range(2, frame.ndim))
    elif frame.ndim == 3:
        frame = frame.transpose(1, 2, 0)
    return _flat(frame)


def _table_masks(table: Any) -> list[np.ndarray]:
    legacy = _legacy(table)
    if "image_mask" in table.colnames or "volume_mask" in table.colnames:
        stored = np.asarray(table["image_mask" if "image_mask" in table.colnames else "volume_mask"].data[:])
        masks = []
        for mask in stored:
            if legacy:
                mask = mask.transpose(1, 0, *range(2, mask.ndim))
            elif mask.ndim == 3:
                mask = mask.transpose(1, 2, 0)
            masks.append(_flat(mask))
        return masks
    column = "pixel_mask" if "pixel_mask" in table.colnames else "voxel_mask"
    if column not in table.colnames:
        return []
    rows = [np.asarray([tuple(p) for p in table[column][i]]) for i in range(len(table))]
    height = int(max((r[:, 1].max() for r in rows if len(r)), default=0)) + 1
    width = int(max((r[:, 0].max() for r in rows if len(r)), default=0)) + 1
    masks = []
    for pixels in rows:
        mask = np.zeros((height, width))
        if len(pixels):
            mask[pixels[:, 1].astype(int), pixels[:, 0].astype(int)] = pixels[:, -1]
        masks.append(mask)
    return masks


def _table_image(nwbfile: Any, table: Any, shape: tuple[int, int]) -> np.ndarray:
    """The table's first summary image (ndx: its own; legacy: the SegmentationImages beside it), else blank."""
    images = getattr(table, "summary_images", None)
    if images:
        data = np.asarray(next(iter(images.values())).data[:])
        return _flat(data.transpose(1, 2, 0) if data.ndim == 3 else data)
    ophys = nwbfile.processing.get("ophys")
    for name in ("SegmentationImages", f"SegmentationImages_{table.name}"):
        if ophys is not None and name in ophys.data_interfaces:
            first = next(iter(ophys[name].images.values()))
            return _flat(np.asarray(first.data[:]).T)
    return np.zeros(shape)


# -- panels from a session's sources ------------------------------------------------------------------------
def panels_from_session(series: Iterable[Any], segmentations: Iterable[Any]) -> list[Panel]:
    """The same pictures from the specs' extractors, before (or without) writing."""
    panels = []
    for spec in series:
        frames = min(MEAN_FRAMES, int(spec.source.get_num_samples()))
        mean = np.asarray(spec.source.get_series(start_sample=0, end_sample=frames), dtype="float64").mean(axis=0)
        panels.append(Panel(f"series {spec.name}: mean of {frames} frames", _flat(mean)))
    for spec in segmentations:
        source = spec.source
        ids = list(source.get_roi_ids())
        masks = [_flat(source.get_roi_image_masks([roi])[..., 0, :] if _volumetric(source) else
                       source.get_roi_image_masks([roi])[..., 0]) for roi in ids]
        images = {k: v for k, v in source.get_images_dict().items() if v is not None}
        image = _flat(next(iter(images.values()))) if images else np.zeros(masks[0].shape if masks else (1, 1))
        accepted, _ = acceptance(source, ids)
        accepted = [True] * len(ids) if accepted is None else [bool(a) for a in accepted]
        panels.append(Panel(f"segmentation {spec.name}: {len(ids)} ROIs", image, tuple(masks), tuple(accepted)))
    return panels


def _volumetric(source: Any) -> bool:
    from .specs.sources import segmentation_shape

    return len(segmentation_shape(source)) == 3


# -- drawing ------------------------------------------------------------------------------------------------
def render(panels: list[Panel], path: str | Path) -> Path:
    """Draw the panels side by side into a PNG; ROI outlines green (accepted) or red (rejected)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise BuilderError("plot needs matplotlib: pip install 'microscopy-builder[plot]'") from None
    if not panels:
        raise BuilderError("nothing to plot: the file holds no imaging series or segmentation")
    path = Path(path)
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 4.5 * rows), squeeze=False)
    for axis in axes.flat[len(panels):]:
        axis.axis("off")
    for axis, panel in zip(axes.flat, panels):
        axis.imshow(panel.image, cmap="gray", interpolation="nearest")
        for mask, accepted in zip(panel.masks, panel.accepted):
            if np.any(mask):
                axis.contour(mask > 0, levels=[0.5], colors=[ACCEPTED_COLOUR if accepted else REJECTED_COLOUR],
                             linewidths=0.8)
        axis.set_title(panel.title, fontsize=8)
        axis.set_xticks([])
        axis.set_yticks([])
    if any(p.masks for p in panels):
        from matplotlib.lines import Line2D

        figure.legend(handles=[Line2D([], [], color=ACCEPTED_COLOUR, label="accepted ROI"),
                               Line2D([], [], color=REJECTED_COLOUR, label="rejected ROI")],
                      loc="lower center", ncol=2, fontsize=8)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
