"""«Leggi le ricevute» on the Promemoria page: read the sender's mailbox and show what changed.

Only shown: the reading is ``rollout.usecases.receipts``, what a receipt means is decided by
``rollout.reminders``. Offered, as sending is, only on a protected dashboard (password or login)
with ``[imap]`` in the secrets.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from rollout.config import PROJECT_ROOT
from rollout.errors import InputError
from rollout.reminders.imap_settings import ImapSettings, imap_from_table
from rollout.reminders.log import ReminderLog
from rollout.reminders.outcomes import OUTCOME_LABELS
from rollout.reminders.reading import summary_line
from rollout.usecases import receipts
from ui.context import Context
from ui.format import md_escape
from ui.sending import protected

REQUESTED = "_receipts_requested"
RESULT = "_receipts_result"  # the last reading of this session, shown after the page reloads


def imap_settings() -> tuple[ImapSettings | None, str]:
    """``[imap]`` of the secrets, checked (with the login of ``[smtp]`` when it has none): the settings,
    or None and why ("" when absent)."""
    try:
        table = st.secrets.get("imap")
        login = st.secrets.get("smtp")
    except FileNotFoundError:
        return None, ""
    if table is None:
        return None, ""
    if not isinstance(table, Mapping):
        return None, "nei segreti [imap] deve essere una sezione."
    login = dict(login) if isinstance(login, Mapping) else None
    try:
        return imap_from_table(dict(table), PROJECT_ROOT / ".streamlit", "[imap] dei segreti", login), ""
    except InputError as err:
        return None, str(err)


def _request() -> None:
    st.session_state[REQUESTED] = True


def receipts_section(ctx: Context, log: ReminderLog | None) -> None:
    st.subheader("Ricevute e mancate consegne")
    if not protected(ctx.config):
        st.caption(
            "La lettura di ricevute PEC, mancate consegne e risposte si attiva solo su un cruscotto protetto "
            "(password o login) con la casella del mittente nella sezione [imap] dei segreti (vedi la Guida, "
            "«Ricevute, mancate consegne e risposte»; per chi gestisce il server: docs/reminders.md)."
        )
        return
    settings, problem = imap_settings()
    if problem:
        st.error(f"Lettura delle ricevute non disponibile: {md_escape(problem)}")
        return
    if settings is None:
        st.caption(
            "Per leggere qui ricevute PEC, mancate consegne e risposte, configura la casella del mittente "
            "nella sezione [imap] dei segreti."
        )
        return
    if log is None:
        return  # the page has already said why
    if st.session_state.pop(REQUESTED, False):
        with st.spinner(f"Lettura della cartella «{settings.folder}» su {settings.host}…"):
            try:
                done = receipts.read(ctx.config, settings, log=log)
            except InputError as err:
                st.session_state.pop(RESULT, None)
                st.error(f"Ricevute non lette: {md_escape(str(err))}")
                done = None
        if done is not None:
            st.session_state[RESULT] = {
                "line": summary_line(done),
                "changes": [(c.comune, OUTCOME_LABELS.get(c.after, c.after), c.reason) for c in done.changes],
            }
            st.rerun()  # the list above shows the new outcomes
    st.caption(
        f"Legge in sola lettura la cartella «{md_escape(settings.folder)}» di {md_escape(settings.host)} dal punto "
        "in cui si era fermata l'ultima volta: nessun messaggio viene spostato, cancellato o segnato come letto."
    )
    st.button("Leggi le ricevute", icon=":material/mark_email_read:", key="receipts_go", on_click=_request)
    if (result := st.session_state.get(RESULT)) is not None:
        st.success(result["line"])
        if result["changes"]:
            frame = pd.DataFrame(result["changes"], columns=["Comune", "Esito", "Motivo"])
            st.dataframe(frame, hide_index=True, key="receipts_changes")
