"""Workbooks built to crash, hang or exhaust the reader (issue 18, §4): one clear Italian line each.

Every file is a few kilobytes, built by ``testkit.hostile_workbooks`` (a zip bomb's gigabyte is
compressed as it is generated, never held: ``testkit.office_files.repeated``). Before the checks, one cell at XFD1048576 made calamine ask
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
from testkit.hostile_workbooks import HEADER, HOSTILE, far_cell_message
from testkit.office_files import SHEET_HEAD, inline, ods, worksheet, xlsx, xlsx_parts, zip_parts

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
    assert report.out.read_text() == "" and report.err.read_text() == f"errore: {far_cell_message('comuni.xlsx')}\n"
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
    sheet = worksheet(SHEETS[name], dimension="A1:C3")
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
    fast = scan_sheet(worksheet(cells).encode())
    slow = scan_sheet(worksheet("<!-- expat -->" + cells).encode())
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
