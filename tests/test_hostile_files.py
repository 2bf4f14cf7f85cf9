"""Workbooks built to crash, hang or exhaust the reader (issue 18, §4): one clear Italian line each.

Every file is a few kilobytes, built here (a zip bomb's gigabyte is compressed as it is generated,
never held: ``office_files.repeated``). Before the checks, one cell at XFD1048576 made calamine ask
for 550 GB and abort, a comment full of ``<c>`` kept the formula check's regular expression busy
for minutes, a bomb passed 7 GB. So they are read in one child process with a memory limit and a
timeout: a reader that aborts or hangs fails these tests, never the test run. Its peak memory is
checked; its seconds are the benchmark's (``bench/hostile_files.py``).
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from processes import TIMEOUT, Command, left_running
from python_calamine import CalamineWorkbook

from conftest import ROOT, responses
from data_sources import read_source
from data_sources.archive import Archive
from data_sources.sheet_scan import column_letters, scan_sheet
from office_files import (
    _ODS_MANIFEST,
    SHEET_HEAD,
    Deflated,
    inline,
    ods,
    repeated,
    xlsx,
    xlsx_parts,
    zip_parts,
    zip_raw,
)

HEADER = '<row r="1">' + inline("A1", "Comune") + "</row>"


def _sheet(data: str) -> str:
    return f"{SHEET_HEAD}<sheetData>{data}</sheetData></worksheet>"


def _bomb_cell(gigabytes: float) -> Deflated:
    """A sheet whose second row holds one cell of ``gigabytes`` GB of "A"."""
    head = (SHEET_HEAD + "<sheetData>" + HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>').encode()
    return repeated(head, b"A" * 2**20, round(gigabytes * 1024), b"</t></is></c></row></sheetData></worksheet>")


def _ods(rows: str) -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="Foglio1">{rows}</table:table></office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _far(name: str) -> str:
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
    "far-cell.xlsx": (lambda: xlsx(HEADER + '<row r="1048576">' + inline("XFD1048576", "x") + "</row>"), _far),
    # The same cell behind a dimension that says A1:B2, and written with a namespace prefix.
    "lying-dimension.xlsx": (
        lambda: xlsx(HEADER + '<row r="1048576">' + inline("XFD1048576", "x") + "</row>", dimension="A1:B2"),
        _far,
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
        _far,
    ),
    # Cells without a reference: each goes after the previous one of its row, here row 1,048,576.
    "counted-far.xlsx": (
        lambda: xlsx(HEADER + '<row r="1048576">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 30 + "</row>"),
        lambda name: _far(name).replace("XFD1048576", "AD1048576").replace("16.384 colonne", "30 colonne"),
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
                _sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
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
        lambda: _ods(
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

CHILD = r"""
import json, resource, sys, time
from data_sources import read_source
for path in sys.argv[1:]:
    start = time.perf_counter()
    try:
        grid = read_source(path)
        outcome = {"cells": grid.cells.values.tolist()}
    except Exception as err:
        outcome = {"error": f"{type(err).__name__}: {err}"}
    outcome.update(file=path.rpartition("/")[2], seconds=time.perf_counter() - start)
    print(json.dumps(outcome), flush=True)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
"""


def _bounded() -> None:
    """In the child: at most 4 GB of address space (a reader that asks for more fails there, not the machine)."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = []
    for name, (build, _) in HOSTILE.items():
        (folder / name).write_bytes(build())
        paths.append(str(folder / name))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *paths], capture_output=True, text=True, timeout=TIMEOUT,
            env=env, cwd=ROOT, preexec_fn=_bounded, check=False,
        )  # fmt: skip
        out, end = done.stdout, f"exit code {done.returncode}: {done.stderr.strip()[-300:]}"
    except subprocess.TimeoutExpired as err:
        out, end = (err.stdout or b"").decode(), f"still reading after {TIMEOUT} s"
    results = {r.get("file", "peak"): r for r in map(json.loads, out.splitlines())}
    results["end"] = {"how": end}
    return results


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_workbook_gets_one_clear_line(outcomes, name):
    assert name in outcomes, f"the reader never got to {name}: {outcomes['end']['how']}"
    expected = HOSTILE[name][1]
    if isinstance(expected, list):
        assert outcomes[name].get("cells") == expected
    else:
        assert outcomes[name].get("error") == f"SourceError: {expected(name)}"


