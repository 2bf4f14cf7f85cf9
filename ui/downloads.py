"""Download buttons whose file exists on Streamlit's media endpoint only for a few seconds.

Streamlit serves a download from ``/media/<digest>``: an unguessable URL, but one that any client
holding it can fetch, logged in or not. So the files (contacts, PEC, fiscal codes) are generated
at the click (``data`` is a callable: before any click there is no URL at all), and the click
starts a short sweep: Streamlit deletes a generated file once two script runs have ended after it
(the first marks it, the second deletes it), so a fragment reruns every ``SWEEP_SECONDS`` until
``SWEEP_RUNS`` of its runs have ended after the file was made, and the link answers 404 a few
seconds after the download. If the page is closed before that, the file goes at the next runs of
any session (docs/deploying.md,
«On the server»): Streamlit 1.67 forgets a disconnected session after
``server.disconnectedSessionTTL`` without running anything, so that setting alone deletes nothing.

Two things made a click produce nothing on a loaded machine (issue 20):
- The click reran the whole app. Streamlit answers the click (the file's URL) with a message in
  the session's outgoing queue, and a full run that starts before the queue is sent clears it of
  everything but lifecycle messages: the answer was lost, the button spun, no file came. The
  button now lives in a fragment of its own: the click reruns that fragment, whose run keeps the
  queue.
- The sweep's runs, queued while a slow file was being made, ended one after the other as soon as
  it was stored: the file was gone before the browser had the URL (404). A sweep run now ends no
  sooner than ``KEEP_SECONDS`` after the file was made, so the browser has that long to fetch it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st

SWEEP_SECONDS = 2.0
SWEEP_RUNS = 2  # sweep runs ended after the last file was made: one marks it, one deletes it
KEEP_SECONDS = 4.0  # a file is never deleted sooner than this after it was made
START_WITHIN_SECONDS = 15.0  # how long a click's run waits for Streamlit to start making the file
_STATE = "_downloads"


class Sweep:
    """One session's files made at a click, counted from the thread in which Streamlit makes them,
    and the sweep runs that follow (``clock`` and ``sleep`` as ``time``'s, for the tests)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._changed = threading.Condition()
        self.clicks = 0  # clicks seen by this session's runs
        self.started = 0  # files whose making began
        self.making = 0  # files being made now
        self.made_at = float("-inf")  # when the last file was made (clock): none yet
        self.runs_after = 0  # sweep runs ended since the last file was made
        self.sweeping = ""  # the key of the button whose fragment runs the sweep ("": none)

    def made_by(self, make: Callable[[], bytes]) -> Callable[[], bytes]:
        """``make``, counted: Streamlit calls it in a thread of its own when the button is clicked."""

        def counted() -> bytes:
            with self._changed:
                self.started += 1
                self.making += 1
                self._changed.notify_all()
            try:
                return make()
            finally:
                with self._changed:
                    self.making -= 1
                    self.made_at = self._clock()
                    self.runs_after = 0

        return counted

    def clicked(self, key: str) -> None:
        """Start the sweep, once Streamlit has taken the click's ``make`` (bounded wait).

        This run gives the button a new deferred id and drops the old one when it ends: the
        click's request must have found its ``make`` before that.
        """
        with self._changed:
            self.clicks += 1
            self.sweeping = key
            self.runs_after = 0
            self._changed.wait_for(lambda: self.started >= self.clicks, START_WITHIN_SECONDS)

    def swept(self) -> bool:
        """Count one sweep run; True when the sweep is over (no file being made, enough runs after).

        The run is held until the last file is ``KEEP_SECONDS`` old: its end may delete it.
        """
        with self._changed:
            if self.making:
                return False
            young = self.made_at + KEEP_SECONDS - self._clock()
        if young > 0:
            self._sleep(min(young, KEEP_SECONDS))
        with self._changed:
            if self.making:
                return False
            self.runs_after += 1
            if self.runs_after < SWEEP_RUNS:
                return False
            self.sweeping = ""
            return True


def _sweep_state() -> Sweep:
    if _STATE not in st.session_state:
        st.session_state[_STATE] = Sweep()
    return st.session_state[_STATE]


def download_button(where, label: str, make: Callable[[], bytes], file_name: str, mime: str, *, key: str, **kwargs):
    """``where.download_button`` with ``make`` called only at the click, then the sweep."""
    _button(where, label, make, file_name, mime, key, kwargs)


@st.fragment
def _button(where, label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str, kwargs: dict) -> None:
    """The button in a fragment of its own: a click reruns this fragment only."""
    downloads = _sweep_state()
    if where.download_button(label, downloads.made_by(make), file_name, mime, key=key, on_click="rerun", **kwargs):
        downloads.clicked(key)
    if downloads.sweeping == key:
        _sweep()


@st.fragment(run_every=SWEEP_SECONDS)
def _sweep() -> None:
    """Each run of this empty fragment ends a script run, which is what collects the file.

    Once the sweep is over, a full run without this fragment stops its timer.
    """
    if _sweep_state().swept():
        st.rerun(scope="app")
