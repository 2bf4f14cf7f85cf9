"""Italian wording and date formats: every date, moment and day count shown to a person."""

from __future__ import annotations

import datetime as dt

import numpy as np
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
    values = pd.Series(values)
    wall, _ = local_clock(values, tz)
    texts = [missing if t == "NaT" else f"{t[8:10]}/{t[5:7]}/{t[:4]} {t[11:16]}" for t in wall.tolist()]
    return pd.Series(texts, index=values.index, dtype=object)


def local_clock(values: pd.Series, tz: str) -> tuple[np.ndarray, list[str | None]]:
    """Aware moments as local wall-clock texts to the second (``2023-09-13T18:00:00``, ``"NaT"`` where
    there is none) and their UTC offsets (``+02:00``, None where there is none).

    A whole column is formatted at once: pandas' ``strftime`` formats aware moments one by one,
    about ten times slower.
    """
    aware = pd.Series(values).dt.tz_convert(tz)
    wall = aware.dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    utc = aware.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    seconds = (wall - utc).astype("timedelta64[s]")
    known = ~np.isnat(seconds)
    whole = seconds.astype("int64")
    shown = {int(s): _offset(int(s)) for s in np.unique(whole[known])}
    offsets = [shown[s] if k else None for s, k in zip(whole.tolist(), known.tolist(), strict=True)]
    return np.datetime_as_string(wall, unit="s").astype(object), offsets


def _offset(seconds: int) -> str:
    """``+02:00`` for 7,200 seconds east of UTC, as ``isoformat`` writes it (seconds only if any)."""
    sign = "-" if seconds < 0 else "+"
    minutes, rest = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{rest:02d}" if rest else "")


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
