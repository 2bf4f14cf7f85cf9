"""Fuzzing the whole pipeline: comuni list and responses in, snapshot and every output out.

The invariant: either an InputError/SourceError with a clear message, or a snapshot in which every
input row appears exactly once with an outcome (and every row of the comuni list is a comune or
is listed as excluded, with the reason); every export is formula-safe. Fixed example budgets
(derandomized); the 100,000-row campaign and the huge cells are explicit tests.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import COMUNI_CSV, grid, responses
from data_sources import SourceError
from rollout.config import Config, parse_as_of, parse_deadline
from rollout.errors import InputError
from rollout.outputs.files import to_csv_bytes, to_xlsx_bytes
from rollout.outputs.quality import (
    invalid_table,
    possible_duplicates,
    replaced_table,
    rows_table,
    unknown_permissions_table,
    unmatched_table,
)
from rollout.outputs.tables import accounts_table, comuni_table, reminders_table, status_dict
from rollout.pipeline import Prepared, prepare
from rollout.read.comuni import load_comuni
from rollout.status import OUTCOMES, Settings, Snapshot

SETTINGS = Settings(parse_deadline("2023-09-13"), parse_as_of("2023-09-29T12:00:00"), "Europe/Rome")
TABLES = (rows_table, unmatched_table, invalid_table, replaced_table, unknown_permissions_table,
          possible_duplicates, comuni_table, reminders_table, accounts_table)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
csv.field_size_limit(2**31 - 1)  # the exports of the huge-cell tests are read back


def fuzz(examples: int):
    return settings(
        max_examples=examples, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def run(comuni_text: str, responses_text: str, config: Config | None = None) -> Snapshot | None:
    """The pipeline on two CSV texts, checking the invariant; None when the input was refused."""
    try:
        comuni_grid = grid(comuni_text, "comuni.csv")
        responses_grid = grid(responses_text, "risposte.csv")
        prepared = prepare(config or Config(), comuni_grid, responses_grid)
    except (InputError, SourceError) as err:
        assert str(err).strip() and "Traceback" not in str(err)
        return None
    check_comuni_rows(prepared, comuni_grid.cells)
    snap = prepared.at(SETTINGS)
    body = responses_grid.cells.index[responses_grid.cells.index > prepared.responses.columns.header_row]
    assert list(snap.rows.index) == list(body)  # every response row once, in order
    assert set(snap.rows["outcome"]) <= set(OUTCOMES)
    assert sum(snap.outcome_counts.values()) == len(body)
    listed = snap.rows["outcome"].isin(["unmatched", "invalid", "replaced"])
    assert snap.rows.loc[listed, "reason"].str.strip().ne("").all()  # every set-aside row says why
    counted = snap.rows.index[snap.rows["outcome"] == "counted"]
    assert (snap.responses.rows.loc[counted, "cid"] >= 0).all()
    assert snap.totals["comuni"] == len(prepared.comuni)
    check_exports(snap)
    return snap


def check_comuni_rows(prepared: Prepared, cells) -> None:
    """Every row of the comuni list below its header is a comune or an excluded row, once."""
    rows = list(prepared.comuni.frame["row"]) + list(prepared.comuni.excluded["row"])
    assert len(set(rows)) == len(rows)
    if rows:  # else a list with its header only
        assert sorted(rows) == list(range(min(rows), cells.index[-1] + 1))
    assert prepared.comuni.excluded["reason"].str.strip().ne("").all()


def check_exports(snap: Snapshot) -> None:
    json.dumps(status_dict(snap), ensure_ascii=False)
    for table in TABLES:
        data = to_csv_bytes(table(snap)).decode("utf-8-sig")
        for row in csv.reader(io.StringIO(data, newline="")):
            for cell in row:
                assert not cell.startswith(FORMULA_START) or _number(cell), cell


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


RESPONSE_HEADERS = [
    "Informazioni cronologiche", "Timestamp", "Comune", "Ente", "Provincia", "Cognome", "Nome", "Nome e cognome",
    "Indirizzo email", "Email del dipendente", "Codice fiscale", "Permessi", "Editor Sito Web", "Altro", "",
]  # fmt: skip
RESPONSE_VALUES = [
    "13/9/2023 10.15.32", "2023-09-01T10:00:00", "45182.4274", "31/02/2023 10:00", "1/1/9999 00:00", "ieri",
    "9/13/2023 1:00:00 PM", "2023/03/18 3:28:24 PM CET", "Paterno", "Paternò", "PATERNÒ", "Calliano", "Calliano (AT)",
    "Comune di Montecorvino Rovella", "Montecorvino Pugliano", "Castel d’Azzano", "Melito", "=HYPERLINK(\"http://x\")",
    "+39 333", "-1", "@SUM(A1)", "Editor Sito Web, Editor Newsletter", "Altro: protocollo", "Sì", "x", "TRUE", "No",
    "mario@x.it", "MARIO@X.IT", "Rossi", "Rossi Mario", "RSSMRA80A01H501U", "", " ", "NA", "007", "<b>x</b>",
    "\ufeffPaterno", "Pater\u200bnò", "m\u00adario@x.it", "9/5/2023 10:15:32", "2023/09/13 11:59:59 PM GMT+2",
    "Z" * 300,
]  # fmt: skip
RESPONSE_CELL = st.one_of(st.sampled_from(RESPONSE_VALUES), st.text(max_size=12))


@st.composite
def response_rows(draw, headers=None):
    any_header = st.lists(st.one_of(st.sampled_from(RESPONSE_HEADERS), st.text(max_size=10)), min_size=1, max_size=8)
    header = draw(any_header if headers is None else headers)
    rows = draw(st.lists(st.lists(RESPONSE_CELL, max_size=len(header) + 2), max_size=10))
    return [header, *rows]


FORM = st.just(["Informazioni cronologiche", "Comune", "Provincia", "Nome e cognome", "Indirizzo email", "Permessi"])
COMUNI_HEADERS = ["Comune", "Provincia", "Codice ISTAT", "Referente", "Email", "PEC", "Ondata", "Denominazione", "",
                  "comune", "cod_comune", "tipologia_ente", "codice_ipa", "stato_candidatura", "provincia"]  # fmt: skip
COMUNI_VALUES = ["Paterno", "Paternò", "Calliano", "Calliano", "Montecorvino Rovella", "", " ", "-", "123", "PZ", "AT",
                 "NA", "076100", "7033", "H501", "=1+1", "Comuni", "Unioni di comuni", "R", "a@b.it", "N/D", "0",
                 "n.d.", "Totale comuni: 130", "TOTALE", "(nome)", "\ufeffNola", "None", '="007003"', "Setteville",
                 "Comune di Caines", "Rifiano", "021073"]  # fmt: skip
COMUNI_CELL = st.one_of(st.sampled_from(COMUNI_VALUES), st.text(max_size=10))


@st.composite
def comuni_rows(draw):
    header = draw(st.lists(st.one_of(st.sampled_from(COMUNI_HEADERS), st.text(max_size=8)), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(COMUNI_CELL, max_size=len(header) + 1), max_size=10))
    return [header, *rows]


@fuzz(150)
@given(response_rows())
def test_any_responses_sheet(rows):
    run(COMUNI_CSV, csv_text(rows))


@fuzz(100)
@given(response_rows(FORM))
def test_any_answers_in_a_real_form(rows):
    """The form's real columns, any answers: nothing refused (but binary), every row accounted for."""
    text = csv_text(rows)
    assert run(COMUNI_CSV, text) is not None or "\x00" in text


