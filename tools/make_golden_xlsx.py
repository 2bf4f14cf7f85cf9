"""Build the XLSX files of the golden scenarios in tests/data from their sources: ``python3 tools/make_golden_xlsx.py``.

- ``golden_sheet/risposte.xlsx`` from ``golden_sheet/risposte.csv``, as Google Sheets' "Scarica >
  Microsoft Excel (.xlsx)" does: the CSV is the hand-written source of the golden scenario; in the
  XLSX download the timestamps are real datetime cells (not text), a timestamp that is not a real
  date ("31/9/2023 ...", typed by hand into the sheet) stays a text cell, empty answers are empty
  cells.
- ``golden_form_download/comuni.xlsx``, the PM's list of comuni as an Excel file saved by hand, from
  ``COMUNI`` below (the source). The traps of a real hand-kept workbook: the ISTAT codes were typed
  into number cells, so Excel dropped their leading zeros (063050 became 63050); "NA" (Napoli) is
  the province of three comuni; one comune has no PEC; a name was pasted with a typographic
  apostrophe ("Cava de’ Tirreni").

Re-running it gives the same cells (only the zip's own timestamps change); tests/test_golden.py
checks that the committed files are what this script makes.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SHEET = DATA / "golden_sheet"
FORM = DATA / "golden_form_download"
ITALIAN_TIMESTAMP = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2})\.(\d{2})\.(\d{2})$")

HEADER = ("Comune", "Provincia", "Codice ISTAT", "Referente", "PEC")
COMUNI = (
    ("Nola", "NA", 63050, "Rosa Ruggiero", "protocollo@pec.comune.nola.na.it"),
    ("Ottaviano", "NA", 63051, "Biagio Iervolino", "protocollo@pec.comune.ottaviano.na.it"),
    ("Acerra", "NA", 63001, "Salvatore Montano", "protocollo@pec.comune.acerra.na.it"),
    ("Sant'Egidio del Monte Albino", "SA", 65130, "Teresa Califano", None),
    ("Cava de’ Tirreni", "SA", 65037, "Alfonso Senatore", "protocollo@pec.comune.cavadetirreni.sa.it"),
    ("Pagani", "SA", 65088, "Domenico Fiore", "protocollo@pec.comune.pagani.sa.it"),
    ("Sarno", "SA", 65135, "Luigi Robustelli", "protocollo@pec.comune.sarno.sa.it"),
)


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


def sheet_xlsx(source: Path = SHEET / "risposte.csv", target: Path = SHEET / "risposte.xlsx") -> None:
    """The golden sheet's responses as Google Sheets' XLSX download."""
    with source.open(encoding="utf-8", newline="") as handle:
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
    moment = dt.datetime(2023, 10, 2, 9, 0, 0)
    book.properties.creator = "Google Sheets"
    book.properties.created = moment
    book.properties.modified = moment
    book.save(target)


def comuni_xlsx(target: Path = FORM / "comuni.xlsx") -> None:
    """The PM's hand-kept list of comuni of the form-download scenario."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Comuni 1.4.1"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in COMUNI:
        sheet.append(record)
    moment = dt.datetime(2023, 8, 21, 17, 30, 0)
    book.properties.creator = "PM"
    book.properties.created = moment
    book.properties.modified = moment
    book.save(target)


def main() -> None:
    sheet_xlsx()
    comuni_xlsx()


if __name__ == "__main__":
    main()
