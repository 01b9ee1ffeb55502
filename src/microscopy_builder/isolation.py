"""Run calls each in its own child process, so a process that dies fails only its own call.

A pool of worker processes (``concurrent.futures.ProcessPoolExecutor``) breaks as a whole when one
worker dies (the out-of-memory killer's SIGKILL, a segmentation fault in a C library, ``os._exit``):
every call not yet finished fails. Here every call gets a fresh process, at most ``processes`` at a
time, started with the ``spawn`` method: a new interpreter that inherits no threads, no HDF5
handles and no file descriptors but its own pipe, and gets the parent's ``sys.path``, working
folder and environment. The value comes back through the pipe; a process that ends without
sending one becomes a :class:`ChildFailure` naming its exit code or signal (and, for a crash, the
Python stack that faulthandler recorded at the crash). Objects cross between the processes the
way ``multiprocessing`` sends them (its pickler), only ever between this process and its own children.

Stopping: when the parent is interrupted (KeyboardInterrupt) or fails, it terminates its children
with SIGTERM, which a child turns into an exception so that ``finally`` blocks (partial files)
run, then SIGKILL after a grace period. A child whose parent disappears terminates itself.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import signal
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import attrs

#: how long children get to end on their own (after sending a value, or after SIGTERM) before SIGKILL
GRACE_SECONDS = 5.0
#: the parent wakes at least this often, so a KeyboardInterrupt is seen even with other threads about
POLL_SECONDS = 0.5

_NOTHING = object()  # no value came from a child
_HINTS = {
    "SIGKILL": "out of memory?",
    "SIGSEGV": "a crash in a C library?",
    "SIGBUS": "a memory-mapped file truncated or gone while being read?",
    "SIGABRT": "a C library aborted (a failed assertion?)",
}


@attrs.frozen(kw_only=True)
class ChildFailure:
    """A call that returned no value: it raised, could not be sent to its process, or the process died."""

    error_type: str
    error: str
    seconds: float
    traceback: str | None = None


class Terminated(SystemExit):
    """Raised in a child on SIGTERM, so its ``finally`` blocks run before it ends."""


def describe_exit(exitcode: int | None) -> str:
    """Say in words how a process that sent no value ended (``Process.exitcode``)."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "an unknown signal"
        text = f"the worker process was killed by {name} (signal {number})"
        return f"{text}; {_HINTS[name]}" if name in _HINTS else text
    return (f"the worker process exited with code {exitcode} before sending its result: os._exit or a C "
            "library ending the process, or a process that could not start (its standard error says why; "
            "a script must start processes under if __name__ == '__main__':)")


def run_isolated(function: Callable[[Any], Any], items: Iterable[Any], *, processes: int) -> list[Any]:
    """``[function(item) for item in items]``, each call in its own child process, ``processes`` at once.

    ``function`` and the items must be picklable (``function`` a module-level function). Values come
    in the items' order; a call that raised, could not be pickled, or whose process died gives a
    :class:`ChildFailure` in its place and never disturbs the others.
    """
    items = list(items)
    outcomes: list[Any] = [None] * len(items)
    pending = deque(enumerate(items))
    running: dict[int, _Child] = {}
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="microscopy-builder-crash-") as crash_folder:
        try:
            while pending or running:
                while pending and len(running) < max(1, processes):
                    index, item = pending.popleft()
                    started = _start(context, function, item, Path(crash_folder) / f"{index}.log")
                    if isinstance(started, ChildFailure):
                        outcomes[index] = started
                    else:
                        running[index] = started
                for index in _wait_for_some(running) if running else ():
                    outcomes[index] = running[index].finish()
                    del running[index]  # only now: if interrupted while finishing, it is still stopped
        finally:
            _stop(list(running.values()))
    return outcomes


