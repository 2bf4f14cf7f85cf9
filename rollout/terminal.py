"""What the command line writes to the terminal: every line through ``say``, a long job's progress
through ``ProgressLine``."""

from __future__ import annotations

import sys
import time

from rollout.read.text import printable


def say(*lines: str, err: bool = False) -> None:
    """Print each of ``lines`` as one line on stdout (``err``: stderr), control and invisible
    characters shown as ``<U+001B>`` (``printable``): a value from a sheet or a list can never
    colour the terminal, move its cursor or pass for a line of its own."""
    stream = sys.stderr if err else sys.stdout
    for line in lines:
        print(printable(line), file=stream, flush=True)


class ProgressLine:
    """One line on stderr that a long job rewrites in place (``show``) and clears at the end
    (``clear``): on a terminal only; when stderr is a file or a pipe not a byte is written."""

    def __init__(self, every: float = 0.1) -> None:
        self.stream = sys.stderr
        self.active = self.stream.isatty()
        self.every = every  # seconds between two updates, but for the last one
        self.when = 0.0
        self.text = ""

    def show(self, text: str, last: bool = False) -> None:
        if not self.active or text == self.text or (not last and time.monotonic() - self.when < self.every):
            return
        self.stream.write("\r" + printable(text).ljust(len(self.text)))
        self.stream.flush()
        self.when, self.text = time.monotonic(), text

    def clear(self) -> None:
        if self.text:
            self.stream.write("\r" + " " * len(self.text) + "\r")
            self.stream.flush()
            self.text = ""
