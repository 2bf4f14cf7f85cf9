"""Write a set of output files all or nothing, the independent ones side by side.

``staged`` gives a temporary folder beside the target: the files are written there and moved into
the target only when every one of them is complete, so a failure leaves the target as it was.

``run_jobs`` runs the jobs that write one file each: the heavy ones (``side``) in forked worker
processes, which start with this process's data already in memory, the others here meanwhile.
Where ``fork`` is not available, or there is one processor, everything runs here, in order.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

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
    """How many worker processes may run beside this one."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return available - 1


def run_jobs(here: Mapping[str, Job], side: Mapping[str, Job] | None = None) -> dict[str, float]:
    """Run every job once; the seconds each took, by name. The first failure is raised."""
    side = dict(side or {})
    n = min(workers(), len(side))
    seconds: dict[str, float] = {}
    if not n:
        for name, job in {**side, **here}.items():
            seconds.update(_timed(name, job))
        return seconds
    global _JOBS
    _JOBS = side
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
            futures = [pool.submit(_run_inherited, name) for name in side]
            for name, job in here.items():
                seconds.update(_timed(name, job))
            for future in futures:
                seconds.update(future.result())
    finally:
        _JOBS = {}
    return seconds


def _run_inherited(name: str) -> dict[str, float]:
    return _timed(name, _JOBS[name])


def _timed(name: str, job: Job) -> dict[str, float]:
    start = time.perf_counter()
    result = job()
    if isinstance(result, dict):
        return result
    return {name: time.perf_counter() - start}
