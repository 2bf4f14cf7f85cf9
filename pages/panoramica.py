"""Panoramica: the weekly status screen (reads well as one 1440×900 screenshot)."""

import streamlit as st

from rollout.italian import countdown
from rollout.outputs import charts, picture
from rollout.status import coverage_of
from rollout.views import NOTHING_TO_DO, answered_without_at, kpi_figures, to_do, week_totals
from ui.context import current, header
from ui.derived import chart
from ui.downloads import download_button
from ui.format import md_escape
from ui.maps import status_map

TODO_ICONS = {
    "missing": ":red[:material/error:]",
    "pending": ":gray[:material/schedule:]",
    "no_at": ":orange[:material/warning:]",
    "review": ":blue[:material/search:]",
}

ctx = current()
s = ctx.settings
now, before = week_totals(ctx.view, ctx.previous.comuni)
header(ctx, md_escape(ctx.config.campaign))


figures = kpi_figures(now, before, answered_without_at(ctx.view))  # the picture's figures, written alike
for column, figure in zip(st.columns(len(figures)), figures, strict=True):
    kpi = figure.kpi
    column.metric(
        kpi.label, figure.value_text, delta=figure.change_text, border=True,
        delta_color="inverse" if kpi.rise_is_bad else "normal", help=kpi.help or None,
        delta_description="in 7 giorni",
    )  # fmt: skip
    if kpi.key == "without_at_editor":
        column.caption(figure.note)  # «di cui 1.341 hanno risposto», beside the figure as on the picture

left, right = st.columns([3, 2])
with left:
    st.markdown("**Comuni che hanno risposto, giorno per giorno**")
    chart(("response_curve", ctx.view_key, 220), lambda: charts.response_curve(ctx.view, s, height=220))
    st.markdown("**Copertura dei permessi**")
    chart(
        ("coverage", ctx.view_key, 240), lambda: charts.coverage_chart(coverage_of(ctx.view), len(ctx.view), height=240)
    )
with right:
    st.markdown("**Mappa dei comuni per stato**")
    status_map(ctx.view, s.tz, ctx.view_key, height=400)

left, right = st.columns([3, 2])
with left:
    st.markdown("**Da fare**")

    def detail(todo) -> str:
        """What follows the count."""
        if todo.kind == "missing":
            return f" (più in ritardo: {', '.join(md_escape(n) for n in todo.names[:5])})"
        if todo.kind == "pending":
            return f": {countdown(s.days_past_deadline)}"
        return " (comuni non riconosciuti o risposte non valide)" if todo.kind == "review" else ""

    todos = to_do(ctx.view, ctx.snap.rows_to_review)
    items = [f"- {TODO_ICONS[t.kind]} **{t.text}**{detail(t)}" for t in todos]
    st.markdown("\n".join(items) if items else f"- :green[:material/check_circle:] {NOTHING_TO_DO.capitalize()}")
    download_button(
        st,
        "Scarica l'immagine per la riunione (PNG)",
        lambda: picture.status_png(ctx.snap, ctx.previous, ctx.config.campaign, ctx.view),
        f"situazione_{s.as_of_local:%Y%m%d}.png",
        "image/png",
        icon=":material/image:",
        key="dl_status_png",
        help="La situazione in un'immagine 1600×900, senza dati personali, da incollare nella mail per il comitato.",
    )
with right:
    st.markdown("**Stato dei comuni**")
    chart(("status", tuple(now.items())), lambda: charts.status_chart(now))
    c1, c2, c3 = st.columns(3)
    c1.page_link("pages/promemoria.py", label="Promemoria", icon=":material/mail:")
    c2.page_link("pages/comuni.py", label="Comuni", icon=":material/account_balance:")
    c3.page_link("pages/qualita.py", label="Qualità dati", icon=":material/fact_check:")
