"""Session-state keys, in one place, and their initial values."""

from __future__ import annotations

import streamlit as st

AS_OF_DATE = "as_of_date"
AS_OF_TIME = "as_of_time"
AS_OF_TEXT = "as_of_text"  # the day as typed in the sidebar: applied on Enter (or when the field is left)
AS_OF_PICKER = "as_of_picker"  # the same day, chosen from the calendar
AS_OF_PROBLEM = "_as_of_problem"  # why the day typed last could not be read ("" when it could)
PROVINCES = "filter_provinces"
STATUSES = "filter_statuses"
WAVES = "filter_waves"
SEARCH = "filter_search"
MISSING_PERMISSION = "filter_missing_permission"
LOAD_TOKEN = "load_token"
ACCEPTED = "accept_data"  # fingerprints of suspect fresh data this session accepted («Accetta i nuovi dati»)
SCREENSHOT = "screenshot_mode"  # hide personal data on every page, for screen captures
CONTEXT = "_context"  # the Context of the current run, set by dashboard.py
ACCESS = "_access"  # the Access granted in the current run (None: the gate has not passed)
ENTRY_RAN = "_entry_ran"  # dashboard.py has run in this session
REDIRECTED = "_redirected"  # a page started alone was sent through dashboard.py once

DEFAULTS: dict[str, object] = {
    PROVINCES: [],
    STATUSES: [],
    WAVES: [],
    SEARCH: "",
    MISSING_PERMISSION: None,
    LOAD_TOKEN: 0,
    ACCEPTED: frozenset(),
    SCREENSHOT: False,
}


def init_session_state() -> None:
    """Every page calls this first: missing keys get their defaults, set keys are kept."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = list(value) if isinstance(value, list) else value


def screenshot_mode() -> bool:
    """Whether the «Modalità screenshot» toggle is on: pages then hide names, emails, fiscal codes."""
    return bool(st.session_state.get(SCREENSHOT, False))
