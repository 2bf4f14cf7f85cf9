"""Read one sheet of an XLSX (or ODS) workbook into a Grid of text cells, once it is known to be safe.

calamine reads the values, fast, but trusts what a workbook says. Before it opens one: the archive is
checked (``archive``), every part it reads is inflated here within its declared size, the declared
count of shared strings is bounded, and every sheet it reads is scanned (``sheet_scan``) for the area
it would fill and for its formulas without a computed value. Whatever fails gets one Italian line.

A formula without a value (a file written by a script and never recalculated: calamine reads an empty
cell) is read as its text, ``=PROPER("aosta")``, and named in the grid's notes with its sheet and cell.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from data_sources.archive import Archive
from data_sources.errors import SourceError, protected_workbook
from data_sources.grid import Grid, cells_from_rows
from data_sources.sheet_scan import (
    MAX_CELLS,
    MAX_FORMULAS,
    ScanError,
    SheetScan,
    TooManyFormulas,
    column_letters,
    scan_ods,
    scan_sheet,
)

if TYPE_CHECKING:  # imported where used: only workbooks pay for calamine
    from python_calamine import CalamineWorkbook

Cell = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta  # a cell as calamine reads it

ODS_MIME = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
HEAD_ROWS = 10  # where a header is looked for: what another sheet of a workbook is judged by
MAX_STRINGS = 1_000_000  # shared strings (calamine reserves room for as many as the file declares)
SHOWN_CELLS = 20  # formula cells named in the note
_SHARED_STRING = re.compile(rb"<(?:[\w.-]+:)?si[\s/>]")
_PLAIN = re.compile(r"[\w./ -]+")  # a relationship's id or target that every reader reads alike


@dataclass
class _Sheet:
    name: str
    path: str
    kind: str  # worksheet, chartsheet, dialogsheet


@dataclass
class _Checked:
    """What the checks found: the parts a fresh archive would hold, each sheet's scan."""

    parts: list[tuple[str, bytes]] = field(default_factory=list)
    sheets: list[_Sheet] = field(default_factory=list)
    scans: dict[str, SheetScan] = field(default_factory=dict)


def read_workbook(data: bytes, origin: str, sheet: str | None = None) -> Grid:
    """Read one worksheet of an XLSX (or ODS) file: the first, or the one named ``sheet``.

    Every cell becomes the text a CSV download of the same sheet would carry. When the first sheet is
    read, the first rows of the others come along (``Grid.other_sheets``), so a cover page can be
    told apart from the sheet that has the columns.
    """
    kind = "ODS" if ODS_MIME in data[:100] else "XLSX"
    archive = Archive(data, origin, kind)
    checked = _check_ods(archive) if kind == "ODS" else _check_xlsx(archive, sheet)
    source = data if archive.pristine else archive.repack(checked.parts)
    checked.parts.clear()
    name, rows, others = _read_with_calamine(source, archive, checked, sheet)
    scan = checked.scans.get(name)
    notes: tuple[str, ...] = ()
    if scan and scan.formulas:
        _write_formulas(rows, scan.formulas)
        notes = (_formula_note(origin, name, scan.formulas),)
    cells = cells_from_rows(_texts(rows))
    if cells.empty:
        raise SourceError(f"Il foglio di {origin} è vuoto.")
    shown_origin = origin if not sheet else f"{origin} (foglio '{sheet}')"
    return Grid(cells=cells, origin=shown_origin, notes=notes, other_sheets=others)


def _read_with_calamine(
    source: bytes, archive: Archive, checked: _Checked, sheet: str | None
) -> tuple[str, list[list[Cell]], tuple]:
    from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum  # only workbooks pay for it

    try:
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(source))
            metadata = [(m.name, m.typ) for m in book.sheets_metadata]
        except PasswordError:
            raise SourceError(protected_workbook(archive.name)) from None
        names = [n for n, typ in metadata if typ == SheetTypeEnum.WorkSheet] or list(book.sheet_names)
        if archive.kind == "XLSX" and archive.pristine and names != [s.name for s in _readable(checked.sheets)]:
            raise SourceError(archive.damaged())  # calamine would read other sheets than those checked
        try:
            if sheet:
                if sheet not in names:
                    shown = ", ".join(f"'{n}'" for n in names)
                    raise SourceError(f"Il foglio '{sheet}' non esiste in {archive.name}; fogli presenti: {shown}.")
                name = sheet
            elif names:
                name = names[0]
            else:
                raise SourceError(f"{archive.name} non contiene fogli di lavoro.")
            rows = _sheet_rows(book, name)
            others = (
                ()
                if sheet
                else tuple((o, cells_from_rows(_texts(_sheet_rows(book, o, HEAD_ROWS)))) for o in names if o != name)
            )
        finally:
            book.close()
    except SourceError:
        raise
    except Exception:  # noqa: BLE001 - CalamineError, ZipError, XmlError...: a damaged archive or sheet
        raise SourceError(archive.damaged()) from None
    except BaseException as err:
        if type(err).__name__ != "PanicException":  # Ctrl-C, SystemExit: not the file's fault
            raise
        raise SourceError(archive.damaged()) from None  # a bug of calamine's met by this file
    return name, rows, others


