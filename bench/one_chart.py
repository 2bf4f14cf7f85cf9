"""Streamlit's own floor for the benchmark (``bench/sessions.py``): one title, one metric, one chart.

The smallest app a Streamlit dashboard can be, served and measured the same way as ``server.py``:
what its first page costs is what any Streamlit page costs on this machine.
"""

import altair as alt
import pandas as pd
import streamlit as st

st.title("Rollout tracker")
st.metric("Comuni", "6.600", delta="+120", border=True)
days = pd.DataFrame({"giorno": pd.date_range("2023-08-01", periods=45, freq="D"), "comuni": range(0, 6600, 147)})
st.altair_chart(alt.Chart(days).mark_line().encode(x="giorno:T", y="comuni:Q"), width="stretch")
