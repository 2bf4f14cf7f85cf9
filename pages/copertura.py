"""Copertura: which permissions are covered, per permission, per office, comune by comune."""

import streamlit as st

from rollout.italian import number
from rollout.outputs import charts, map_charts, maps
from rollout.read.permissions import PERMISSION_KEYS
from rollout.status import coverage_of
from rollout.views import completeness
from ui.context import current, header
from ui.derived import chart, matrix
from ui.format import compact
from ui.labels import STATUS_BADGES, permission_columns

ctx = current()
view = ctx.view
total = len(view)
header(ctx, "Copertura dei permessi")
st.caption(
    "Quota dei comuni con almeno un editor attuale per ciascun permesso" + (" (filtro attivo)" if ctx.filtered else "")
)

done = completeness(view)
cols = st.columns(3)
cols[0].metric(
    "Tutti i ruoli del sito web",
    f"{number(done['web'])} / {number(total)}",
    help="Sito web, Newsletter e Amministrazione Trasparente",
    border=True,
)
cols[1].metric(
    "Tutti gli uffici dei servizi",
    f"{number(done['services'])} / {number(total)}",
    help="Demografico, Segreteria, Tecnico e Tributi",
    border=True,
)
cols[2].metric("Tutti e sette i permessi", f"{number(done['all'])} / {number(total)}", border=True)

chart(("coverage", ctx.view_key, 260), lambda: charts.coverage_chart(coverage_of(view), total, height=260))

st.subheader(":material/map: Avanzamento per territorio")
by = st.segmented_control(
    "Raggruppa", ["provincia", "regione"], default="provincia", key="territory_by", format_func=str.capitalize
)
by = by or "provincia"


def progress():
    return maps.province_progress(view) if by == "provincia" else maps.region_progress(view)


left, right = st.columns([1, 1])
with left:
    st.markdown(f"**Comuni per stato, per {by}** (prima chi ha più comuni senza risposta)")
    chart(("territory_status", ctx.view_key, by), lambda: map_charts.province_status_chart(progress(), by))
with right:
    st.markdown(f"**Copertura dei permessi per {by}** (quota di comuni con almeno un editor)")
    chart(
        ("territory_coverage", ctx.view_key, by),
        lambda: map_charts.coverage_heatmap(maps.territory_coverage(view, by), by),
    )

st.subheader("Comuni × permessi")
order = st.segmented_control(
    "Ordine", ["Più lacune prima", "Alfabetico"], default="Più lacune prima", key="matrix_order"
)
table = matrix(view, ctx.view_key)
if order == "Alfabetico":
    table = table.sort_values(["name", "province"])
table = table.assign(status=table["status"].map(STATUS_BADGES))
st.dataframe(
    compact(table),
    hide_index=True,
    height=480,
    column_order=["name", "province", "status", "gaps", *PERMISSION_KEYS],
    column_config={
        "name": st.column_config.TextColumn("Comune"),
        "province": st.column_config.TextColumn("Prov.", width="small"),
        "status": st.column_config.TextColumn("Stato"),
        "gaps": st.column_config.NumberColumn("Permessi scoperti", width="small"),
        **permission_columns("check"),
    },
    key="matrix",
)
