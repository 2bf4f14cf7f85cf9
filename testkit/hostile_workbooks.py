"""Workbooks built to crash, hang or exhaust a reader (issue 18, §4), and what reading each must give.

``HOSTILE``: file name -> (a function that builds the file, a few kilobytes; the Italian message its
reading must fail with, as a function of the file's name, or the cells of a fine file). The tests
(``tests/test_hostile_files.py``) read them in a bounded child process; the benchmark
(``bench/hostile_files.py``) measures how long each takes.
"""

from __future__ import annotations

from testkit.office_files import (
    SHEET_HEAD,
    Deflated,
    inline,
    ods_rows,
    repeated,
    worksheet,
    xlsx,
    xlsx_parts,
    zip_parts,
    zip_raw,
)

HEADER = '<row r="1">' + inline("A1", "Comune") + "</row>"


def _bomb_cell(gigabytes: float) -> Deflated:
    """A sheet whose second row holds one cell of ``gigabytes`` GB of "A"."""
    head = (SHEET_HEAD + "<sheetData>" + HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>').encode()
    return repeated(head, b"A" * 2**20, round(gigabytes * 1024), b"</t></is></c></row></sheetData></worksheet>")


def far_cell_message(name: str) -> str:
    """What reading ``name`` gives when its sheet reaches the last cell, XFD1048576."""
    return (
        f"{name}: il foglio 'Foglio1' arriva fino alla cella XFD1048576, 1.048.576 righe per 16.384 colonne: "
        "troppe celle per essere lette (al massimo 1.500.000). Se il foglio è giusto, cancella le righe e le "
        "colonne vuote in fondo, oppure salvalo come CSV, e riprova."
    )


def _damaged(name: str) -> str:
    return (
        f"{name} non è un file XLSX leggibile: è danneggiato o incompleto. Scaricalo o salvalo di nuovo (o come "
        "CSV) e riprova."
    )


def _too_big(name: str, size: str) -> str:
    return (
        f"{name}: il file XLSX contiene una parte (xl/worksheets/sheet1.xml) che, decompressa, occupa {size}: "
        "troppo per essere letta (al massimo 100 MB). Se il file è giusto, salvalo come CSV e riprova."
    )


# name -> (the file, what reading it must give: the message, or the cells when it is a fine file)
HOSTILE = {
    # One cell at XFD1048576 (before: a 550 GB allocation, the process aborted with a Rust backtrace).
    "far-cell.xlsx": (
        lambda: xlsx(HEADER + '<row r="1048576">' + inline("XFD1048576", "x") + "</row>"),
        far_cell_message,
    ),
    # The same cell behind a dimension that says A1:B2, and written with a namespace prefix.
    "lying-dimension.xlsx": (
        lambda: xlsx(HEADER + '<row r="1048576">' + inline("XFD1048576", "x") + "</row>", dimension="A1:B2"),
        far_cell_message,
    ),
    "prefixed-far.xlsx": (
        lambda: zip_parts(
            xlsx_parts(
                SHEET_HEAD.replace("<worksheet ", '<x:worksheet xmlns:x="urn:x" ')
                + '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Comune</x:t></x:is></x:c></x:row>'
                '<x:row r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>'
                "</x:sheetData></x:worksheet>"
            )
        ),
        far_cell_message,
    ),
    # Cells without a reference: each goes after the previous one of its row, here row 1,048,576.
    "counted-far.xlsx": (
        lambda: xlsx(HEADER + '<row r="1048576">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 30 + "</row>"),
        lambda name: far_cell_message(name).replace("XFD1048576", "AD1048576").replace("16.384 colonne", "30 colonne"),
    ),
    # An XML comment holding 100,000 <c> and one <f (before: 369 s in the formula check's regular expression).
    "comment-redos.xlsx": (lambda: xlsx(HEADER + "<!-- " + "<c>" * 100_000 + "<f -->"), [["Comune"]]),
    # A zip bomb: 1 GB in one cell, 1 MB of file (before: over 7 GB of memory).
    "cell-bomb.xlsx": (
        lambda: zip_raw({**xlsx_parts(b""), "xl/worksheets/sheet1.xml": _bomb_cell(1)}),
        lambda name: _too_big(name, "1.024 MB"),
    ),
    # 1.5 GB of empty rows in 2 MB (before: 53 s and 3.3 GB).
    "rows-bomb.xlsx": (
        lambda: zip_raw(
            {
                **xlsx_parts(b""),
                "xl/worksheets/sheet1.xml": repeated(
                    (SHEET_HEAD + "<sheetData>" + HEADER).encode(),
                    b"<row/>" * (2**20 // 6),
                    1536,
                    b"</sheetData></worksheet>",
                ),
            }
        ),
        lambda name: _too_big(name, "1.536 MB"),
    ),
    # 50 MB in 52 KB: within the size bound, but compressed a thousand to one.
    "ratio-bomb.xlsx": (
        lambda: zip_raw({**xlsx_parts(b""), "xl/worksheets/sheet1.xml": _bomb_cell(50 / 1024)}),
        lambda name: (
            f"{name}: il file XLSX contiene una parte (xl/worksheets/sheet1.xml) compressa in modo anomalo (50 MB "
            "in 51 KB): non viene letta. Se il file è giusto, salvalo come CSV e riprova."
        ),
    ),
    # The same gigabyte declared as 64 KB: inflated here never past what the member declares.
    "lying-size.xlsx": (
        lambda: zip_raw({**xlsx_parts(b""), "xl/worksheets/sheet1.xml": Deflated(_bomb_cell(1).raw, 65536, 0)}),
        _damaged,
    ),
    # A trillion shared strings declared (calamine reserves room for them: 24 TB).
    "strings-count.xlsx": (
        lambda: zip_parts(
            xlsx_parts(
                worksheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
                strings='<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                'spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>Comune</t></si></sst>',
            )
        ),
        lambda name: (
            f"{name}: il file XLSX dichiara 1.000.000.000.000 testi diversi: troppi per essere letti (al massimo "
            "1.000.000). Se il file è giusto, salvalo come CSV e riprova."
        ),
    ),
    # A cell repeated across 16,384 columns, in 3,000 rows: 49 million cells from 3 KB of ODS.
    "repeat-bomb.ods": (
        lambda: ods_rows(
            '<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
            "<text:p>x</text:p></table:table-cell></table:table-row>" * 3000
        ),
        lambda name: (
            f"{name}: i fogli del file ODS occupano 49.152.000 celle: troppe per essere lette (al massimo "
            "1.500.000). Se il file è giusto, salvalo come CSV e riprova."
        ),
    ),
    # Two r attributes on one cell (calamine keeps one of them): read by expat, which refuses it.
    "two-references.xlsx": (
        lambda: xlsx(HEADER + '<row r="2"><c r="A2" t="inlineStr" r="XFD1048576"><is><t>x</t></is></c></row>'),
        _damaged,
    ),
    # Entities that expand a billion times, in a sheet only expat reads (a prefix): expat never expands them.
    "entities.xlsx": (
        lambda: zip_parts(
            xlsx_parts(
                '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                + "".join(f'<!ENTITY {b} "{f"&{a};" * 10}">' for a, b in zip("abcdefgh", "bcdefghi", strict=True))
                + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                '<row r="1"><x:c xmlns:x="u" r="A1" t="inlineStr"><x:is><x:t>&i;</x:t></x:is></x:c></row>'
                "</sheetData></worksheet>"
            )
        ),
        _damaged,
    ),
}
