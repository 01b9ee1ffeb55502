"""Pictures of what went into a file, the ones a scientist would show.

One panel per imaging plane or channel: the series' mean image with the outlines of the ROIs
segmented on it (accepted green, rejected red), a scale bar from the pixel size, channel and
indicator in the title; a segmentation with no series in the file is drawn over its own summary
image. Below, when there are traces, a few ROIs' dF/F (or raw fluorescence) over time.

Panels are gathered from a written NWB file (either format, any writer) or from a session's
sources (:mod:`microscopy_builder.picture_sources`), and drawn by :func:`render`. matplotlib is an
optional extra (``pip install 'microscopy-builder[plot]'``).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import attrs
import numpy as np

from .errors import BuilderError

ACCEPTED_COLOUR, REJECTED_COLOUR = "#2ca02c", "#d62728"
MAX_PLANES = 8  # planes of a volume drawn (evenly chosen when there are more)
TRACE_ROIS = 6  # ROIs shown in a traces panel: the most variable accepted ones
PANEL_INCHES, TITLE_CHARACTERS = 4.2, 44


@attrs.frozen
class Outlines:
    """ROI masks, (rows, columns[, planes]) each, with their acceptance and ids."""

    masks: tuple[np.ndarray, ...]
    accepted: tuple[bool, ...]
    ids: tuple[str, ...]

    def at_plane(self, plane: int | None) -> Outlines:
        """The masks as drawn on one plane of a volume (``None``: flattened by their maximum)."""
        masks = tuple(m if m.ndim == 2 else (m.any(axis=2) if plane is None else m[..., plane]) for m in self.masks)
        return attrs.evolve(self, masks=masks)

    def summary(self) -> str:
        rejected = self.accepted.count(False)
        return f"{len(self.masks)} ROIs" + (f" ({rejected} rejected)" if rejected else "")


@attrs.frozen
class Panel:
    """One image with its title, ROI outlines (if any) and the size of a pixel along x in um (if known)."""

    title: str
    image: np.ndarray
    outlines: Outlines | None = None
    pixel_um: float | None = None


@attrs.frozen
class Traces:
    """A few ROIs' traces over time: times (frames,), values (frames, rois), one id per ROI."""

    title: str
    times: np.ndarray
    values: np.ndarray
    ids: tuple[str, ...]
    quantity: str  # "dF/F" or "raw fluorescence"
    time_label: str = "time (s)"


@attrs.frozen
class Picture:
    """Everything one PNG shows."""

    panels: tuple[Panel, ...]
    traces: tuple[Traces, ...] = ()


def mean_title(name: str, channel: str | None, indicator: str | None, averaged: int, total: int) -> str:
    """``TwoPhotonSeries: Green, GCaMP6s`` and the frames really averaged."""
    light = ", ".join(t for t in (channel, indicator) if t)
    frames = f"mean of {averaged} frames" if averaged == total else f"mean of the first {averaged} of {total} frames"
    return f"{name}" + (f": {light}" if light else "") + f"\n{frames}"


def image_panels(title: str, mean: np.ndarray, outlines: Outlines | None, pixel_um: float | None) -> list[Panel]:
    """A panel for a planar mean image, or one per plane of a volume's (rows, columns, planes) mean."""
    if mean.ndim == 2:
        suffix = "" if outlines is None else f", {outlines.at_plane(None).summary()}"
        return [Panel(title + suffix, mean, None if outlines is None else outlines.at_plane(None), pixel_um)]
    planes = mean.shape[2]
    chosen = sorted({round(i) for i in np.linspace(0, planes - 1, min(planes, MAX_PLANES))})
    panels = []
    for plane in chosen:
        drawn = None if outlines is None else outlines.at_plane(plane)
        count = "" if drawn is None else f", {sum(bool(m.any()) for m in drawn.masks)} ROIs here"
        panels.append(Panel(f"{title}\nplane {plane + 1} of {planes}{count}", mean[..., plane], drawn, pixel_um))
    return panels


def chosen_traces(values: np.ndarray, accepted: tuple[bool, ...]) -> list[int]:
    """Columns to show: the most variable accepted ROIs (all ROIs when none is accepted), in id order."""
    candidates = [k for k, a in enumerate(accepted) if a] or list(range(values.shape[1]))
    spread = np.nanstd(values[:, candidates], axis=0) if len(values) else np.zeros(len(candidates))
    ranked = [candidates[i] for i in np.argsort(-spread, kind="stable")]
    return sorted(ranked[:TRACE_ROIS])


def usable_size(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) and float(value) > 0 else None


# -- drawing ------------------------------------------------------------------------------------------------
TRACE_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")