@fuzz(100)
@given(comuni_rows(), response_rows(FORM))
def test_any_comuni_list(comuni, answers):
    run(csv_text(comuni), csv_text(answers))


@fuzz(200)
@given(comuni_rows())
def test_comuni_list_alone(rows):
    """Duplicates, empty names, open-data columns: every row kept or excluded with its reason."""
    try:
        cells = grid(csv_text(rows), "comuni.csv")
        comuni = load_comuni(cells)
    except (InputError, SourceError) as err:
        assert str(err).strip()
        return
    check_comuni_rows(Prepared(comuni, None, None), cells.cells)  # type: ignore[arg-type]
    assert comuni.frame["name"].str.contains(r"[^\W\d_]", regex=True).all()  # every kept comune has a name
    assert not comuni.frame["name"].str.match(r"(?i)^\W*(?:totale?|\(nome\)|n/d)\W*").any()  # never a totals row
    codes = comuni.frame["code"]
    assert not codes.isin(["N/D", "0", "n.d.", "000000"]).any()  # a placeholder is no code


@fuzz(20)
@given(response_rows(FORM))
def test_xlsx_exports_never_hold_a_formula(rows):
    snap = run(COMUNI_CSV, csv_text(rows))
    if snap is None:
        return
    import openpyxl

    for table in (accounts_table, reminders_table):
        book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(table(snap))))
        assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)


