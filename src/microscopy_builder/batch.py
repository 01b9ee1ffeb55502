"""Many sessions at once: each job builds and writes one session, each in its own process by default.

A job carries a *picklable* function that builds the :class:`~microscopy_builder.Session` (a
module-level function, so child processes and distributed workers can import it), its arguments
and where to write. Sessions are built where they are written: extractors open their files there,
and nothing large crosses process boundaries. One failing session is reported in its result and
never stops the others; by default that holds even when the process writing it dies.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import attrs

from .errors import ValidationError
from .io.parallel import default_workers
from .isolation import ChildFailure, run_isolated


@attrs.frozen(kw_only=True)
class SessionJob:
    """One conversion: ``make(*args, **kwargs)`` returns a Session, written to ``path`` with ``write_options``.

    Attributes
    ----------
    make
        A module-level function returning a :class:`~microscopy_builder.Session`.
    path
        Destination file (``.nwb``, or ``.nwb.zarr`` / ``backend="zarr"`` in ``write_options``).
    args, kwargs
        Passed to ``make``: e.g. the session's folder and subject id.
    write_options
        Keywords of :meth:`Session.write` (``backend``, ``overwrite``, ``max_workers``, ...).
    """

    make: Callable[..., Any]
    path: Path = attrs.field(converter=Path)
    args: tuple = attrs.field(default=(), converter=tuple)
    kwargs: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)
    write_options: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)


@attrs.frozen(kw_only=True)
class SessionResult:
    """What became of one job: the file written, or the error that stopped it."""

    path: Path
    ok: bool
    seconds: float
    error: str | None = None
    error_type: str | None = None
    traceback: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"wrote {self.path} in {self.seconds:.1f} s"
        return f"failed {self.path}: {self.error_type}: {self.error}"


def run_job(job: SessionJob) -> SessionResult:
    """Build and write one session; never raises (the error is in the result)."""
    start = time.perf_counter()
    try:
        session = job.make(*job.args, **job.kwargs)
        written = session.write(job.path, **job.write_options)
        return SessionResult(path=Path(written), ok=True, seconds=time.perf_counter() - start)
    except Exception as error:  # noqa: BLE001 - one session's failure is reported, not raised
        return _failure(job, error, start)


def _failure(job: SessionJob, error: BaseException, start: float) -> SessionResult:
    return SessionResult(
        path=job.path,
        ok=False,
        seconds=time.perf_counter() - start,
        error=str(error),
        error_type=type(error).__name__,
        traceback="".join(traceback.format_exception(error)),
    )


_BROKEN_POOL = ("a worker process of the given ProcessPoolExecutor died (killed, out of memory, or a crash in a C "
               "library), and a dead worker breaks the whole pool: every job it had not finished fails. "
               "Leave executor out: the default engine runs each session in its own process, so a process "
               "that dies fails only its own session")


def write_sessions(jobs: Iterable[SessionJob], executor: Executor | None = None) -> list[SessionResult]:
    """Write every job's session, in parallel; one result per job, in the jobs' order.

    Parameters
    ----------
    jobs
        The sessions to write.
    executor
        Default (``None``): each job runs in its own child process (``multiprocessing``'s
        ``spawn`` method: a fresh interpreter with the caller's ``sys.path`` and environment, no
        inherited threads or open files), one per core at a time (at most one per job), each
        session compressing on the cores left to it. A process that dies (SIGKILL from the
        out-of-memory killer, a segmentation fault, ``os._exit``) fails only its own job, with
        ``error_type="WorkerDied"`` and the exit code or signal in ``error`` (for a crash, the
        Python stack at the crash in ``traceback``). A KeyboardInterrupt terminates the children
        and is raised. As with any ``spawn`` process, a script calling this must do so under
        ``if __name__ == "__main__":``.

        Or any ``concurrent.futures.Executor``: a thread pool, a process pool, a
        ``dask.distributed`` client's ``client.get_executor()``, used as it behaves. A
        ``ProcessPoolExecutor`` whose worker dies is *broken*: every job it had not finished
        fails with ``error_type="BrokenProcessPool"`` and an error saying so.

    Returns
    -------
    list of SessionResult
        ``ok`` and ``path`` of the files written; ``error`` / ``error_type`` / ``traceback`` of the
        sessions that failed. Failures never stop the other sessions.
    """
    jobs = list(jobs)
    problems = [f"jobs[{i}]: must be a SessionJob, got {type(job).__name__}" for i, job in enumerate(jobs)
                if not isinstance(job, SessionJob)]
    paths = [job.path.resolve() for job in jobs if isinstance(job, SessionJob)]
    problems += [f"jobs: {path} is the destination of more than one job" for path in sorted(set(paths)) if paths.count(path) > 1]
    if problems:
        raise ValidationError(problems)
    if not jobs:
        return []
    if executor is None:
        return _write_isolated(jobs)
    futures = [executor.submit(run_job, job) for job in jobs]
    results = []
    for job, future in zip(jobs, futures):
        start = time.perf_counter()
        try:
            results.append(future.result())
        except BrokenProcessPool as error:
            results.append(attrs.evolve(_failure(job, error, start), error=f"{_BROKEN_POOL} ({error})"))
        except Exception as error:  # noqa: BLE001 - the job never ran (unpicklable, a worker died, ...)
            results.append(_failure(job, error, start))
    return results


def _write_isolated(jobs: list[SessionJob]) -> list[SessionResult]:
    """The default engine: every job in its own process, one per core, compressing on the cores left."""
    processes = min(len(jobs), default_workers())
    threads = max(1, default_workers() // processes)
    jobs = [attrs.evolve(job, write_options={"max_workers": threads, **job.write_options}) for job in jobs]
    outcomes = run_isolated(run_job, jobs, processes=processes)
    return [
        SessionResult(path=job.path, ok=False, seconds=outcome.seconds, error=outcome.error,
                      error_type=outcome.error_type, traceback=outcome.traceback)
        if isinstance(outcome, ChildFailure) else outcome
        for job, outcome in zip(jobs, outcomes)
    ]
