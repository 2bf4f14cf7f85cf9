"""Formula injection: no CSV/XLSX the product writes holds a cell a spreadsheet would evaluate.

The form is public and the comuni list is typed by people: any text may start with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return. Every table written (the report, the reminders export,
the drafts' index inside the ZIP, the dashboard's downloads, which use the same writers) must
neutralise them: no XLSX formula cell, no CSV text cell starting with one of those characters.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from rollout.cli import main
from rollout.outputs.files import to_csv_bytes, to_xlsx_bytes
from rollout.reminders.drafts import EXPORT_LABELS, Templates, drafts, drafts_zip, export_frame, reminders_list

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
COMUNI = (
    "Comune,Provincia,Codice ISTAT,Referente,Email referente,Ondata\n"
    '"=HYPERLINK(""http://evil.example"";""clic"")",SA,,+39 333 1234567,=cmd@evil.it,-1\n'
    "Castel d'Azzano,VR,023021,@Rossi,,+2\n"
    "Melito di Napoli,NA,063045,-Esposito,urp@comune.melito.na.it,=1+1\n"
)
RESPONSES = (
    "Informazioni cronologiche,Indirizzo email,Comune,Cognome del dipendente,Nome del dipendente,"
    "Indirizzo email del dipendente,Codice fiscale del dipendente,Ufficio di appartenenza,Permessi da assegnare\n"
    "1/9/2023 10.15.32,x@y.it,Castel d'Azzano,=1+1,@SUM(A1),=cmd|' /C calc'!A0,-2+3,+Ufficio,"
    '"1) Editor Sito Web, =Altro()"\n'
    '2/9/2023 10.00.00,,"=Comune(1)",Rossi,Mario,m@x.it,,,1) Editor Sito Web\n'
    "@ieri,,Melito di Napoli,Bianchi,Anna,a@x.it,,,1) Editor Sito Web\n"
)


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]


def assert_inert_csv(data: bytes, where: str) -> None:
    for cell in csv_cells(data):
        if cell.startswith(DANGEROUS):
            float(cell)  # only a real number (a negative count) may start with "-"; text never does
            assert cell.startswith("-"), f"{where}: {cell!r}"


def assert_inert_xlsx(data: bytes, where: str) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{where}: formula in {cell.coordinate}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(DANGEROUS), f"{where}: {cell.coordinate} {cell.value!r}"


def assert_inert_dir(out: Path) -> int:
    """Check every CSV/XLSX in ``out`` and in its ZIPs; return how many tables were checked."""
    checked = 0
    for path in sorted(out.iterdir()):
        if path.suffix == ".csv":
            assert_inert_csv(path.read_bytes(), path.name)
        elif path.suffix == ".xlsx":
            assert_inert_xlsx(path.read_bytes(), path.name)
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith(".csv"):
                        assert_inert_csv(archive.read(name), f"{path.name}/{name}")
                        checked += 1
            continue
        else:
            continue
        checked += 1
    return checked


@pytest.fixture
def hostile(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(RESPONSES, encoding="utf-8")
    return tmp_path


def run_cli(hostile: Path, *args: str) -> None:
    flags = ["--comuni", str(hostile / "comuni.csv"), "--submissions", str(hostile / "risposte.csv"),
             "--deadline", "2023-09-13", "--as-of", "2023-09-29T12:00:00"]  # fmt: skip
    assert main([*args[:-2], *flags, *args[-2:]]) == 0


def test_every_table_of_the_report_is_inert(hostile, capsys):
    run_cli(hostile, "report", "--out", str(hostile / "out"))
    out = hostile / "out"
    # comuni, rows, reminders (csv, xlsx), accounts (csv, xlsx), the drafts' index in the ZIP
    assert assert_inert_dir(out) == 7
    # The hostile texts did reach the outputs, made inert with a leading apostrophe.
    reminders = csv_cells((out / "reminders.csv").read_bytes())
    assert '\'=HYPERLINK("http://evil.example";"clic")' in reminders
    assert {"'+39 333 1234567", "'-1", "'@Rossi", "'-Esposito", "'=1+1"} <= set(reminders)
    accounts = csv_cells((out / "accounts.csv").read_bytes())
    assert {"'=1+1", "'@SUM(A1)", "'=cmd|' /C calc'!A0", "'-2+3"} <= set(accounts)
    assert "'=Comune(1)" in csv_cells((out / "rows.csv").read_bytes())
    column = [c.value for c in openpyxl.load_workbook(out / "reminders.xlsx").active["A"]]
    assert column == ["Comune", "Melito di Napoli", '\'=HYPERLINK("http://evil.example";"clic")', "Castel d'Azzano"]


def test_the_reminders_export_is_inert(hostile, capsys):
    run_cli(hostile, "reminders", "export", "--database", str(hostile / "p.sqlite3"), "--out", str(hostile / "r"))
    assert assert_inert_dir(hostile / "r") == 3
    with zipfile.ZipFile(hostile / "r" / "reminder-drafts.zip") as archive:
        index = csv_cells(archive.read("elenco.csv"))
    assert '\'=HYPERLINK("http://evil.example";"clic")' in index


@pytest.mark.parametrize("start", DANGEROUS)
def test_every_text_column_of_the_dashboard_downloads_is_inert(hostile, start):
    from conftest import snapshot

    snap = snapshot(RESPONSES, comuni_csv=COMUNI)
    table = reminders_list(snap)
    text_columns = [c for c in table.columns if table[c].dtype == object or str(table[c].dtype) in ("str", "string")]
    for column in text_columns:
        table[column] = start + "1+1 " + table[column].astype(str)
    table["reason"] = "missing"  # the drafts need a real reason
    frame = export_frame(table)
    assert_inert_csv(to_csv_bytes(frame), "Scarica CSV")
    assert_inert_xlsx(to_xlsx_bytes(frame, "Promemoria", EXPORT_LABELS), "Scarica Excel")
    letters = drafts(table, snap.settings, Templates())
    with zipfile.ZipFile(io.BytesIO(drafts_zip(letters, Templates(), snap.settings.as_of_local))) as archive:
        assert_inert_csv(archive.read("elenco.csv"), "bozze/elenco.csv")
    assert any(cell.startswith("'" + start) for cell in csv_cells(to_csv_bytes(frame)))
