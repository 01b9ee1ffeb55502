"""The imaging benchmarks' input: a calcium-like movie (or roiextractors' lazy mock), rebuilt alike in every process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_FRAMES = 1500  # 1500 x 256 x 256 x 2 bytes = 197 MB of raw frames
ROWS = COLUMNS = 256
SAMPLING_HZ = 30.0
SEED = 7


@dataclass(frozen=True)
class Movie:
    """Parameters of the synthetic movie; every process rebuilds the same extractor from them.

    Attributes
    ----------
    frames, rows, columns
        Movie shape as roiextractors gives it: (frames, rows, columns).
    planes
        Planes per volume; above 1 the movie is volumetric (mock source only).
    source
        ``"calcium"`` (the ``.npy`` at ``npy_path``) or ``"mock"``.
    npy_path
        The calcium movie, written once by :func:`make_calcium_movie`.
    """

    frames: int
    rows: int = ROWS
    columns: int = COLUMNS
    planes: int = 1
    source: str = "calcium"
    npy_path: str | None = None

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
