"""One linear pass over a sheet's XML before calamine reads it: how far its cells reach, and its
formulas without a computed value.

calamine puts each cell where its ``r`` attribute says (else after the previous cell of its row)
and fills the whole area from A1 to the farthest cell: one cell at XFD1048576 asks for 17 billion
cells. ``scan_sheet`` finds that area first. Files as Excel, Google Sheets, LibreOffice and the
Python writers save them (every cell written ``<c r="B7" …>``, no prefixes, no comments) are
scanned with a few regular expressions that never backtrack over more than one tag; anything else
goes through expat, the XML parser, which follows calamine's own counting. Neither ever takes more
than linear time, whatever the text holds.

``scan_ods`` does the same for an ODS file's content, whose rows and cells can say they repeat.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from xml.parsers import expat

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's grid; calamine's caps for ODS
MAX_CELLS = 1_500_000  # the area a sheet may fill (rows × columns from A1): 75,000 rows × 20 columns
MAX_FORMULAS = 100_000  # formula cells without a value, read as their text


class ScanError(Exception):
    """The XML is not a sheet calamine could read alike (malformed, a DOCTYPE, another encoding...)."""


class TooManyFormulas(Exception):
    """More than ``MAX_FORMULAS`` formula cells without a value."""


@dataclass
class SheetScan:
    """The area calamine fills (``rows`` × ``columns`` from A1, at least) and the formulas without a
    value: (row, column) from 0 → the formula's text without "="."""

    rows: int = 0
    columns: int = 0
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    def reach(self, row: int, column: int) -> None:
        self.rows = max(self.rows, row + 1)
        self.columns = max(self.columns, column + 1)


_REF = rb"[A-Z]{1,3}[1-9][0-9]{0,6}"
_ATTR = rb' [A-Za-z][\w:.-]*="[^"<>]*"'
_OTHER_ATTRS = rb'(?: [A-Za-qs-z][\w:.-]*="[^"<>]*")* ?/?>'  # any but a second r (names starting with r: none)
_DECLARATION = re.compile(rb'\A(?:\xef\xbb\xbf)?<\?xml(?: [a-z]+=(?:"[^"<>]*"|\'[^\'<>]*\'))* ?\?>')
_UTF8 = re.compile(rb'encoding=["\'](?i:utf-8)["\']')
# A prefixed cell, formula, value or inline string (<x:c …>): read by expat, which knows prefixes.
_PREFIXED = re.compile(rb":(?:c|f|v|is)[\s/>]")
# A cell tag not written <c r="B7" name="value"…> (r first, once, a plain reference).
_ODD_CELL = re.compile(rb'<c(?! r="' + _REF + rb'"' + _OTHER_ATTRS + rb")[\s/>]")
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_DIMENSION = re.compile(rb'<dimension ref="(?:' + _REF + rb':)?([A-Z]{1,3})([1-9][0-9]{0,6})"')
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?:' + _ATTR + rb")* ?>"
    rb"<f((?:" + _ATTR + rb")*) ?(?:>([^<]*)</f>|/>)"
    rb"(?:<v>([^<]*)</v>|<v ?/>)?</c>"
)
_SHARED_INDEX = re.compile(rb'\bsi="([0-9]+)"')
_CHUNK = 2**20


def column_number(letters: str) -> int:
    """``"A"`` → 1, ``"XFD"`` → 16384."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def column_letters(number: int) -> str:
    """1 → ``"A"``, 16384 → ``"XFD"``."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def scan_sheet(xml: bytes) -> SheetScan:
    """The area and the formulas without a value of one worksheet's XML; ScanError when the XML
    is not one calamine reads as this scan does, TooManyFormulas past ``MAX_FORMULAS``.

    The fast path looks at every ``<c`` of the text, inside comments or not: it may count a cell
    that is not one (a larger area, never a smaller one), never miss one."""
    declaration = _DECLARATION.match(xml)
    start = declaration.end() if declaration else 0
    if declaration and b"encoding" in declaration[0] and not _UTF8.search(declaration[0]):
        raise ScanError("not UTF-8")
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:512]:
        raise ScanError("UTF-16")
    scan = SheetScan()
    if _PREFIXED.search(xml, start) or not _fast_area(xml, start, scan):
        return _scan_with_expat(xml)
    if xml.find(b"<f", start) >= 0 and not _fast_formulas(xml, start, scan):
        return _scan_with_expat(xml)
    return scan


