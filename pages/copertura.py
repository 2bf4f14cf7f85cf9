"""Copertura: which permissions are covered, per permission, per office, comune by comune."""

import pandas as pd
import streamlit as st

from rollout.italian import number
from rollout.keys import ComuniCols as C
from rollout.outputs import charts, map_charts, maps
from rollout.read.permissions import PERMISSION_KEYS
from rollout.status import STATUS_LABELS, coverage_of
from rollout.views import completeness
from ui.context import current, header
from ui.derived import chart, matrix
from ui.format import compact, fit_height, text_width
from ui.labels import permission_columns, status_column

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

chart(
    ("coverage", ctx.view_key, 260),
    lambda: charts.coverage_chart(coverage_of(view), total, height=260),
    alt="Quota dei comuni con almeno un editor per ciascun permesso",
)

st.subheader(":material/map: Avanzamento per territorio")
# Every list below in one order: the territories with the most comuni left to do first. Nationally
# the regions come first (20 rows); a region's provinces are one choice away, all of them two.
ALL = ""


def province_count(n: int) -> str:
    return f"{number(n)} provinc{'ia' if n == 1 else 'e'}"


progress = maps.province_progress(view)
regions = maps.region_progress(view)
several = len(regions) > 1
choice = st.container(horizontal=True, vertical_alignment="bottom")
by = choice.segmented_control(
    "Raggruppa", ["regione", "provincia"], default="regione" if several else "provincia", key="territory_by",
    format_func=str.capitalize,
)  # fmt: skip
by = by or ("regione" if several else "provincia")
region = ALL
if by == "provincia" and several:
    count = progress.groupby("regione").size()
    names = dict(zip(regions["regione"], regions["nome"], strict=True))
    region = choice.selectbox(
        "Regione",
        [*regions["regione"], ALL],
        format_func=lambda r: (
            f"{names[r]} ({province_count(count[r])})" if r else f"Tutte le regioni ({province_count(len(progress))})"
        ),
        key="territory_region",
        width=340,
    )
part = view
if region:
    region_of = dict(zip(progress["provincia"], progress["regione"], strict=True))
    part = view.loc[view[C.PROVINCE].replace("", "?").map(region_of) == region]
where = f" della regione {names[region]}" if region else ""


def progress_of() -> pd.DataFrame:
    return maps.province_progress(part) if by == "provincia" else maps.region_progress(part)


left, right = st.columns([1, 1])
with left:
    st.markdown(f"**Comuni per stato, per {by}{where}** (prima chi ha più comuni senza risposta)")
    chart(
        ("territory_status", ctx.view_key, by, region),
        lambda: map_charts.province_status_chart(progress_of(), by),
        alt=f"Barre dei comuni per stato, una per {by}",
    )
with right:
    st.markdown(f"**Copertura dei permessi per {by}{where}** (quota di comuni con almeno un editor)")
    chart(
        ("territory_coverage", ctx.view_key, by, region),
        lambda: map_charts.coverage_heatmap(maps.territory_coverage(part, by), by),
        alt=f"Tabella colorata: per ogni {by} e permesso, la quota di comuni con almeno un editor",
    )

st.subheader("Comuni × permessi")
order = st.segmented_control(
    "Ordine", ["Più lacune prima", "Alfabetico"], default="Più lacune prima", key="matrix_order"
)
table = matrix(view, ctx.view_key)
if order == "Alfabetico":
    table = table.sort_values([C.NAME, C.PROVINCE])
# The name with its province, the status and the seven ticks: every column whole at 1440 px.
names = (table[C.NAME] + " (" + table[C.PROVINCE] + ")").where(table[C.PROVINCE] != "", table[C.NAME])
table = table.assign(**{C.NAME: names, C.STATUS: table[C.STATUS].map(STATUS_LABELS)})
st.dataframe(
    compact(table),
    hide_index=True,
    height=fit_height(len(table)),
    column_order=[C.NAME, C.STATUS, *PERMISSION_KEYS],
    column_config={
        C.NAME: st.column_config.TextColumn("Comune", width=text_width(table[C.NAME], "Comune", most=280)),
        C.STATUS: status_column(width=100),
        **permission_columns("check"),
    },
    key="matrix",
)
