"""From the raw form sheet to one normalised row per response, each with its problems named.

Nothing here depends on ``as_of``: this is the slow part, done once per load. Every input row
stays in the result (index = sheet row number); a row that cannot count carries a ``problem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from data_sources import Grid
from rollout.columns import RESPONSE_RULES, Columns, recognise
from rollout.matching import ComuneMatcher, Match
from rollout.permissions import PERMISSION_KEYS, parse_choices, tick_value
from rollout.text import clean, email_domain, normalise_email, person_key
from rollout.timestamps import parse_timestamps

PROBLEM_LABELS = {
    "empty_row": "riga vuota",
    "bad_timestamp": "data/ora della risposta illeggibile",
    "unmatched": "comune non riconosciuto o non partecipante",
    "no_employee": "dipendente non indicato (né nome né email)",
    "no_permission": "nessun permesso riconosciuto",
}
_TEXT_FIELDS = (
    "province",
    "code_hint",
    "surname",
    "first_name",
    "full_name",
    "fiscal_code",
    "office",
    "phone",
)


@dataclass(frozen=True)
class Responses:
    """All response rows, normalised; ``rows`` is indexed by sheet row number."""

    rows: pd.DataFrame
    columns: Columns
    notes: tuple[str, ...] = ()

    @property
    def unknown_permissions(self) -> pd.DataFrame:
        """Rows whose checkbox text had parts that are not one of the seven permissions."""
        found = self.rows.loc[self.rows["unknown_text"] != "", ["comune_raw", "cid", "unknown_text", "problem"]]
        return found.rename_axis("row").reset_index()


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
        accept=lambda fields, perms: "permissions" in fields or bool(perms),
    )  # fmt: skip
    body = grid.cells.loc[grid.cells.index > cols.header_row]
    notes = list(grid.notes)
    rows = pd.DataFrame(index=body.index.rename("row"))

    def column(field: str) -> pd.Series:
        pos = cols.get(field)
        if pos is None:
            return pd.Series("", index=body.index, dtype=str)
        return _mapped(body[pos], clean)

    rows["ts_raw"] = body[cols.fields["timestamp"]].str.strip()
    parsed = parse_timestamps(rows["ts_raw"], tz, date_order)
    rows["ts"] = parsed.utc
    if parsed.note:
        notes.append(f"Colonna data/ora: {parsed.note}.")
    for field in _TEXT_FIELDS:
        rows[field] = column(field)
    # The comune as typed (outer spaces aside): reports quote it verbatim.
    rows["comune_raw"] = body[cols.fields["comune"]].str.strip().astype(str)
    rows["fiscal_code"] = rows["fiscal_code"].str.upper().str.replace(" ", "", regex=False)

    employee_raw = column("employee_email")
    filler_raw = column("filler_email")
    if cols.get("employee_email") is None and not {"full_name", "surname", "first_name"} & set(cols.fields):
        employee_raw = filler_raw  # the form is filled by each employee: the address is theirs
        notes.append("Nessuna colonna con nome o email del dipendente: uso l'indirizzo di chi ha compilato.")
    rows["email_raw"] = employee_raw
    rows["email"] = _mapped(employee_raw, normalise_email)
    rows["filler_email"] = _mapped(filler_raw, normalise_email)
    rows["name"] = rows["full_name"].where(
        rows["full_name"] != "", (rows["surname"] + " " + rows["first_name"]).str.strip()
    )
    name_key = _mapped(rows["name"], person_key)
    rows["identity"] = ("email:" + rows["email"]).where(
        rows["email"] != "", ("name:" + name_key).where(name_key != "", "")
    )

    _permissions(rows, body, cols)
    _match(rows, matcher)
    rows["problem"] = _problems(rows, body)
    return Responses(rows, cols, tuple(notes))


def _mapped(values: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct value (forms repeat the same texts a lot)."""
    uniques = values.unique()
    return values.map(dict(zip(uniques, map(func, uniques), strict=True))).astype(str)


def _permissions(rows: pd.DataFrame, body: pd.DataFrame, cols: Columns) -> None:
    found = {key: pd.Series(False, index=rows.index) for key in PERMISSION_KEYS}
    unknown = pd.Series("", index=rows.index, dtype=str)
    pos = cols.get("permissions")
    if pos is not None:
        cell = body[pos]
        rows["permissions_raw"] = cell.map(clean)
        parsed = {v: parse_choices(v) for v in cell.unique()}
        for key in PERMISSION_KEYS:
            has = {v: key in p[0] for v, p in parsed.items()}
            found[key] = found[key] | cell.map(has).astype(bool)
        unknown = cell.map({v: " | ".join(p[1]) for v, p in parsed.items()}).astype(str)
    else:
        rows["permissions_raw"] = ""
    for key, pos in cols.permission_columns.items():
        cell = body[pos]
        ticks = {v: tick_value(v) for v in cell.unique()}
        found[key] = found[key] | cell.map({v: t is True for v, t in ticks.items()}).astype(bool)
        odd = cell.map({v: t is None for v, t in ticks.items()}).astype(bool)
        if odd.any():
            label = cols.headers[pos]
            extra = (label + ": " + cell.map(clean)).where(odd, "")
            unknown = (unknown + " | " + extra).str.strip(" |").where(odd, unknown)
    for key in PERMISSION_KEYS:
        rows[key] = found[key].to_numpy()
    rows["unknown_text"] = unknown


def _match(rows: pd.DataFrame, matcher: ComuneMatcher) -> None:
    """Match once per distinct (name, province, code); homonyms get a second look with emails."""
    keys = list(zip(rows["comune_raw"], rows["province"], rows["code_hint"], strict=True))
    results: dict[tuple[str, str, str], Match] = {k: matcher.match(*k) for k in dict.fromkeys(keys)}
    matches = [results[k] for k in keys]
    for i, m in enumerate(matches):
        if m.problem == "ambiguous":
            doms = (email_domain(rows["filler_email"].iat[i]), email_domain(rows["email"].iat[i]))
            matches[i] = matcher.match(*keys[i], domains=doms)
    rows["cid"] = [m.cid for m in matches]
    rows["match_method"] = [m.method for m in matches]
    rows["match_problem"] = [m.problem for m in matches]
    rows["match_detail"] = [m.detail for m in matches]
    rows["suggestion"] = [m.suggestion for m in matches]


def _problems(rows: pd.DataFrame, body: pd.DataFrame) -> pd.Series:
    """The first reason a row cannot count, in a fixed order; "" for a usable row."""
    problem = pd.Series("", index=rows.index, dtype=str)
    has_perm = rows[list(PERMISSION_KEYS)].any(axis=1)
    has_employee = rows["identity"] != ""
    empty = body.apply(lambda c: c.str.strip()).eq("").all(axis=1)
    for mask, name in (
        (~has_perm, "no_permission"),
        (~has_employee, "no_employee"),
        (rows["cid"] < 0, "unmatched"),
        (rows["ts"].isna(), "bad_timestamp"),
        (empty, "empty_row"),
    ):
        problem = problem.mask(mask, name)
    return problem
