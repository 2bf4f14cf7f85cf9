"""Rollout tracker dashboard: ``streamlit run dashboard.py`` (the demo when nothing is configured)."""

import streamlit as st

st.set_page_config(page_title="Rollout tracker", page_icon="📋", layout="wide")

PAGES = [
    st.Page("pages/panoramica.py", title="Panoramica", icon="📊", default=True),
]

st.navigation(PAGES).run()
