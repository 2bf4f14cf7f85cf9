"""One use-case layer under both faces (issue 20, section 1), and configuration read only as typed
settings (section 2): checked on the sources, as the import contracts are."""

from __future__ import annotations

import ast
import dataclasses
import re
import typing
from collections.abc import Mapping

import pandas as pd

from conftest import ROOT
from rollout import config
from rollout.config import Config, load_config
from rollout.outputs.links import FormLink
from rollout.pipeline import run
from rollout.reminders.log import ReminderLog
from rollout.usecases import reminders

FACES = {"rollout/cli.py", "rollout/cli_reminders.py"}  # the command line's modules (and rollout/__main__.py)
SOURCES = {
    p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
    for d in ("rollout", "ui", "data_sources", "pages")
    for p in sorted((ROOT / d).rglob("*.py"))
} | {name: (ROOT / name).read_text(encoding="utf-8") for name in ("dashboard.py", "server.py")}


def imported(source: str) -> set[str]:
    """The modules a source imports, and ``module.name`` for each name it imports from one."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return out


def test_argparse_lives_only_in_the_command_line_modules():
    users = {path for path, text in SOURCES.items() if "argparse" in imported(text) or "Namespace" in text}
    assert users == FACES


def test_the_dashboard_and_the_command_line_call_the_same_use_cases():
    cli = imported(SOURCES["rollout/cli.py"]) | imported(SOURCES["rollout/cli_reminders.py"])
    dashboard = set().union(*(imported(SOURCES[p]) for p in ("pages/promemoria.py", "ui/sending.py", "ui/notes.py",
                                                             "ui/reminders.py", "ui/derived.py")))  # fmt: skip
    both = {
        "rollout.usecases.sending.prepare_sending",  # who, what, what is already sent, stale data
        "rollout.usecases.reminders",  # the list, its files, the drafts, mark, undo
    }
    assert both <= cli | {m.rsplit(".", 1)[0] for m in cli}
    assert both <= dashboard | {m.rsplit(".", 1)[0] for m in dashboard}
    # The notes: the command line's accounts notes and the pages' notes go through the same module.
    assert "rollout.usecases.notes.write_notes" in imported(SOURCES["rollout/cli.py"])
    assert "rollout.usecases.notes" in imported(SOURCES["ui/notes.py"])
    # The report's writing is in the core, the command line only calls it.
    assert "rollout.usecases.report.write_report" in imported(SOURCES["rollout/cli.py"])
    assert "def write_report" not in SOURCES["rollout/cli.py"]


RAW = re.compile(r"\.(?:reminders|cache|accounts)(?:\.get\(|\[)")


def test_nothing_outside_the_configuration_reads_a_raw_table_of_it():
    readers = {"rollout/config.py", "rollout/config_sections.py"}
    assert sorted(p for p, text in SOURCES.items() if RAW.search(text) and p not in readers) == []
    raw = [
        f.name
        for f in dataclasses.fields(Config)
        if typing.get_origin(_type(f)) is Mapping and "object" in str(_type(f))
    ]
    assert raw == []  # every section is a typed dataclass or a checked {field: header} mapping


def _type(field: dataclasses.Field) -> object:
    return typing.get_type_hints(Config)[field.name]


def test_an_unreadable_log_leaves_the_counts_unknown_for_both_faces(tmp_path):
    """``chase_list``: the report's files and the Promemoria page alike say «unknown», never 0."""
    snap = run(load_config(config.DEMO_CONFIG))
    (tmp_path / "promemoria.sqlite3").write_bytes(b"non sono un database" * 100)
    marks, problem = reminders.read_marks(ReminderLog(tmp_path / "promemoria.sqlite3"), tolerant=True)
    assert marks is None and problem.startswith("Il registro dei promemoria")
    table = reminders.chase_list(snap, marks, FormLink())
    assert len(table) == 79 and table["reminders_sent"].isna().all() and set(table["last_reminder"]) == {""}
    known = reminders.chase_list(snap, ReminderLog(tmp_path / "nuovo.sqlite3").summary(), FormLink())
    assert known["reminders_sent"].tolist() == [0] * 79
    pd.testing.assert_frame_equal(
        known.drop(columns=["reminders_sent"]), table.drop(columns=["reminders_sent"]), check_dtype=False
    )
