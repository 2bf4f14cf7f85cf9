"""Comuni: every comune with its status and permissions; drill-down to its employees."""

import pandas as pd
import streamlit as st

from rollout.italian import moments, number, of_total
from rollout.keys import ComuniCols as C
from rollout.keys import EmployeeCols as E
from rollout.keys import MarkCols as M
from rollout.outputs.contacts import contact_for
from rollout.outputs.links import FormLink
from rollout.read.permissions import PERMISSION_KEYS
from rollout.reminders.drafts import comuni_marks, outcome_texts
from rollout.views import employees_of, filter_comuni
from ui import notes, state
from ui.comuni import CONTACT_COLUMNS, comuni_display
from ui.context import current, header
from ui.format import compact, fit_height, md_escape, text_width
from ui.labels import LONG, SHORT, permission_columns, status_badge, status_column
from ui.privacy import notice
from ui.reminders import load_bounced, load_marks, reminder_log, shown_day

ctx = current()
tz = ctx.settings.tz
header(ctx, "Comuni")

missing = st.selectbox(
    "Senza editor per il permesso",
    PERMISSION_KEYS,
    index=None,
    format_func=LONG.get,
    placeholder="qualsiasi permesso",
    key=state.MISSING_PERMISSION,
)
log = reminder_log(ctx.config)
marks = load_marks(log)  # reminders recorded or sent from the Promemoria page
bounced = load_bounced(log, ctx.snap.comuni)  # addresses that bounced: never shown as the contact
every, labels, keys = comuni_display(ctx.snap, ctx.key, bounced)  # built once per snapshot, sliced here
view = filter_comuni(ctx.view, missing_permission=missing)
view = view.loc[every.index.intersection(view.index, sort=False)]  # by status, then by name
sent = comuni_marks(view, marks, keys.loc[view.index].tolist())
form = FormLink.from_config(ctx.config)
links = form.for_comuni(view[C.NAME], view[C.PROVINCE], view[C.CODE])
visible = every.drop(columns=list(CONTACT_COLUMNS)) if state.screenshot_mode() else every
table = visible.loc[view.index].assign(
    Promemoria=sent[M.REMINDERS_SENT],
    **{
        "Ultimo promemoria": sent[M.LAST_REMINDER].map(shown_day),
        "Esito ultimo invio": outcome_texts(sent, short=True),
    },
    **({"Modulo": list(links)} if form.url else {}),
)
# The columns in three sets, each readable whole at 1440 px beside the sidebar; the others one click away.
COLUMNS = {
    "Stato e lacune": ["Comune", "Prov.", "Stato", "Prima risposta", "Editor", "Mancano"],
    "Permessi": ["Comune", "Prov.", *PERMISSION_KEYS],
    "Promemoria": ["Comune", "Prov.", "Stato", "Promemoria", "Ultimo promemoria", "Esito ultimo invio", "Modulo"],
    "Contatti": ["Comune", "Prov.", "Stato", *CONTACT_COLUMNS],
}
line = st.container(horizontal=True, vertical_alignment="bottom")
line.caption(
    f"{of_total(len(view), len(ctx.snap.comuni))}, per stato (prima i mancanti e quelli in attesa), poi per nome",
    width="stretch",
)
shown = line.segmented_control("Colonne", list(COLUMNS), default="Stato e lacune", key="comuni_columns")
st.dataframe(
    compact(table),
    hide_index=True,
    column_order=[c for c in COLUMNS[shown or "Stato e lacune"] if c in table.columns],
    column_config=permission_columns()
    | {
        "Comune": st.column_config.TextColumn("Comune", width=text_width(view[C.NAME], "Comune")),
        "Prov.": st.column_config.TextColumn("Prov.", width=56),
        "Stato": status_column(width=100),
        "Prima risposta": st.column_config.TextColumn(
            "Prima risposta", width=text_width(["00/00/0000 00:00"], "Prima risposta")
        ),
        "Editor": st.column_config.NumberColumn("Editor", width=text_width([], "Editor")),
        "Mancano": st.column_config.TextColumn("Mancano", help="I permessi senza nessun editor attuale"),
        "Promemoria": st.column_config.NumberColumn("Promemoria inviati", width=text_width([], "Promemoria inviati")),
        "Ultimo promemoria": st.column_config.TextColumn(
            "Ultimo promemoria", width=text_width([], "Ultimo promemoria")
        ),
        "Modulo": st.column_config.LinkColumn("Modulo", display_text="apri", help="Il link del modulo per il comune"),
    },
    height=fit_height(len(table)),
    key="comuni_table",
)

st.subheader("Dettaglio comune")
label_of = labels.loc[view.index].to_dict()
choice = st.selectbox(
    "Comune",
    list(view.index),
    index=None,
    format_func=label_of.__getitem__,
    placeholder="Scegli un comune per vedere i dipendenti indicati",
    key="detail_comune",
)
if choice is not None:
    row = view.loc[choice]
    found = contact_for(row, bounced)
    contact = f"{found.address} ({found.source})" if found.address else found.source
    mine = sent.loc[choice]
    last = f"il {shown_day(mine[M.LAST_REMINDER])} ({mine[M.LAST_CHANNEL]})"
    sent_count = int(mine[M.REMINDERS_SENT])
    reminded = (
        "nessuno" if not sent_count else f"1, {last}" if sent_count == 1 else f"{number(sent_count)}, l'ultimo {last}"
    )
    who = (
        ""
        if state.screenshot_mode()
        else f" · Referente: {md_escape(row[C.CONTACT_NAME]) or '—'} · Contatto: {md_escape(contact)}"
    )
    outcome = outcome_texts(sent.loc[[choice]])[0]
    outcome = f" · Esito dell'ultimo invio: {md_escape(outcome)}" if outcome else ""
    st.caption(f"Stato: {status_badge(row[C.STATUS])}{who} · Promemoria inviati: {reminded}{outcome}")
    if form.url:
        what = "precompilato con il nome del comune" if form.prefills else "non precompilato: vedi form_prefill_field"
        st.markdown(f"**Link al modulo** ({what}), da copiare:")
        st.code(links[view.index.get_loc(choice)], language=None, wrap_lines=True)
    notice()
    current_editors, replaced = employees_of(ctx.snap, choice)
    notes.one_comune(ctx, choice)

    def show(frame: pd.DataFrame, key: str) -> None:
        st.dataframe(
            pd.DataFrame({
                "Riga": frame[E.ROW],
                "Risposta del": moments(frame[E.TS], tz).to_numpy(),
                **({} if state.screenshot_mode() else {
                    "Dipendente": frame[E.NAME], "Email": frame[E.EMAIL], "Codice fiscale": frame[E.FISCAL_CODE],
                }),
                "Permessi": [", ".join(SHORT[k] for k in p) for p in frame[E.PERMISSIONS]],
                "Ufficio": frame[E.OFFICE],
                **({"Sostituita dalla riga": frame[E.REPLACED_BY]} if E.REPLACED_BY in frame else {}),
            }),
            hide_index=True,
            key=key,
        )  # fmt: skip

    if current_editors.empty:
        st.info("Nessun dipendente valido indicato finora.")
    else:
        st.markdown(f"**Editor attuali ({len(current_editors)})** — per ogni dipendente vale la risposta più recente.")
        show(current_editors, "detail_current")
    if not replaced.empty:
        st.markdown(f"**Risposte sostituite ({len(replaced)})**")
        show(replaced, "detail_replaced")
