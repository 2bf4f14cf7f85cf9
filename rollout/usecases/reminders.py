"""The reminders kit, for both faces: the list of the comuni to chase (with the reminders already
recorded), its files and downloads, the drafts, and recording or undoing reminders sent by hand.

``python -m rollout reminders export|mark|undo``, the report's reminders files and the Promemoria
page all go through these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import DATE
from rollout.keys import ComuniCols as C
from rollout.keys import ReminderCols
from rollout.outputs.columns import REMINDERS, for_people, write_for_people
from rollout.outputs.files import to_csv_bytes, to_xlsx_bytes, write_csv
from rollout.outputs.links import FormLink
from rollout.outputs.staging import run_jobs, staged
from rollout.read.text import words
from rollout.reminders.drafts import (
    Templates,
    drafts,
    drafts_zip,
    export_frame,
    reminders_list,
    templates_from_config,
)
from rollout.reminders.log import CHANNELS, Mark, ReminderLog, comune_keys, database_path
from rollout.reminders.reading import bounced_addresses, reminders_section
from rollout.status import Snapshot

DRAFTS_ZIP = "reminder-drafts.zip"
FILES = ("reminders.csv", "reminders.xlsx", DRAFTS_ZIP)
UNKNOWN_COUNTS = (
    "I promemoria già inviati non sono noti: le colonne Promemoria inviati, Ultimo promemoria, Canale ed "
    "Esito dell'ultimo invio di reminders.csv e reminders.xlsx sono vuote."
)
# Columns of the reminders list that only the tracker uses (the outcome is written as ``outcome``).
INTERNAL_COLUMNS = (ReminderCols.LAST_COUNTED, ReminderCols.LAST_OUTCOME, ReminderCols.OUTCOME_DETAIL)
# The words a channel may be given with (the command line's --channel; the dashboard gives the key).
CHANNEL_WORDS = {**{k: k for k in CHANNELS}, "telefono": "phone", "altro": "other", "posta": "email"}


def reminder_log(config: Config, override: str | Path | None = None) -> ReminderLog:
    """The log named by ``[reminders] database`` (or ``override``, the command line's ``--database``)."""
    return ReminderLog(Path(override) if override else database_path(config))


def read_marks(log: ReminderLog, *, tolerant: bool = False) -> tuple[pd.DataFrame | None, str]:
    """The reminders recorded per comune (``ReminderLog.summary``). ``tolerant``: a damaged or
    unreadable log gives None and why (the counts are then unknown) instead of stopping everything."""
    try:
        return log.summary(), ""
    except InputError as err:
        if not tolerant:
            raise
        return None, str(err)


def read_bounced(log: ReminderLog, comuni: pd.DataFrame, *, tolerant: bool = False) -> frozenset[str]:
    """The addresses of ``comuni`` that bounced (``rollout.reminders.reading.bounced_addresses``): never
    written to again. ``tolerant``: none when the log cannot be read (``read_marks`` says why)."""
    try:
        return bounced_addresses(log, comuni)
    except InputError:
        if not tolerant:
            raise
        return frozenset()


def chase_list(
    snap: Snapshot,
    marks: pd.DataFrame | None,
    form: FormLink,
    comuni: pd.DataFrame | None = None,
    bounced: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The comuni to chase (of ``comuni``, a subset of ``snap.comuni``; all by default) with the
    reminders already recorded and the outcome of the last message sent; with ``marks`` None (the log
    unreadable) those counts are unknown, not 0. ``bounced``: addresses never used again, the comune's
    next address instead."""
    table = reminders_list(snap, comuni, marks=marks, form=form, bounced=bounced)
    if marks is None:
        table[ReminderCols.REMINDERS_SENT] = pd.array([pd.NA] * len(table), dtype="Int64")
        table[ReminderCols.LAST_REMINDER] = table[ReminderCols.LAST_CHANNEL] = ""
    return table


@dataclass
class Reminders:
    """The reminders kit of one snapshot: the list (with the reminders already sent), its texts,
    and what can be made of them (files, downloads, drafts)."""

    snap: Snapshot
    config: Config
    table: pd.DataFrame
    templates: Templates
    warnings: list[str] = field(default_factory=list)
    section: dict | None = None  # status.json's ``reminders`` (None: the log could not be read)

    @classmethod
    def of(cls, snap: Snapshot, config: Config, database: str | None = None, *, tolerant: bool = False) -> Reminders:
        """Read the reminders log. ``tolerant`` (the weekly report): a damaged or unreadable log leaves
        the counts unknown, with a warning, instead of stopping everything."""
        log = reminder_log(config, database)
        marks, problem = read_marks(log, tolerant=tolerant)
        bounced = read_bounced(log, snap.comuni, tolerant=True) if marks is not None else frozenset()
        table = chase_list(snap, marks, FormLink.from_config(config), bounced=bounced)
        section = None if marks is None else reminders_section(snap.comuni, marks, bounced)
        warnings = [f"{problem} {UNKNOWN_COUNTS}"] if problem else []
        return cls(snap, config, table, templates_from_config(config), warnings, section)

    @classmethod
    def of_table(cls, snap: Snapshot, config: Config, table: pd.DataFrame) -> Reminders:
        """The kit of a list already made (``chase_list``: the dashboard keeps it between reruns)."""
        return cls(snap, config, table, templates_from_config(config))

    # -- files (the report, ``reminders export``) ---------------------------------------------------
    def jobs(self, out: Path) -> dict[str, Callable[[], object]]:
        """One job per file: ``reminders.csv`` (machine names, every column but the tracker's own),
        ``reminders.xlsx`` (for people: the dashboard's columns and Italian headers) and the drafts' ZIP."""
        export = self.table.drop(columns=[ReminderCols.KEY, ReminderCols.REASON, *INTERNAL_COLUMNS])
        return {
            "reminders.csv": lambda: write_csv(export, out, "reminders"),
            "reminders.xlsx": lambda: write_for_people(export_frame(self.table), out, "reminders"),
            DRAFTS_ZIP: lambda: self.write_drafts(out),
        }

    def write_drafts(self, out: Path) -> Path:
        path = out / DRAFTS_ZIP
        path.write_bytes(self.drafts_zip())
        return path

    # -- downloads (the Promemoria page): the columns for people, with Italian headers -------------
    def download_csv(self) -> bytes:
        return to_csv_bytes(for_people(export_frame(self.table), REMINDERS))

    def download_xlsx(self) -> bytes:
        return to_xlsx_bytes(for_people(export_frame(self.table), REMINDERS), REMINDERS.sheet)

    # -- drafts -------------------------------------------------------------------------------------
    def letters(self, rows: pd.DataFrame | None = None, *, links: bool = True) -> pd.DataFrame:
        """The drafts of ``rows`` of the list (all by default): recipient, subject, body, ``mailto:`` link."""
        c = self.config
        rows = self.table if rows is None else rows
        return drafts(rows, self.snap.settings, self.templates, c.campaign, c.form_url, links=links)

    def drafts_zip(self, rows: pd.DataFrame | None = None) -> bytes:
        """The drafts as a ZIP of ``.eml`` files, with their index."""
        return drafts_zip(self.letters(rows, links=False), self.templates, self.snap.settings.as_of_local)


def export(snap: Snapshot, config: Config, out: Path, database: str | None = None) -> tuple[list[str], list[str]]:
    """``reminders export``: the list (CSV, XLSX) and the drafts into ``out``, all or nothing; the
    files written and the warnings."""
    reminders = Reminders.of(snap, config, database)
    with staged(Path(out)) as tmp:
        jobs = reminders.jobs(tmp)
        run_jobs(jobs)
    return list(jobs), reminders.warnings


@dataclass(frozen=True)
class Recorded:
    """Reminders recorded by hand: the batch's code (to undo it), how many comuni, the channel's key."""

    batch: str
    count: int
    channel: str
    sent_on: dt.date


def channel_key(text: str) -> str:
    """The channel's key (``email``, ``pec``, ``phone``, ``other``) from its key or Italian word."""
    key = CHANNEL_WORDS.get(text.strip().lower())
    if key is None:
        raise InputError(f"Canale sconosciuto: '{text}'. Usa email, pec, telefono o altro.")
    return key


def mark(log: ReminderLog, marks: list[Mark], sent_on: dt.date, channel: str, note: str = "") -> Recorded:
    """Record reminders sent by hand (``reminders mark``, «Registra come inviati»)."""
    if not marks:
        raise InputError("L'elenco dei promemoria è vuoto: nessun comune da registrare.")
    key = channel_key(channel)
    batch = log.record(marks, sent_on, key, note)
    return Recorded(batch, len(set(marks)), key, sent_on)


def marks_for(table: pd.DataFrame, keys: list[str] | None = None) -> list[Mark]:
    """A mark for every comune of a reminders list, or for those of ``keys`` (in their order)."""
    names = dict(zip(table[ReminderCols.KEY], table[ReminderCols.COMUNE], strict=True))
    return [Mark(k, names[k]) for k in (names if keys is None else keys)]


def undo(log: ReminderLog, batch: str) -> int:
    """Remove one batch of recorded reminders (``reminders undo``, «Annulla questa registrazione»)."""
    removed = log.undo(batch)
    if not removed:
        raise InputError(f"Nessuna registrazione con codice {batch} in {log.path}.")
    return removed


def parse_day(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", DATE):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise InputError(f"Data di invio non valida: '{text}'. Usa il formato AAAA-MM-GG, per esempio 2023-09-20.")


def find_comune(comuni: pd.DataFrame, text: str) -> Mark:
    """The participating comune named by a code, ``Name (PR)`` or a name (case and accents aside)."""
    keys = pd.Series(comune_keys(comuni[C.CODE], comuni[C.NAME], comuni[C.PROVINCE]), index=comuni.index)
    wanted = text.strip()
    names = comuni[C.NAME].astype(str)
    hits = comuni.index[comuni[C.CODE].str.upper() == wanted.upper()] if wanted else comuni.index[:0]
    if not len(hits):
        labelled = names.map(words) + " " + comuni[C.PROVINCE].str.lower()
        hits = comuni.index[labelled == words(wanted)]
    if not len(hits):
        hits = comuni.index[names.map(words) == words(wanted)]
    if len(hits) == 1:
        return Mark(keys[hits[0]], names[hits[0]])
    if len(hits) > 1:
        options = ", ".join(f"{names[i]} ({comuni.at[i, C.PROVINCE]!s})" for i in hits)
        raise InputError(f"'{wanted}' indica più comuni: {options}. Usa il codice o «Nome (PR)».")
    raise InputError(f"Comune non trovato nell'elenco dei partecipanti: '{wanted}'.")
