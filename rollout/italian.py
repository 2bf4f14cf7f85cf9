"""The Italian wording every output shares: numbers, percentages, counts with their plurals, dates,
moments and the names of the statuses. The dashboard, the picture, the downloads and the command
line write what a person reads through these functions, so that they speak with one voice."""

from __future__ import annotations

import datetime as dt
import re

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


_TYPED_DAY = re.compile(r"\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*")
_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")


def typed_day(text: str) -> dt.date | None:
    """A day as a person types it: ``20/09/2023`` (day first, also ``20/9/2023``, ``20.09.2023``,
    ``20-09-2023``) or ISO ``2023-09-20``; None for anything else (a two-digit year is not guessed)."""
    if found := _TYPED_DAY.fullmatch(text):
        day, month, year = (int(g) for g in found.groups())
    elif found := _ISO_DAY.fullmatch(text):
        year, month, day = (int(g) for g in found.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31/02/2023
        return None


def moment(ts: pd.Timestamp | dt.datetime | None, tz: str = "Europe/Rome") -> str:
    """``13/09/2023 18:00`` in ``tz`` (a naive time is taken as already local); "" for none."""
    if ts is None or pd.isna(ts):
        return ""
    ts = pd.Timestamp(ts)
    return (ts.tz_convert(tz) if ts.tzinfo is not None else ts).strftime(DATE_TIME)


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


def iso_days(values: pd.Series) -> pd.Series:
    """ISO days (``2023-09-20``) as ``20/09/2023``; anything else (empty, unknown) as it is."""
    text = values.astype("string")
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    out = values.astype(object).copy()
    out[iso] = (text[iso].str[8:10] + "/" + text[iso].str[5:7] + "/" + text[iso].str[:4]).astype(object)
    return out


def iso_moments(values: pd.Series) -> pd.Series:
    """ISO moments with their local offset (``2023-09-01T10:15:32+02:00``) as ``01/09/2023 10:15``,
    the local time they already carry; anything else as it is."""
    text = values.astype("string")
    iso = text.str.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}").fillna(False).astype(bool)
    out = values.astype(object).copy()
    t = text[iso]
    out[iso] = (t.str[8:10] + "/" + t.str[5:7] + "/" + t.str[:4] + " " + t.str[11:16]).astype(object)
    return out


def days(n: int) -> str:
    """``1 giorno``, ``16 giorni``."""
    return plural(n, "giorno", "giorni")


def countdown(days_past: int) -> str:
    """Days to the deadline, or past it, in words."""
    if days_past < -1:
        return f"mancano {days(-days_past)} alla scadenza"
    if days_past == -1:
        return "la scadenza è domani"
    if days_past == 0:
        return "la scadenza è oggi"
    return f"scadenza superata da {days(days_past)}"


# -- numbers -------------------------------------------------------------------------------------------

PERCENT_SIGN = "\u00a0%"  # «61 %»: a space before the sign that never breaks the line


def number(value: int) -> str:
    """A count with Italian thousands separators: ``6.583``."""
    return f"{int(value):,d}".replace(",", ".")


def signed(value: int) -> str:
    """A change: ``+1.985``, ``-31``, ``0`` (a plain hyphen: Streamlit reads it as a fall)."""
    return "0" if value == 0 else ("+" if value > 0 else "-") + number(abs(value))


def rounded_share(share: float) -> float:
    """A share to two decimals, as status.json writes it (``coverage.share``): 0.61."""
    return round(float(share), 2)


def percent(share: float) -> str:
    """A share as a whole percentage, the one status.json writes (``rounded_share``): ``61 %``."""
    return f"{round(rounded_share(share) * 100)}{PERCENT_SIGN}"


def share_of(part: int, whole: int) -> str:
    """``61 % (3.998/6.583)``: the share and the counts it comes from (``0 % (0/0)`` for none)."""
    return f"{percent(part / whole if whole else 0.0)} ({number(part)}/{number(whole)})"


def agree(n: int, one: str, many: str) -> str:
    """The word that agrees with ``n``, without the count: ``agree(1, "ha", "hanno")`` is ``ha``."""
    return one if n == 1 else many


def plural(n: int, one: str, many: str) -> str:
    """The count and the words that agree with it: ``1 comune``, ``0 comuni``, ``6.583 comuni``."""
    return f"{number(n)} {agree(n, one, many)}"


def count_comuni(n: int) -> str:
    """``1 comune``, ``6.583 comuni``."""
    return plural(n, "comune", "comuni")


def marked_reminders(n: int) -> str:
    """``Registrato 1 promemoria``, ``Registrati 12 promemoria``."""
    return f"{agree(n, 'Registrato', 'Registrati')} {number(n)} promemoria"


def recorded_reminders(n: int, one: str, many: str) -> str:
    """``Annullato 1 promemoria registrato``, ``Annullati 3 promemoria registrati`` (``one``/``many``:
    the participle before)."""
    return f"{agree(n, one, many)} {number(n)} promemoria {agree(n, 'registrato', 'registrati')}"


