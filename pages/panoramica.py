"""Panoramica: the weekly status screen, one 1440×900 screen (also as a PNG for the meeting)."""

import streamlit as st

from rollout.italian import countdown
from rollout.keys import TotalKeys
from rollout.outputs import charts, picture
from rollout.status import coverage_of
from rollout.views import NOTHING_TO_DO, answered_without_at, kpi_figures, week_totals
from ui.context import current, header
from ui.derived import chart, todos
from ui.downloads import download_button
from ui.format import md_escape, moment
from ui.maps import status_map
from ui.reminders import load_marks, reminder_log

TODO_ICONS = {
    "missing": ":red[:material/error:]",
    "pending": ":gray[:material/schedule:]",
    "no_at": ":orange[:material/warning:]",
    "review": ":blue[:material/search:]",
}
SHOWN_NAMES = 3  # the comuni named after a count

ctx = current()
s = ctx.settings
now, before = week_totals(ctx.view, ctx.previous.comuni)
header(ctx, md_escape(ctx.config.campaign))


figures = kpi_figures(now, before, answered_without_at(ctx.view))  # the picture's figures, written alike
# The card of the comuni without an AT editor is wider: beside its change it says how many of them
# answered («di cui 1.341 hanno risposto»), as the picture does, without a line of its own.
widths = [2.0 if f.kpi.key == TotalKeys.WITHOUT_AT_EDITOR else 1 for f in figures]
for column, figure in zip(st.columns(widths), figures, strict=True):
    kpi = figure.kpi
    column.metric(
        kpi.label, figure.value_text, delta=figure.change_text, border=True,
        delta_color="inverse" if kpi.rise_is_bad else "normal", help=kpi.help or None,
        delta_description=figure.note if kpi.key == TotalKeys.WITHOUT_AT_EDITOR else None,
    )  # fmt: skip
line = st.container(horizontal=True, vertical_alignment="center")
line.caption(f"Sotto ogni numero, la variazione in 7 giorni (dal {moment(ctx.previous.settings.as_of, s.tz)}).")
download_button(
    line,
    "Scarica l'immagine per la riunione (PNG)",
    lambda: picture.status_png(ctx.snap, ctx.previous, ctx.config.campaign, ctx.view),
    f"situazione_{s.as_of_local:%Y%m%d}.png",
    "image/png",
    icon=":material/image:",
    key="dl_status_png",
    help="La situazione in un'immagine 1600×900, senza dati personali, da incollare nella mail per il comitato.",
)

trend, where, actions = st.columns([5, 4, 4])
with trend:
    st.markdown("**Comuni che hanno risposto, giorno per giorno**")
    chart(
        ("response_curve", ctx.view_key, 180),
        lambda: charts.response_curve(ctx.view, s, height=180, axis_title=False),
        alt="Curva cumulata dei comuni che hanno risposto, giorno per giorno, con la scadenza e il totale",
    )
    st.markdown("**Copertura dei permessi**")
    chart(
        ("coverage", ctx.view_key, 230),
        lambda: charts.coverage_chart(coverage_of(ctx.view), len(ctx.view), height=230),
        alt="Quota dei comuni con almeno un editor per ciascun permesso",
    )
with where:
    status_map(ctx.view, s.tz, ctx.view_key, height=330, legend_columns=2, title="**Mappa dei comuni per stato**")
with actions:
    st.markdown("**Stato dei comuni**")
    chart(
        ("status", tuple(now.items())),
        lambda: charts.status_chart(now, height=100, legend_columns=2),
        alt="Comuni per stato: in tempo, in ritardo, in attesa, mancanti",
    )
    st.markdown("**Da fare**")
    marks = load_marks(reminder_log(ctx.config))  # reminders recorded on the Promemoria page

    def detail(todo) -> str:
        """What follows the count."""
        if todo.kind == "missing":
            more = ", …" if todo.count > SHOWN_NAMES else ""
            return f" ({todo.order}: {', '.join(md_escape(n) for n in todo.names[:SHOWN_NAMES])}{more})"
        if todo.kind == "pending":
            return f": {countdown(s.days_past_deadline)}"
        return " (comuni non riconosciuti o risposte non valide)" if todo.kind == "review" else ""

    items = [
        f"- {TODO_ICONS[t.kind]} **{t.text}**{detail(t)}"
        for t in todos(ctx.view, ctx.view_key, ctx.snap.rows_to_review, marks)
    ]
    st.markdown("\n".join(items) if items else f"- :green[:material/check_circle:] {NOTHING_TO_DO.capitalize()}")
    links = st.container(horizontal=True, gap="small")
    links.page_link("pages/promemoria.py", label="Promemoria", icon=":material/mail:")
    links.page_link("pages/comuni.py", label="Comuni", icon=":material/account_balance:")
    links.page_link("pages/qualita.py", label="Qualità dati", icon=":material/fact_check:")
