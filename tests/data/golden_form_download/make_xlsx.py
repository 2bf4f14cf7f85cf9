"""Build comuni.xlsx: the PM's list of comuni as an Excel file saved by hand.

The traps of a real hand-kept workbook: the ISTAT codes were typed into number cells, so Excel
dropped their leading zeros (063050 became 63050); "NA" (Napoli) is the province of three comuni;
one comune has no PEC; a name was pasted with a typographic apostrophe ("Cava de’ Tirreni").
The data below is the source; run ``python tests/data/golden_form_download/make_xlsx.py`` to
rebuild the committed file (same cells every time; only the zip's own timestamps change).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
TARGET = HERE / "comuni.xlsx"
FIXED_MOMENT = dt.datetime(2023, 8, 21, 17, 30, 0)

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


def main() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Comuni 1.4.1"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in COMUNI:
        sheet.append(record)
    book.properties.creator = "PM"
    book.properties.created = FIXED_MOMENT
    book.properties.modified = FIXED_MOMENT
    book.save(TARGET)


if __name__ == "__main__":
    main()
