"""The dashboard's pages, declared once for the entry point (and for a page reached by a deep link)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

PAGES_FOLDER = Path(__file__).resolve().parents[1] / "pages"


@dataclass(frozen=True)
class MenuPage:
    """One page of the menu: its file in pages/, its title and icon."""

    file: str
    title: str
    icon: str
    data: bool = True  # shows the campaign's data (the guide does not: it is the same text for everyone)


# In menu order; the first is the default page. Plain data, so that the tests read the same list
# (an st.Page made outside a script run keeps neither its file nor its title).
MENU = (
    MenuPage("panoramica.py", "Panoramica", ":material/dashboard:"),
    MenuPage("comuni.py", "Comuni", ":material/account_balance:"),
    MenuPage("copertura.py", "Copertura", ":material/extension:"),
    MenuPage("promemoria.py", "Promemoria", ":material/mail:"),
    MenuPage("qualita.py", "Qualità dati", ":material/fact_check:"),
    MenuPage("guida.py", "Guida", ":material/help:", data=False),  # the project manager's guide, docs/guida.md
)


def pages() -> list[st.Page]:
    """The pages of ``MENU``, in menu order: five over the data, then the project manager's guide."""
    return [
        st.Page(PAGES_FOLDER / page.file, title=page.title, icon=page.icon, default=i == 0)
        for i, page in enumerate(MENU)
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
