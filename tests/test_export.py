"""Everything written as CSV or XLSX neutralises spreadsheet formulas."""

import csv
import io

import openpyxl
import pandas as pd
import pytest

from rollout.outputs.files import safe_text, to_csv_bytes, to_xlsx_bytes

DANGEROUS = ["=1+1", "+39 333", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://evil";"clic")']


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_gets_an_apostrophe(text):
    assert safe_text(text) == "'" + text


def test_numbers_and_plain_text_are_untouched():
    assert safe_text(-2) == -2
    assert safe_text("Castel d'Azzano") == "Castel d'Azzano"


def frame():
    return pd.DataFrame({"text": [*DANGEROUS, "ok"], "number": list(range(-1, len(DANGEROUS)))})


def test_csv_has_no_cell_a_spreadsheet_would_evaluate():
    data = to_csv_bytes(frame())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    texts = [r[0] for r in rows[1:]]
    assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    assert texts[0] == "'=1+1"
    assert rows[1][1] == "-1"  # a real number stays a number


def test_xlsx_has_no_formula_cell():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame(), "Promemoria")))
    ws = book.active
    assert ws.title == "Promemoria"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:B9"
    types = {cell.data_type for row in ws.iter_rows() for cell in row}
    assert "f" not in types
    assert ws["A2"].value == "'=1+1"
    assert ws["B2"].value == -1


def test_xlsx_strips_characters_excel_cannot_store():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame({"t": ["a\x00b\x07c"]}))))
    assert book.active["A2"].value == "abc"
