"""Where the weekly run writes: one dated folder per run day (``out/AAAA-MM-GG``), ``out/ultimo``
pointing at the newest, the older weeks pruned, the run's own log (``out/weekly.log``), and the
lock that keeps two runs apart.

``ultimo`` is a relative symbolic link, replaced atomically (a new link made beside it, renamed
over it): a reader always finds the old folder or the new one. On a file system without symbolic
links, ``ultimo.txt`` holds the folder's name instead (written and renamed the same way).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from rollout.config import Config
from rollout.read.text import printable, without_addresses
from rollout.reminders.log import database_path

LATEST = "ultimo"
LATEST_FILE = "ultimo.txt"
LOG_NAME = "weekly.log"
LOG_LIMIT = 1_000_000  # bytes: a longer log becomes weekly.log.1 (the one before is dropped)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def lock_path(config: Config) -> Path:
    """The weekly run's lock: a file beside the reminders' log (whose state it protects)."""
    database = database_path(config)
    return database.with_name(f"{database.name}.weekly.lock")


def day_folder(out: Path, day: dt.date) -> Path:
    return out / day.isoformat()


def point_latest(out: Path, folder: Path) -> str:
    """Point ``out/ultimo`` at ``folder`` (a folder of ``out``); returns the name written (``ultimo``,
    or ``ultimo.txt`` where symbolic links cannot be made). OSError when neither can be written
    (``ultimo`` is a real folder, the folder is read-only)."""
    temporary = out / f".{LATEST}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    try:
        temporary.symlink_to(folder.name, target_is_directory=True)
    except (OSError, NotImplementedError):
        temporary.write_text(folder.name + "\n", encoding="utf-8")
        _replace(temporary, out / LATEST_FILE)
        return LATEST_FILE
    _replace(temporary, out / LATEST)
    (out / LATEST_FILE).unlink(missing_ok=True)  # a pointer from a file system without links: stale now
    return LATEST


def _replace(temporary: Path, target: Path) -> None:
    try:
        temporary.replace(target)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def latest(out: Path) -> Path | None:
    """The folder ``ultimo`` (or ``ultimo.txt``) points at, if any."""
    link = out / LATEST
    if link.is_symlink():
        return out / link.readlink()
    with contextlib.suppress(OSError):
        return out / (out / LATEST_FILE).read_text(encoding="utf-8").strip()
    return None


def old_weeks(out: Path, today: dt.date, keep_weeks: int, keep: Path | None = None) -> list[Path]:
    """The dated folders to delete: older than ``keep_weeks`` weeks and not among the ``keep_weeks``
    newest (a pause of the schedule never empties the folder), never ``keep`` (the newest report)
    nor anything else in ``out``. ``keep_weeks`` 0 keeps everything."""
    if keep_weeks <= 0 or not out.is_dir():
        return []
    dated = sorted((day, p) for p in out.iterdir() if (day := _day(p)) is not None)
    newest = {p for _, p in dated[-keep_weeks:]}
    limit = today - dt.timedelta(weeks=keep_weeks)
    return [p for day, p in dated if day < limit and p not in newest and p != keep]


def _day(path: Path) -> dt.date | None:
    """The day a report folder is named after; None for anything else (a link, a file, other names)."""
    if not _DAY.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
        return None
    try:
        return dt.date.fromisoformat(path.name)
    except ValueError:
        return None


def prune(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder)


class Busy(Exception):
    """Another weekly run holds the lock: its process id and when it started, when it wrote them."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        pid, _, started = holder.partition(" ")
        self.pid = pid if pid.isdigit() else ""
        try:
            self.started: dt.datetime | None = dt.datetime.fromisoformat(started.strip())
        except ValueError:
            self.started = None


@contextlib.contextmanager
def run_lock(path: Path, started: dt.datetime) -> Iterator[None]:
    """Hold the weekly run's lock (``fcntl.flock``, released when the process ends, however it ends);
    Busy when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(os.pread(fd, 200, 0).decode("utf-8", "replace").strip()) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started.isoformat(timespec='seconds')}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


class RunLog:
    """``weekly.log``: the details of every run, one line each with its time, appended. No personal
    data: addresses are masked whatever text they come in, control characters shown as ``<U+…>``.
    Beyond LOG_LIMIT bytes the file becomes ``weekly.log.1`` (the one before is dropped)."""

    def __init__(self, path: Path, tz: dt.tzinfo, clock) -> None:
        self.path = path
        self.tz = tz
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size > LOG_LIMIT:
                path.replace(path.with_name(path.name + ".1"))

    def write(self, *lines: str) -> None:
        stamp = self.clock().astimezone(self.tz).isoformat(timespec="seconds")
        text = "".join(f"{stamp} [{os.getpid()}] {masked(line)}\n" for line in lines)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)


def masked(text: str) -> str:
    """``text`` on one line with every address replaced by ``<indirizzo>``."""
    return printable(without_addresses(text))
