"""Panoramica: the weekly status screen (reads well as one 1440×900 screenshot)."""

import streamlit as st

from rollout import charts
from rollout.status import coverage_of, totals_of
from rollout.views import countdown
from ui.context import current
from ui.format import moment

ctx = current()
s = ctx.settings
now, before = totals_of(ctx.view), totals_of(ctx.previous.comuni.loc[ctx.view.index])

st.title("Panoramica")
st.markdown(
    f"**Situazione al {moment(s.as_of)}** · scadenza {s.deadline:%d/%m/%Y} · {countdown(s.days_past_deadline)}"
    + (f" · filtro attivo: {len(ctx.view)} comuni su {len(ctx.snap.comuni)}" if ctx.filtered else "")
)


def kpi(column, label, key, inverse=False, help_text=None):
    column.metric(label, now[key], delta=now[key] - before[key], delta_color="inverse" if inverse else "normal",
                  border=True, help=help_text, delta_description="rispetto a 7 giorni prima")  # fmt: skip


cols = st.columns(6)
kpi(cols[0], "Comuni", "comuni")
kpi(cols[1], "In tempo", "on_time")
kpi(cols[2], "In ritardo", "late")
kpi(cols[3], "In attesa", "pending", inverse=True)
kpi(cols[4], "Mancanti", "missing", inverse=True)
kpi(
    cols[5],
    "Senza editor AT",
    "without_at_editor",
    inverse=True,
    help_text="Comuni senza un editor Amministrazione Trasparente",
)

left, right = st.columns([3, 2])
with left:
    st.subheader("Risposte nel tempo")
    st.altair_chart(charts.response_curve(ctx.view, s), width="stretch")
with right:
    st.subheader("Copertura dei permessi")
    st.altair_chart(charts.coverage_chart(coverage_of(ctx.view), len(ctx.view)), width="stretch")
