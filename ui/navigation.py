"""The dashboard's pages, declared once for the entry point (and for a page reached by a deep link)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_FOLDER = Path(__file__).resolve().parents[1] / "pages"


def pages() -> list[st.Page]:
    """The six pages, in menu order: five over the data, then the project manager's guide."""
    return [
        st.Page(PAGES_FOLDER / "panoramica.py", title="Panoramica", icon=":material/dashboard:", default=True),
        st.Page(PAGES_FOLDER / "comuni.py", title="Comuni", icon=":material/account_balance:"),
        st.Page(PAGES_FOLDER / "copertura.py", title="Copertura", icon=":material/extension:"),
        st.Page(PAGES_FOLDER / "promemoria.py", title="Promemoria", icon=":material/mail:"),
        st.Page(PAGES_FOLDER / "qualita.py", title="Qualità dati", icon=":material/fact_check:"),
        st.Page(PAGES_FOLDER / "guida.py", title="Guida", icon=":material/help:"),
    ]


def through_entry_point(redirected_key: str) -> bool:
    """Send a run that Streamlit started on a page file straight to dashboard.py; False if it cannot.

    With a ``pages/`` folder beside the entry point, a fresh server whose first request is a deep
    link starts in Streamlit's first-generation multipage mode and runs the page file alone. The
    public ``st.navigation`` ends that mode for the whole server; the rerun then goes through
    dashboard.py, which picks this same page from the URL. When a rerun already happened and the
    page still runs alone (a page started on its own, as a test does), the caller builds its own
    context instead.
    """
    if st.session_state.get(redirected_key):
        return False
    st.session_state[redirected_key] = True
    st.navigation(pages(), position="hidden")
    st.rerun()
    return True  # not reached: st.rerun raises
