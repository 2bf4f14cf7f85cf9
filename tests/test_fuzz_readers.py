"""Fuzzing the readers: any bytes give a Grid of text cells or a clear SourceError, never a traceback.

Fixed example budgets (derandomized), so every run of the suite tries the same inputs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_sources import Grid, SourceError, read_source


def fuzz(examples: int):
    return settings(
        max_examples=examples, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )


def read(data: bytes, name: str = "risposte.csv") -> Grid | None:
    """read_source on ``data``: a well-formed Grid, or None after a non-empty Italian SourceError."""
    buffer = io.BytesIO(data)
    buffer.name = name
    try:
        grid = read_source(buffer)
    except SourceError as err:
        assert str(err).strip() and "Traceback" not in str(err)
        return None
    cells = grid.cells
    assert not cells.empty
    assert list(cells.columns) == list(range(cells.shape[1]))
    assert list(cells.index) == list(range(1, len(cells) + 1))  # sheet row numbers
    assert all(isinstance(v, str) for v in cells.to_numpy().ravel())
    assert cells.ne("").any(axis=1).iloc[-1]  # trailing blank lines are not rows; every other line is
    return grid


def csv_bytes(rows: list[list[str]], sep: str, encoding: str, terminator: str = "\n", sep_line: bool = False) -> bytes:
    buffer = io.StringIO()
    if sep_line:  # Excel's first line naming the delimiter
        buffer.write(f"sep={sep}{terminator}")
    csv.writer(buffer, delimiter=sep, quoting=csv.QUOTE_ALL, lineterminator=terminator).writerows(rows)
    return buffer.getvalue().encode(encoding)


def trimmed(rows: list[list[str]]) -> list[list[str]]:
    rows = [list(r) for r in rows]
    while rows and all(c == "" for c in rows[-1]):
        rows.pop()
    return rows


CELL = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12),
    st.sampled_from(["\ufeffComune", "Pater\u200bno", "Nola\u00a0", "sep=;", "<head>", "Totale comuni: 130"]),
)
WEB_PAGE = (
    r'"?<(?:\?xml|!doctype\s+html|html|head|body|script|meta|title|style|link|div|iframe|noscript|table|form|h[1-6])\b'
)

ITALIAN = st.text(alphabet="abcdeèéìòùàAÈÌÒÙ '’-,;\"\n", max_size=10)  # valid in both UTF-8 and cp1252


@fuzz(400)
@given(st.binary(max_size=400))
def test_random_bytes(data):
    read(data)


@fuzz(200)
@given(st.binary(max_size=300))
def test_random_bytes_after_a_zip_signature(data):
    assert read(b"PK\x03\x04" + data, "risposte.xlsx") is None


@fuzz(400)
@given(st.text(max_size=300), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
def test_random_unicode_in_every_encoding(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
    read(data)


@fuzz(300)
@given(
    st.integers(1, 5),
    st.data(),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_every_cell_comes_back_as_written(width, data, sep, encoding, terminator, sep_line):
    """Quoted CSV (any delimiter, encoding, line ending, BOM, Excel's sep= line, newlines inside
    cells, invisible characters): cell for cell."""
    rows = data.draw(st.lists(st.lists(CELL, min_size=width, max_size=width), min_size=1, max_size=6))
    if terminator == "\r":  # old Mac files: a lone CR ends the line, so no CR or LF inside cells
        rows = [[c.replace("\r", " ").replace("\n", " ") for c in r] for r in rows]
    try:
        raw = csv_bytes(rows, sep, encoding, terminator, sep_line)
    except UnicodeEncodeError:
        return
    grid = read(raw)
    if grid is None:  # only a file with nothing in it, or one that looks like a web page
        text = csv_bytes(rows, sep, encoding, terminator).decode(encoding).lstrip("\ufeff \t\r\n").lower()
        assert not trimmed(rows) or re.match(WEB_PAGE, text) or "<html" in text[:200]
        return
    assert grid.cells.to_numpy().tolist() == trimmed(rows)


@fuzz(150)
@given(st.lists(st.tuples(st.lists(ITALIAN, min_size=2, max_size=2), st.booleans()), min_size=2, max_size=8))
def test_lines_in_mixed_encodings_are_each_decoded(lines):
    """A file pasted together from a UTF-8 and a cp1252 (Excel) file: each line decoded as written."""
    raw = b"".join(csv_bytes([cells], ";", "utf-8" if utf8 else "cp1252") for cells, utf8 in lines)
    grid = read(raw)
    expected = trimmed([cells for cells, _ in lines])
    if grid is None:
        assert not expected
        return
    assert grid.cells.to_numpy().tolist() == expected


_ILLEGAL_IN_XLSX = "".join(chr(c) for c in range(32) if c not in (9, 10, 13))
XLSX_VALUE = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters=_ILLEGAL_IN_XLSX), max_size=10),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.times(),
    st.sampled_from(["=1+1", '=HYPERLINK("http://x","y")', "=A1", "@SUM(A1)", "+39 333 1234567"]),
)


@fuzz(60)
@given(st.lists(st.lists(XLSX_VALUE, max_size=5), max_size=6))
def test_xlsx_with_any_cells(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    grid = read(buffer.getvalue(), "risposte.xlsx")
    if grid is not None:
        assert grid.cells.shape[0] <= len(rows)