def _sheet_rows(book: CalamineWorkbook, name: str, nrows: int | None = None) -> list[list[Cell]]:
    # skip_empty_area=False: the rows keep their sheet numbers even when the first ones are empty.
    return book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)


def _texts(rows: list[list[Cell]]) -> list[list[str]]:
    return [[v if v.__class__ is str else _cell_text(v) for v in row] for row in rows]  # most cells: text


# --- the checks ----------------------------------------------------------------------------------


def _check_xlsx(archive: Archive, wanted: str | None) -> _Checked:
    checked = _Checked()
    package_rels = _structure(archive, "_rels/.rels", checked)
    targets = [
        t for typ, t, _ in _relationships(archive, package_rels) if typ.endswith("/relationships/officeDocument")
    ]
    if not targets:
        raise SourceError(archive.damaged())
    folder = targets[-1].removeprefix("/").rpartition("/")[0]
    folder = f"{folder}/" if folder else ""
    workbook_rels = _structure(archive, f"{folder}_rels/workbook.xml.rels", checked)
    relations = {rid: (target, typ) for typ, target, rid in _relationships(archive, workbook_rels)}
    if archive.find(f"{folder}workbook.xml"):
        workbook = _structure(archive, f"{folder}workbook.xml", checked)
        checked.sheets = _sheets(archive, workbook, relations, folder)
    if archive.find(f"{folder}styles.xml"):
        _structure(archive, f"{folder}styles.xml", checked)
    if archive.find(f"{folder}sharedStrings.xml"):
        _check_strings(archive, _structure(archive, f"{folder}sharedStrings.xml", checked, keep=not archive.pristine))
    readable = _readable(checked.sheets)
    for sheet in [s for s in readable if s.name == wanted][:1] if wanted else readable:
        checked.scans.setdefault(sheet.name, _check_sheet(archive, sheet, checked))
    return checked


def _readable(sheets: list[_Sheet]) -> list[_Sheet]:
    """The sheets a workbook offers to be read: its worksheets, else every sheet (as calamine lists them)."""
    return [s for s in sheets if s.kind == "worksheet"] or sheets


def _structure(archive: Archive, path: str, checked: _Checked, keep: bool = True) -> bytes:
    """A part calamine reads when it opens a workbook: inflated and checked, kept for a fresh archive
    (the small ones always: whether one is needed is known only once the relationships are read)."""
    info = archive.find(path)
    if info is None:
        raise SourceError(archive.damaged())
    body = archive.read(info)
    if b"<!DOCTYPE" in body:  # no DTD, no entities: nothing a reader could expand differently
        raise SourceError(archive.damaged())
    if keep:
        checked.parts.append((path, body))
    return body


def _relationships(archive: Archive, body: bytes) -> list[tuple[str, str, str]]:
    """(type, target, id) of each relationship. An id or target that another reader could read
    differently (an entity, a line break...) makes calamine read a fresh archive, where it finds
    only what was checked here."""
    found = []
    for element in _elements(archive, body):
        if _local(element.tag) == "Relationship":
            typ, target, rid = element.get("Type", ""), element.get("Target", ""), element.get("Id", "")
            if b"&" in body or not (_PLAIN.fullmatch(target) and _PLAIN.fullmatch(rid or "x")):
                archive.pristine = False
            found.append((typ, target, rid))
    return found


def _sheets(archive: Archive, body: bytes, relations: dict[str, tuple[str, str]], folder: str) -> list[_Sheet]:
    sheets = []
    for element in _elements(archive, body):
        if _local(element.tag) != "sheet":
            continue
        ids = [value for key, value in element.attrib.items() if _local(key) == "id"]
        if not ids or ids[-1] not in relations:
            raise SourceError(archive.damaged())
        target, typ = relations[ids[-1]]
        path = target[1:] if target.startswith("/") else folder + target
        sheets.append(_Sheet(element.get("name", ""), path, typ.rpartition("/")[2]))
    return sheets


def _elements(archive: Archive, body: bytes) -> list[ET.Element]:
    try:
        return list(ET.fromstring(body).iter())
    except ET.ParseError:
        raise SourceError(archive.damaged()) from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _check_strings(archive: Archive, body: bytes) -> None:
    """The shared strings: as many as declared (calamine reserves room for them) and as found."""
    root = _elements_head(archive, body)
    declared = root.get("uniqueCount", "0")
    found = 0
    position = 0
    while position < len(body):  # counted in slices: no list of every string is ever held
        end = body.find(b"<", position + 2**20)
        end = len(body) if end < 0 else end
        found += len(_SHARED_STRING.findall(body, position, end))
        position = end
    count = max(found, int(declared) if declared.isdigit() else 0)
    if count > MAX_STRINGS:
        raise SourceError(
            f"{archive.name}: il file {archive.kind} dichiara {_n(count)} testi diversi: troppi per essere "
            f"letti (al massimo {_n(MAX_STRINGS)}). Se il file è giusto, salvalo come CSV e riprova."
        )


