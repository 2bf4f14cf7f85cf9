"""Write tables as CSV and XLSX that no spreadsheet will execute.

The form is public: any text may start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, which spreadsheets read as a formula. Such cells get a leading apostrophe.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """A text cell made inert; numbers, booleans and empty cells are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_text)
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel then shows accents right), comma separated, formula-safe."""
    # CRLF (RFC 4180) also makes pandas quote cells holding a bare "\r".
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Dati", labels: Mapping[str, str] | None = None) -> bytes:
    """A formatted XLSX: bold frozen header, filters, column widths; text cells never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    data = safe_frame(frame)
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    headers = [(labels or {}).get(str(c), str(c)) for c in frame.columns]
    ws.append([safe_text(h) for h in headers])
    for record in data.itertuples(index=False):
        ws.append([_xlsx_value(v, ILLEGAL_CHARACTERS_RE) for v in record])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # never a formula, whatever the text
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    if frame.shape[1]:
        ws.auto_filter.ref = ws.dimensions
    for i in range(1, frame.shape[1] + 1):
        values = [headers[i - 1], *map(str, data.iloc[:200, i - 1].tolist())]
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, *(len(v) for v in values)) + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: object, illegal) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return illegal.sub("", value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_table(frame: pd.DataFrame, out_dir: Path, stem: str, labels: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``stem.csv`` and ``stem.xlsx`` into ``out_dir``; return their paths."""
    csv_path = out_dir / f"{stem}.csv"
    xlsx_path = out_dir / f"{stem}.xlsx"
    csv_path.write_bytes(to_csv_bytes(frame))
    xlsx_path.write_bytes(to_xlsx_bytes(frame, stem.capitalize(), labels))
    return [csv_path, xlsx_path]