def _fast_area(xml: bytes, start: int, scan: SheetScan) -> bool:
    """When every cell is written <c r="…">: the declared dimension if every cell lies within it,
    else the farthest cell (found in slices, so that no list of every cell is ever held). False
    when a cell is written otherwise (its place then depends on the cells before it)."""
    odd_from = start
    dimension = _DIMENSION.search(xml, start)  # only a hint: every cell is checked against it
    if dimension:
        columns, rows = column_number(dimension[1].decode()), int(dimension[2])
        if rows * columns <= MAX_CELLS:
            within = rb'<c(?! r="' + _letters_upto(dimension[1].decode()) + _number_upto(rows) + rb'"'
            outside = re.compile(within + _OTHER_ATTRS + rb")[\s/>]").search(xml, start)
            if outside is None:  # one pass: every cell written plainly, and inside the dimension
                scan.rows, scan.columns = rows, columns
                return True
            odd_from = outside.start()
    if _ODD_CELL.search(xml, odd_from):
        return False
    position = start
    while position < len(xml):
        end = xml.find(b"<c ", position + _CHUNK)
        end = len(xml) if end < 0 else end
        found = _CELL_REF.findall(xml, position, end)
        if found:
            scan.reach(max(int(r) for _, r in found) - 1, max(column_number(c.decode()) for c, _ in found) - 1)
        position = end
    return True


def _number_upto(limit: int) -> bytes:
    """A pattern for the numbers from 1 to ``limit`` (no leading zero)."""
    digits = str(limit)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, ch in enumerate(digits):
        low = "1" if i == 0 else "0"
        if ch > low:
            options.append(f"{digits[:i]}[{low}-{chr(ord(ch) - 1)}][0-9]{{{len(digits) - i - 1}}}")
    return ("(?:" + "|".join([*options, digits]) + ")").encode()


def _letters_upto(letters: str) -> bytes:
    """A pattern for the column letters from A to ``letters``."""
    options = [f"[A-Z]{{1,{len(letters) - 1}}}"] if len(letters) > 1 else []
    for i, ch in enumerate(letters):
        if ch > "A":
            options.append(f"{letters[:i]}[A-{chr(ord(ch) - 1)}][A-Z]{{{len(letters) - i - 1}}}")
    return ("(?:" + "|".join([*options, letters]) + ")").encode()


def _fast_formulas(xml: bytes, start: int, scan: SheetScan) -> bool:
    """Each formula in a cell written as Excel writes it (<c …><f …>text</f><v>value</v></c>); False
    when one is not. Each stretch of the text is looked at once: linear, whatever it holds."""
    shared: dict[bytes, str] = {}
    children: dict[tuple[int, int], bytes] = {}
    done = start  # the end of the last formula cell read
    position = xml.find(b"<f", start)
    while position >= 0:
        after = xml[position + 2 : position + 3]
        if after in (b"\t", b"\n", b"\r"):
            return False
        if after not in (b">", b" ", b"/"):  # <firstHeader>, <filterColumn>...
            position = xml.find(b"<f", position + 2)
            continue
        cell_start = xml.rfind(b"<c ", done, position)
        match = _FORMULA_CELL.match(xml, cell_start) if cell_start >= 0 else None
        if not match or xml.find(b"<f", cell_start, match.end()) != position:  # not this cell's formula
            return False
        attrs, text, value = match[3], match[4] or b"", match[5]
        index = _SHARED_INDEX.search(attrs)
        if text and index and b't="shared"' in attrs:
            shared[index[1]] = _text(text)
        if not value:
            cell = (int(match[2]) - 1, column_number(match[1].decode()) - 1)
            if text or not index:
                _add(scan, cell, _text(text))
            else:
                children[cell] = index[1]
                _add(scan, cell, "")
        done = match.end()
        position = xml.find(b"<f", done)
    for cell, index in children.items():
        scan.formulas[cell] = shared.get(index, "")
    return True


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    return html.unescape(text) if "&" in text else text


def _add(scan: SheetScan, cell: tuple[int, int], text: str) -> None:
    if len(scan.formulas) >= MAX_FORMULAS:
        raise TooManyFormulas
    scan.formulas[cell] = text


def _position(value: str) -> tuple[int, int | None]:
    """A cell or row reference as calamine reads it: (row, column or None), from 0; ScanError when
    calamine would not read it or it lies outside Excel's grid."""
    match = re.fullmatch(r"([A-Za-z]{0,3})([0-9]{1,7})", value)
    if not match:
        raise ScanError(f"reference {value[:20]!r}")
    row, column = int(match[2]), column_number(match[1]) if match[1] else None
    if not 1 <= row <= MAX_ROWS or (column is not None and column > MAX_COLUMNS):
        raise ScanError(f"reference {value[:20]!r} outside the grid")
    return row - 1, None if column is None else column - 1


