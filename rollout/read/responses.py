"""From the raw form sheet to one normalised row per response, each with its problems named.

Nothing here depends on ``as_of``: this is the slow part, done once per load. Every input row
stays in the result (index = sheet row number); a row that cannot count carries a ``problem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_sources import Grid
from rollout.keys import ResponseCols as R
from rollout.read.columns import RESPONSE_RULES, Columns, recognise
from rollout.read.matching import ComuneMatcher
from rollout.read.permissions import PERMISSION_KEYS, parse_choices, tick_value
from rollout.read.text import (
    blank,
    clean,
    email_domain,
    email_series,
    map_unique,
    per_distinct,
    person_key,
    squeeze_series,
    visible_series,
)
from rollout.read.timestamps import parse_timestamps

PROBLEM_LABELS = {
    "empty_row": "riga vuota",
    "bad_timestamp": "data/ora della risposta illeggibile",
    "unmatched": "comune non riconosciuto o non partecipante",
    "no_employee": "dipendente non indicato (né nome né email)",
    "no_permission": "nessun permesso riconosciuto",
}
_TEXT_FIELDS = (R.PROVINCE, R.CODE_HINT, R.SURNAME, R.FIRST_NAME, R.FULL_NAME, R.FISCAL_CODE, R.OFFICE, R.PHONE)


@dataclass(frozen=True)
class Responses:
    """All response rows, normalised; ``rows`` is indexed by sheet row number."""

    rows: pd.DataFrame
    columns: Columns
    notes: tuple[str, ...] = ()
    # What must be seen before trusting the numbers (e.g. a day/month order that was guessed):
    # also in ``notes``; the dashboard shows these as warnings on every page.
    alerts: tuple[str, ...] = ()

    @property
    def unknown_permissions(self) -> pd.DataFrame:
        """Rows whose checkbox text had parts that are not one of the seven permissions."""
        found = self.rows.loc[self.rows[R.UNKNOWN_TEXT] != "", [R.COMUNE_RAW, R.CID, R.UNKNOWN_TEXT, R.PROBLEM]]
        return found.rename_axis(R.ROW).reset_index()


def prepare_responses(
    grid: Grid,
    matcher: ComuneMatcher,
    *,
    overrides: Mapping[str, str] | None = None,
    tz: str = "Europe/Rome",
    date_order: str = "auto",
) -> Responses:
    """Recognise columns, parse timestamps and permissions, match comuni, name each row's problem."""
    cols = recognise(
        grid.cells, RESPONSE_RULES, overrides or {}, ("timestamp", "comune"),
        what="Risposte al modulo", permission_columns=True,
        accept=lambda fields, perms: "permissions" in fields or bool(perms), other_sheets=grid.other_sheets,
    )  # fmt: skip
    body = grid.cells.loc[grid.cells.index > cols.header_row]
    notes = list(grid.notes)
    rows = pd.DataFrame(index=body.index.rename(R.ROW))

    def column(field: str) -> pd.Series:
        pos = cols.get(field)
        if pos is None:
            return pd.Series("", index=body.index, dtype=str)
        return squeeze_series(body[pos])

    rows[R.TS_RAW] = body[cols.fields["timestamp"]].str.strip()
    now = pd.Timestamp(grid.loaded_at) if grid.loaded_at else pd.Timestamp.now(tz="UTC")
    parsed = parse_timestamps(rows[R.TS_RAW], tz, date_order, locale=grid.locale, now=now)
    rows[R.TS] = parsed.utc
    alerts = []
    if parsed.note:
        notes.append(f"Colonna data/ora: {parsed.note}.")
        if parsed.ambiguous:
            alerts.append(notes[-1])
    for field in _TEXT_FIELDS:
        rows[field] = column(field)
    # The comune as typed (outer spaces aside): reports quote it verbatim.
    rows[R.COMUNE_RAW] = body[cols.fields["comune"]].str.strip().astype(str)
    rows[R.FISCAL_CODE] = rows[R.FISCAL_CODE].str.upper().str.replace(" ", "", regex=False)

    employee_raw = column("employee_email")
    filler_raw = column("filler_email")
    if cols.get("employee_email") is None and not {R.FULL_NAME, R.SURNAME, R.FIRST_NAME} & set(cols.fields):
        employee_raw = filler_raw  # the form is filled by each employee: the address is theirs
        notes.append("Nessuna colonna con nome o email del dipendente: uso l'indirizzo di chi ha compilato.")
    rows[R.EMAIL_RAW] = employee_raw
    rows[R.EMAIL] = email_series(employee_raw)
    rows[R.FILLER_EMAIL] = email_series(filler_raw)
    rows[R.NAME] = rows[R.FULL_NAME].where(
        rows[R.FULL_NAME] != "", (rows[R.SURNAME] + " " + rows[R.FIRST_NAME]).str.strip()
    )
    # Identity: the employee's email; without one, the normalised name (computed only where needed).
    no_email = rows[R.EMAIL] == ""
    name_key = pd.Series("", index=rows.index, dtype=str)
    name_key[no_email] = map_unique(rows.loc[no_email, R.NAME], person_key)
    rows[R.IDENTITY] = ("email:" + rows[R.EMAIL]).where(~no_email, ("name:" + name_key).where(name_key != "", ""))
    rows[R.IDENT] = pd.factorize(rows[R.IDENTITY])[0]

    _permissions(rows, body, cols)
    _match(rows, matcher)
    rows[R.PROBLEM] = _problems(rows, body)
    # Texts quoted as typed in tables and messages: invisible characters shown (<U+FEFF>), a huge
    # cell cut to its first characters.
    for field in (R.COMUNE_RAW, R.UNKNOWN_TEXT, R.TS_RAW, R.EMAIL_RAW):
        rows[field] = visible_series(rows[field])
    return Responses(rows, cols, tuple(notes), tuple(alerts))


