"""Turn the bytes of a CSV or XLSX file into a Grid of text cells (workbooks: ``xlsx``).

The format is recognised from the content, not the file name: Google Sheets downloads, Excel
exports (cp1252, semicolons, UTF-16 "Unicode text") and the open-data CSVs all come through here.
"""

from __future__ import annotations

import csv
import io
import itertools
import re

import pandas as pd

from data_sources.errors import SourceError, protected_workbook
from data_sources.grid import Grid, drop_trailing_empty, text_frame

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS = (",", ";", "\t", "|")
# A web page, however it starts: a login or error page served instead of the CSV.
_WEB_PAGE = re.compile(
    r"<(?:!doctype\s+html|html|head|body|script|meta|title|style|link|div|iframe|noscript|table|form|h[1-6])\b"
)
# Excel's first line naming the delimiter ("sep=;"): an instruction, not a header.
_SEP_LINE = re.compile(rb'^(?:\xef\xbb\xbf)?"?sep=([,;\t|])"?[ \t]*(?:\r\n|\n|\r)', re.IGNORECASE)


def read_bytes(data: bytes, origin: str, sheet: str | None = None) -> Grid:
    """Read a whole file given as bytes; ``origin`` names it in messages."""
    if not data or not data.strip():
        raise SourceError(f"Il file {origin} è vuoto.")
    if data.startswith(XLSX_MAGIC):
        from data_sources.xlsx import read_workbook  # only workbooks pay for its import

        return read_workbook(data, origin, sheet)
    if is_encrypted_office(data):
        raise SourceError(protected_workbook(origin))
    if data.startswith(OLE2_MAGIC):
        raise SourceError(
            f"{origin} è un file Excel 97-2003 (.xls), non supportato: salvalo come .xlsx o .csv e riprova."
        )
    if sheet:
        raise SourceError(f"{origin} è un file CSV: non ha fogli, togli l'indicazione del foglio '{sheet}'.")
    sep = None
    if m := _SEP_LINE.match(data):  # the line is dropped: Excel does not show it either
        sep, data = m[1].decode(), data[m.end() :]
        if not data.strip():
            raise SourceError(f"Il file {origin} è vuoto.")
    encoding = _encoding(data)
    if encoding in ("utf-16", "mixed"):
        return read_csv_text(decode_text(data, origin), origin, sep)
    head = data[:65536].decode(encoding, errors="ignore")
    _check_text(head, data[:65536], origin)
    sep = sep or sniff_delimiter(head)
    fast = _read_csv_arrow(data, encoding, sep)
    if fast is not None:
        if fast.empty:  # only delimiters, quotes or blank lines
            raise SourceError(f"Il file {origin} è vuoto.")
        # Every row had the header's width: only a last cell left open by a quote can be cut.
        if _open_at_end(data, encoding, str(fast.iat[-1, -1]), sep):
            raise SourceError(_cut(origin, _OPEN_QUOTE))
        return Grid(cells=fast, origin=origin)
    return read_csv_text(decode_text(data, origin), origin, sep)


def _encoding(data: bytes) -> str:
    """UTF-16 (with BOM), UTF-8 (with or without BOM), else cp1252 or latin-1 as Excel writes;
    "mixed" when some lines are UTF-8 and others are not (decoded line by line)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    if any(_is_utf8_text(line) for line in data.splitlines()):
        return "mixed"  # lines pasted from a UTF-8 file into a cp1252 one, or the reverse
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _is_utf8_text(line: bytes) -> bool:
    """A line with accented letters written in UTF-8 (not plain ASCII, valid UTF-8)."""
    if line.isascii():
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_mixed(data: bytes) -> str:
    """Line by line: UTF-8 where a line is valid UTF-8, else cp1252 (latin-1 for its 5 holes)."""
    out = []
    for line in data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                out.append(line.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    return "".join(out)


def _check_text(head: str, raw_head: bytes, origin: str) -> None:
    """Refuse binary content and web pages before parsing."""
    if b"\x00" in raw_head:
        raise SourceError(f"{origin} non è un file di testo CSV né un file XLSX (contenuto binario).")
    probe = head.lstrip("\ufeff \t\r\n")[:512].lower()
    if probe.startswith("<?xml") or _WEB_PAGE.match(probe) or "<html" in probe[:200]:
        raise SourceError(
            f"{origin} contiene una pagina web (HTML), non un CSV: se è un link a un foglio Google, "
            "verifica che sia condiviso e che il link sia quello di esportazione CSV."
        )


def decode_text(data: bytes, origin: str) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252/latin-1."""
    encoding = _encoding(data)
    try:
        text = (
            _decode_mixed(data)
            if encoding == "mixed"
            else data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        )
    except UnicodeDecodeError as err:
        raise SourceError(f"{origin}: testo {encoding.upper()} non valido ({err.reason}).") from None
    _check_text(text[:65536], data[:65536] if encoding != "utf-16" else b"", origin)
    return text


