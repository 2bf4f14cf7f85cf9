"""What the command line writes to the terminal: every line through ``say``."""

from __future__ import annotations

import sys

from rollout.read.text import printable


def say(*lines: str, err: bool = False) -> None:
    """Print each of ``lines`` as one line on stdout (``err``: stderr), control and invisible
    characters shown as ``<U+001B>`` (``printable``): a value from a sheet or a list can never
    colour the terminal, move its cursor or pass for a line of its own."""
    stream = sys.stderr if err else sys.stdout
    for line in lines:
        print(printable(line), file=stream, flush=True)
