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
        "comune": "Comune", "province": "Provincia", "code": "Codice", "status_label": "Stato",
        "reasons": "Motivo", "missing_permissions": "Permessi mancanti", "days_late": "Giorni di ritardo",
        "contact_name": "Referente", "contact": "Contatto", "contact_source": "Fonte del contatto",
        "wave": "Ondata", "reminders_sent": "Promemoria inviati", "last_reminder": "Ultimo promemoria",
        "last_channel": "Canale", "outcome": "Esito dell'ultimo invio", "link_modulo": "Link al modulo",
    },
)  # fmt: skip
ACCOUNTS = PeopleFile(
    "Account",
    {
        "comune": "Comune", "code": "Codice", "province": "Provincia", "surname": "Cognome",
        "first_name": "Nome", "full_name": "Dipendente", "email": "Email", "fiscal_code": "Codice fiscale",
        **{p.key: p.label for p in PERMISSIONS},
        "response_time": "Risposta del", "row": "Riga",
    },
)  # fmt: skip
DRAFTS_INDEX = PeopleFile(  # elenco.csv in the drafts' ZIP: which .eml is whose
    "",
    {
        "file": "File", "comune": "Comune", "province": "Provincia", "code": "Codice", "reason": "Motivo",
        "to": "Destinatario", "address": "Fonte dell'indirizzo",
    },
)  # fmt: skip
PEOPLE_FILES = {"reminders": REMINDERS, "accounts": ACCOUNTS}  # the XLSX files, by their stem
# Columns for programs that people need in another form: a day (2023-09-20) and a moment
# (2023-09-01T10:15:32+02:00, local time) become 20/09/2023 and 01/09/2023 10:15.
DAYS = ("last_reminder",)
MOMENTS = ("response_time",)


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