class _SheetParser:
    """expat handlers following calamine's reading of a worksheet (the first sheetData only; cells by
    their r, else after the previous one of their row; a row's r, else the row after the previous)."""

    def __init__(self) -> None:
        self.scan = SheetScan()
        self.state = "before"  # before, in (the first sheetData), after
        self.row = self.column = 0
        self.cell: tuple[int, int] | None = None
        self.depth = 0  # elements open inside the current cell
        self.reading: str | None = None  # "f" or "v" while inside one
        self.formula: list[str] | None = None
        self.formula_attrs: dict[str, str] = {}
        self.value: list[str] = []
        self.shared: dict[str, str] = {}
        self.children: dict[tuple[int, int], str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.state == "before":
            self.state = "in" if local == "sheetData" else "before"
            return
        if self.state == "after":
            return
        if self.cell is not None:
            self.depth += 1
            if self.depth == 1 and local in ("f", "v"):
                self.reading = local
                if local == "f":
                    self.formula, self.formula_attrs = [], attrs
            return
        if local == "row" and "r" in attrs:
            self.row = _position(attrs["r"])[0]
        elif local == "c":
            if "r" in attrs:
                row, column = _position(attrs["r"])
                if column is None:
                    raise ScanError("cell reference without a column")
                self.column = column
            else:
                row, column = self.row, self.column
            self.cell, self.depth, self.formula, self.value = (row, column), 0, None, []
            self.scan.reach(row, column)

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if self.state != "in":
            return
        if self.cell is not None and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.reading = None
            return
        if self.cell is not None:  # the cell's own end
            self._close_cell()
            self.cell = None
            self.column += 1
        elif local == "row":
            self.row += 1
            self.column = 0
        elif local == "sheetData":
            self.state = "after"

    def text(self, data: str) -> None:
        if self.reading == "f" and self.formula is not None:
            self.formula.append(data)
        elif self.reading == "v":
            self.value.append(data)

    def _close_cell(self) -> None:
        if self.formula is None or self.cell is None or "".join(self.value):
            return
        text = "".join(self.formula)
        index = self.formula_attrs.get("si")
        if text and index is not None and self.formula_attrs.get("t") == "shared":
            self.shared[index] = text
        if not text and index is not None:
            self.children[self.cell] = index
        _add(self.scan, self.cell, text)

    def finish(self) -> SheetScan:
        for cell, index in self.children.items():
            self.scan.formulas[cell] = self.shared.get(index, "")
        return self.scan


def _parser(handlers: object) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = handlers.start
    parser.EndElementHandler = handlers.end
    parser.CharacterDataHandler = handlers.text

    def refuse(*_: object) -> None:
        raise ScanError("DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse  # no DTD, no entities: read as calamine reads it
    return parser


def _scan_with_expat(xml: bytes) -> SheetScan:
    handlers = _SheetParser()
    try:
        _parser(handlers).Parse(xml, True)
    except expat.ExpatError as err:
        raise ScanError(str(err)) from None
    return handlers.finish()


class _OdsParser:
    """expat handlers following calamine's reading of an ODS file's tables: a cell repeated N times
    is N cells, a row repeated N times N rows, empty cells and rows at the end of a row or table
    take no room. ``cells``: the cells of every table, the area from A1 to its last filled cell."""

    def __init__(self) -> None:
        self.cells = 0
        self.rows = self.width = 0  # of the current table, up to its last filled row
        self.table_rows = 0  # rows so far in the current table, filled or not
        self.row_repeat = 0
        self.row_width = self.row_filled = 0  # columns so far in the current row; up to its last filled cell
        self.cell_repeat = 0
        self.cell_filled = False
        self.in_cell = 0  # depth inside a cell

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.in_cell:
            self.in_cell += 1
            self.cell_filled = True  # text, a paragraph, an annotation: not an empty cell
            if name == "table:table-row":
                raise ScanError("a row inside a cell")
            return
        if name == "table:table":
            self._close_table()
        elif name == "table:table-row":
            self.row_repeat = min(_count(attrs.get("table:number-rows-repeated")), MAX_ROWS - self.table_rows)
            self.row_width = self.row_filled = 0
        elif name in ("table:table-cell", "table:covered-table-cell"):
            self.cell_repeat = min(_count(attrs.get("table:number-columns-repeated")), MAX_COLUMNS - self.row_width)
            self.cell_filled = any(not key.startswith(("table:style", "table:number-")) for key in attrs)
            self.in_cell = 1

    def end(self, name: str) -> None:
        if self.in_cell:
            self.in_cell -= 1
            if self.in_cell:
                return
            self.row_width += self.cell_repeat
            if self.cell_filled:
                self.row_filled = self.row_width
        elif name == "table:table-row":
            self.table_rows += self.row_repeat
            if self.row_filled:
                self.rows = self.table_rows
                self.width = max(self.width, self.row_filled)
        elif name == "table:table":
            self._close_table()

    def text(self, data: str) -> None:
        if self.in_cell and data.strip():
            self.cell_filled = True

    def _close_table(self) -> None:
        self.cells += self.rows * self.width
        self.rows = self.width = self.table_rows = 0


def _count(value: str | None) -> int:
    if value is None:
        return 1
    if not re.fullmatch(r"\+?[0-9]{1,12}", value):
        raise ScanError(f"repeat {value[:20]!r}")
    return int(value)


def scan_ods(content: bytes) -> int:
    """The cells calamine fills for every table of an ODS file's ``content.xml`` (an upper bound)."""
    handlers = _OdsParser()
    try:
        _parser(handlers).Parse(content, True)
    except expat.ExpatError as err:
        raise ScanError(str(err)) from None
    handlers._close_table()
    return handlers.cells
