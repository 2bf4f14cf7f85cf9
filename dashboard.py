"""Rollout tracker dashboard: ``streamlit run dashboard.py`` (the demo when nothing is configured)."""

import streamlit as st

from ui import state
from ui.context import build
from ui.navigation import pages

st.set_page_config(page_title="Rollout tracker", page_icon=":material/checklist:", layout="wide")


page = st.navigation(pages())
# The shared sidebar (data source, moment, filters) belongs to this entry point, so its widgets
# keep their values across pages; without usable data it shows why and the page stops at once.
st.session_state[state.ENTRY_RAN] = True
build()
page.run()
