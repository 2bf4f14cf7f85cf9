"""Write tables as CSV and XLSX that no spreadsheet will execute.

The form is public: any text may start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, which spreadsheets read as a formula. Such cells get a leading apostrophe. Characters
that XML (hence XLSX) cannot hold are removed first, in CSV too, and the check is made on the
cleaned text: ``"\\x01=1+1"`` becomes ``'=1+1``, never a bare ``=1+1``.

XLSX files are written with xlsxwriter (pandas' preferred engine) in constant-memory mode, with
its string-to-formula, -URL and -number conversions off: every text is written as text.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 cannot hold (tab, line feed and carriage return are allowed).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_OPTIONS = {
    "constant_memory": True,  # rows go to disk as they are written
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79", "pattern": 1}


def safe_text(value: object) -> object:
    """A text cell cleaned of illegal characters and made inert; other values are left as they are."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def _safe_column(column: pd.Series) -> pd.Series:
    if column.dtype == object:  # mixed values: one by one
        return column.map(safe_text)
    if not pd.api.types.is_string_dtype(column):
        return column
    cleaned = column.str.replace(_ILLEGAL.pattern, "", regex=True)
    risky = cleaned.str.startswith(_FORMULA_START).fillna(False).astype(bool)
    return cleaned.mask(risky, "'" + cleaned) if risky.any() else cleaned


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header passed through ``safe_text`` (column by column)."""
    out = pd.DataFrame({i: _safe_column(frame.iloc[:, i]) for i in range(frame.shape[1])}, index=frame.index)
    out.columns = [safe_text(str(c)) for c in frame.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel then shows accents right), comma separated, formula-safe."""
    # CRLF (RFC 4180) also makes pandas quote cells holding a bare "\r".
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Dati", labels: Mapping[str, str] | None = None) -> bytes:
    """A formatted XLSX: bold frozen header, filters, column widths; text cells never formulas."""
    buffer = io.BytesIO()
    write_xlsx(frame, buffer, sheet, labels)
    return buffer.getvalue()


def write_xlsx(
    frame: pd.DataFrame, target: str | Path | BinaryIO, sheet: str = "Dati", labels: Mapping[str, str] | None = None
) -> None:
    """Write ``frame`` as an XLSX file (a path or a binary file object); see ``to_xlsx_bytes``."""
    import xlsxwriter

    data = safe_frame(frame)
    headers = [str(safe_text((labels or {}).get(str(c), str(c)))) for c in frame.columns]
    book = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, _XLSX_OPTIONS)
    try:
        ws = book.add_worksheet(sheet[:31])
        ws.freeze_panes(1, 0)
        for i, header in enumerate(headers):
            values = [header, *map(str, data.iloc[:200, i].tolist())]
            ws.set_column(i, i, min(60, max(8, *(len(v) for v in values)) + 2))
        if headers:
            ws.autofilter(0, 0, len(data), len(headers) - 1)
        header_format = book.add_format(_HEADER)
        for i, header in enumerate(headers):
            ws.write_string(0, i, header, header_format)
        _write_rows(ws, [data.iloc[:, i].tolist() for i in range(data.shape[1])])
    finally:
        book.close()


def _write_rows(ws, columns: list[list[object]]) -> None:
    """The cells below the header, row by row (constant-memory mode), each by its type."""
    write_string, write_number, write_boolean, write = ws.write_string, ws.write_number, ws.write_boolean, ws.write
    for r, record in enumerate(zip(*columns, strict=True), start=1):
        for c, value in enumerate(record):
            kind = value.__class__
            if kind is str:
                if value:
                    write_string(r, c, value)
            elif kind is bool:
                write_boolean(r, c, value)
            elif kind is int:
                write_number(r, c, value)
            elif kind is float:
                if not math.isnan(value):
                    write_number(r, c, value)
            elif value is None or pd.isna(value):
                continue
            elif hasattr(value, "item"):  # numpy scalars
                write(r, c, value.item())
            else:
                write(r, c, value)


def write_table(frame: pd.DataFrame, out_dir: Path, stem: str, labels: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``stem.csv`` and ``stem.xlsx`` into ``out_dir``; return their paths."""
    return [write_csv(frame, out_dir, stem), write_xlsx_file(frame, out_dir, stem, labels)]


def write_csv(frame: pd.DataFrame, out_dir: Path, stem: str) -> Path:
    path = out_dir / f"{stem}.csv"
    path.write_bytes(to_csv_bytes(frame))
    return path


def write_xlsx_file(
    frame: pd.DataFrame, out_dir: Path, stem: str, labels: Mapping[str, str] | None = None, sheet: str = ""
) -> Path:
    """``stem.xlsx`` in ``out_dir``, its sheet named ``sheet`` (default: the stem, capitalised)."""
    path = out_dir / f"{stem}.xlsx"
    write_xlsx(frame, path, sheet or stem.capitalize(), labels)
    return path