def test_reading_every_hostile_workbook_stays_within_500_mb(outcomes):
    assert "peak" in outcomes, outcomes["end"]["how"]
    assert outcomes["peak"]["peak_mb"] <= 500


# --- the command line: one line, exit 2, no worker left ---------------------------------------------


def test_the_report_on_a_hostile_workbook_says_one_line_and_leaves_no_worker(tmp_path):
    """Before: calamine aborted the report (a Rust backtrace, no «errore:») and its two workers,
    started early, stayed alive for ever."""
    (tmp_path / "comuni.xlsx").write_bytes(HOSTILE["far-cell.xlsx"][0]())
    (tmp_path / "risposte.csv").write_text(responses(), encoding="utf-8")
    report = Command(
        tmp_path, "report", "--comuni", "comuni.xlsx", "--submissions", "risposte.csv", "--deadline", "2023-09-13",
        "--out", "out",
    )  # fmt: skip
    assert report.process.wait(TIMEOUT) == 2
    assert report.out.read_text() == "" and report.err.read_text() == f"errore: {_far('comuni.xlsx')}\n"
    assert left_running(report.pid) == []
    assert not (tmp_path / "out").exists()


def test_workers_die_with_their_parent_however_it_dies(tmp_path):
    """A report killed outright (SIGKILL, or aborted by a library) cannot end its workers itself: the
    kernel does (PR_SET_PDEATHSIG). Before, they waited for a job for ever."""
    code = (
        "import os, signal\n"
        "from rollout import cli\n"
        "from rollout.outputs import staging\n"
        "staging.workers = lambda: 1\n"  # even on a machine with one processor
        "cli.start_workers()\n"
        "print(len(staging._WAITING), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    parent = Command(tmp_path, code=code)
    assert parent.process.wait(TIMEOUT) == -signal.SIGKILL and parent.out.read_text() == "2\n"
    assert left_running(parent.pid) == []


# --- real files stay readable; the fast scan and expat agree with calamine ---------------------------


def test_cells_far_apart_but_within_bounds_are_read():
    data = xlsx(HEADER + '<row r="20000">' + inline("Z20000", "ultimo") + "</row>")
    grid = read_source(io.BytesIO(data))
    assert grid.cells.shape == (20000, 26) and grid.cells.iat[-1, -1] == "ultimo"


SHEETS = {
    "plain": HEADER + '<row r="3"><c r="B3" s="1" t="inlineStr"><is><t>b</t></is></c><c r="D3"><v>4</v></c></row>',
    "no references": '<row r="2"><c t="inlineStr"><is><t>a</t></is></c><c/><c><v>3</v></c></row><row><c><v>1</v></c></row>',
    "r not first": '<row r="4"><c t="inlineStr" r="C4"><is><t>c</t></is></c><c s="0"><v>5</v></c></row>',
    "prefixed": '<x:row r="2" xmlns:x="u"><x:c r="E2" t="inlineStr"><x:is><x:t>e</x:t></x:is></x:c></x:row>',
    "comment": '<!-- <c r="Z99"><v>1</v></c> --><row r="2"><c r="B2"><v>1</v></c></row>',
    "lower case": '<row r="2"><c r="c2"><v>1</v></c></row>',
    "spaces": '<row r = "5"><c r = "B5"   t="n"><v>1</v></c></row>',
    "beyond dimension": '<row r="9"><c r="K9"><v>1</v></c></row>',
}


@pytest.mark.parametrize("name", SHEETS)
def test_the_scan_never_finds_less_than_calamine_fills(name):
    sheet = _sheet(SHEETS[name]).replace("<sheetData>", '<dimension ref="A1:C3"/><sheetData>')
    data = zip_parts(xlsx_parts(sheet))
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    end = book.get_sheet_by_name("Foglio1").end
    scan = scan_sheet(sheet.encode())
    assert end is not None and scan.rows >= end[0] + 1 and scan.columns >= end[1] + 1
    if name != "comment":  # the fast path counts the cell in the comment: more, never less
        assert (scan.rows, scan.columns) == (end[0] + 1, end[1] + 1) or name == "beyond dimension"


def test_the_fast_path_and_expat_agree_on_formulas():
    cells = (
        '<row r="1"><c r="A1"><f>PROPER("aosta")</f></c><c r="B1"><f>1+1</f><v>2</v></c>'
        '<c r="C1" t="str"><f t="shared" ref="C1:C3" si="0">A1&amp;"x"</f><v></v></c></row>'
        '<row r="2"><c r="C2" t="str"><f t="shared" si="0"/></c></row>'
    )
    fast = scan_sheet(_sheet(cells).encode())
    slow = scan_sheet(_sheet("<!-- expat -->" + cells).encode())
    assert fast.formulas == slow.formulas == {(0, 0): 'PROPER("aosta")', (0, 2): 'A1&"x"', (1, 2): 'A1&"x"'}
    assert (fast.rows, fast.columns) == (slow.rows, slow.columns) == (2, 3)


@pytest.mark.parametrize("kind", ["XLSX", "ODS"])
def test_a_workbook_laid_out_oddly_is_read_from_a_fresh_archive(kind):
    """A zip comment after the directory (two zip readers may disagree on where an archive ends):
    calamine reads a fresh archive holding only the parts checked here."""
    plain = (
        xlsx(HEADER + '<row r="2">' + inline("A2", "Aosta") + "</row>")
        if kind == "XLSX"
        else ods({"Foglio1": [["Comune"], ["Aosta"]]})
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        archive.comment = b"a comment after the directory"
    data = buffer.getvalue()
    assert Archive(plain, "x", kind).pristine and not Archive(data, "x", kind).pristine
    assert read_source(io.BytesIO(data)).cells.values.tolist() == [["Comune"], ["Aosta"]]


# Any way of writing cells calamine reads: with or without references, r first or not, spaces around
# "=", prefixes, comments, empty cells, formulas without a value, a dimension that may be wrong.
_CELL = st.fixed_dictionaries({
    "ref": st.none() | st.tuples(st.integers(1, 30), st.integers(1, 80)),
    "r_last": st.booleans(),
    "spaced": st.booleans(),
    "prefix": st.booleans(),
    "value": st.sampled_from(["", "<v>7</v>", '<is><t>x</t></is>', "<f>1+1</f>", "<f>1+1</f><v>2</v>"]),
})  # fmt: skip
_ROW = st.tuples(st.none() | st.integers(1, 80), st.lists(_CELL, max_size=5), st.booleans())


def _cell_xml(cell: dict) -> str:
    p = "x:" if cell["prefix"] else ""
    kind = ' t="inlineStr"' if "<is>" in cell["value"] else ""
    ref = ""
    if cell["ref"]:
        column, row = cell["ref"]
        ref = f' r {"= " if cell["spaced"] else "="}"{column_letters(column)}{row}"'
    attrs = f"{kind}{ref}" if cell["r_last"] else f"{ref}{kind}"
    value = cell["value"].replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
    return f"<{p}c{attrs}/>" if not value else f"<{p}c{attrs}>{value}</{p}c>"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, max_size=6), st.none() | st.tuples(st.integers(1, 30), st.integers(1, 80)))
