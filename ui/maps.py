"""The map block: a choice of territory, the map, the credit and the comuni not on the map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rollout.outputs import map_charts, maps


def status_map(view: pd.DataFrame, tz: str, height: int = 430) -> None:
    """Comuni by status (or, nationally, provinces by share answered), one click from any territory."""
    md = maps.map_data(view, tz)
    choices = maps.map_choices(md)
    provinces: tuple[str, ...] = ()
    if not choices:
        st.info("Nessun comune da mostrare sulla mappa.", icon=":material/map:")
    else:
        label = st.selectbox("Territorio", list(choices), key="map_territory", label_visibility="collapsed")
        provinces = choices.get(label, ())
        if provinces:
            spec = map_charts.to_spec(map_charts.comuni_map(md, provinces, height=height))
        else:
            spec = map_charts.provinces_map_spec(maps.province_progress(view), height=height)
        st.vega_lite_chart(None, spec, width="stretch")
    caption = maps.CREDIT
    if md.comuni["senza_at"].any() and choices and provinces:
        caption = "● comuni che hanno risposto senza editor Amministrazione Trasparente · " + caption
    st.caption(caption)
    if len(md.not_on_map):
        with st.expander(f"{len(md.not_on_map)} comuni {maps.NOT_ON_MAP} (contati in tutti i totali)"):
            st.caption("Comuni senza confini ISTAT di giugno 2023 (fusi o istituiti dopo) o non riconosciuti.")
            st.dataframe(
                md.not_on_map,
                hide_index=True,
                column_config={"comune": "Comune", "provincia": "Prov.", "codice": "Codice"},
            )
