"""Promemoria: who to chase and why, the drafts to send, and the reminders already sent."""

import datetime as dt
from zoneinfo import ZoneInfo

import streamlit as st

from rollout.config import missing_signature
from rollout.errors import InputError
from rollout.italian import count_comuni, marked_reminders, plural, recorded_reminders, short_date, to_chase
from rollout.keys import ComuniCols as C
from rollout.keys import DraftCols as D
from rollout.keys import ReminderCols as L
from rollout.outputs.links import FormLink
from rollout.reminders.drafts import EXPORT_LABELS, outcome_texts
from rollout.reminders.log import CHANNELS
from rollout.reminders.reading import report_line
from rollout.status import STATUS_LABELS
from rollout.usecases import reminders as kit
from ui import notes
from ui.comuni import short_permissions
from ui.context import current, header
from ui.derived import outcomes, reminders
from ui.downloads import download_button
from ui.format import compact, fit_height, md_escape, text_width
from ui.labels import status_column
from ui.privacy import hide_personal, notice
from ui.receipts import receipts_section
from ui.reminders import load_bounced, load_marks, reminder_log, shown_day
from ui.sending import send_section
from ui.state import screenshot_mode

FLASH = "_reminders_recorded"  # the last registration of this session, to confirm or undo it
MAX_LINKS = 400  # above this many comuni the table leaves out its «scrivi» links (megabytes of text)

ctx = current()
header(ctx, "Promemoria")
log = reminder_log(ctx.config)
marks = load_marks(log)
bounced = load_bounced(log, ctx.snap.comuni)  # never written to again: the comune's next address instead
table = reminders(ctx.snap, ctx.view, ctx.view_key, marks, FormLink.from_config(ctx.config), bounced)
no_answer = int(table[L.STATUS].isin(["pending", "missing"]).sum())
st.markdown(to_chase(no_answer, len(table) - no_answer))
section, dead = outcomes(ctx.view, ctx.view_key, marks, bounced)
if marks is not None and len(marks):
    st.caption(md_escape(report_line(section)))
if len(dead):
    names = ", ".join(f"{n} ({p})" if p else n for n, p in zip(dead[C.NAME], dead[C.PROVINCE], strict=True))
    st.warning(
        f"**{plural(len(dead), 'comune', 'comuni')} senza un indirizzo funzionante** (ogni indirizzo noto è stato "
        f"respinto): {md_escape(names)}. Aggiorna l'indirizzo nell'elenco dei comuni: quello nuovo verrà usato al "
        "prossimo invio.",
        icon=":material/unsubscribe:",
    )
if unsigned := missing_signature(ctx.config):
    st.warning(md_escape(unsigned), icon=":material/signature:")
chase = kit.Reminders.of_table(ctx.snap, ctx.config, table)  # the drafts are made on demand (thousands of comuni)
stamp = ctx.settings.as_of_local.strftime("%Y%m%d")
downloads = st.container(horizontal=True)  # the buttons side by side, each as wide as its label
# Generated at the click, so that no file with contacts waits on the media endpoint (ui/downloads.py).
download_button(
    downloads, "Scarica CSV", chase.download_csv, f"promemoria_{stamp}.csv", "text/csv", icon=":material/download:",
    key="dl_csv",
)  # fmt: skip
download_button(
    downloads,
    "Scarica Excel",
    chase.download_xlsx,
    f"promemoria_{stamp}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    key="dl_xlsx",
)
download_button(
    downloads,
    "Scarica bozze (.eml)",
    chase.drafts_zip,
    f"bozze_promemoria_{stamp}.zip",
    "application/zip",
    icon=":material/mail:",
    key="dl_drafts",
    disabled=table.empty,
    help="Una bozza per comune, da aprire con il programma di posta; chi non ha un indirizzo utilizzabile "
    "ha la bozza senza destinatario.",
)

shown = table.assign(
    **{
        L.STATUS: table[L.STATUS].map(STATUS_LABELS),
        L.LAST_REMINDER: table[L.LAST_REMINDER].map(shown_day),
        L.OUTCOME: outcome_texts(table, short=True),  # the whole reason: the downloads, the Comuni page's detail
        L.MISSING_PERMISSIONS: table[L.MISSING_PERMISSIONS].map(short_permissions),
    }
)
with_links = len(table) <= MAX_LINKS
if with_links:
    shown[D.MAILTO] = chase.letters()[D.MAILTO].to_numpy()