def render(picture: Picture, path: str | Path) -> Path:
    """Draw the picture (see :func:`draw`) into a PNG and return its path."""
    figure = draw(picture)  # first: it says how to install matplotlib when it is missing
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def draw(picture: Picture):
    """The matplotlib figure: images in rows of up to three, traces below, nothing clipped.

    ROIs whose traces are shown carry their id, in their trace's colour.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise BuilderError("plot needs matplotlib: pip install 'microscopy-builder[plot]'") from None
    if not picture.panels and not picture.traces:
        raise BuilderError("nothing to plot: the file holds no imaging series or segmentation")
    columns = max(1, min(3, len(picture.panels)))
    image_rows = -(-len(picture.panels) // columns)
    heights = [_row_inches(picture.panels[row * columns:(row + 1) * columns]) for row in range(image_rows)]
    heights += [2.8] * len(picture.traces)
    figure = plt.figure(figsize=(PANEL_INCHES * max(columns, 2), sum(heights) + 0.4), layout="constrained")
    grid = figure.add_gridspec(len(heights), columns, height_ratios=heights)
    colours = {roi: TRACE_COLOURS[k % len(TRACE_COLOURS)] for t in picture.traces for k, roi in enumerate(t.ids)}
    for index, panel in enumerate(picture.panels):
        _draw_panel(figure.add_subplot(grid[index // columns, index % columns]), panel, colours)
    for row, traces in enumerate(picture.traces):
        _draw_traces(figure.add_subplot(grid[image_rows + row, :]), traces, colours)
    if any(p.outlines for p in picture.panels):
        from matplotlib.lines import Line2D

        figure.legend(handles=[Line2D([], [], color=ACCEPTED_COLOUR, label="accepted ROI"),
                               Line2D([], [], color=REJECTED_COLOUR, label="rejected ROI")],
                      loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return figure


def _row_inches(panels: tuple[Panel, ...]) -> float:
    """A row as tall as its tallest image at the panel width (capped), plus its title."""
    aspect = max(min(p.image.shape[0] / max(p.image.shape[1], 1), 1.5) for p in panels)
    lines = max(_wrapped(p.title).count("\n") + 1 for p in panels)
    return PANEL_INCHES * aspect + 0.2 + 0.16 * lines


def _wrapped(title: str) -> str:
    return "\n".join(textwrap.fill(line, TITLE_CHARACTERS) for line in title.splitlines())


def _draw_panel(axis, panel: Panel, colours: dict[str, str]) -> None:
    import matplotlib.patheffects as effects

    image = np.nan_to_num(np.asarray(panel.image, dtype="float64"))
    low, high = np.percentile(image, (1, 99.7)) if image.size else (0, 1)
    axis.imshow(image, cmap="gray", interpolation="nearest", vmin=low, vmax=max(high, low + 1e-9))
    outlines = panel.outlines
    for mask, accepted, roi in zip(*(() if outlines is None else (outlines.masks, outlines.accepted, outlines.ids))):
        if not np.any(mask):
            continue
        axis.contour(np.asarray(mask, dtype="float64"), levels=[0.5], linewidths=0.9,
                     colors=[ACCEPTED_COLOUR if accepted else REJECTED_COLOUR])
        if roi in colours:
            rows, cols = np.nonzero(mask)
            axis.text(cols.mean(), rows.min() - 1.5, roi, color=colours[roi], fontsize=7, ha="center", va="bottom",
                      fontweight="bold", path_effects=[effects.withStroke(linewidth=2.5, foreground="white")])
    if panel.pixel_um:
        _scale_bar(axis, image.shape, panel.pixel_um)
    axis.set_title(_wrapped(panel.title), fontsize=8)
    axis.set_xticks([])
    axis.set_yticks([])


def _round_below(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    exponent = math.floor(math.log10(value))
    return max(n * 10.0**exponent for n in (1, 2, 5) if n * 10.0**exponent <= value)


def _scale_bar(axis, shape: tuple[int, ...], pixel_um: float) -> None:
    """A white bar of a round length, about a fifth of the image wide, at its lower right."""
    rows, columns = shape[:2]
    length = _round_below(columns * pixel_um / 5)
    bar = length / pixel_um
    right, y = columns * 0.95 - 0.5, rows * 0.94 - 0.5
    axis.plot([right - bar, right], [y, y], color="white", linewidth=3, solid_capstyle="butt")
    import matplotlib.patheffects as effects

    axis.text(right - bar / 2, y - rows * 0.025, f"{length:g} µm", color="white", ha="center", va="bottom", fontsize=8,
              path_effects=[effects.withStroke(linewidth=2, foreground="black")])


def _draw_traces(axis, traces: Traces, colours: dict[str, str]) -> None:
    values = np.asarray(traces.values, dtype="float64")
    spread = float(np.nanmax(values) - np.nanmin(values)) if values.size else 0.0
    step = spread if spread > 0 else 1.0
    start = traces.times[0] if len(traces.times) else 0.0
    for k, roi in enumerate(traces.ids):
        offset = (len(traces.ids) - 1 - k) * step
        colour = colours.get(roi, TRACE_COLOURS[k % len(TRACE_COLOURS)])
        axis.plot(traces.times, values[:, k] + offset, linewidth=0.8, color=colour)
        axis.text(start, offset + float(np.nanmedian(values[:, k])), f"ROI {roi} ", ha="right", va="center",
                  fontsize=7, color=colour)
    if spread > 0:  # a vertical bar says how much one unit of the trace is
        length, end = _round_below(spread / 2), traces.times[-1] if len(traces.times) else 1.0
        axis.plot([end, end], [0, length], color="black", linewidth=2, solid_capstyle="butt", clip_on=False)
        axis.text(end, length / 2, f" {length:g} {traces.quantity}", ha="left", va="center", fontsize=7)
    axis.set_xlabel(traces.time_label, fontsize=8)
    axis.set_ylabel(f"{traces.quantity}, stacked", fontsize=8)
    axis.set_yticks([])
    axis.tick_params(labelsize=7)
    axis.spines[["top", "right", "left"]].set_visible(False)
    axis.set_title(traces.title, fontsize=8)
