"""The reminders log: marks survive restarts, concurrent writers lose nothing, bad files say why."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import ROOT
from rollout.config import Config, parse_config
from rollout.errors import InputError
from rollout.reminders.log import Mark, ReminderLog, TrackingError, comune_key, database_path
from testkit.log_writers import write_marks

AVELLA = Mark("A508", "Avella")
BISACCIA = Mark("A881", "Bisaccia")
CALLIANO = Mark("Calliano (TN)", "Calliano")


def test_keys_are_the_code_else_name_and_province():
    assert comune_key("A508", "Avella", "AV") == "A508"
    assert comune_key("", "Calliano", "tn") == "Calliano (TN)"
    assert comune_key("", "Calliano", "") == "Calliano"


def test_database_path_is_relative_to_the_configuration(tmp_path):
    config = parse_config({"reminders": {"database": "stato/promemoria.sqlite3"}}, tmp_path, path=tmp_path / "r.toml")
    assert database_path(config) == tmp_path / "stato" / "promemoria.sqlite3"
    assert database_path(parse_config({}, tmp_path, path=tmp_path / "r.toml")) == tmp_path / "promemoria.sqlite3"
    assert database_path(Config()) == Path.cwd() / "promemoria.sqlite3"
    with pytest.raises(InputError, match=r"\[reminders\] database"):
        database_path(parse_config({"reminders": {"database": 3}}, tmp_path))


def test_reading_a_missing_file_creates_nothing(tmp_path):
    log = ReminderLog(tmp_path / "nuovo" / "promemoria.sqlite3")
    assert log.summary().empty
    assert log.history("A508").empty
    assert not (tmp_path / "nuovo").exists()


def test_marks_are_counted_with_the_last_date_and_channel(tmp_path):
    log = ReminderLog(tmp_path / "promemoria.sqlite3")
    log.record([AVELLA, BISACCIA], dt.date(2023, 9, 14), "email")
    log.record([AVELLA], dt.date(2023, 9, 20), "pec", note="secondo sollecito")
    log.record([AVELLA], dt.date(2023, 9, 18), "phone")  # recorded later, sent earlier
    summary = log.summary()
    # the last one that counts for the resend interval; no message sent by the tracker: no outcome
    assert summary.loc["A508"].to_dict() == {
        "reminders_sent": 3, "last_reminder": "2023-09-20", "last_channel": "pec",
        "ids": "catasto:A508 istat:064007 nome:avella|AV", "last_counted": "2023-09-20",
        "last_outcome": "", "outcome_detail": "", "outcome_order": 0,
    }  # fmt: skip
    assert summary.loc["A881"].to_dict() == {
        "reminders_sent": 1, "last_reminder": "2023-09-14", "last_channel": "email",
        "ids": "catasto:A881 istat:064011 nome:bisaccia|AV", "last_counted": "2023-09-14",
        "last_outcome": "", "outcome_detail": "", "outcome_order": 0,
    }  # fmt: skip
    expected = pd.DataFrame(
        [
            ["2023-09-20", "pec", "secondo sollecito"],
            ["2023-09-18", "phone", ""],
            ["2023-09-14", "email", ""],
        ],
        columns=["sent_on", "channel", "note"],
    )
    assert_frame_equal(log.history("A508")[expected.columns], expected)
    con = sqlite3.connect(tmp_path / "promemoria.sqlite3")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_a_batch_is_undone_as_a_whole(tmp_path):
    log = ReminderLog(tmp_path / "promemoria.sqlite3")
    log.record([AVELLA], dt.date(2023, 9, 14), "email")
    batch = log.record([AVELLA, BISACCIA, CALLIANO], dt.date(2023, 9, 20), "email")
    assert log.undo(batch) == 3
    assert log.summary()["reminders_sent"].to_dict() == {"A508": 1}
    assert log.undo(batch) == 0


def test_bad_channel_or_nothing_to_mark(tmp_path):
    log = ReminderLog(tmp_path / "promemoria.sqlite3")
    with pytest.raises(InputError, match="Canale sconosciuto: 'piccione'"):
        log.record([AVELLA], dt.date(2023, 9, 14), "piccione")
    with pytest.raises(InputError, match="Nessun comune da registrare"):
        log.record([], dt.date(2023, 9, 14), "email")
    assert not (tmp_path / "promemoria.sqlite3").exists()


_WRITER = """
import datetime as dt
from rollout.reminders.log import Mark, ReminderLog
ReminderLog({path!r}).record([Mark("A508", "Avella")], dt.date(2023, 9, 14), "email", note="primo")
"""


def test_marks_survive_a_restart(tmp_path):
    path = tmp_path / "promemoria.sqlite3"
    code = _WRITER.format(root=str(ROOT), path=str(path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # Another process, long after the first one ended, sees the mark.
    expected = pd.DataFrame([["2023-09-14", "email", "primo"]], columns=["sent_on", "channel", "note"])
    assert_frame_equal(ReminderLog(path).history("A508")[expected.columns], expected)


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "promemoria.sqlite3")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=write_marks, args=(path, w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    log = ReminderLog(path)
    assert log.count() == 4 * 40 * 3
    summary = log.summary()
    assert len(summary) == 4 * 40 * 3
    assert set(summary["reminders_sent"]) == {1}


def test_a_corrupt_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "promemoria.sqlite3"
    path.write_bytes(b"questo non e' un database SQLite " * 200)
    log = ReminderLog(path)
    for action in (log.summary, lambda: log.record([AVELLA], dt.date(2023, 9, 14), "email")):
        with pytest.raises(TrackingError) as info:
            action()
        assert str(info.value) == (
            f"Il registro dei promemoria {path} è danneggiato o non è un file SQLite: spostalo altrove "
            "(i promemoria già registrati sono lì dentro) e ne verrà creato uno nuovo."
        )


def test_a_locked_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "promemoria.sqlite3"
    log = ReminderLog(path, timeout=0.2)
    log.record([AVELLA], dt.date(2023, 9, 14), "email")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program keeps the file locked
    try:
        with pytest.raises(TrackingError) as info:
            log.record([BISACCIA], dt.date(2023, 9, 15), "email")
        assert str(info.value) == (
            f"Il registro dei promemoria {path} è bloccato da un altro programma: riprova tra qualche secondo."
        )
        assert log.summary()["reminders_sent"].to_dict() == {"A508": 1}  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    log.record([BISACCIA], dt.date(2023, 9, 15), "email")
    assert log.count() == 2


def test_a_folder_that_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    log = ReminderLog(tmp_path / "file" / "promemoria.sqlite3")
    with pytest.raises(TrackingError, match="Impossibile creare la cartella del registro dei promemoria"):
        log.record([AVELLA], dt.date(2023, 9, 14), "email")


def test_a_log_from_before_the_outbox_is_read_without_changing_it(tmp_path):
    """A log written before sending by SMTP existed has no outbox: reading it sees none, writes nothing."""
    path = tmp_path / "promemoria.sqlite3"
    with sqlite3.connect(path) as con:
        con.executescript(
            "CREATE TABLE reminders (id INTEGER PRIMARY KEY, comune_key TEXT NOT NULL, comune TEXT NOT NULL,"
            " sent_on TEXT NOT NULL, channel TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', batch TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL);"
            "INSERT INTO reminders VALUES (1, 'A508', 'Avella', '2023-09-14', 'email', '', 'b1', '2023-09-14T10:00');"
            "PRAGMA user_version = 1;"
        )
    before = path.read_bytes()
    log = ReminderLog(path)
    assert log.blocked().empty and log.outbox().empty
    assert log.summary().loc["A508"].to_dict() == {
        "reminders_sent": 1, "last_reminder": "2023-09-14", "last_channel": "email",
        "ids": "catasto:A508 istat:064007 nome:avella|AV", "last_counted": "2023-09-14",
        "last_outcome": "", "outcome_detail": "", "outcome_order": 0,
    }  # fmt: skip
    assert path.read_bytes() == before
