"""Italian wording and date formats: every date, moment and day count shown to a person."""

from __future__ import annotations

import datetime as dt

import pandas as pd

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")  # fmt: skip
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
DATE = "%d/%m/%Y"  # 13/09/2023
DATE_TIME = "%d/%m/%Y %H:%M"  # 13/09/2023 18:00


def short_date(day: dt.date) -> str:
    """``13/09/2023``."""
    return day.strftime(DATE)


def weekday_date(day: dt.date) -> str:
    """``mercoledì 13/09/2023``."""
    return f"{WEEKDAYS[day.weekday()]} {short_date(day)}"


def long_date(day: dt.date) -> str:
    """``mercoledì 13 settembre 2023``."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def moment(ts: pd.Timestamp | dt.datetime | None, tz: str = "Europe/Rome") -> str:
    """``13/09/2023 18:00`` in ``tz`` (a naive time is taken as already local); "" for none."""
    if ts is None or pd.isna(ts):
        return ""
    ts = pd.Timestamp(ts)
    return (ts.tz_convert(tz) if ts.tzinfo is not None else ts).strftime(DATE_TIME)


def number(value: int) -> str:
    """A count with Italian thousands separators: ``6.600``."""
    return f"{value:,d}".replace(",", ".")


def moments(values: pd.Series, tz: str = "Europe/Rome", missing: str = "") -> pd.Series:
    """``moment`` for a whole column of aware timestamps (``missing`` where there is none)."""
    return pd.Series(values).dt.tz_convert(tz).dt.strftime(DATE_TIME).fillna(missing)


def days(n: int) -> str:
    """``1 giorno``, ``16 giorni``."""
    return f"{n} giorn{'o' if n == 1 else 'i'}"


def countdown(days_past: int) -> str:
    """Days to the deadline, or past it, in words."""
    if days_past < -1:
        return f"mancano {-days_past} giorni alla scadenza"
    if days_past == -1:
        return "la scadenza è domani"
    if days_past == 0:
        return "la scadenza è oggi"
    return f"scadenza superata da {days(days_past)}"
