"""Parse the response timestamps Google Forms and spreadsheets write, vectorised.

Accepted: Italian locale ``13/9/2023 10.15.32``, ``13/09/2023 10:15:32``, US ``9/13/2023 …``
(the order of day and month is inferred per column), ISO 8601 with or without zone, XLSX datetime
cells (read as ISO text), sheet serial numbers (``45182.4274``), the form's own CSV
``2023/03/18 3:28:24 PM CET`` and Italian month names (``13 settembre 2023 10:15``).
Times without a zone, or marked CET/CEST, are wall-clock times in the campaign's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.typing import NaTType

from rollout.read.text import arrow_strings

_NUMERIC = re.compile(
    r"^\s*(?P<a>\d{1,4})[/.\-](?P<b>\d{1,2})[/.\-](?P<c>\d{1,4})"
    r"(?:(?:\s+|T|,\s*|\s+ore\s+)(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|CEST|CET|(?:UTC|GMT)?\s?[+-]\d{1,2}(?::?\d{2})?|Europe/Rome)?\s*$"
)
_MONTHS = {
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9,
    "ott": 10, "nov": 11, "dic": 12, "jan": 1, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "dec": 12,
}  # fmt: skip
_WORDY = re.compile(
    r"^\s*(?:\w+,?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[a-zà-ù]{3,})\.?\s+(?P<y>\d{4})"
    r"(?:[\s,]+(?:ore\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?)?\s*$",
    re.IGNORECASE,
)
_SHEETS_EPOCH = pd.Timestamp("1899-12-30")
_LOCAL_ZONES = {"", "CET", "CEST", "EUROPE/ROME"}


# Sheets locales that write dates month first (the others write the day first or the year first).
MONTH_FIRST_LOCALES = ("en_US", "es_US", "en_PH", "fil_PH", "en_BZ", "en_GU", "en_MH", "en_UM", "en_VI")


@dataclass(frozen=True)
class ParsedTimes:
    """UTC instants (NaT where unreadable) and a note about how the column was read.

    ``ambiguous``: no signal told day/month from month/day and some dates read differently both
    ways; the order came from the configuration (day first unless ``date_order = "MDY"``).
    """

    utc: pd.Series
    day_first: bool
    note: str = ""
    ambiguous: bool = False


def parse_timestamps(
    values: pd.Series,
    tz: str = "Europe/Rome",
    order: str = "auto",
    *,
    locale: str = "",
    now: pd.Timestamp | None = None,
    fallback: str = "DMY",
) -> ParsedTimes:
    """Parse a column of timestamp texts; ``order`` is "auto", "DMY" or "MDY" for d/m vs m/d.

    With "auto", the order is taken from, in turn: a day or month over 12; the sheet's
    ``locale`` (the Sheets API gives it); dots in the time or date (``10.15.32``: Italian, never
    US); the only reading with no date after ``now`` (the
    moment of download); the only reading in which the rows, appended in time order, run
    forward. Failing all, ``fallback`` is used and the result is marked ``ambiguous``.
    """
    text = values.astype(str).str.strip()
    if text.empty:  # a sheet with the header only (numpy's string functions fail on no rows)
        return ParsedTimes(pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]"), True)
    parts = pc.extract_regex(arrow_strings(text), _NUMERIC.pattern)
    hit = parts.is_valid().to_numpy(zero_copy_only=False)
    a, b, c = (_int(parts, k) for k in ("a", "b", "c"))
    year_first = hit & (pc.utf8_length(parts.field("a")).to_numpy(zero_copy_only=False) >= 3)
    plain = hit & ~year_first
    hour, minute, second = (np.maximum(_int(parts, k), 0) for k in ("H", "M", "S"))
    ampm = np.char.replace(np.char.replace(np.char.upper(_text(parts, "ampm")), ".", ""), " ", "")
    twelve = ampm != ""
    hour = np.where(twelve & (ampm == "PM") & (hour < 12), hour + 12, hour)
    hour = np.where(twelve & (ampm == "AM") & (hour == 12), 0, hour)
    day_first, note = _day_first(pd.Series(a[plain]), pd.Series(b[plain]), order)
    ambiguous = False
    if note == _UNDECIDED:
        clock = hour * 3600 + minute * 60 + second
        dotted = bool(pc.any(pc.match_substring_regex(arrow_strings(text[plain]), _DOTTED)).as_py())
        day_first, note, ambiguous = _by_signals(
            a[plain], b[plain], c[plain], clock[plain], locale, dotted, now, tz, fallback
        )
    day = np.where(year_first, c, a if day_first else b)
    month = np.where(year_first, b, b if day_first else a)
    year = np.where(year_first, a, c)
    # "23" is 2023; "0023" or "0001" is not a two-digit year (it stays out of range).
    two_digits = pc.fill_null(pc.utf8_length(parts.field("c")), 0).to_numpy(zero_copy_only=False) <= 2
    year = np.where(~year_first & two_digits & (year >= 0) & (year < 100), year + 2000, year)
    raw_hour = np.maximum(_int(parts, "H"), 0)
    valid = hit & _valid_date(year, month, day) & (minute <= 59) & (second <= 59)
    valid &= np.where(twelve, (raw_hour >= 1) & (raw_hour <= 12), raw_hour <= 23)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    frac = _text(parts, "f")
    micro = np.zeros(len(text), dtype=np.int64)
    if (frac != "").any():
        micro = np.array([int(f.ljust(6, "0")[:6]) if f else 0 for f in frac], dtype=np.int64)
    stamp = pd.Series(
        np.where(valid, seconds * 1_000_000 + micro, np.iinfo(np.int64).min).astype("datetime64[us]"), index=text.index
    )
    zone = pd.Series(np.char.replace(np.char.upper(_text(parts, "tz")), " ", ""), index=text.index)
    utc = _to_utc(stamp, zone, tz)

    rest = utc.isna() & text.ne("") & ~pd.Series(hit, index=text.index)
    if rest.any():
        utc.loc[rest] = _fallback(text[rest], tz)
    return ParsedTimes(utc, day_first, note, ambiguous)


def _int(parts: pa.Array, name: str) -> np.ndarray:
    """An extracted group as integers; -1 where the group is absent."""
    field = parts.field(name)
    field = pc.if_else(pc.equal(pc.fill_null(field, ""), ""), None, field)
    return pc.fill_null(pc.cast(field, pa.int64()), -1).to_numpy(zero_copy_only=False)


def _text(parts: pa.Array, name: str) -> np.ndarray:
    return np.asarray(pc.fill_null(parts.field(name), "").to_numpy(zero_copy_only=False), dtype=str)


def _valid_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    days = np.where((month == 2) & leap, 29, days)
    return (year >= 1900) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm), vectorised."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468).astype(np.int64)


_UNDECIDED = "?"
# "1.9.2023" or "1/9/2023 10.15.32": dots in the date or the time are never the US way (Italian
# sheets write the time with dots), so the day comes first.
_DOTTED = r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}|^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}[ T,]+(?:ore\s+)?\d{1,2}\.\d{2}"


def _day_first(a: pd.Series, b: pd.Series, order: str) -> tuple[bool, str]:
    """From the numbers alone; note ``_UNDECIDED`` when they cannot tell."""
    if order.upper() in ("DMY", "MDY"):
        return order.upper() == "DMY", ""
    day_only = bool((a > 12).any())
    month_only = bool((b > 12).any())
    if month_only and not day_only:
        return False, "date lette come mese/giorno/anno (formato USA)"
    if day_only and month_only:
        return True, "date con ordine giorno/mese incoerente: lette come giorno/mese/anno"
    if day_only:
        return True, ""
    return True, _UNDECIDED if bool((a != b).any()) else ""


def _by_signals(
    a: np.ndarray, b: np.ndarray, year: np.ndarray, clock: np.ndarray,
    locale: str, dotted: bool, now: pd.Timestamp | None, tz: str, fallback: str,
) -> tuple[bool, str, bool]:  # fmt: skip
    """Day first or month first when every day and month is 12 or less: (day_first, note, ambiguous)."""
    if locale:
        us = locale.replace("-", "_").startswith(MONTH_FIRST_LOCALES)
        how = "mese/giorno/anno" if us else "giorno/mese/anno"
        return not us, f"date lette come {how} secondo la lingua del foglio Google ({locale})", False
    if dotted:  # the Italian way of writing the time (or the date): never month first
        return True, "", False
    year = np.where((year >= 0) & (year < 100), year + 2000, year)
    readings = {}
    for day_first, (day, month) in ((True, (a, b)), (False, (b, a))):
        ok = _valid_date(year, month, day)
        moments = np.where(ok, _days_from_civil(year, month, day) * 86400 + clock, np.iinfo(np.int64).min)
        readings[day_first] = (ok, moments)
    if now is not None:
        limit = (pd.Timestamp(now).tz_convert(tz).tz_localize(None) + pd.Timedelta(days=1)).value // 10**9
        future = {k: bool((ok & (m > limit)).any()) for k, (ok, m) in readings.items()}
        if future[True] != future[False]:
            day_first = not future[True]
            how = "giorno/mese/anno" if day_first else "mese/giorno/anno"
            return day_first, f"date lette come {how}: l'altro ordine darebbe date future", False
    backwards = {k: _steps_back(ok, m) for k, (ok, m) in readings.items()}
    if (backwards[True] == 0) != (backwards[False] == 0):
        day_first = backwards[True] == 0
        how = "giorno/mese/anno" if day_first else "mese/giorno/anno"
        return day_first, f"date lette come {how}: solo così le risposte sono in ordine di tempo", False
    day_first = fallback.upper() != "MDY"
    how = "giorno/mese/anno" if day_first else 'mese/giorno/anno (date_order = "MDY")'
    return (
        day_first,
        (
            f"ATTENZIONE: l'ordine di giorno e mese delle date non si può dedurre (nessun giorno supera il 12 "
            f"e {_order_found(readings, backwards)}): lette come {how}. Se il foglio usa un altro formato, "
            'imposta date_order = "DMY" o "MDY" nella configurazione'
        ),
        True,
    )


def _order_found(readings: dict[bool, tuple[np.ndarray, np.ndarray]], backwards: dict[bool, int]) -> str:
    """What the rows' order says when it cannot tell day from month: the end of the warning's reason."""
    if max(int(ok.sum()) for ok, _ in readings.values()) < 2:
        return "c'è una sola data da confrontare"
    if backwards[True] == 0:  # and so backwards[False]: both readings run forward
        return "le risposte sono in ordine di tempo in entrambe le letture"
    return "le risposte non sono in ordine di tempo in nessuna delle due letture"


def _steps_back(ok: np.ndarray, moments: np.ndarray) -> int:
    """How many times a response is earlier than the one above it (beyond a daylight-saving hour)."""
    seq = moments[ok]
    return int((np.diff(seq) < -2 * 3600).sum()) if len(seq) > 1 else 0


def _to_utc(stamp: pd.Series, zone: pd.Series, tz: str) -> pd.Series:
    out = pd.Series(pd.NaT, index=stamp.index, dtype="datetime64[ns, UTC]")
    local = zone.isin(_LOCAL_ZONES) & stamp.notna()
    if local.any():
        out.loc[local] = _localize(stamp[local], tz)
    utc = zone.isin(["Z", "UTC", "GMT"]) & stamp.notna()
    if utc.any():
        out.loc[utc] = stamp[utc].dt.tz_localize("UTC")
    offset = ~local & ~utc & stamp.notna() & zone.ne("")
    if offset.any():
        m = zone[offset].str.extract(r"([+-])(\d{1,2}):?(\d{2})?")
        minutes = pd.to_numeric(m[1]) * 60 + pd.to_numeric(m[2].fillna("0"))
        minutes = minutes.where(m[0] == "+", -minutes)
        out.loc[offset] = (stamp[offset] - pd.to_timedelta(minutes, unit="min")).dt.tz_localize("UTC")
    return out


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    """Wall-clock times in ``tz`` to UTC; the repeated autumn hour is read as summer time."""
    ambiguous = np.ones(len(naive), dtype=bool)
    return naive.dt.tz_localize(tz, ambiguous=ambiguous, nonexistent="shift_forward").dt.tz_convert("UTC")


def _fallback(text: pd.Series, tz: str) -> pd.Series:
    """Serial numbers, month names and any other ISO form pandas understands."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    number = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    serial = number.between(20000, 80000)
    if serial.any():
        naive = (_SHEETS_EPOCH + pd.to_timedelta(number[serial], unit="D")).dt.round("s")
        out.loc[serial] = _localize(naive, tz)
    for idx, value in text[~serial].items():
        out.loc[idx] = _one(value, tz)  # type: ignore[call-overload]  # pandas-stubs: a label of the index
    return out


def _one(value: str, tz: str) -> pd.Timestamp | NaTType:
    m = _WORDY.match(value)
    if m:
        month = _MONTHS.get(m["mon"].casefold()[:3])
        if month is None:
            return pd.NaT
        try:
            naive = pd.Timestamp(int(m["y"]), month, int(m["d"]), int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
        except ValueError:
            return pd.NaT
        if not 1900 <= naive.year <= 2200:  # as for numeric dates; year 1 or 9999 would not fit the column
            return pd.NaT
        return _localize(pd.Series([naive]), tz).iloc[0]
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return pd.NaT
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError):
        return pd.NaT
    if not 1900 <= stamp.year <= 2200:
        return pd.NaT
    if stamp.tzinfo is None:
        return _localize(pd.Series([stamp]), tz).iloc[0]
    return stamp.tz_convert("UTC")