def not_on_map(n: int) -> str:
    """``1 comune non è sulla mappa``, ``6 comuni non sono sulla mappa``."""
    return plural(n, "comune non è sulla mappa", "comuni non sono sulla mappa")


def of_total(part: int, whole: int, one: str = "comune", many: str = "comuni") -> str:
    """``1 comune su 130``, ``12 comuni su 6.583``."""
    return f"{plural(part, one, many)} su {number(whole)}"


# The formats of the charts (Vega's d3-format and d3-time-format locales), the same as above: the
# dashboard's browser and the picture's renderer then write 6.583, 61 % and settembre alike.
VEGA_NUMBER = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0€"],
               "percent": PERCENT_SIGN, "minus": "-"}  # fmt: skip
VEGA_TIME = {
    "dateTime": "%A %e %B %Y, %X", "date": "%d/%m/%Y", "time": "%H:%M:%S", "periods": ["", ""],
    "days": [WEEKDAYS[6], *WEEKDAYS[:6]], "shortDays": [d[:3] for d in (WEEKDAYS[6], *WEEKDAYS[:6])],
    "months": list(MONTHS), "shortMonths": [m[:3] for m in MONTHS],
}  # fmt: skip
VEGA_LOCALE = {"number": VEGA_NUMBER, "time": VEGA_TIME}


# -- statuses ------------------------------------------------------------------------------------------

STATUS_LABELS = {"on_time": "in tempo", "late": "in ritardo", "pending": "in attesa", "missing": "mancante"}
_STATUS_PLURALS = {"missing": "mancanti"}  # the others do not change with the number


def status_count(n: int, status: str) -> str:
    """``1 mancante``, ``1.009 mancanti``, ``4.465 in tempo``."""
    one = STATUS_LABELS[status]
    return plural(n, one, _STATUS_PLURALS.get(status, one))


OUTCOME_LABELS = {
    "counted": "conteggiata",
    "replaced": "sostituita da una risposta successiva",
    "after_as_of": "successiva alla data di riferimento",
    "unmatched": "comune non riconosciuto o non partecipante",
    "invalid": "non valida",
}  # what became of a response row, as its own table says it
_OUTCOME_COUNTS = {  # the same, after a count: singular, plural
    "counted": ("conteggiata", "conteggiate"),
    "replaced": ("sostituita da una risposta successiva", "sostituite da una risposta successiva"),
    "after_as_of": ("successiva alla data di riferimento", "successive alla data di riferimento"),
    "unmatched": ("con comune non riconosciuto o non partecipante",) * 2,
    "invalid": ("non valida", "non valide"),
}


def rows_read(n: int) -> str:
    """``1 riga di risposte letta``, ``27.142 righe di risposte lette``."""
    return plural(n, "riga di risposte letta", "righe di risposte lette")


def outcome_counts(counts: dict[str, int]) -> str:
    """What became of the response rows: ``25.000 conteggiate, 1 non valida, …`` (every outcome)."""
    return ", ".join(plural(counts.get(o, 0), *_OUTCOME_COUNTS[o]) for o in _OUTCOME_COUNTS)


# -- the comuni without an Amministrazione Trasparente editor ---------------------------------------------

AT_LONG = "senza editor Amministrazione Trasparente"


def answered_part(answered: int) -> str:
    """The part of the comuni without an AT editor that answered: ``di cui 1.341 hanno risposto``."""
    if answered == 0:
        return "di cui nessuno ha risposto"
    return "di cui " + plural(answered, "ha risposto", "hanno risposto")


def answered_without_at_text(n: int) -> str:
    """``1.341 comuni hanno risposto senza editor Amministrazione Trasparente`` (``1 comune ha …``)."""
    return f"{plural(n, 'comune ha risposto', 'comuni hanno risposto')} {AT_LONG}"


def without_at(total: int, answered: int) -> str:
    """Every comune without an AT editor (``totals.without_at_editor`` of status.json, non-responders
    included) and, beside it, those of them that answered: «3.326 comuni senza editor Amministrazione
    Trasparente, di cui 1.341 hanno risposto»."""
    return f"{plural(total, 'comune', 'comuni')} {AT_LONG}, {answered_part(answered)}"


def to_chase(no_answer: int, answered: int) -> str:
    """The reminders list in one line (markdown): «**79 comuni da sollecitare**: 79 comuni senza editor
    Amministrazione Trasparente, di cui 9 hanno risposto; 70 non hanno ancora una risposta valida.»

    The list is exactly the comuni without an AT editor: a comune with no valid response has no
    editor at all. ``no_answer``: those without a valid response; ``answered``: the others.
    """
    n = no_answer + answered
    if not n:
        return "**Nessun comune da sollecitare.**"
    head = plural(n, "comune da sollecitare", "comuni da sollecitare")
    rest = plural(no_answer, "non ha", "non hanno")
    return f"**{head}**: {without_at(n, answered)}; {rest} ancora una risposta valida."
