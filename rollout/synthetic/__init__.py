"""Synthetic campaigns: helpers shared by the demo generator (tools/make_demo.py) and the national one
(``rollout.synthetic.national``, for the benchmark and the browser tests).

Real comune names made official-looking, one-letter typos, timestamps as Google Sheets writes
them in the Italian locale, and office-hours moments.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import unicodedata
from pathlib import Path

REQUEST_SENT = dt.datetime(2023, 8, 28, 9, 0)
DEADLINE = dt.date(2023, 9, 13)
LAST_DAY = dt.datetime(2023, 9, 29, 18, 0)
OPTIONS = [
    "1) Editor Sito Web",
    "2) Editor Newsletter",
    "3) Editor Amministrazione Trasparente",
    "4) Editor Servizi - Ufficio Demografico",
    "5) Editor Servizi - Ufficio Segreteria",
    "6) Editor Servizi - Ufficio Tecnico",
    "7) Editor Servizi - Ufficio Tributi",
]
# The form's responses sheet as Google Sheets exports it.
RESPONSE_HEADERS = [
    "Informazioni cronologiche",
    "Indirizzo email",
    "Comune",
    "Cognome del dipendente",
    "Nome del dipendente",
    "Codice fiscale del dipendente",
    "Indirizzo email del dipendente",
    "Ufficio di appartenenza",
    "Permessi da assegnare al dipendente",
]
_LOWER = {"di", "del", "della", "dei", "degli", "delle", "de'", "in", "a", "al", "alla", "allo", "ai", "agli",
          "alle", "sul", "sulla", "sullo", "sui", "e", "ed", "la", "lo", "le", "il", "sopra", "sotto", "da", "con",
          "per", "nel", "nella", "dal", "dalla"}  # fmt: skip
_ELIDED = re.compile(r"(?<=\s)(D|Dell|All|Sull|Nell|Dall|Coll|L)'(?=\w)")


def official(name: str) -> str:
    """Official capitalisation of a name from python-codicefiscale ("Acquaviva D'Isernia" ->
    "Acquaviva d'Isernia", "Alà Dei Sardi" -> "Alà dei Sardi"); the first word keeps its capital."""
    words = name.split(" ")
    out = [w if i == 0 or w.lower() not in _LOWER else w.lower() for i, w in enumerate(words)]
    return _ELIDED.sub(lambda m: m[1].lower() + "'", " ".join(out))


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug(name: str) -> str:
    return re.sub(r"[^a-z]", "", strip_accents(name).lower())


def typo(name: str, rng: random.Random) -> str:
    """One-letter typo: a letter dropped, doubled, or swapped with the previous one."""
    letters = [i for i, c in enumerate(name) if c.isalpha() and i > 0]
    i = rng.choice(letters)
    kind = rng.random()
    if kind < 0.5:
        return name[:i] + name[i + 1 :]
    if kind < 0.8:
        return name[:i] + name[i] + name[i:]
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :] if name[i - 1].isalpha() else name


def stamp(moment: dt.datetime) -> str:
    """Google Sheets, Italian locale: ``8/9/2023 10.15.32``."""
    return f"{moment.day}/{moment.month}/{moment.year} {moment.hour}.{moment.minute:02d}.{moment.second:02d}"


def office_hours(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = max((end - start).total_seconds(), 1.0)
    for _ in range(200):
        moment = start + dt.timedelta(seconds=rng.uniform(0, span))
        if moment.weekday() < 5 and 8 <= moment.hour < 18:
            return moment.replace(microsecond=0)
    return (start + dt.timedelta(seconds=rng.uniform(0, span))).replace(microsecond=0)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """Google Sheets' CSV: UTF-8, CRLF."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
