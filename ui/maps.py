"""The map block: a choice of territory, the map, the credit and the comuni not on the map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rollout.italian import not_on_map
from rollout.outputs import map_charts, maps
from ui.derived import chart


def status_map(
    view: pd.DataFrame, tz: str, view_key: tuple, height: int = 430, legend_columns: int = 3, title: str = "Territorio"
) -> None:
    """Comuni by status (or, nationally, provinces by share answered), one click from any territory.

    ``title`` labels the choice of territory, above the map. ``view_key`` identifies ``view``
    (``Context.view_key``): the join to the boundaries and each territory's map are made once per
    filtered list.
    """
    md = _map_data(view, tz, view_key)
    if len(md.not_on_map):
        height -= 50  # room for the list of comuni not on the map: the block keeps its height
    choices = maps.map_choices(md)
    provinces: tuple[str, ...] = ()
    if not choices:
        st.info("Nessun comune da mostrare sulla mappa.", icon=":material/map:")
    else:
        label = st.selectbox(title, list(choices), key="map_territory")
        # The chart's toolbar shows in the 44 px above it, on hover: that room keeps it off the choice.
        st.space(12)
        provinces = choices.get(label, ())
        if provinces:
            build = lambda: map_charts.to_spec(  # noqa: E731
                map_charts.comuni_map(md, provinces, height=height, legend_columns=legend_columns)
            )
        else:
            build = lambda: map_charts.provinces_map_spec(maps.province_progress(view), height=height)  # noqa: E731
        chart(("map", view_key, provinces, height, legend_columns), build, alt=f"Mappa: {label}")
    caption = maps.CREDIT
    if md.comuni["senza_at"].any() and choices and provinces:
        caption = "● hanno risposto senza editor AT · " + caption
    st.caption(caption)
    if len(md.not_on_map):
        # Its table only once opened: a table is the largest part of Streamlit's front end (1.4 MB of
        # scripts), which a first visit would otherwise fetch and compile before the page is painted.
        label = f"{not_on_map(len(md.not_on_map))} (contati in tutti i totali)"
        shown = st.expander(label, key="map_not_on_map", on_change="rerun")
        if shown.open:
            shown.caption("Comuni senza confini ISTAT di giugno 2023 (fusi o istituiti dopo) o non riconosciuti.")
            shown.dataframe(
                md.not_on_map,
                hide_index=True,
                column_config={"comune": "Comune", "provincia": "Prov.", "codice": "Codice"},
            )


@st.cache_data(max_entries=16, show_spinner=False)
def _map_data(_view: pd.DataFrame, tz: str, view_key: tuple) -> maps.MapData:
    return maps.map_data(_view, tz)