def _elements_head(archive: Archive, body: bytes) -> ET.Element:
    """The root element of ``body`` (its start tag only), as calamine's first ``sst``."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start",))
    for position in range(0, len(body), 65536):
        try:
            parser.feed(body[position : position + 65536])
            for event in parser.read_events():
                element = event[-1]  # ("start", the element): the only events asked for
                if not isinstance(element, ET.Element) or _local(element.tag) != "sst":
                    raise SourceError(archive.damaged())
                return element
        except ET.ParseError:
            raise SourceError(archive.damaged()) from None
    raise SourceError(archive.damaged())


def _check_sheet(archive: Archive, sheet: _Sheet, checked: _Checked) -> SheetScan:
    info = archive.find(sheet.path)
    if info is None:
        raise SourceError(archive.damaged())
    body = archive.read(info)
    try:
        scan = scan_sheet(body)
    except ScanError:
        raise SourceError(archive.damaged()) from None
    except TooManyFormulas:
        raise SourceError(
            f"{archive.name}: il foglio '{sheet.name}' ha più di {_n(MAX_FORMULAS)} celle con formule senza "
            "valore calcolato (il file è stato creato da un programma e mai aperto in Excel). Aprilo con Excel "
            "o LibreOffice e salvalo di nuovo, oppure scaricalo come CSV, e riprova."
        ) from None
    _check_area(archive, sheet.name, scan.rows, scan.columns)
    if not archive.pristine:
        checked.parts.append((sheet.path, body))
    return scan


def _check_area(archive: Archive, sheet: str, rows: int, columns: int) -> None:
    if rows * columns > MAX_CELLS:
        raise SourceError(
            f"{archive.name}: il foglio '{sheet}' arriva fino alla cella {column_letters(columns)}{rows}, "
            f"{_n(rows)} righe per {_n(columns)} colonne: troppe celle per essere lette (al massimo "
            f"{_n(MAX_CELLS)}). Se il foglio è giusto, cancella le righe e le colonne vuote in fondo, oppure "
            "salvalo come CSV, e riprova."
        )


def _check_ods(archive: Archive) -> _Checked:
    checked = _Checked()
    for path in ("mimetype", "META-INF/manifest.xml"):
        if archive.find(path):
            _structure(archive, path, checked)
    content = _structure(archive, "content.xml", checked, keep=not archive.pristine)
    try:
        cells = scan_ods(content)
    except ScanError:
        raise SourceError(archive.damaged()) from None
    if cells > MAX_CELLS:
        raise SourceError(
            f"{archive.name}: i fogli del file ODS occupano {_n(cells)} celle: troppe per essere lette "
            f"(al massimo {_n(MAX_CELLS)}). Se il file è giusto, salvalo come CSV e riprova."
        )
    return checked


# --- formulas without a value, cells as text ----------------------------------------------------


def _write_formulas(rows: list[list[Cell]], formulas: dict[tuple[int, int], str]) -> None:
    """Put each formula's text where calamine left its cell empty."""
    for (r, c), text in formulas.items():
        while len(rows) <= r:
            rows.append([])
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))  # empty cells, as calamine gives them
        row[c] = "=" + text


def _formula_note(origin: str, sheet: str, formulas: dict[tuple[int, int], str]) -> str:
    prefix = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"
    cells = sorted(formulas)
    shown = ", ".join(f"{prefix}!{column_letters(c + 1)}{r + 1}" for r, c in cells[:SHOWN_CELLS])
    more = f" e altre {_n(len(cells) - SHOWN_CELLS)}" if len(cells) > SHOWN_CELLS else ""
    if len(cells) == 1:
        what = "1 cella con una formula senza valore calcolato"
        read, where, value = "è letta come il testo della formula", "Cella", "il valore"
    else:
        what = f"{_n(len(cells))} celle con formule senza valore calcolato"
        read, where, value = "sono lette come il testo della formula", "Celle", "i valori"
    return (
        f"{origin}: il foglio '{sheet}' ha {what} (il file è stato scritto da un programma e mai ricalcolato): "
        f"{read}. {where}: {shown}{more}. Per avere {value}, apri il file con Excel o LibreOffice, salvalo e "
        "caricalo di nuovo."
    )


def _cell_text(value: object) -> str:
    """One XLSX cell as the text a CSV download of the same sheet would carry."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):  # a date cell: read as midnight, as openpyxl did
        return f"{value.isoformat()} 00:00:00"
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")
