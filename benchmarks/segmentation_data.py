"""The segmentation benchmark's input: a Suite2p-sized synthetic segmentation, rebuilt alike in every process.

2,000 disk-shaped ROIs (~113 pixels) on a 512 x 512 field, integer ids, some rejected, 9,000 frames
of four float32 trace types, mean and correlation images. Masks are held natively either as sparse
pixel lists (as Suite2p's are) or as a lazy dense stack (as image masks read from disk are).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SAMPLING_HZ = 30.0
SEED = 11
REJECTED_FRACTION = 0.15
TRACE_KINDS = ("raw", "dff", "neuropil", "deconvolved")


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
