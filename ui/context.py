"""The sidebar every page shares, and the context it yields: data, moment, filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from data_sources import describe_source
from rollout.config import Config
from rollout.italian import countdown, of_total, short_date, typed_day
from rollout.keys import ComuniCols as C
from rollout.pipeline import SourceState
from rollout.status import STATUS_LABELS, Settings, Snapshot
from rollout.views import filter_comuni
from ui import auth, state
from ui.data import Loaded, current_config, default_as_of, load, snapshot_at, snapshot_key
from ui.format import day as day_text
from ui.format import md_escape, moment
from ui.navigation import through_entry_point


@dataclass(frozen=True)
class Context:
    config: Config
    loaded: Loaded
    snap: Snapshot
    previous: Snapshot  # the same data seven days before as_of
    view: pd.DataFrame  # the comuni left by the sidebar filters
    filters: tuple = ()  # the sidebar filters that left ``view``

    @property
    def settings(self) -> Settings:
        return self.snap.settings

    @property
    def key(self) -> tuple:
        """Identifies ``snap``: a cache key for tables derived from it."""
        return snapshot_key(self.loaded, self.settings)

    @property
    def view_key(self) -> tuple:
        """Identifies ``view``: a cache key for what is derived from the filtered comuni."""
        return (*self.key, *self.filters)

    @property
    def filtered(self) -> bool:
        return len(self.view) != len(self.snap.comuni)


def current() -> Context:
    """The context built by dashboard.py for this run; stops the page when there is none.

    Pages call this first. Without usable data dashboard.py has already said why. A page can
    be started without the entry point (Streamlit runs ``pages/*.py`` alone when a fresh server's
    first request is a deep link): it is then rerun through dashboard.py; only if that is not
    possible does the page build the context itself, access gate and sidebar included.
    """
    ctx = st.session_state.get(state.CONTEXT)
    if ctx is None and not st.session_state.get(state.ENTRY_RAN):
        through_entry_point(state.REDIRECTED)
        ctx = build()
    if ctx is None:
        st.stop()
    return ctx


def admitted() -> bool:
    """Whether this run passed the access gate, with usable data or not: for a page that shows no
    data (the guide). Like ``current``, a page started alone goes through dashboard.py first."""
    if not st.session_state.get(state.ENTRY_RAN):
        through_entry_point(state.REDIRECTED)
        build()
    return st.session_state.get(state.ACCESS) is not None


def build() -> Context | None:
    """Render the shared sidebar and compute the context; None (with a message shown) when no data.

    Called by dashboard.py before the page runs, so that the sidebar's widgets belong to the
    entry point and keep their values when the user moves from page to page.
    """
    state.init_session_state()
    st.session_state[state.CONTEXT] = None
    st.session_state[state.ACCESS] = None
    config, error = current_config()
    access = auth.gate(config)  # first: nothing (not even a configuration error) before the login
    if access is None:
        return None
    st.session_state[state.ACCESS] = access
    if config is None:
        st.error(f"Configurazione non valida. {md_escape(error)}")
        return None
    loaded = load(config, st.session_state[state.LOAD_TOKEN], st.session_state[state.ACCEPTED])
    with st.sidebar:
        _source_box(config, loaded, can_accept=access.mode == "protected")
        auth.sidebar(access)
    if not loaded.ok:
        st.error(f"I dati non sono leggibili. {md_escape(loaded.error)}")
        st.info(
            "Correggi il file o la configurazione e premi «Ricarica ora» nella barra laterale "
            "(vedi la guida, «Quando un caricamento non riesce»)."
        )
        return None
    with st.sidebar:
        settings = _moment_box(config)
    snap = snapshot_at(loaded, settings)
    previous = snapshot_at(loaded, settings.week_before())
    with st.sidebar:
        filters = _filters_box(snap)
    ctx = Context(config, loaded, snap, previous, _filtered(snap, loaded, settings, filters), filters)
    st.session_state[state.CONTEXT] = ctx
    return ctx


# Less room above and beside the page than Streamlit's wide layout gives (6rem, 5rem): at 1440 px
# beside the sidebar the tables have 1,060 px for their columns instead of 980.
_COMPACT = "<style>.block-container{padding:2.2rem 2.5rem 1rem}</style>"


def header(ctx: Context, title: str) -> None:
    """Page title, then one line: the moment, the deadline, the countdown, the demo notice."""
    st.html(_COMPACT)
    st.header(title)
    s = ctx.settings
    line = (
        f"**Situazione al {moment(s.as_of)}** · scadenza {short_date(s.deadline)} · {countdown(s.days_past_deadline)}"
    )
    if ctx.filtered:
        line += f" · filtro attivo: {of_total(len(ctx.view), len(ctx.snap.comuni))}"
    if ctx.config.demo:
        line += " · :orange-badge[:material/science: Dati dimostrativi: nessuna configurazione trovata]"
    st.markdown(line)


ACCEPT_HINT = "premi «Accetta i nuovi dati» nella barra laterale"


def _source_box(config: Config, loaded: Loaded, *, can_accept: bool) -> None:
    st.markdown(f"**{md_escape(config.campaign)}**")
    if config.demo:
        st.badge("Dati dimostrativi", icon=":material/science:", color="orange")
    comuni, responses = loaded.sources
    contacts = f"  \nContatti: {md_escape(describe_source(config.contacts.location))}" if config.contacts else ""
    st.caption(f"Comuni: {md_escape(comuni)}  \nRisposte: {md_escape(responses)}{contacts}")
    if loaded.ok:
        st.caption(f"Ultimo caricamento riuscito: {moment(pd.Timestamp(loaded.last_success), config.timezone)}")
    else:
        st.caption(f"Caricamento non riuscito alle {moment(pd.Timestamp(loaded.loaded_at), config.timezone)}")
    for i, source in enumerate(loaded.states):
        if source.stale_reason:
            _stale_banner(config, source, f"accept_{i}" if can_accept else "")
        elif source.accepted and source.change is not None:
            what = md_escape(source.change.describe())
            st.caption(f":material/done_all: Nuovi dati accettati ({source.role}): {what}.")
    if loaded.prepared is not None:
        for alert in loaded.prepared.responses.alerts:
            st.warning(md_escape(alert), icon=":material/warning:")
    for source in loaded.states:
        if source.note:
            st.caption(f":material/warning: {md_escape(source.note)}")
    if st.button("Ricarica ora", icon=":material/refresh:", key="reload"):
        st.session_state[state.LOAD_TOKEN] += 1
        st.rerun()


def _stale_banner(config: Config, source: SourceState, accept_key: str) -> None:
    """Since when and why the data of ``source`` are a copy; for fresh data held back as suspect, the
    button that accepts them (``accept_key``, on a protected dashboard only) or how to accept them."""
    since = moment(pd.Timestamp(source.loaded_at), config.timezone) if source.loaded_at else "?"
    reason = source.stale_reason if source.stale_reason.endswith(".") else source.stale_reason + "."
    st.warning(
        f"**Dati non aggiornati dal {since}** ({source.role}): mostro l'ultima copia letta. Motivo: {md_escape(reason)}",
        icon=":material/warning:",
    )
    if not source.suspect or source.change is None:
        return
    if accept_key:
        st.button(
            f"Accetta i nuovi dati ({source.role})",
            key=accept_key,
            icon=":material/done_all:",
            help="Se le righe sono state tolte o riordinate di proposito: i dati appena letti sostituiscono "
            "l'ultima copia buona.",
            on_click=_accept,
            args=(source.change.fingerprint,),
        )
    else:
        st.caption(
            "Per accettare i nuovi dati serve un cruscotto protetto (password o login), oppure dalla riga di "
            "comando `--accept-smaller`."
        )


def _accept(fingerprint: str) -> None:
    """«Accetta i nuovi dati»: the next load takes the fresh data with this fingerprint (and only them)."""
    st.session_state[state.ACCEPTED] = frozenset(st.session_state.get(state.ACCEPTED, ())) | {fingerprint}
    st.session_state[state.LOAD_TOKEN] += 1


def _moment_box(config: Config) -> Settings:
    """«Situazione al»: the day, typed (applied on Enter, as any text field) or chosen from the
    calendar, and the time. ``state.AS_OF_DATE`` holds the day in force."""
    tz = ZoneInfo(config.timezone)
    default = default_as_of(config)
    st.session_state.setdefault(state.AS_OF_DATE, default.date())
    st.session_state.setdefault(state.AS_OF_TIME, default.time())
    day = st.session_state[state.AS_OF_DATE]
    if not st.session_state.get(state.AS_OF_PROBLEM):  # a wrong text stays, to be corrected
        st.session_state[state.AS_OF_TEXT] = short_date(day)
    st.session_state[state.AS_OF_PICKER] = day
    st.markdown("**Situazione al**")
    left, middle, right = st.columns([5, 2, 4], vertical_alignment="bottom")
    left.text_input(
        "Data", key=state.AS_OF_TEXT, on_change=_typed_day, placeholder="gg/mm/aaaa", max_chars=10,
        label_visibility="collapsed", help="Scrivi la data (gg/mm/aaaa) e premi Invio",
    )  # fmt: skip
    with middle.popover("", icon=":material/calendar_month:", help="Scegli la data dal calendario"):
        st.date_input("Data", key=state.AS_OF_PICKER, format="DD/MM/YYYY", on_change=_picked_day)
    time = right.time_input("Ora", key=state.AS_OF_TIME, label_visibility="collapsed", step=dt.timedelta(minutes=30))
    if problem := st.session_state.get(state.AS_OF_PROBLEM):
        st.error(problem, icon=":material/event_busy:")
    as_of = pd.Timestamp(dt.datetime.combine(day, time, tz)).tz_convert("UTC")
    st.caption(f"Scadenza: {day_text(config.deadline)}, ore 23:59")
    return Settings(config.deadline, as_of, config.timezone)


def _typed_day() -> None:
    """The day typed in «Situazione al», on Enter: in force if it is a date, else why not."""
    text = st.session_state[state.AS_OF_TEXT]
    day = typed_day(text)
    if day is None:
        st.session_state[state.AS_OF_PROBLEM] = (
            f"Data non valida: «{md_escape(text.strip())}». Scrivi giorno/mese/anno, per esempio 20/09/2023, e premi "
            "Invio."
        )
        return
    st.session_state[state.AS_OF_DATE] = day
    st.session_state[state.AS_OF_PROBLEM] = ""


def _picked_day() -> None:
    st.session_state[state.AS_OF_DATE] = st.session_state[state.AS_OF_PICKER]
    st.session_state[state.AS_OF_PROBLEM] = ""


def _filters_box(snap: Snapshot) -> tuple:
    """The filter widgets; the values in force, as a hashable tuple (provinces, statuses, waves, search)."""
    comuni = snap.comuni
    st.markdown("**Filtri**")
    provinces = sorted(p for p in comuni[C.PROVINCE].unique() if p)
    if len(provinces) > 1:
        st.multiselect("Provincia", provinces, key=state.PROVINCES, placeholder="Tutte")
    st.multiselect("Stato", list(STATUS_LABELS), key=state.STATUSES, format_func=STATUS_LABELS.get, placeholder="Tutti")
    waves = sorted(w for w in comuni[C.WAVE].unique() if w)
    if waves:
        st.multiselect("Ondata", waves, key=state.WAVES, placeholder="Tutte")
    st.text_input("Cerca comune", key=state.SEARCH, placeholder="nome del comune")
    st.toggle(
        "Modalità screenshot",
        key=state.SCREENSHOT,
        help="Nasconde in tutte le pagine i dati personali (nomi, email, codici fiscali, referenti e contatti) "
        "per catturare lo schermo senza esporli.",
    )
    return (
        tuple(p for p in st.session_state[state.PROVINCES] if p in provinces),
        tuple(st.session_state[state.STATUSES]),
        tuple(w for w in st.session_state[state.WAVES] if w in waves),
        st.session_state[state.SEARCH],
    )


def _filtered(snap: Snapshot, loaded: Loaded, settings: Settings, filters: tuple) -> pd.DataFrame:
    """The comuni left by the filters, computed once per snapshot and filters (a search scans every name)."""
    if not any(filters):
        return snap.comuni
    return _filter(snap, (*snapshot_key(loaded, settings), *filters))


@st.cache_data(max_entries=32, show_spinner=False)
def _filter(_snap: Snapshot, key: tuple) -> pd.DataFrame:
    provinces, statuses, waves, search = key[-4:]
    return filter_comuni(_snap.comuni, provinces=provinces, statuses=statuses, waves=waves, search=search)
