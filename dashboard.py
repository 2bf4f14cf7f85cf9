"""Rollout tracker dashboard: ``streamlit run dashboard.py`` (the demo when nothing is configured)."""

import streamlit as st

from ui import state
from ui.context import build

st.set_page_config(page_title="Rollout tracker", page_icon=":material/checklist:", layout="wide")

PAGES = [
    st.Page("pages/panoramica.py", title="Panoramica", icon=":material/dashboard:", default=True),
    st.Page("pages/comuni.py", title="Comuni", icon=":material/account_balance:"),
    st.Page("pages/copertura.py", title="Copertura", icon=":material/extension:"),
    st.Page("pages/promemoria.py", title="Promemoria", icon=":material/mail:"),
    st.Page("pages/qualita.py", title="Qualità dati", icon=":material/fact_check:"),
]

page = st.navigation(PAGES)
# The shared sidebar (data source, moment, filters) belongs to this entry point, so its widgets
# keep their values across pages; without usable data it shows why and the page stops at once.
st.session_state[state.ENTRY_RAN] = True
build()
page.run()