shown = hide_personal(shown)
# The columns in sets, each readable whole at 1440 px beside the sidebar; the others one click away.
COLUMNS = {
    "Motivo": [L.COMUNE, L.PROVINCE, L.STATUS, L.REASONS, L.DAYS_LATE, D.MAILTO],
    "Contatti": [L.COMUNE, L.PROVINCE, L.CONTACT, L.CONTACT_SOURCE, L.CONTACT_NAME, D.MAILTO],
    "Promemoria inviati": [L.COMUNE, L.PROVINCE, L.STATUS, L.REMINDERS_SENT, L.LAST_REMINDER, L.LAST_CHANNEL,
                           L.OUTCOME, D.MAILTO],
    "Permessi mancanti": [L.COMUNE, L.PROVINCE, L.STATUS, L.MISSING_PERMISSIONS],
}  # fmt: skip
columns = st.segmented_control("Colonne", list(COLUMNS), default="Motivo", key="reminders_columns") or "Motivo"
st.dataframe(
    compact(shown),
    hide_index=True,
    height=fit_height(len(shown)),
    column_order=[c for c in COLUMNS[columns] if c in shown.columns],
    column_config={k: EXPORT_LABELS.get(k, k) for k in shown.columns}
    | {
        L.COMUNE: st.column_config.TextColumn("Comune", width=text_width(shown[L.COMUNE], "Comune")),
        L.PROVINCE: st.column_config.TextColumn("Prov.", width=56),
        L.STATUS: status_column(width=100),
        L.DAYS_LATE: st.column_config.NumberColumn("Giorni di ritardo", width=text_width([], "Giorni di ritardo")),
        L.REMINDERS_SENT: st.column_config.NumberColumn(
            "Promemoria inviati", width=text_width([], "Promemoria inviati")
        ),
        L.LAST_REMINDER: st.column_config.TextColumn("Ultimo promemoria", width=text_width([], "Ultimo promemoria")),
        L.OUTCOME: st.column_config.TextColumn("Esito dell'ultimo invio", width=text_width(shown[L.OUTCOME], "Esito")),
        D.MAILTO: st.column_config.LinkColumn(
            "Bozza", display_text="scrivi", help="Apre la bozza nella posta", width=64
        ),
    },
    key="reminders",
)
notice()
if not with_links:
    st.caption(
        f"Con più di {MAX_LINKS} comuni in elenco i link «scrivi» non sono mostrati: "
        "restringi l'elenco con i filtri oppure usa «Scarica bozze»."
    )

receipts_section(ctx, log)
send_section(ctx, table, log)

st.subheader("Registra i promemoria inviati")
labels = {k: f"{n} ({p})" if p else n for k, n, p in zip(table[L.KEY], table[L.COMUNE], table[L.PROVINCE], strict=True)}
with st.form("mark_form", border=True):
    everyone = st.checkbox(
        f"Tutti i comuni dell'elenco ({count_comuni(len(table))})" + (" (con i filtri attivi)" if ctx.filtered else ""),
        key="mark_all",
    )
    chosen = st.multiselect(
        "Oppure solo questi comuni", list(labels), format_func=labels.get, key="mark_comuni", placeholder="Scegli"
    )
    left, middle, right = st.columns([1, 1, 2])
    sent_on = left.date_input(
        "Data di invio", dt.datetime.now(ZoneInfo(ctx.settings.tz)).date(), format="DD/MM/YYYY", key="mark_date"
    )
    channel = middle.selectbox("Canale", list(CHANNELS), format_func=CHANNELS.get, key="mark_channel")
    note = right.text_input("Nota (facoltativa, niente dati personali)", key="mark_note", max_chars=200)
    submitted = st.form_submit_button("Registra come inviati", icon=":material/check_circle:")
if submitted and log is not None:
    picked = list(labels) if everyone else [k for k in chosen if k in labels]
    if not picked:
        st.warning("Scegli i comuni oppure spunta «Tutti i comuni dell'elenco».")
    else:
        try:
            done = kit.mark(log, kit.marks_for(table, picked), sent_on, channel, note)
        except InputError as err:
            st.error(md_escape(str(err)))
        else:
            text = f"{marked_reminders(done.count)} ({CHANNELS[done.channel]}, {short_date(done.sent_on)})."
            st.session_state[FLASH] = {"batch": done.batch, "text": text}
            st.rerun()
if (flash := st.session_state.get(FLASH)) and log is not None:
    st.success(flash["text"], icon=":material/check_circle:")
    if st.button("Annulla questa registrazione", icon=":material/undo:", key="undo_marks"):
        try:
            removed = kit.undo(log, flash["batch"])
        except InputError as err:
            st.error(md_escape(str(err)))
        else:
            st.session_state.pop(FLASH)
            st.toast(f"{recorded_reminders(removed, 'Annullato', 'Annullati')}.")
            st.rerun()

st.subheader("Bozza per un comune")
if screenshot_mode():
    st.info("Le bozze contengono referenti e indirizzi: sono nascoste in modalità screenshot.")
elif not table.empty:
    pick = st.selectbox("Comune", list(labels), format_func=labels.get, key="draft_comune")
    letter = chase.letters(table.loc[table[L.KEY] == pick]).iloc[0]
    # Without a usable address, ``address`` already says so and why: «nessun indirizzo utilizzabile (…)».
    to = f"{md_escape(letter[D.TO])} · " if letter[D.TO] else "— "
    st.markdown(f"**A:** {to}{md_escape(letter[D.ADDRESS])}  \n**Oggetto:** {md_escape(letter[D.SUBJECT])}")
    st.code(letter[D.BODY], language=None, wrap_lines=True)
    st.link_button("Apri nel programma di posta", letter[D.MAILTO], icon=":material/mail:")

notes.all_comuni(ctx, ctx.view)  # the formal notes of the accounts, for the comuni that have editors