def _permissions(rows: pd.DataFrame, body: pd.DataFrame, cols: Columns) -> None:
    found = np.zeros((len(rows), len(PERMISSION_KEYS)), dtype=bool)
    unknown = np.full(len(rows), "", dtype=object)
    pos = cols.get("permissions")
    if pos is not None:
        codes, parsed = per_distinct(body[pos], parse_choices)
        table = np.array([[k in keys for k in PERMISSION_KEYS] for keys, _ in parsed], dtype=bool).reshape(
            -1, len(PERMISSION_KEYS)
        )
        found |= table[codes]
        unknown = np.array([" | ".join(texts) for _, texts in parsed], dtype=object)[codes]
    for key, pos in cols.permission_columns.items():
        codes, ticks = per_distinct(body[pos], tick_value)
        col = PERMISSION_KEYS.index(key)
        found[:, col] |= np.array([t is True for t in ticks], dtype=bool)[codes]
        odd = np.array([t is None for t in ticks], dtype=bool)[codes]
        if odd.any():
            label = cols.headers[pos]
            cells = body[pos].to_numpy()
            for i in np.flatnonzero(odd):
                extra = f"{label}: {clean(cells[i])}"
                unknown[i] = f"{unknown[i]} | {extra}" if unknown[i] else extra
    for n, key in enumerate(PERMISSION_KEYS):
        rows[key] = found[:, n]
    rows[R.UNKNOWN_TEXT] = pd.Series(unknown, index=rows.index, dtype=str)


def _match(rows: pd.DataFrame, matcher: ComuneMatcher) -> None:
    """Match once per distinct (name, province, code); homonyms get a second look with emails."""
    parts = [rows[c].str.replace(_SEP, " ", regex=False) for c in (R.COMUNE_RAW, R.PROVINCE, R.CODE_HINT)]
    joined = parts[0] + _SEP + parts[1] + _SEP + parts[2]
    codes, uniques = pd.factorize(joined, sort=False)
    keys = [tuple(u.split(_SEP)) for u in uniques.tolist()]
    results = matcher.match_many(keys)
    cid = np.array([m.cid for m in results], dtype=np.int64)[codes]
    fields = {f: np.array([getattr(m, f) for m in results], dtype=object)[codes] for f in _MATCH_COLUMNS}
    for i in np.flatnonzero(fields["problem"] == "ambiguous").tolist():
        doms = (email_domain(str(rows[R.FILLER_EMAIL].iat[i])), email_domain(str(rows[R.EMAIL].iat[i])))
        name, province, code = keys[codes[i]]
        again = matcher.match(name, province, code, domains=doms)
        cid[i] = again.cid
        for f in fields:
            fields[f][i] = getattr(again, f)
    rows[R.CID] = cid
    for f, values in fields.items():
        rows[_MATCH_COLUMNS[f]] = pd.Series(values, index=rows.index, dtype=str)


# The matcher's findings (``rollout.read.matching.Match``'s fields) -> the rows' columns.
_MATCH_COLUMNS = {
    "method": R.MATCH_METHOD, "problem": R.MATCH_PROBLEM, "detail": R.MATCH_DETAIL, "suggestion": R.SUGGESTION,
}  # fmt: skip


_SEP = "\x1f"  # a control character no form answer contains


def _problems(rows: pd.DataFrame, body: pd.DataFrame) -> pd.Series:
    """The first reason a row cannot count, in a fixed order; "" for a usable row."""
    problem = pd.Series("", index=rows.index, dtype=str)
    has_perm = rows[list(PERMISSION_KEYS)].any(axis=1)
    has_employee = rows[R.IDENTITY] != ""
    empty = pd.Series(np.logical_and.reduce([blank(body[c]) for c in body.columns]), index=rows.index)
    for mask, name in (
        (~has_perm, "no_permission"),
        (~has_employee, "no_employee"),
        (rows[R.CID] < 0, "unmatched"),
        (rows[R.TS].isna(), "bad_timestamp"),
        (empty, "empty_row"),
    ):
        problem = problem.mask(mask, name)
    return problem
