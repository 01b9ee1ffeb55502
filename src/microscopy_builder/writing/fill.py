"""Setting up the streamed datasets of one write, and filling them once hdmf has written the file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ValidationError
from ..io.backends import Backend
from ..io.parallel import fill_dataset, progress_bar
from ..io.space import uncompressed_bytes
from ..io.streams import WRITTEN_BY_HDMF, Stream

#: stream kinds whose data is mostly zero (dense ROI masks: zero outside each ROI), for the deflate encoder
SPARSE_KINDS = {"mask": "sparse"}
from .options import WriteOptions


def prepare_streams(streams: Sequence[Stream], backend: Backend, options: WriteOptions) -> None:
    """Check each stream's configuration against its data, then set every one up for ``backend``.

    Raises ``ValidationError`` (nothing set up) when a configuration does not fit its dataset.
    """
    chosen = [(stream, options.configuration_for(stream)) for stream in streams]
    problems = [p for stream, configuration in chosen if stream.kind == "imaging"
                for p in configuration.problems(f"compression[{stream.owner!r}]", _shape(stream))]
    if problems:
        raise ValidationError(problems)
    for stream, configuration in chosen:
        stream.wrap(backend, configuration, options.buffer_bytes)


def fill_streams(root: Any, manager: Any, streams: Sequence[Stream], backend: Backend,
                 options: WriteOptions) -> dict[str, tuple[str, str]]:
    """Store every stream's data in the file open at ``root``, written by the IO whose build ``manager`` is given;
    return where each went: path -> (owner, kind).

    Imaging series show a progress bar each when ``options`` ask for one.
    """
    located = [(stream.locate(manager), stream) for stream in streams]
    for path, stream in located:
        if stream.kind in WRITTEN_BY_HDMF:
            continue
        source = stream.source
        shown = options.shows_progress and stream.kind == "imaging"
        with progress_bar(shown, source.maxshape[0], stream.owner) as bar:
            fill_dataset(root[path], source, backend=backend, compression_level=stream.level,
                         max_workers=options.workers, progress=bar, content=SPARSE_KINDS.get(stream.kind, "dense"))
    return {path: (stream.owner, stream.kind) for path, stream in located}


def streamed_bytes(streams: Sequence[Stream]) -> int:
    """The raw size of everything streamed: what a write may need on disk, counting on no compression."""
    return uncompressed_bytes(stream.data for stream in streams if stream.data is not None and stream.kind not in WRITTEN_BY_HDMF)


def _shape(stream: Stream) -> tuple[int, ...]:
    if stream.data is not None:
        return tuple(stream.data.maxshape)
    stored = stream.container.data if stream.field is None else stream.container.fields[stream.field]
    return tuple(stored.shape)
