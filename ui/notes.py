"""The formal notes of the accounts as the pages offer them: one DOCX, or those of many comuni as a ZIP."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import pandas as pd
import streamlit as st

from rollout.errors import InputError
from rollout.italian import agree, answered_without_at_text, count_comuni, number, plural
from rollout.keys import ComuniCols as C
from rollout.outputs.notes import NoteTemplate, note_territories
from rollout.usecases import notes
from ui.context import Context
from ui.downloads import download_button
from ui.format import md_escape
from ui.state import screenshot_mode

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def template(ctx: Context) -> NoteTemplate | None:
    """The configured template; None (with the reason shown) when it cannot be used."""
    try:
        return notes.note_template(ctx.config)
    except InputError as err:
        st.error(f"Note degli account non disponibili. {md_escape(str(err))}")
        return None


def one_comune(ctx: Context, cid: int) -> None:
    """Comuni page: the note of one comune (DOCX) and the same text for an email."""
    if not (ctx.snap.comuni.at[cid, C.EDITORS] > 0):
        st.caption("Nota degli account: disponibile quando il comune avrà almeno un editor.")
        return
    note = template(ctx)
    if note is None:
        return
    try:
        made = notes.comune_note(ctx.snap, ctx.config, cid, note)
    except InputError as err:
        st.error(md_escape(str(err)))
        return
    if made is None:
        st.caption("Nota degli account: disponibile quando il comune avrà almeno un editor.")
        return
    download_button(  # served at the click, then swept from the media endpoint (ui/downloads.py)
        st,
        "Scarica la nota degli account (Word)",
        lambda: made.data,
        made.name,
        DOCX,
        icon=":material/description:",
        key="dl_note",
        help="La nota formale con gli editor attuali e i permessi rilasciati; il numero di protocollo è da compilare.",
    )
    if not screenshot_mode():
        with st.expander("Testo della nota per un'email"):
            st.markdown(f"**Oggetto:** {md_escape(made.subject)}")
            st.code(made.text, language=None, wrap_lines=True)


@st.cache_data(max_entries=8, show_spinner=False)
def _problem(data: bytes, path: str, contexts: list[dict]) -> str:
    """Why the template cannot make these notes ("" when it can); cached: the check takes a second."""
    del data  # part of the cache key only: an edited template is checked again
    return notes.template_problem(NoteTemplate(Path(path)), contexts)


READY = "notes_zip"  # the ZIP prepared for the selector's choice: {"key", "data", "name", "count"}
REQUESTED = "notes_zip_requested"  # the choice whose ZIP the click on «Prepara» asked for


def _request(key: tuple) -> None:
    st.session_state[REQUESTED] = key


def all_comuni(ctx: Context, comuni: pd.DataFrame) -> None:
    """The notes of the comuni in ``comuni`` that have current editors, or of one of their regions
    or provinces, as one ZIP: prepared on a click with a progress bar, then downloaded."""
    st.subheader("Note formali degli account")
    with_editors = comuni.loc[comuni[C.EDITORS] > 0]
    without_at = int((~with_editors[C.HAS_AT_EDITOR]).sum())
    st.caption(
        f"Una nota (Word) per ogni comune con editor ({count_comuni(len(with_editors))}"
        + (", con i filtri attivi" if ctx.filtered else "")
        + f"): gli editor attuali e i permessi rilasciati. {answered_without_at_text(without_at)}: "
        + agree(without_at, "la sua nota chiede", "la loro nota chiede")
        + " di indicarne uno."
    )
    note = template(ctx)
    if note is not None:  # one comune of each kind: a template error is shown before any click
        problem = _problem(note.data, str(note.path), notes.kind_contexts(ctx.snap, ctx.config, comuni))
        if problem:
            st.error(md_escape(problem))
            note = None
    everyone = "Tutti i comuni" + (" filtrati" if ctx.filtered else "")
    scopes = {everyone: with_editors.index, **note_territories(with_editors)}
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    scope = left.selectbox(
        "Note da scaricare",
        list(scopes),
        format_func=lambda s: f"{s} · {plural(len(scopes[s]), 'nota', 'note')}",
        key="notes_scope",
    )
    chosen = scopes.get(scope, with_editors.index)
    stamp = ctx.settings.as_of_local.strftime("%Y%m%d")
    name = f"note_account_{stamp}.zip" if scope == everyone else f"note_account_{stamp}_{_slug(scope)}.zip"
    key = (*ctx.view_key, scope, hashlib.sha256(note.data).hexdigest() if note is not None else "")
    ready = st.session_state.get(READY)
    if ready is not None and ready["key"] != key:  # another choice, other data or another template
        del st.session_state[READY]
        ready = None
    if ready is None and note is not None and st.session_state.pop(REQUESTED, None) == key:
        ready = _prepare(ctx, note, comuni.loc[chosen], key, name)  # the progress bar below this row
    with right:  # the button drawn after the preparation: «Prepara» gives way to «Scarica» in the same run
        if ready is None:
            st.button(
                "Prepara le note (ZIP)",
                icon=":material/description:",
                key="prepare_notes",
                disabled=note is None or chosen.empty,
                on_click=_request,
                args=(key,),
                help="Le note si preparano in qualche secondo (con una barra di avanzamento), poi si scaricano.",
            )
            return
        download_button(  # served at the click, then swept from the media endpoint (ui/downloads.py)
            st,
            "Scarica le note (ZIP)",
            lambda: ready["data"],
            ready["name"],
            "application/zip",
            icon=":material/download:",
            key="dl_notes",
            type="primary",
        )
    size = f"{len(ready['data']) / 1e6:.1f}".replace(".", ",")
    count = ready["count"]
    ready_words = f"{agree(count, 'Pronta', 'Pronte')} {plural(count, 'nota', 'note')}"
    st.caption(f"{ready_words} ({size} MB): {md_escape(scope)}.")


def _prepare(ctx: Context, note: NoteTemplate, comuni: pd.DataFrame, key: tuple, name: str) -> dict | None:
    """Every note of ``comuni`` into a ZIP, with a progress bar; kept in the session for the same
    choice (the download's link exists only from its click, as for every download)."""
    total = int((comuni[C.EDITORS] > 0).sum())
    bar = st.progress(0.0, text=f"Note preparate: 0 di {number(total)}")
    shown = [0]

    def tell(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != shown[0]:  # at most a hundred updates
            shown[0] = percent
            bar.progress(percent / 100, text=f"Note preparate: {number(done)} di {number(total)}")

    try:
        data, total = notes.notes_zip(ctx.snap, ctx.config, comuni, note, ctx.settings.as_of_local, tell)
    except InputError as err:
        bar.empty()
        st.error(md_escape(str(err)))
        return None
    bar.progress(1.0, text=f"Note preparate: {number(total)} di {number(total)}")
    ready = {"key": key, "data": data, "name": name, "count": total}
    st.session_state[READY] = ready
    return ready


def _slug(label: str) -> str:
    """``Provincia Salerno (SA)`` -> ``provincia-salerno-sa``: a file name's part."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60]