def _read_csv_arrow(data: bytes, encoding: str, sep: str) -> pd.DataFrame | None:
    """The fast reader (Arrow's CSV parser); None when the file needs the tolerant one."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    text_head = data[:65536].decode(encoding, errors="ignore").lstrip("\ufeff")
    try:
        width = len(next(csv.reader(io.StringIO(text_head), delimiter=sep)))
    except (StopIteration, csv.Error):
        return None
    if width == 0:  # a blank first line: the tolerant reader keeps it as a row
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(column_names=names, encoding="utf8" if encoding == "utf-8" else encoding),
            parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
        return None  # ragged rows, stray quotes: the tolerant reader keeps every cell
    cells = table.to_pandas()
    cells.columns = range(width)
    return drop_trailing_empty(cells)


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of , ; TAB | outside quotes."""
    first = _first_record(text)
    counts = {d: 0 for d in _DELIMITERS}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _first_record(text: str) -> str:
    """The first non-blank record; a quoted cell may span lines (a header written on two lines)."""
    record = ""
    for line in io.StringIO(text, newline=""):
        if not record and not line.strip():
            continue
        record += line
        if record.count('"') % 2 == 0:
            return record
    return record


def read_csv_text(text: str, origin: str, sep: str | None = None) -> Grid:
    """Parse decoded CSV text into a Grid; ragged rows are kept, never dropped."""
    if sep is None and (m := re.match(r'^\ufeff?"?sep=([,;\t|])"?[ \t]*(?:\r\n|\n|\r)', text, re.IGNORECASE)):
        sep, text = m[1], text[m.end() :]  # Excel's "sep=;" line, in a UTF-16 file
    sep = sep or sniff_delimiter(text)
    notes: list[str] = []
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise SourceError(f"Il file {origin} è vuoto.") from None
    except (pd.errors.ParserError, ValueError):  # also a body that ends inside a quoted cell
        try:
            cells, extra = _read_ragged(text, sep)
        except csv.Error as err:
            raise SourceError(f"{origin} non è un CSV leggibile ({err}).") from None
        except _OpenQuoteError:
            raise SourceError(_cut(origin, _OPEN_QUOTE)) from None
        if extra:
            notes.append(
                f"{extra} righe hanno più celle dell'intestazione: le celle in eccesso sono state "
                "unite nell'ultima colonna."
            )
    if why := _short_last_line(text, sep):  # after the parse: it has ruled out an open quote at the end
        raise SourceError(_cut(origin, why))
    cells = drop_trailing_empty(cells)
    if cells.empty:
        raise SourceError(f"Il file {origin} è vuoto.")
    return Grid(cells=cells, origin=origin, notes=tuple(notes))


_OPEN_QUOTE = "finisce dentro un valore tra virgolette mai chiuso"
_END = "\ue000"  # a private-use character: the sentinel row that shows whether a quote is left open
_HEADER_ROWS = 10  # where the header is looked for: under a title row or two
_TAIL_CHARS = 1 << 20  # how far back the last line is looked for (a quoted cell may span lines)


class _OpenQuoteError(Exception):
    """The text ends inside a quoted cell."""


def _cut(origin: str, why: str) -> str:
    return f"Il file {origin} sembra troncato: {why}. Scaricalo o esportalo di nuovo e riprova."


