"""Download buttons whose file exists on Streamlit's media endpoint only for a few seconds.

Streamlit serves a download from ``/media/<digest>``: an unguessable URL, but one that any client
holding it can fetch, logged in or not. So the files (contacts, PEC, fiscal codes) are generated
at the click (``data`` is a callable: before any click there is no URL at all), and the click's
run starts a short sweep: Streamlit deletes a generated file once two of its script runs have
ended after it (the first marks it, the second deletes it), so a fragment reruns ``SWEEP_RUNS``
times, ``SWEEP_SECONDS`` apart, and the link answers 404 a few seconds after the download. If the
page is closed before that, the file goes at the next runs of any session (docs/deploying.md,
«On the server»): Streamlit 1.67 forgets a disconnected session after ``server.disconnectedSessionTTL``
without running anything, so that setting alone deletes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

SWEEP_SECONDS = 2.0
SWEEP_RUNS = 2  # runs that must end after the file was generated: one marks it, one deletes it
_PENDING = "_download_sweep"  # {"key": the button clicked, "runs": sweep runs still to come}


def download_button(where, label: str, make: Callable[[], bytes], file_name: str, mime: str, *, key: str, **kwargs):
    """``where.download_button`` with ``make`` called only at the click, then the sweep."""
    if where.download_button(label, make, file_name, mime, key=key, on_click="rerun", **kwargs):
        st.session_state[_PENDING] = {"key": key, "runs": SWEEP_RUNS + 1}  # + this run's own
    pending = st.session_state.get(_PENDING)
    if pending and pending["key"] == key:
        _sweep()


@st.fragment(run_every=SWEEP_SECONDS)
def _sweep() -> None:
    """Each run of this empty fragment ends a script run, which is what collects the file.

    Its first run is part of the click's own run (which may end before the file is generated),
    then come ``SWEEP_RUNS`` timed runs, then a full run without the fragment stops its timer.
    """
    pending = st.session_state.get(_PENDING)
    if not pending or pending["runs"] <= 0:
        st.session_state.pop(_PENDING, None)
        st.rerun(scope="app")
    pending["runs"] -= 1
