"""Write a set of output files all or nothing, the independent ones side by side.

``staged`` gives a temporary folder beside the target: the files are written there and moved into
the target only when every one of them is complete, so a failure leaves the target as it was.

``run_jobs`` runs the jobs that write one file each: the heavy ones (``side``) in forked worker
processes, one each, which start with this process's data already in memory; the others here
meanwhile. Elsewhere than on Linux, with one processor, or in a process that has already drawn a
picture (the dashboard, a test session), everything runs here, in order.

``start_worker`` forks the worker of one side job before its data exist: while this process reads
and evaluates the sources, the worker loads what the job needs (imports, a runtime to start) on
the other processor; ``run_jobs`` then sends it the job instead of forking a new process.

A worker never outlives this process: the kernel kills it when its parent dies, however it dies
(``PR_SET_PDEATHSIG``), and a stop (Ctrl-C, SIGTERM: ``rollout.interrupts``) ends every worker before
the temporary folder is removed, so that none writes into it afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import gc
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from rollout import interrupts

# Libraries running threads of their own (vl-convert's JavaScript runtime): a process forked after
# they started inherits their locks but not their threads, and hangs. Once one is loaded, no fork.
FORK_UNSAFE = ("vl_convert",)
Job = Callable[[], object]  # a job may return {file name: seconds} when it writes several files
_JOBS: Mapping[str, Job] = {}  # the jobs a forked worker inherits


@dataclass
class _Worker:
    """A forked worker: its process, where its job goes (started early) and where its result comes from."""

    process: multiprocessing.process.BaseProcess
    results: Connection
    jobs: Connection | None = None
    sender: threading.Thread | None = None  # the thread handing the job over, which then closes ``jobs``


_WAITING: dict[str, _Worker] = {}  # workers started early, by the name of their job


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write into; on success its files replace those of ``out``."""
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = None
    try:
        with interrupts.deferred():  # created and known, so that the clean-up below removes it
            temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        yield temporary
        out.mkdir(exist_ok=True)
        written = sorted(temporary.iterdir())
        for path in written:  # checked before anything moves
            if (out / path.name).is_dir():
                raise IsADirectoryError(errno.EISDIR, f"{out / path.name} è una cartella", str(out / path.name))
        with interrupts.deferred():  # a stop arriving now comes after the last move: never half a report
            for path in written:
                path.replace(out / path.name)
    finally:
        if temporary is not None:
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


def start_worker(name: str, warm_up: Job) -> bool:
    """Fork now the worker of the side job ``name``, which runs ``warm_up`` and then waits for the
    job itself (sent by ``run_jobs``); False when no worker may be forked (the job then runs as
    any other). ``stop_workers`` ends a worker whose job never came."""
    if name in _WAITING or not workers():
        return False
    jobs_out, jobs_in = multiprocessing.get_context("fork").Pipe(duplex=False)
    with interrupts.deferred():  # forked and recorded, or neither
        worker = _fork(name, _serve, name, warm_up, jobs_out)
        jobs_out.close()
        worker.jobs = jobs_in
        _WAITING[name] = worker
    return True


