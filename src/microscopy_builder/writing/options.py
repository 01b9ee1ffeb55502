"""What one ``write()`` was asked for: how much to read at a time, how many threads, progress bars, compression."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..io.chunking import DEFAULT_BUFFER_BYTES
from ..io.dataset_config import DatasetConfiguration
from ..io.parallel import default_progress, default_workers
from ..io.streams import Stream

Compression = DatasetConfiguration | Mapping[str, DatasetConfiguration] | None


@attrs.frozen(kw_only=True)
class WriteOptions:
    """The arguments of one ``Session.write``; see it for their meaning."""

    buffer_bytes: int = DEFAULT_BUFFER_BYTES
    max_workers: int | None = None
    progress: bool | None = None
    compression: Compression = None

    def problems(self, series_names: set[str]) -> list[str]:
        """What is wrong with these options for a session of imaging series ``series_names``."""
        problems = []
        if not isinstance(self.buffer_bytes, int) or isinstance(self.buffer_bytes, bool) or self.buffer_bytes <= 0:
            problems.append(f"buffer_bytes: must be a positive number of bytes, got {self.buffer_bytes!r}")
        workers = self.max_workers
        if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
            problems.append(f"max_workers: must be a whole number of threads >= 1, got {workers!r}")
        compression = self.compression
        if compression is None or isinstance(compression, DatasetConfiguration):
            return problems
        if not isinstance(compression, Mapping):
            return [*problems, f"compression: give a DatasetConfiguration or a dict of them by series name, got "
                               f"{compression!r}"]
        for name, configuration in compression.items():
            if name not in series_names:
                problems.append(f"compression[{name!r}]: no series of that name (series: "
                                f"{', '.join(sorted(series_names)) or 'none'})")
            elif not isinstance(configuration, DatasetConfiguration):
                problems.append(f"compression[{name!r}]: must be a DatasetConfiguration, got {configuration!r}")
        return problems

    def configuration_for(self, stream: Stream) -> DatasetConfiguration:
        """How ``stream`` is stored: the configuration given for its imaging series, else the default."""
        if stream.kind != "imaging" or self.compression is None:
            return DatasetConfiguration()
        if isinstance(self.compression, DatasetConfiguration):
            return self.compression
        return self.compression.get(stream.owner, DatasetConfiguration())

    @property
    def workers(self) -> int:
        return self.max_workers or default_workers()

    @property
    def shows_progress(self) -> bool:
        return default_progress() if self.progress is None else bool(self.progress)
