"""Processes the tests start and stop: the command line in a session of its own, what is left of it.

A command started with ``command`` runs in a new session (its workers share its process group),
writes its output into files (an orphaned worker holding a pipe open cannot block the test) and
starts with the default action for SIGINT, SIGTERM and SIGHUP, as from a terminal.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import ROOT

TIMEOUT = 120  # seconds: a bound on every wait, never a time anything is expected to take


def _as_from_a_terminal() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


class Command:
    """``python -m rollout ARGS`` (or ``python -c CODE``) running in ``folder``."""

    def __init__(self, folder: Path, *args: str, code: str | None = None) -> None:
        self.out, self.err = folder / "stdout.txt", folder / "stderr.txt"
        argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "rollout", *args]
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                argv, cwd=folder, stdout=out, stderr=err, start_new_session=True, preexec_fn=_as_from_a_terminal
            )
        self.pid = self.process.pid

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll ``condition`` until it holds (while the command runs, at most ``TIMEOUT`` seconds)."""
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            assert self.process.poll() is None, f"ended before {what}: {self.err.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"never {what}"
            time.sleep(0.002)

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send ``signum``; the exit code, standard output and error once the command has ended."""
        self.process.send_signal(signum)
        code = self.process.wait(TIMEOUT)
        return code, self.out.read_text(encoding="utf-8"), self.err.read_text(encoding="utf-8")

    def catches(self, signum: int) -> bool:
        """Whether the command has a handler for ``signum`` (its SigCgt mask in /proc)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return False
        caught = int(status.split("SigCgt:")[1].split()[0], 16)
        return bool(caught >> (signum - 1) & 1)


def group(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` still running (not zombies), read from /proc."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state, _, pgrp = (entry / "stat").read_text().rpartition(")")[2].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == pgid and state not in ("Z", "X"):
                alive.append(int(entry.name))
    return alive


def left_running(pgid: int, seconds: float = 20) -> list[int]:
    """The group's processes once none is left, or those still there after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (alive := group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


__all__ = ["ROOT", "TIMEOUT", "Command", "group", "left_running"]
