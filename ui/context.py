"""The sidebar every page shares, and the context it yields: data, moment, filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from rollout.config import Config
from rollout.status import STATUS_LABELS, Settings, Snapshot
from rollout.views import filter_comuni
from ui import state
from ui.data import Loaded, current_config, load, snapshot_at
from ui.format import day, moment


@dataclass(frozen=True)
class Context:
    config: Config
    loaded: Loaded
    snap: Snapshot
    previous: Snapshot  # the same data seven days before as_of
    view: pd.DataFrame  # the comuni left by the sidebar filters

    @property
    def settings(self) -> Settings:
        return self.snap.settings

    @property
    def filtered(self) -> bool:
        return len(self.view) != len(self.snap.comuni)


def current() -> Context:
    """Render the sidebar and return the page context; stop the page with a message if no data."""
    state.init_session_state()
    config, error = current_config()
    if config is None:
        st.error(f"Configurazione non valida. {error}")
        st.stop()
    loaded = load(config, st.session_state[state.LOAD_TOKEN])
    with st.sidebar:
        _source_box(config, loaded)
    if not loaded.ok:
        st.error(f"I dati non sono leggibili. {loaded.error}")
        st.info("Correggi il file o la configurazione e premi «Ricarica ora» nella barra laterale.")
        st.stop()
    with st.sidebar:
        settings = _moment_box(config)
    snap = snapshot_at(loaded, settings)
    previous = snapshot_at(loaded, settings.shifted(-7))
    with st.sidebar:
        view = _filters_box(snap)
    if config.demo:
        st.warning("Dati dimostrativi: nessuna configurazione trovata (vedi README per usare i tuoi dati).", icon="🧪")
    return Context(config, loaded, snap, previous, view)


def _source_box(config: Config, loaded: Loaded) -> None:
    st.markdown(f"**{config.campaign}**")
    if config.demo:
        st.badge("Dati dimostrativi", icon="🧪", color="orange")
    comuni, responses = loaded.sources
    st.caption(f"Comuni: {comuni}  \nRisposte: {responses}")
    st.caption(f"Ultimo caricamento: {moment(pd.Timestamp(loaded.loaded_at), config.timezone)}")
    if st.button("Ricarica ora", icon="🔄", key="reload"):
        st.session_state[state.LOAD_TOKEN] += 1
        st.rerun()


def _moment_box(config: Config) -> Settings:
    tz = ZoneInfo(config.timezone)
    default = (config.as_of or pd.Timestamp.now(tz="UTC")).tz_convert(config.timezone)
    st.session_state.setdefault(state.AS_OF_DATE, default.date())
    st.session_state.setdefault(state.AS_OF_TIME, default.time().replace(second=0, microsecond=0))
    st.markdown("**Situazione al**")
    left, right = st.columns([3, 2])
    date = left.date_input("Data", key=state.AS_OF_DATE, format="DD/MM/YYYY", label_visibility="collapsed")
    time = right.time_input("Ora", key=state.AS_OF_TIME, label_visibility="collapsed", step=dt.timedelta(minutes=30))
    as_of = pd.Timestamp(dt.datetime.combine(date, time, tz)).tz_convert("UTC")
    st.caption(f"Scadenza: {day(config.deadline)}, ore 23:59")
    return Settings(config.deadline, as_of, config.timezone)


def _filters_box(snap: Snapshot) -> pd.DataFrame:
    comuni = snap.comuni
    st.markdown("**Filtri**")
    provinces = sorted(p for p in comuni["province"].unique() if p)
    if len(provinces) > 1:
        st.multiselect("Provincia", provinces, key=state.PROVINCES, placeholder="Tutte")
    st.multiselect("Stato", list(STATUS_LABELS), key=state.STATUSES, format_func=STATUS_LABELS.get, placeholder="Tutti")
    waves = sorted(w for w in comuni["wave"].unique() if w)
    if waves:
        st.multiselect("Ondata", waves, key=state.WAVES, placeholder="Tutte")
    st.text_input("Cerca comune", key=state.SEARCH, placeholder="nome del comune")
    return filter_comuni(
        comuni,
        provinces=[p for p in st.session_state[state.PROVINCES] if p in provinces],
        statuses=st.session_state[state.STATUSES],
        waves=[w for w in st.session_state[state.WAVES] if w in waves],
        search=st.session_state[state.SEARCH],
    )
