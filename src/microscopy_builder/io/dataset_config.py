"""How one large dataset is stored: its compression and chunks (each backend says how it applies them)."""

from __future__ import annotations

import attrs

from .compressor import environment_problem

COMPRESSIONS = ("gzip", None)


@attrs.frozen(kw_only=True)
class DatasetConfiguration:
    """How one large dataset is stored.

    Attributes
    ----------
    compression
        ``"gzip"`` (the default: every HDF5 reader, MATLAB and DANDI read it with no plugin) or
        ``None``.
    compression_level
        0 (stored, uncompressed) to 9 (smallest), as for gzip; default 4. Levels are served by the
        fastest standard-deflate encoder installed (:mod:`~microscopy_builder.io.compressor`): each
        gives a file no larger than zlib's at that level on the benchmark movie, much faster (the
        table in ``docs/how-to/large-movies.md``). The file records the level asked for.
    chunk_shape
        Stored chunk shape in the file's axis order, e.g. ``(64, 128, 256)``; default: the rule of
        :func:`~microscopy_builder.io.chunking.chunk_shape_for` (up to 4 MiB, two chunks per frame).
    """

    compression: str | None = "gzip"
    compression_level: int = 4
    chunk_shape: tuple[int, ...] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else tuple(int(n) for n in v)
    )

    @property
    def level(self) -> int | None:
        """The deflate level, or ``None`` when uncompressed."""
        return self.compression_level if self.compression == "gzip" else None

    def problems(self, where: str, shape: tuple[int, ...]) -> list[str]:
        """What is wrong with this configuration for a dataset of ``shape``."""
        problems = []
        if self.compression not in COMPRESSIONS:
            problems.append(f"{where}.compression: must be one of {COMPRESSIONS}, got {self.compression!r}")
        if not isinstance(self.compression_level, int) or not 0 <= self.compression_level <= 9:
            problems.append(f"{where}.compression_level: must be a whole number 0-9, got {self.compression_level!r}")
        encoder_problem = environment_problem() if self.compression == "gzip" else None
        if encoder_problem:
            problems.append(f"{where}.compression: {encoder_problem}")
        if self.chunk_shape is not None:
            if len(self.chunk_shape) != len(shape) or any(c < 1 or c > n for c, n in zip(self.chunk_shape, shape)):
                problems.append(
                    f"{where}.chunk_shape: {self.chunk_shape} does not fit the stored shape {shape}; give one "
                    f"positive size per axis, none larger than the axis"
                )
        return problems