def test_the_scan_never_finds_a_smaller_area_than_calamine_fills(rows, dimension):
    body = "".join(
        ("<!-- a comment -->" if comment else "")
        + (f'<row r="{r}">' if r else "<row>")
        + "".join(map(_cell_xml, cells))
        + "</row>"
        for r, cells, comment in rows
    )
    head = SHEET_HEAD.replace(
        "<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    )
    if dimension:
        head += f'<dimension ref="A1:{column_letters(dimension[0])}{dimension[1]}"/>'
    sheet = f"{head}<sheetData>{body}</sheetData></worksheet>"
    try:
        end = CalamineWorkbook.from_filelike(io.BytesIO(zip_parts(xlsx_parts(sheet)))).get_sheet_by_name("Foglio1").end
    except Exception:  # noqa: BLE001 -- a sheet calamine refuses: nothing to compare
        return
    scan = scan_sheet(sheet.encode())
    if end is not None:
        assert scan.rows >= end[0] + 1 and scan.columns >= end[1] + 1
    unvalued = {
        (r - 1, c - 1)
        for _, cells, _ in rows
        for c_ in cells
        if c_["value"] == "<f>1+1</f>" and c_["ref"]
        for c, r in [c_["ref"]]
    }
    assert unvalued <= set(scan.formulas)
