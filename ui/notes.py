"""The formal notes of the accounts as the pages offer them: one DOCX, or all of them as a ZIP."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rollout.errors import InputError
from rollout.outputs.notes import NoteTemplate, note_contexts, note_names, note_subject, note_text, notes_zip
from ui.context import Context
from ui.format import md_escape
from ui.state import screenshot_mode

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def template(ctx: Context) -> NoteTemplate | None:
    """The configured template; None (with the reason shown) when it cannot be used."""
    try:
        return NoteTemplate.from_config(ctx.config)
    except InputError as err:
        st.error(f"Note degli account non disponibili. {md_escape(str(err))}")
        return None


def one_comune(ctx: Context, cid: int) -> None:
    """Comuni page: the note of one comune (DOCX) and the same text for an email."""
    contexts = note_contexts(ctx.snap, ctx.config, ctx.snap.comuni.loc[[cid]])
    if not contexts:
        st.caption("Nota degli account: disponibile quando il comune avrà almeno un editor.")
        return
    note = template(ctx)
    if note is None:
        return
    context = contexts[0]
    try:
        data = note.render(context)
    except InputError as err:
        st.error(md_escape(str(err)))
        return
    st.download_button(
        "Scarica la nota degli account (Word)",
        data,
        note_names(contexts)[0],
        DOCX,
        icon="📄",
        key="dl_note",
        on_click="ignore",
        help="La nota formale con gli editor attuali e i permessi rilasciati; il numero di protocollo è da compilare.",
    )
    if not screenshot_mode():
        with st.expander("Testo della nota per un'email"):
            st.markdown(f"**Oggetto:** {md_escape(note_subject(context))}")
            st.code(note_text(context), language=None, wrap_lines=True)


def all_comuni(ctx: Context, comuni: pd.DataFrame) -> None:
    """The notes of every comune in ``comuni`` that has current editors, as one ZIP."""
    st.subheader("Note formali degli account")
    contexts = note_contexts(ctx.snap, ctx.config, comuni)
    without_at = sum(not c["editor_at"] for c in contexts)
    st.caption(
        f"Una nota (Word) per ciascuno dei {len(contexts)} comuni con editor"
        + (" (con i filtri attivi)" if ctx.filtered else "")
        + f": gli editor attuali e i permessi rilasciati. {without_at} senza editor Amministrazione Trasparente: "
        "la loro nota chiede di indicarne uno."
    )
    note = template(ctx)
    if note is not None:
        try:
            note.check(contexts)  # the ZIP is made on click, where an error could not be shown
        except InputError as err:
            st.error(md_escape(str(err)))
            note = None
    stamp = ctx.settings.as_of_local.strftime("%Y%m%d")
    st.download_button(
        "Scarica le note (ZIP)",
        (lambda: notes_zip(note, contexts, ctx.settings.as_of_local)) if note and contexts else b"",
        f"note_account_{stamp}.zip",
        "application/zip",
        icon="📄",
        key="dl_notes",
        disabled=note is None or not contexts,
        on_click="ignore",
    )