def _short_last_line(text: str, sep: str) -> str:
    """Why ``text`` looks like a CSV body cut in the middle of its last line (Italian), or "".

    Google Sheets, Excel and LibreOffice write every cell of every row, so a complete last line is
    never shorter than the header; a short one that ends with a line end was written so (a hand-made
    file), not cut. The header is the widest of the first rows (a title row above it does not
    count), up to its last non-empty cell (trailing empty columns lose nothing). A look at the end of
    the text, not a parse of it; an open quote at the end is for the parsers to find.
    """
    if text.endswith(("\n", "\r")):
        return ""
    last = _last_record(text, sep)
    if last is None or not "".join(last).strip():
        return ""
    width = _header_width(text, sep)
    if len(last) >= width:
        return ""
    cells = "1 campo" if len(last) == 1 else f"{len(last)} campi"
    of = "degli" if str(width)[0] == "8" or width == 11 else "dei"  # degli otto, degli undici
    return f"l'ultima riga ha {cells} invece {of} {width} dell'intestazione e non finisce con un a capo"


def _last_record(text: str, sep: str) -> list[str] | None:
    """The cells of the last record: it starts after the last line end followed by an even number of
    quotes (a quoted cell may span lines). None when that is not found near the end (a stray quote)."""
    pos, quotes, start = len(text), 0, 0
    floor = max(0, len(text) - _TAIL_CHARS)
    while True:
        newline = max(text.rfind("\n", floor, pos), text.rfind("\r", floor, pos))
        if newline < 0:
            if floor > 0:
                return None
            break
        quotes += text.count('"', newline + 1, pos)
        if quotes % 2 == 0:
            start = newline + 1
            break
        pos = newline
    try:
        rows = list(csv.reader(io.StringIO(text[start:], newline=""), delimiter=sep))
    except csv.Error:
        return None
    return rows[-1] if rows else None


def _header_width(text: str, sep: str) -> int:
    """Cells up to the last non-empty one, in the widest of the first rows."""
    head = text[:65536].lstrip("\ufeff")
    widest = 0
    try:
        for row in itertools.islice(csv.reader(io.StringIO(head, newline=""), delimiter=sep), _HEADER_ROWS):
            filled = [i for i, cell in enumerate(row) if cell.strip()]
            widest = max(widest, filled[-1] + 1 if filled else 0)
    except csv.Error:
        pass
    return widest


def _open_at_end(data: bytes, encoding: str, last_cell: str, sep: str) -> bool:
    """Whether the body ends inside a quoted cell, given the last cell as the fast reader read it: an
    open cell runs to the end of the body, right after its opening quote (quotes inside it doubled)."""
    written = last_cell.replace('"', '""')
    tail = data[-(4 * len(written) + 8) :].decode(encoding, errors="ignore")
    if not tail.endswith(written):
        return False
    before = tail[: len(tail) - len(written)]
    return before.endswith('"') and (len(before) == 1 or before[-2] in (sep, "\n", "\r", "\ufeff"))


def _read_ragged(text: str, sep: str) -> tuple[pd.DataFrame, int]:
    """Fallback for rows longer than the header: join the extra cells into the last column.

    Raises _OpenQuoteError when the text ends inside a quoted cell (a sentinel row after the text
    would be swallowed by it)."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 2))  # a huge cell is still a cell
    # newline="": a lone CR (old Mac files) ends a line instead of breaking the parser.
    end = _END if text.endswith(("\n", "\r")) else f"\n{_END}"
    rows = list(csv.reader(io.StringIO(text + end, newline=""), delimiter=sep))
    if not rows or rows.pop() != [_END]:
        raise _OpenQuoteError
    width = len(rows[0]) if rows else 0
    extra = 0
    fixed: list[list[str]] = []
    for row in rows:
        if len(row) > width:
            extra += 1
            row = [*row[: width - 1], sep.join(row[width - 1 :])]
        fixed.append(row + [""] * (width - len(row)))
    return text_frame(fixed), extra


def is_encrypted_office(data: bytes) -> bool:
    """An OLE2 container holding an encrypted Office Open XML package (a password-protected XLSX)."""
    return data.startswith(OLE2_MAGIC) and "EncryptedPackage".encode("utf-16-le") in data
