"""«Invia i promemoria» on the Promemoria page: preview, count, confirmation, progress, outcome.

Only shown: what to send, to whom and whether the data may drive a sending at all is decided by
``rollout.usecases.sending.prepare_sending``, as for the command line. Offered only on a protected
dashboard (password or login) with ``[smtp]`` in the secrets, never on the open demo.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from rollout.config import PROJECT_ROOT, Config
from rollout.errors import InputError
from rollout.italian import agree, number
from rollout.reminders.log import CHANNELS, ReminderLog
from rollout.reminders.mail_settings import SmtpSettings, smtp_from_table
from rollout.reminders.send import PROBLEMS, RESULTS, Outcome, count_words, outcomes_frame, summary_line
from rollout.usecases.sending import Sending, prepare_sending
from ui import auth
from ui.context import ACCEPT_HINT, Context
from ui.format import md_escape
from ui.privacy import hide_personal
from ui.state import screenshot_mode

CONFIRM = "send_confirm"
REQUESTED = "_send_requested"
OUTCOME = "_send_outcome"  # the last run's outcomes in this session, shown after the page reloads
PREVIEW = 3
OUTCOME_LABELS = {"comune": "Comune", "province": "Provincia", "contact": "Destinatario", "result": "Esito",
                  "detail": "Dettaglio"}  # fmt: skip


def smtp_settings() -> tuple[SmtpSettings | None, str]:
    """``[smtp]`` of the secrets, checked: the settings, or None and why ("" when absent)."""
    try:
        table = st.secrets.get("smtp")
    except FileNotFoundError:
        return None, ""
    if table is None:
        return None, ""
    if not isinstance(table, Mapping):
        return None, "nei segreti [smtp] deve essere una sezione."
    try:
        return smtp_from_table(dict(table), PROJECT_ROOT / ".streamlit", "[smtp] dei segreti"), ""
    except InputError as err:
        return None, str(err)


def protected(config: Config) -> bool:
    """A password or a login guards this dashboard (the demo never counts as protected)."""
    if config.demo:
        return False
    secrets = auth.read_secrets()
    return not secrets.problem and secrets.checked.protected


def _request() -> None:
    if st.session_state.get(CONFIRM):
        st.session_state[REQUESTED] = True
    st.session_state[CONFIRM] = False  # a second click needs a new confirmation


def send_section(ctx: Context, table: pd.DataFrame, log: ReminderLog | None) -> None:
    """The sending of the reminders ``table`` (the page's list, filtered) recorded in ``log``."""
    st.subheader("Invia i promemoria")
    if not protected(ctx.config):
        st.caption(
            "L'invio per email o PEC si attiva solo su un cruscotto protetto (password o login) con il server "
            "di posta nella sezione [smtp] dei segreti (vedi la Guida, «Promemoria»; per chi gestisce il server: "
            "docs/reminders.md)."
        )
        return
    settings, problem = smtp_settings()
    if problem:
        st.error(f"Invio non disponibile: {md_escape(problem)}")
        return
    if settings is None:
        st.caption("Per inviare i promemoria da qui, configura il server di posta nella sezione [smtp] dei segreti.")
        return
    if log is None:
        return  # the page has already said why
    try:
        sending = prepare_sending(
            ctx.snap,
            ctx.config,
            source=ctx.loaded.result,
            smtp=settings,
            log=log,
            table=table,
            how_to_accept=ACCEPT_HINT,
        )
    except InputError as err:
        st.error(f"Invio non disponibile: {md_escape(str(err))}")
        return
    if sending.refusal:  # stale data never drive sending
        st.session_state.pop(REQUESTED, None)
        st.warning(f"Invio sospeso: {md_escape(sending.refusal)}", icon=":material/block:")
        st.button("Invia i promemoria", type="primary", icon=":material/send:", key="send_go", disabled=True)
        return
    if st.session_state.pop(REQUESTED, False):
        _send(sending)
    due = sending.due
    _overview(settings, sending.options.max_per_minute, sending.items, due)
    if due:
        st.checkbox(f"Confermo l'invio di {number(len(due))} promemoria", key=CONFIRM)
        st.button(
            "Invia i promemoria",
            type="primary",
            icon=":material/send:",
            key="send_go",
            disabled=not st.session_state.get(CONFIRM),
            on_click=_request,
        )
    if OUTCOME in st.session_state:
        _outcome(st.session_state[OUTCOME])


def _overview(settings: SmtpSettings, per_minute: int, items: list[Outcome], due: list[Outcome]) -> None:
    excluded = [i for i in items if i.result != "due"]
    line = (
        f"**{number(len(due))} promemoria da inviare** via {CHANNELS[settings.channel]} tramite {md_escape(settings.host)}, "
        f"al massimo {per_minute} al minuto."
    )
    if excluded:
        line += f" Esclusi: {count_words(excluded)}."
    st.markdown(line)
    if excluded:
        with st.expander(f"Comuni esclusi dall'invio ({number(len(excluded))})"):
            _table(outcomes_frame(excluded), "send_excluded")
    if due and not screenshot_mode():
        shown = min(PREVIEW, len(due))
        with st.expander("Anteprima del primo messaggio" if shown == 1 else f"Anteprima dei primi {shown} messaggi"):
            for item in due[:PREVIEW]:
                st.markdown(f"**A:** {md_escape(item.to)} · **Oggetto:** {md_escape(item.subject)}")
                st.code(item.body, language=None, wrap_lines=True)


def _send(sending: Sending) -> None:
    due = len(sending.due)
    bar = st.progress(0.0, text=f"Connessione a {sending.smtp.host if sending.smtp else '?'}…")

    def progress(done: int, total: int, item: Outcome) -> None:
        bar.progress(done / total, text=f"{number(done)} di {number(total)}: {item.label} — {RESULTS[item.result]}")

    try:
        sending.run(progress)
    except InputError as err:
        bar.empty()
        st.error(f"Nessun promemoria inviato. {md_escape(str(err))}")
        return
    st.session_state[OUTCOME] = [i for i in sending.items if i.result != "due"]
    st.toast(f"Invio concluso: {number(due)} promemoria {agree(due, 'elaborato', 'elaborati')}.")
    st.rerun()  # the list above shows the reminders just recorded


def _outcome(items: list[Outcome]) -> None:
    st.markdown("**Esito dell'ultimo invio**")
    problems = {i.result for i in items if i.result in PROBLEMS}
    if problems == {"copy_refused"}:  # every message went; the server refused the archive's copy
        st.warning(summary_line(items) + " Il server ha rifiutato la copia nascosta (bcc): vedi la tabella.")
    elif problems:
        st.warning(summary_line(items) + " Alcuni messaggi non sono partiti: vedi la tabella.")
    else:
        st.success(summary_line(items))
    order = {key: n for n, key in enumerate((*PROBLEMS, "no_address"))}  # what needs attention first
    _table(outcomes_frame(sorted(items, key=lambda i: order.get(i.result, len(order)))), "send_outcome")


def _table(frame: pd.DataFrame, key: str) -> None:
    st.dataframe(hide_personal(frame), hide_index=True, column_config=OUTCOME_LABELS, key=key)
