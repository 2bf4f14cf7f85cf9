"""A real ``streamlit run`` on 127.0.0.1, and Debian's chromium, for the browser tests and the benchmarks.

``streamlit_server`` starts an app on a free port, waits for its health check and stops it
afterwards (SIGTERM, then SIGKILL after ten seconds). Its output goes to a temporary file, never to
a pipe nobody reads (a full pipe would block the server mid-run); the last of it is in the
``NotStarted`` error when the server never answers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
START_SECONDS = 60.0
STOP_SECONDS = 10.0


class NotStarted(RuntimeError):
    """The server did not answer its health check in time; ``str()`` ends with its last output."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    entry: str | Path,
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    start_seconds: float = START_SECONDS,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run entry`` (headless, no file watcher, no usage statistics) in ``cwd`` with ``env``
    (default: this process's), on 127.0.0.1: its base URL and process once it answers. Its output
    goes to ``log`` when given (for the test to read), else to a temporary file."""
    environ = dict(os.environ if env is None else env)
    environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(entry), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with log.open("w+b") if log else tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(cmd, cwd=cwd, env=environ, stdout=output, stderr=subprocess.STDOUT)
        try:
            if not _healthy(base, proc, start_seconds):
                output.seek(0)
                said = output.read().decode(errors="replace")[-2000:]
                raise NotStarted(f"streamlit run {entry} did not answer within {start_seconds:.0f} s: {said}")
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _healthy(base: str, proc: subprocess.Popen, seconds: float) -> bool:
    """Whether ``/_stcore/health`` answers 200 before ``seconds`` pass (False at once if the server ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False