# --- explicit, too big for generated examples -----------------------------------------------


def test_a_hundred_thousand_rows():
    """100,000 responses in five kinds of 20,000: each row accounted for, exact counts."""
    lines = []
    for i in range(20_000):
        email = f"dipendente{i}@comune.it"
        lines += [
            f"2/9/2023 10.{i % 60:02d}.00,x@y.it,Montecorvino Rovella,Rossi,Mario,{email},Editor Sito Web",  # counted
            f"1/9/2023 10.{i % 60:02d}.00,x@y.it,Montecorvino Rovella,Rossi,Mario,{email},Editor Newsletter",  # replaced
            f"1/10/2023 10.00.00,x@y.it,Paterno,Verdi,Ugo{i},,Editor Sito Web",  # after as_of
            f"1/9/2023 10.00.00,x@y.it,Comune di Atlantide,Bianchi,Ada{i},,Editor Sito Web",  # unmatched
            f"ieri,x@y.it,Paterno,Neri,Eva{i},,Editor Sito Web",  # invalid: unreadable time
        ]
    snap = run(COMUNI_CSV, responses(*lines))
    assert snap is not None
    assert snap.outcome_counts == {"counted": 20_000, "replaced": 20_000, "after_as_of": 20_000,
                                   "unmatched": 20_000, "invalid": 20_000}  # fmt: skip
    replaced = snap.rows.loc[snap.rows["outcome"] == "replaced"]
    assert (replaced["replaced_by"].to_numpy() == replaced.index.to_numpy() - 1).all()  # the row just above
    montecorvino = snap.comuni.loc[snap.comuni["name"] == "Montecorvino Rovella"].iloc[0]
    assert (montecorvino["status"], montecorvino["editors"], montecorvino["sito_web"]) == ("on_time", 20_000, 20_000)


BIG = 1_000_000


@pytest.mark.parametrize(
    ("field", "line", "outcome"),
    [
        ("comune", f"1/9/2023 10.00.00,a@b.it,{'x' * BIG},Rossi,Mario,,Editor Sito Web", "unmatched"),
        ("comune accentato", f"1/9/2023 10.00.00,a@b.it,{'è ' * (BIG // 2)},Rossi,Mario,,Editor Sito Web", "unmatched"),
        ("permessi", f'1/9/2023 10.00.00,a@b.it,Paterno,Rossi,Mario,,"{"Editor Sito Web, " * (BIG // 17)}"', "counted"),
        ("altro", f"1/9/2023 10.00.00,a@b.it,Paterno,Rossi,Mario,,{'y' * BIG}", "invalid"),
        ("data/ora", f"{'1' * BIG},a@b.it,Paterno,Rossi,Mario,,Editor Sito Web", "invalid"),
        ("nome", f"1/9/2023 10.00.00,a@b.it,Paterno,{'z' * BIG},Mario,,Editor Sito Web", "counted"),
    ],
)
def test_a_huge_cell(field, line, outcome):
    snap = run(COMUNI_CSV, responses("1/9/2023 9.00.00,a@b.it,Paterno,Bianchi,Ada,,Editor Newsletter", line))
    assert snap is not None
    assert snap.rows["outcome"].tolist() == ["counted", outcome], field


def test_a_huge_header_is_cut_in_messages():
    text = responses("1/9/2023 10.00.00,Paterno", header="Data," + "h" * BIG)
    with pytest.raises(InputError) as err:
        prepare(Config(), grid(COMUNI_CSV), grid(text))
    assert len(str(err.value)) < 600
