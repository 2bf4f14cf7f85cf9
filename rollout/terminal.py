"""What the command line writes to the terminal: every line through ``say``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from rollout.read.text import printable


def say(*lines: str, err: bool = False) -> None:
    """Print each of ``lines`` as one line on stdout (``err``: stderr), control and invisible
    characters shown as ``<U+001B>`` (``printable``): a value from a sheet or a list can never
    colour the terminal, move its cursor or pass for a line of its own."""
    stream = sys.stderr if err else sys.stdout
    for line in lines:
        print(printable(line), file=stream, flush=True)


class Progress:
    """A progress line on standard error, rewritten in place (``\r``) at most every ``interval``
    seconds and cleared by ``close``; nothing at all when standard error is not a terminal (a log
    file or a pipe gets no progress noise). ``update`` is the callback a long job calls."""

    def __init__(self, describe: Callable[[int, int], str], interval: float = 0.1) -> None:
        self.describe, self.interval = describe, interval
        self.active = sys.stderr.isatty()
        self.shown, self.at = "", 0.0

    def update(self, done: int, total: int) -> None:
        if done < total and time.monotonic() - self.at < self.interval:
            return
        line = printable(self.describe(done, total))
        if line != self.shown:
            sys.stderr.write("\r" + line.ljust(len(self.shown)))
            sys.stderr.flush()
            self.shown, self.at = line, time.monotonic()

    def close(self) -> None:
        if self.shown:  # the line is cleared, whatever comes next
            sys.stderr.write("\r" + " " * len(self.shown) + "\r")
            sys.stderr.flush()
            self.shown = ""
