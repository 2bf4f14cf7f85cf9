"""The columns of the files for people, in one mapping.

The files for programs keep their documented machine names (``reminders.csv``, ``accounts.csv``,
``comuni.csv``, ``rows.csv``, ``status.json``); the files for people (``reminders.xlsx``,
``accounts.xlsx``, the dashboard's downloads) carry the dashboard's Italian headers and sheet
names, with days and moments written the Italian way. docs/guida.md and docs/command-line.md map
one to the other (the tests check that they say what this module says).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rollout.italian import iso_days, iso_moments
from rollout.keys import AccountCols as A
from rollout.keys import DraftCols as D
from rollout.keys import ReminderCols as L
from rollout.outputs.files import write_xlsx_file
from rollout.read.permissions import PERMISSIONS


@dataclass(frozen=True)
class PeopleFile:
    """A table as people read it: the sheet's name and, for each machine column kept, its header."""

    sheet: str
    headers: dict[str, str]  # machine name -> Italian header, in the people's order


REMINDERS = PeopleFile(
    "Promemoria",
    {
        L.COMUNE: "Comune", L.PROVINCE: "Provincia", L.CODE: "Codice", L.STATUS_LABEL: "Stato",
        L.REASONS: "Motivo", L.MISSING_PERMISSIONS: "Permessi mancanti", L.DAYS_LATE: "Giorni di ritardo",
        L.CONTACT_NAME: "Referente", L.CONTACT: "Contatto", L.CONTACT_SOURCE: "Fonte del contatto",
        L.WAVE: "Ondata", L.REMINDERS_SENT: "Promemoria inviati", L.LAST_REMINDER: "Ultimo promemoria",
        L.LAST_CHANNEL: "Canale", L.OUTCOME: "Esito dell'ultimo invio", L.LINK_MODULO: "Link al modulo",
    },
)  # fmt: skip
ACCOUNTS = PeopleFile(
    "Account",
    {
        A.COMUNE: "Comune", A.CODE: "Codice", A.PROVINCE: "Provincia", A.SURNAME: "Cognome",
        A.FIRST_NAME: "Nome", A.FULL_NAME: "Dipendente", A.EMAIL: "Email", A.FISCAL_CODE: "Codice fiscale",
        **{p.key: p.label for p in PERMISSIONS},
        A.RESPONSE_TIME: "Risposta del", A.ROW: "Riga",
    },
)  # fmt: skip
DRAFTS_INDEX = PeopleFile(  # elenco.csv in the drafts' ZIP: which .eml is whose
    "",
    {
        D.FILE: "File", D.COMUNE: "Comune", D.PROVINCE: "Provincia", D.CODE: "Codice", D.REASON: "Motivo",
        D.TO: "Destinatario", D.ADDRESS: "Fonte dell'indirizzo",
    },
)  # fmt: skip
PEOPLE_FILES = {"reminders": REMINDERS, "accounts": ACCOUNTS}  # the XLSX files, by their stem
# Columns for programs that people need in another form: a day (2023-09-20) and a moment
# (2023-09-01T10:15:32+02:00, local time) become 20/09/2023 and 01/09/2023 10:15.
DAYS = (L.LAST_REMINDER,)
MOMENTS = (A.RESPONSE_TIME,)


def for_people(frame: pd.DataFrame, kind: PeopleFile) -> pd.DataFrame:
    """The columns of ``frame`` that ``kind`` keeps, in its order, under its Italian headers."""
    out = frame.loc[:, [c for c in kind.headers if c in frame.columns]].copy()
    for column in DAYS:
        if column in out.columns:
            out[column] = iso_days(out[column])
    for column in MOMENTS:
        if column in out.columns:
            out[column] = iso_moments(out[column])
    return out.rename(columns=kind.headers)


def write_for_people(frame: pd.DataFrame, out_dir: Path, stem: str) -> Path:
    """``stem.xlsx`` in ``out_dir``: ``frame`` (machine columns) as ``PEOPLE_FILES[stem]`` says."""
    kind = PEOPLE_FILES[stem]
    return write_xlsx_file(for_people(frame, kind), out_dir, stem, sheet=kind.sheet)