def _fork(name: str, target: Callable[..., None], *args: object) -> _Worker:
    """A forked process running ``target(*args, results)``, ``results`` the end it replies on."""
    context = multiprocessing.get_context("fork")
    results_out, results_in = context.Pipe(duplex=False)
    process = context.Process(
        target=_as_worker, args=(os.getpid(), target, *args, results_in), name=f"rollout: {name}", daemon=True
    )
    process.start()
    results_in.close()
    return _Worker(process, results_out)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def _as_worker(parent: int, target: Callable[..., None], *args: object) -> None:
    """In a forked worker: die with the parent, however it dies (even killed, or aborted by a
    library); SIGTERM ends the worker at once; then run ``target``."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect: nothing will tell us
        os._exit(0)
    interrupts.for_workers()
    target(*args)


def stop_workers() -> None:
    """End the workers started early whose job was never sent (the run stopped before writing):
    at once, even mid warm-up; such a worker has written nothing."""
    while _WAITING:
        _end(_WAITING.popitem()[1])


END_SECONDS = 5.0  # how long a worker asked to stop may take before it is killed


def _end(worker: _Worker) -> None:
    """Stop a worker and wait for it: its job pipe closed (a worker waiting for its job sees the end
    of it and returns), SIGTERM, and SIGKILL if it has not ended within ``END_SECONDS``."""
    if worker.sender is None and worker.jobs is not None:
        worker.jobs.close()
    worker.process.terminate()
    worker.process.join(END_SECONDS)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    if worker.sender is not None:
        worker.sender.join()  # its write fails at once now that the worker is gone; it closes ``jobs``
    worker.results.close()


def _hand_over(jobs: Connection, payload: bytes) -> None:
    """Send a pickled job to its worker (a worker that died meanwhile is reported by ``run_jobs``)."""
    with contextlib.suppress(OSError):
        jobs.send_bytes(payload)
    jobs.close()


def run_jobs(here: Mapping[str, Job], side: Mapping[str, Job] | None = None) -> dict[str, float]:
    """Run every job once; the seconds each took, by name. The first failure is raised.

    Each ``side`` job runs in a worker of its own: the one started early for it (``start_worker``;
    the job must then pickle: a module-level function or a ``functools.partial`` of one), or one
    forked now (started before anything else, so no thread is copied); each sends back its
    seconds or its exception.
    """
    side = dict(side or {})
    early = {name: _WAITING.pop(name) for name in list(side) if name in _WAITING}
    seconds: dict[str, float] = {}
    if not early and (not side or not workers()):
        for name, job in {**side, **here}.items():
            seconds.update(_timed(name, job))
        return seconds
    here = dict(here)
    global _JOBS
    _JOBS = side
    started: list[tuple[str, _Worker]] = []
    try:
        forking = [name for name in side if name not in early]
        if forking and workers():  # first: these start from nothing, the early ones are ready
            shed_memory()  # the workers start as copies of this process: smaller copies
            for name in forking:
                with interrupts.deferred():  # forked and recorded, or neither
                    started.append((name, _fork(name, _run_inherited, name)))
        else:
            here = {**{name: side[name] for name in forking}, **here}
        for name, worker in early.items():
            try:
                payload = pickle.dumps(side[name], protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 -- a job that does not pickle runs here instead
                _end(worker)
                here = {name: side[name], **here}
                continue
            # Sent by a thread: the worker may still be warming up, and this process has work to do.
            worker.sender = threading.Thread(target=_hand_over, args=(worker.jobs, payload), daemon=True)
            worker.sender.start()
            started.append((name, worker))
        failure: BaseException | None = None
        try:
            for name, job in here.items():
                seconds.update(_timed(name, job))
        except KeyboardInterrupt:  # stopping: the workers are ended below, not waited for
            raise
        except BaseException as err:  # noqa: BLE001 -- raised below, once the workers are waited for
            failure = err
        while started:
            name, worker = started[0]
            try:
                ok, value = worker.results.recv()
            except EOFError:
                code = worker.process.exitcode
                ok, value = False, RuntimeError(f"the worker writing {name} stopped (exit code {code})")
            worker.process.join()
            started.pop(0)
            if ok:
                seconds.update(value)
            elif failure is None:
                failure = value
        if failure is not None:
            raise failure
    finally:
        _JOBS = {}
        for _, worker in started:  # stopped (Ctrl-C, SIGTERM) or failed before waiting: no worker keeps writing
            _end(worker)
    return seconds


def shed_memory() -> None:
    """Give freed memory back to the system (Python's garbage, glibc's and Arrow's free lists)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(ImportError):
        import pyarrow

        pyarrow.default_memory_pool().release_unused()


def _run_inherited(name: str, send: Connection) -> None:
    """In a forked worker: run one job, send back (True, seconds) or (False, the exception)."""
    _reply(send, lambda: _timed(name, _JOBS[name]))


def _serve(name: str, warm_up: Job, jobs: Connection, send: Connection) -> None:
    """In a worker started early: warm up, wait for the job, run it, send back what ``_run_inherited`` sends."""
    failure: BaseException | None = None
    try:
        try:
            warm_up()
        except Exception as err:  # noqa: BLE001 -- the job will fail the same way; reported when it comes
            failure = err
        payload = jobs.recv_bytes()
    except (EOFError, KeyboardInterrupt):  # the parent is gone, or stopping (Ctrl-C): it says so itself
        return

    def job() -> object:
        if failure is not None:
            raise failure
        return pickle.loads(payload)()

    _reply(send, lambda: _timed(name, job))


def _reply(send: Connection, run: Callable[[], dict[str, float]]) -> None:
    try:
        send.send((True, run()))
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
