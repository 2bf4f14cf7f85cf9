"""A responses XLSX with one formula that has no computed value (issue 18, §4).

Before, that one cell refused the whole file: the weekly report stopped with «errore:». Now the
cell reads as its formula's text, the row is accounted for like any other (here: a comune nobody
recognises), and the cell is named, sheet and cell, in the command line's warnings and in
«Qualità dati».
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from conftest import ROOT, run_app, run_cli
from ui.format import md_escape

DEMO = ROOT / "data" / "demo"
NOTE = (
    "risposte.xlsx: il foglio 'Foglio1' ha 1 cella con una formula senza valore calcolato (il file è stato "
    "scritto da un programma e mai ricalcolato): è letta come il testo della formula. Cella: Foglio1!C7. Per "
    "avere il valore, apri il file con Excel o LibreOffice, salvalo e caricalo di nuovo."
)


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    """The demo campaign, its responses saved as XLSX by a script: C7 (a comune) holds a formula."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Foglio1"
    with (DEMO / "risposte.csv").open(encoding="utf-8", newline="") as rows:
        for row in csv.reader(rows):
            sheet.append(row)
    sheet["C7"] = '=PROPER("vallo della lucania")'
    book.save(tmp_path / "risposte.xlsx")
    config = tmp_path / "rollout.toml"
    config.write_text(
        f'deadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\ncomuni = "{DEMO / "comuni.csv"}"\n'
        'submissions = "risposte.xlsx"\n[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    return tmp_path


def test_the_weekly_report_runs_and_names_the_cell(campaign):
    result = run_cli("report", "--config", campaign / "rollout.toml", "--out", campaign / "out")
    assert result.returncode == 0  # before: 2, «… ha 1 celle con formule senza valore calcolato …»
    assert f"avviso: {NOTE}" in result.stderr.splitlines()
    rows = {r["row"]: r for r in csv.DictReader(io.StringIO((campaign / "out" / "rows.csv").read_text("utf-8-sig")))}
    assert len(rows) == 303
    # written inert, as every text that starts like a formula
    assert (rows["7"]["outcome"], rows["7"]["comune_typed"]) == ("unmatched", '\'=PROPER("vallo della lucania")')


def test_quality_page_names_the_cell(campaign):
    at = run_app("pages/qualita.py")
    assert not at.exception
    assert md_escape(NOTE) in [i.value for i in at.info]  # escaped as every note: no live markdown
    unmatched = at.dataframe[0].value
    assert unmatched.loc[unmatched["row"] == 7, "comune_typed"].tolist() == ['=PROPER("vallo della lucania")']
