"""Write a set of output files all or nothing, the independent ones side by side.

``staged`` gives a temporary folder beside the target: the files are written there and moved into
the target only when every one of them is complete, so a failure leaves the target as it was.

``run_jobs`` runs the jobs that write one file each: the heavy ones (``side``) in forked worker
processes, one each, which start with this process's data already in memory; the others here
meanwhile. Elsewhere than on Linux, with one processor, or in a process that has already drawn a
picture (the dashboard, a test session), everything runs here, in order.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# Libraries running threads of their own (vl-convert's JavaScript runtime): a process forked after
# they started inherits their locks but not their threads, and hangs. Once one is loaded, no fork.
FORK_UNSAFE = ("vl_convert",)
Job = Callable[[], object]  # a job may return {file name: seconds} when it writes several files
_JOBS: Mapping[str, Job] = {}  # the jobs a forked worker inherits


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write into; on success its files replace those of ``out``."""
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield temporary
        out.mkdir(exist_ok=True)
        written = sorted(temporary.iterdir())
        for path in written:  # checked before anything moves
            if (out / path.name).is_dir():
                raise IsADirectoryError(errno.EISDIR, f"{out / path.name} è una cartella", str(out / path.name))
        for path in written:
            path.replace(out / path.name)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def workers() -> int:
    """How many worker processes may run beside this one (forking is safe on Linux only, and only
    before a library with threads of its own has started)."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if any(name in sys.modules for name in FORK_UNSAFE):
        return 0
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return available - 1


def run_jobs(here: Mapping[str, Job], side: Mapping[str, Job] | None = None) -> dict[str, float]:
    """Run every job once; the seconds each took, by name. The first failure is raised.

    Each ``side`` job gets a forked process of its own (started before anything else, so no thread
    is copied), which sends back its seconds or its exception.
    """
    side = dict(side or {})
    seconds: dict[str, float] = {}
    if not side or not workers():
        for name, job in {**side, **here}.items():
            seconds.update(_timed(name, job))
        return seconds
    global _JOBS
    _JOBS = side
    shed_memory()  # the workers start as copies of this process: smaller copies
    context = multiprocessing.get_context("fork")
    started = []
    try:
        for name in side:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_run_inherited, args=(name, send), name=f"rollout: {name}", daemon=True)
            process.start()
            send.close()
            started.append((name, process, receive))
        failure: BaseException | None = None
        try:
            for name, job in here.items():
                seconds.update(_timed(name, job))
        except BaseException as err:  # noqa: BLE001 -- raised below, once the workers are waited for
            failure = err
        for name, process, receive in started:
            try:
                ok, value = receive.recv()
            except EOFError:
                ok, value = False, RuntimeError(f"the worker writing {name} stopped (exit code {process.exitcode})")
            process.join()
            if ok:
                seconds.update(value)
            elif failure is None:
                failure = value
        if failure is not None:
            raise failure
    finally:
        _JOBS = {}
    return seconds


def shed_memory() -> None:
    """Give freed memory back to the system (Python's garbage, glibc's and Arrow's free lists)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(ImportError):
        import pyarrow

        pyarrow.default_memory_pool().release_unused()


def _run_inherited(name: str, send) -> None:
    """In a forked worker: run one job, send back (True, seconds) or (False, the exception)."""
    try:
        send.send((True, _timed(name, _JOBS[name])))
    except BaseException as err:  # noqa: BLE001 -- sent to the parent, which raises it
        try:
            send.send((False, err))
        except Exception:  # noqa: BLE001 -- an exception that does not pickle
            send.send((False, RuntimeError(f"{type(err).__name__}: {err}")))
    finally:
        send.close()


def _timed(name: str, job: Job) -> dict[str, float]:
    start = time.perf_counter()
    result = job()
    if isinstance(result, dict):
        return result
    return {name: time.perf_counter() - start}
