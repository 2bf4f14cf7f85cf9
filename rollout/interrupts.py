"""Stopping the command line from outside ends it the way Ctrl-C does.

SIGTERM (what ``timeout``, systemd and ``docker stop`` send), SIGHUP (the terminal closed) and SIGINT
(Ctrl-C) all raise ``Interrupted``, a ``KeyboardInterrupt``, in the main thread while ``handled()`` is
in force: every ``finally`` and ``except KeyboardInterrupt`` on the way runs (workers are ended,
temporary folders removed, a message being sent is recorded as possibly sent), and the command
prints one line and exits with ``exit_code``: 128 + the signal's number, as a shell reports it
(130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).

Only the first signal interrupts; those that follow, while the command cleans up, are ignored.
``deferred()`` holds a signal back over a few steps that must not stop half way (files moving into
place), and raises it after them. Stdlib only: the command line installs it before loading anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A stop asked from outside; ``signum`` says which signal."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum


_state = {"fired": False, "deferring": 0, "pending": 0, "pid": 0}


def _on_signal(signum: int, _frame: object) -> None:
    if os.getpid() != _state["pid"]:
        # A worker forked a moment ago, before ``for_workers`` replaced this handler: it inherited
        # the parent's state (perhaps a deferred block), but a stop ends it at once, as it would later.
        os._exit(128 + signum)
    if _state["fired"]:
        return  # already stopping: let the clean-up finish
    if _state["deferring"]:
        _state["pending"] = _state["pending"] or signum
        return
    _state["fired"] = True
    raise Interrupted(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` in the main thread until the block ends (a
    signal ignored by whoever started this process, as ``nohup`` ignores SIGHUP, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # The state first: a signal that comes as soon as its handler is set finds this process's id
    # (not 0, which would take this process for a forked worker and end it without a word).
    _state.update(fired=False, deferring=0, pending=0, pid=os.getpid())
    previous = {}
    try:
        for signum in SIGNALS:
            handler = signal.getsignal(signum)
            if handler is not signal.SIG_IGN:
                previous[signum] = handler
                signal.signal(signum, _on_signal)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A signal that arrives inside the block interrupts right after it, not in the middle."""
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1
        pending = _state["pending"]
        if pending and not _state["deferring"]:
            _state.update(pending=0, fired=True)
            raise Interrupted(pending)


def exit_code(err: BaseException) -> int:
    """The exit code of a command stopped by ``err``: 128 + the signal's number."""
    return 128 + int(getattr(err, "signum", signal.SIGINT))


def signal_name(err: BaseException) -> str:
    """``Ctrl-C``, ``SIGTERM``, ``SIGHUP``: what stopped the command, for its last line."""
    signum = int(getattr(err, "signum", signal.SIGINT))
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def for_workers() -> None:
    """In a forked worker: SIGTERM and SIGHUP end it at once (its parent cleans up), Ctrl-C raises
    KeyboardInterrupt as usual."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
