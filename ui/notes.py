"""The formal notes of the accounts as the pages offer them: one DOCX, or all of them as a ZIP."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from rollout.errors import InputError
from rollout.italian import agree, answered_without_at_text, count_comuni
from rollout.outputs.notes import (
    NoteTemplate,
    kinds,
    note_contexts,
    note_names,
    note_subject,
    note_text,
    notes_zip,
)
from ui.context import Context
from ui.downloads import download_button
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
    download_button(  # served at the click, then swept from the media endpoint (ui/downloads.py)
        st,
        "Scarica la nota degli account (Word)",
        lambda: data,
        note_names(contexts)[0],
        DOCX,
        icon=":material/description:",
        key="dl_note",
        help="La nota formale con gli editor attuali e i permessi rilasciati; il numero di protocollo è da compilare.",
    )
    if not screenshot_mode():
        with st.expander("Testo della nota per un'email"):
            st.markdown(f"**Oggetto:** {md_escape(note_subject(context))}")
            st.code(note_text(context), language=None, wrap_lines=True)


@st.cache_data(max_entries=8, show_spinner=False)
def _problem(data: bytes, path: str, contexts: list[dict]) -> str:
    """Why the template cannot make these notes ("" when it can); cached: the check takes a second."""
    del data  # part of the cache key only: an edited template is checked again
    try:
        NoteTemplate(Path(path)).check(contexts)
    except InputError as err:
        return str(err)
    return ""


def all_comuni(ctx: Context, comuni: pd.DataFrame) -> None:
    """The notes of every comune in ``comuni`` that has current editors, as one ZIP (made on click)."""
    st.subheader("Note formali degli account")
    with_editors = comuni.loc[comuni["editors"] > 0]
    without_at = int((~with_editors["has_at_editor"]).sum())
    st.caption(
        f"Una nota (Word) per ogni comune con editor ({count_comuni(len(with_editors))}"
        + (", con i filtri attivi" if ctx.filtered else "")
        + f"): gli editor attuali e i permessi rilasciati. {answered_without_at_text(without_at)}: "
        + agree(without_at, "la sua nota chiede", "la loro nota chiede")
        + " di indicarne uno."
    )
    note = template(ctx)
    if note is not None:  # one comune of each kind: the ZIP is made on click, where an error could not be shown
        problem = _problem(note.data, str(note.path), note_contexts(ctx.snap, ctx.config, kinds(comuni)))
        if problem:
            st.error(md_escape(problem))
            note = None
    stamp = ctx.settings.as_of_local.strftime("%Y%m%d")
    download_button(
        st,
        "Scarica le note (ZIP)",
        (lambda: notes_zip(note, note_contexts(ctx.snap, ctx.config, comuni), ctx.settings.as_of_local))
        if note is not None and len(with_editors)
        else bytes,
        f"note_account_{stamp}.zip",
        "application/zip",
        icon=":material/description:",
        key="dl_notes",
        disabled=note is None or with_editors.empty,
    )
