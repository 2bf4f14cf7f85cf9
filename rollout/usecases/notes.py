"""The formal notes of the accounts, for both faces: ``python -m rollout accounts notes`` writes one
DOCX per comune into a folder; the dashboard offers one comune's note and the notes of many as a
ZIP. Both take the template and the comuni's contexts from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rollout.config import Config
from rollout.errors import InputError
from rollout.keys import ComuniCols as C
from rollout.outputs import notes
from rollout.outputs.notes import NoteTemplate, Progress
from rollout.status import Snapshot


def note_template(config: Config, override: str | None = None) -> NoteTemplate:
    """The template of ``[accounts] note_template`` (or ``override``, ``--template``), checked on load."""
    return NoteTemplate.from_config(config, override)


def contexts(snap: Snapshot, config: Config, comuni: pd.DataFrame | None = None) -> list[dict]:
    """One note's values per comune of ``comuni`` (all by default) that has current editors."""
    return notes.note_contexts(snap, config, comuni)


@dataclass(frozen=True)
class NotesWritten:
    """What ``write_notes`` wrote: the files (the notes, then their index) and the comuni counted."""

    paths: list[Path]
    with_editors: int
    without_at_editor: int  # of the comuni with editors, those with no Amministrazione Trasparente editor
    without_editors: int
    index: str = notes.INDEX_CSV


def write_notes(
    snap: Snapshot, config: Config, out: Path, template: str | None = None, progress: Progress | None = None
) -> NotesWritten:
    """``accounts notes``: one DOCX per comune with current editors and their index into ``out``, all
    or nothing; ``progress`` is told as they are written."""
    written = notes.write_notes(snap, config, out, template, progress)
    with_editors = len(written) - 1
    without_at = int(((snap.comuni[C.EDITORS] > 0) & ~snap.comuni[C.HAS_AT_EDITOR]).sum())
    return NotesWritten(written, with_editors, without_at, len(snap.comuni) - with_editors)


@dataclass(frozen=True)
class ComuneNote:
    """One comune's note: the DOCX and its file name, and the same text for an email."""

    name: str
    data: bytes
    subject: str
    text: str


def comune_note(snap: Snapshot, config: Config, cid: int, template: NoteTemplate) -> ComuneNote | None:
    """The note of the comune ``cid`` (a row of ``snap.comuni``); None when it has no editors."""
    found = contexts(snap, config, snap.comuni.loc[[cid]])
    if not found:
        return None
    context = found[0]
    return ComuneNote(notes.note_names(found)[0], template.render(context), notes.note_subject(context),
                      notes.note_text(context))  # fmt: skip


def kind_contexts(snap: Snapshot, config: Config, comuni: pd.DataFrame) -> list[dict]:
    """The contexts of one comune of each kind among ``comuni`` (with or without an AT editor, a
    contact person, a PEC, …): what ``template_problem`` renders."""
    return contexts(snap, config, notes.kinds(comuni))


def template_problem(template: NoteTemplate, kinds: list[dict]) -> str:
    """Why ``template`` cannot make the notes ("" when it can): one note of each of the ``kinds``
    (``kind_contexts``) is rendered, so a tag used only in some branch of the template is found
    before the long part."""
    try:
        template.check(kinds)
    except InputError as err:
        return str(err)
    return ""


def notes_zip(
    snap: Snapshot,
    config: Config,
    comuni: pd.DataFrame,
    template: NoteTemplate,
    when: dt.datetime,
    progress: Progress | None = None,
) -> tuple[bytes, int]:
    """The notes of ``comuni`` (those with editors) as one ZIP with their index, and how many."""
    found = contexts(snap, config, comuni)
    return notes.notes_zip(template, found, when, progress), len(found)
