"""Panoramica: the weekly status screen (reads well as one 1440×900 screenshot)."""

import streamlit as st

from rollout.italian import countdown
from rollout.outputs import charts, picture
from rollout.status import coverage_of, totals_of
from rollout.views import to_chase
from ui.context import current, header
from ui.downloads import download_button
from ui.format import md_escape
from ui.maps import status_map

ctx = current()
s = ctx.settings
now, before = totals_of(ctx.view), totals_of(ctx.previous.comuni.loc[ctx.view.index])
header(ctx, md_escape(ctx.config.campaign))


def kpi(column, label, key, inverse=False, help_text=None):
    column.metric(
        label, now[key], delta=now[key] - before[key], delta_color="inverse" if inverse else "normal",
        border=True, help=help_text, delta_description="in 7 giorni",
    )  # fmt: skip


cols = st.columns(6)
kpi(cols[0], "Comuni", "comuni")
kpi(cols[1], "In tempo", "on_time")
kpi(cols[2], "In ritardo", "late")
kpi(cols[3], "In attesa", "pending", inverse=True, help_text="Nessuna risposta, scadenza non ancora passata")
kpi(cols[4], "Mancanti", "missing", inverse=True, help_text="Nessuna risposta, scadenza passata")
kpi(
    cols[5],
    "Senza editor AT",
    "without_at_editor",
    inverse=True,
    help_text="Comuni senza un editor Amministrazione Trasparente",
)

left, right = st.columns([3, 2])
with left:
    st.markdown("**Comuni che hanno risposto, giorno per giorno**")
    st.altair_chart(charts.response_curve(ctx.view, s, height=220), width="stretch")
    st.markdown("**Copertura dei permessi**")
    st.altair_chart(charts.coverage_chart(coverage_of(ctx.view), len(ctx.view), height=240), width="stretch")
with right:
    st.markdown("**Mappa dei comuni per stato**")
    status_map(ctx.view, s.tz, height=400)

left, right = st.columns([3, 2])
with left:
    st.markdown("**Da fare**")
    chase = to_chase(ctx.view)
    items = []
    if chase["missing"]:
        names = ", ".join(md_escape(n) for n in chase["missing"][:5])
        items.append(
            f"- :red[:material/error:] **{len(chase['missing'])} comuni mancanti** da sollecitare (più in ritardo: {names})"
        )
    if chase["pending"]:
        items.append(
            f"- :gray[:material/schedule:] **{len(chase['pending'])} comuni in attesa** di risposta: {countdown(s.days_past_deadline)}"
        )
    if chase["no_at"]:
        items.append(
            f"- :orange[:material/warning:] **{len(chase['no_at'])} comuni hanno risposto senza editor Amministrazione Trasparente**"
        )
    review = ctx.snap.outcome_counts["unmatched"] + ctx.snap.outcome_counts["invalid"]
    if review:
        items.append(
            f"- :blue[:material/search:] **{review} righe di risposte da verificare** (comuni non riconosciuti o risposte non valide)"
        )
    st.markdown("\n".join(items) if items else "- :green[:material/check_circle:] Nessuna azione in sospeso")
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
    st.altair_chart(charts.status_chart(now), width="stretch")
    c1, c2, c3 = st.columns(3)
    c1.page_link("pages/promemoria.py", label="Promemoria", icon=":material/mail:")
    c2.page_link("pages/comuni.py", label="Comuni", icon=":material/account_balance:")
    c3.page_link("pages/qualita.py", label="Qualità dati", icon=":material/fact_check:")
