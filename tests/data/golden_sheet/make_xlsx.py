"""Build risposte.xlsx from risposte.csv, as Google Sheets' "Scarica > Microsoft Excel (.xlsx)" does.

The CSV is the hand-written source of the golden scenario. In the XLSX download the timestamps
are real datetime cells (not text); a timestamp that is not a real date ("31/9/2023 ...", typed
by hand into the sheet) stays a text cell; empty answers are empty cells.

Run from anywhere: ``python tests/data/golden_sheet/make_xlsx.py``. Re-running it gives the same
cells (only the zip's own timestamps change); tests/test_golden.py checks the two files agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "risposte.csv"
TARGET = HERE / "risposte.xlsx"
ITALIAN_TIMESTAMP = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2})\.(\d{2})\.(\d{2})$")
FIXED_MOMENT = dt.datetime(2023, 10, 2, 9, 0, 0)


def timestamp_cell(text: str) -> dt.datetime | str:
    """A datetime for a real Italian-locale timestamp, else the text unchanged."""
    m = ITALIAN_TIMESTAMP.match(text)
    if not m:
        return text
    day, month, year, hour, minute, second = map(int, m.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:  # e.g. 31 September: keep what was typed
        return text


def main() -> None:
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    book = Workbook()
    sheet = book.active
    sheet.title = "Risposte del modulo 1"
    sheet.append(rows[0])
    for record in rows[1:]:
        values: list[object] = [timestamp_cell(record[0]), *record[1:]]
        sheet.append([None if v == "" else v for v in values])
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "dd/mm/yyyy hh:mm:ss"
    book.properties.creator = "Google Sheets"
    book.properties.created = FIXED_MOMENT
    book.properties.modified = FIXED_MOMENT
    book.save(TARGET)


if __name__ == "__main__":
    main()