@attrs.define
class _Child:
    process: BaseProcess
    reader: Connection
    crash_log: Path
    start: float

    def finish(self) -> Any:
        """Take the value if one was sent, wait for the process to end, and say what came of the call."""
        try:
            outcome = self.reader.recv() if self.reader.poll() else _NOTHING
        except (EOFError, OSError):  # the process ended without sending anything
            outcome = _NOTHING
        except Exception as error:  # noqa: BLE001 - a value that cannot be rebuilt here is this call's failure
            outcome = _raised(error, self.start)
        self.process.join(GRACE_SECONDS)
        _stop([self])
        if outcome is not _NOTHING:
            return outcome
        seconds = time.perf_counter() - self.start
        crash = self.crash_log.read_text(errors="replace").strip() if self.crash_log.exists() else ""
        return ChildFailure(error_type="WorkerDied", error=describe_exit(self.process.exitcode),
                            seconds=seconds, traceback=crash or None)


def _start(context, function: Callable, item: Any, crash_log: Path) -> _Child | ChildFailure:
    start = time.perf_counter()
    try:
        ForkingPickler.dumps(item)  # what starting the process does: an unpicklable item fails alone, at once
    except Exception as error:  # noqa: BLE001 - reported as this call's failure
        return _raised(error, start, prefix="could not be sent to a child process: ")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(function, item, writer, str(crash_log)),
                              name=f"microscopy-builder-{crash_log.stem}")
    try:
        process.start()
    except BaseException:
        reader.close()
        raise
    finally:
        writer.close()  # the child holds the only writer: its end means end of file here
    return _Child(process=process, reader=reader, crash_log=crash_log, start=start)


def _wait_for_some(running: dict[int, _Child]) -> list[int]:
    """Wait (a little) until children have sent a value or ended; their indexes."""
    owners = {}
    for index, child in running.items():
        owners[child.reader] = index
        owners[child.process.sentinel] = index
    ready = multiprocessing.connection.wait(list(owners), timeout=POLL_SECONDS)
    return sorted({owners[handle] for handle in ready})


def _stop(children: list[_Child]) -> None:
    """End children still running: SIGTERM, a grace period (cut short by a second Ctrl-C), SIGKILL."""
    try:
        for child in children:
            if child.process.is_alive():
                child.process.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children:
            child.process.join(max(0.0, deadline - time.monotonic()))
    finally:
        for child in children:
            if child.process.is_alive():
                child.process.kill()
            child.process.join()
            child.reader.close()


def _raised(error: BaseException, start: float, prefix: str = "") -> ChildFailure:
    return ChildFailure(error_type=type(error).__name__, error=prefix + str(error),
                        seconds=time.perf_counter() - start,
                        traceback="".join(traceback.format_exception(error)))


def _child_main(function: Callable, item: Any, writer: Connection, crash_log: str) -> None:
    """In the child: call ``function`` on the item and send back what came of it."""
    signal.signal(signal.SIGTERM, _on_terminate)
    _end_with_parent()
    start = time.perf_counter()
    with open(crash_log, "w") as log:
        faulthandler.enable(log)  # a crash (SIGSEGV, ...) leaves the Python stack for the parent
        try:
            try:
                outcome = function(item)
            except BaseException as error:  # noqa: BLE001 - even SystemExit is this call's failure
                outcome = _raised(error, start)
            _send(writer, outcome, start)
        finally:
            faulthandler.disable()


def _send(writer: Connection, outcome: Any, start: float) -> None:
    """Send what came of the call (or why it cannot be sent); quietly nothing if the parent is gone."""
    try:
        writer.send(outcome)  # pickled whole before anything is written
    except OSError:  # the parent is gone: nobody to tell
        pass
    except Exception as error:  # noqa: BLE001 - a value that cannot be sent is this call's failure
        _send(writer, _raised(error, start), start)


def _on_terminate(signum: int, frame: Any) -> None:
    raise Terminated("the worker process was terminated (SIGTERM)")


def _end_with_parent() -> None:
    """Terminate this child when its parent process ends, so no orphan goes on writing."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()
