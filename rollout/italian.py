"""Italian wording shared by the reminders and the status picture."""

from __future__ import annotations

import datetime as dt

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")  # fmt: skip
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")


def long_date(day: dt.date) -> str:
    """``mercoledì 13 settembre 2023``."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def days(n: int) -> str:
    """``1 giorno``, ``16 giorni``."""
    return f"{n} giorn{'o' if n == 1 else 'i'}"
