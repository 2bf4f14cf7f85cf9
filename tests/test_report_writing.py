"""Writing the report: all or nothing, a damaged or read-only reminders log, formulas after cleaning,
owner-only log files. Real files, real SQLite, the XLSX read back with openpyxl."""

from __future__ import annotations

import csv
import errno
import functools
import io
import os
import sqlite3
import stat
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import COMUNI_CSV, responses
from rollout.cli import main
from rollout.outputs import files as output_files
from rollout.outputs.files import to_csv_bytes, to_xlsx_bytes
from rollout.reminders.log import Mark, ReminderLog

CAMPAIGN = responses(
    "1/9/2023 10.15.32,x@y.it,Montecorvino Rovella,Greco,Anna,a@x.it,1) Editor Sito Web",
    '5/9/2023 11.00.00,,Paterno,Bianchi,Luca,l@x.it,"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
)
EVERY_FILE = ["accounts.csv", "accounts.xlsx", "comuni.csv", "reminder-drafts.zip", "reminders.csv",
              "reminders.xlsx", "rows.csv", "status.json", "status.png"]  # fmt: skip


@pytest.fixture
def campaign(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        'deadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[reminders]\ndatabase = "stato/promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    return tmp_path


def cli(campaign: Path, *args: str) -> int:
    return main([*args, "--config", str(campaign / "rollout.toml")])


def reminders_rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["comune"] + " " + r["province"]: r for r in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))}


def xlsx_rows(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


# -- all or nothing -------------------------------------------------------------------------------


def test_a_failure_while_writing_leaves_the_previous_report_as_it_was(campaign, monkeypatch, capsys):
    assert cli(campaign, "report", "--out", str(campaign / "out")) == 0
    before = {p.name: p.read_bytes() for p in (campaign / "out").iterdir()}
    assert sorted(before) == EVERY_FILE

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output_files, "write_xlsx", disk_full)  # the XLSX writers, here and in the workers
    capsys.readouterr()
    assert cli(campaign, "report", "--as-of", "2023-09-30T12:00:00", "--out", str(campaign / "out")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"errore: impossibile scrivere in {campaign / 'out'}: No space left on device"]
    assert {p.name: p.read_bytes() for p in (campaign / "out").iterdir()} == before
    assert sorted(p.name for p in campaign.iterdir()) == ["comuni.csv", "out", "risposte.csv", "rollout.toml"]


def test_a_directory_in_the_way_stops_the_report_before_anything_moves(campaign, capsys):
    out = campaign / "out"
    out.mkdir()
    (out / "status.json").write_text("{}", encoding="utf-8")
    (out / "status.png").mkdir()  # cannot be replaced by a file
    assert cli(campaign, "report", "--out", str(out)) == 2
    assert "errore: impossibile scrivere in" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["status.json", "status.png"]
    assert (out / "status.json").read_text(encoding="utf-8") == "{}"
    assert not [p for p in campaign.iterdir() if p.name.startswith(".")]  # no temporary folder left


# -- the reminders log ----------------------------------------------------------------------------


def test_a_damaged_log_is_a_warning_and_the_counts_are_left_empty(campaign, capsys):
    (campaign / "stato").mkdir()
    log = campaign / "stato" / "promemoria.sqlite3"
    log.write_bytes(b"\x00" * 4096)
    assert cli(campaign, "report", "--out", str(campaign / "out")) == 0
    out = campaign / "out"
    assert sorted(p.name for p in out.iterdir()) == EVERY_FILE
    err = capsys.readouterr().err.splitlines()
    assert (
        f"avviso: Il registro dei promemoria {log} è danneggiato o non è un file SQLite: spostalo altrove (i "
        "promemoria già registrati sono lì dentro) e ne verrà creato uno nuovo. I promemoria già inviati non sono "
        "noti: le colonne Promemoria inviati, Ultimo promemoria, Canale ed Esito dell'ultimo invio di reminders.csv "
        "e reminders.xlsx sono vuote."
    ) in err
    rows = reminders_rows(out / "reminders.csv")
    assert len(rows) == 6
    assert {(r["reminders_sent"], r["last_reminder"], r["last_channel"]) for r in rows.values()} == {("", "", "")}
    header, *cells = xlsx_rows(out / "reminders.xlsx")
    assert header[-5:-1] == ("Promemoria inviati", "Ultimo promemoria", "Canale", "Esito dell'ultimo invio")
    assert {c[-5:-1] for c in cells} == {(None, None, None, None)}
    assert log.read_bytes() == b"\x00" * 4096  # left for the user to move away


def _marked_log(campaign: Path) -> Path:
    assert cli(campaign, "reminders", "mark", "--comune", "Melito di Napoli", "--date", "2023-09-15") == 0
    assert cli(campaign, "reminders", "mark", "--comune", "Melito di Napoli", "--date", "2023-09-20",
               "--channel", "pec") == 0  # fmt: skip
    return campaign / "stato" / "promemoria.sqlite3"


def _assert_melito_counted(out: Path) -> None:
    melito = reminders_rows(out / "reminders.csv")["Melito di Napoli NA"]
    assert (melito["reminders_sent"], melito["last_reminder"], melito["last_channel"]) == ("2", "2023-09-20", "PEC")
    header, *cells = xlsx_rows(out / "reminders.xlsx")
    row = dict(zip(header, next(c for c in cells if c[0] == "Melito di Napoli"), strict=True))
    assert (row["Promemoria inviati"], row["Ultimo promemoria"], row["Canale"]) == (2, "20/09/2023", "PEC")
    assert row["Esito dell'ultimo invio"] is None  # recorded by hand: no outcome


def test_a_log_whose_wal_index_cannot_be_created_is_still_read(campaign, capsys):
    """What a read-only folder does to a WAL database: the -shm file cannot be created (a directory is
    in the way here, which stops root too). The log is read as an immutable file."""
    log = _marked_log(campaign)
    Path(f"{log}-shm").mkdir()
    data = log.read_bytes()
    for args in (["report", "--out", str(campaign / "out")], ["reminders", "export", "--out", str(campaign / "r")]):
        assert cli(campaign, *args) == 0
    assert "avviso" not in capsys.readouterr().err
    _assert_melito_counted(campaign / "out")
    _assert_melito_counted(campaign / "r")
    assert log.read_bytes() == data


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_does_not_stop_the_report_or_the_export(campaign, capsys):
    log = _marked_log(campaign)
    log.chmod(0o444)
    log.parent.chmod(0o555)
    try:
        for args in (["report", "--out", str(campaign / "out")], ["reminders", "export", "--out", str(campaign / "r")]):
            assert cli(campaign, *args) == 0
    finally:
        log.parent.chmod(0o755)
    assert "avviso" not in capsys.readouterr().err
    _assert_melito_counted(campaign / "out")
    _assert_melito_counted(campaign / "r")


def test_reading_the_log_changes_nothing_and_creates_nothing(campaign):
    log = _marked_log(campaign)
    data = log.read_bytes()
    assert ReminderLog(log).summary()["reminders_sent"].to_dict() == {"063045": 2}
    assert ReminderLog(log).history("063045")["channel"].tolist() == ["pec", "email"]
    assert log.read_bytes() == data
    assert ReminderLog(campaign / "nuovo" / "missing.sqlite3").summary().empty
    assert not (campaign / "nuovo").exists()  # no folder, no file: they are made by the first mark


def test_the_log_and_its_wal_files_are_readable_by_their_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        log = ReminderLog(tmp_path / "stato" / "promemoria.sqlite3")
        log.record([Mark("063045", "Melito di Napoli")], pd.Timestamp("2023-09-15").date(), "email")
        with sqlite3.connect(log.path) as con:  # a writer in the middle of a transaction: -wal and -shm exist
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM reminders")
            files = sorted(p.name for p in log.path.parent.iterdir())
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in log.path.parent.iterdir()}
            con.rollback()
    finally:
        os.umask(old)
    assert files == ["promemoria.sqlite3", "promemoria.sqlite3-shm", "promemoria.sqlite3-wal"]
    assert modes == dict.fromkeys(files, 0o600)
    assert log.summary()["reminders_sent"].to_dict() == {"063045": 1}


# -- a formula hidden behind a control character -----------------------------------------------


HIDDEN = ["\x01=1+1", "\x00\x02+39 333", "\x1f@SUM(A1)", "\x0b-2+3", "a\x01=b"]


def test_the_formula_check_is_made_on_the_cleaned_text():
    frame = pd.DataFrame({"testo": HIDDEN, "numero": [-1, 0, 1, 2, 3]})
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"), newline="")))
    assert rows == [["testo", "numero"], ["'=1+1", "-1"], ["'+39 333", "0"], ["'@SUM(A1)", "1"], ["'-2+3", "2"],
                    ["a=b", "3"]]  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame, "Prova")))
    cells = [[(c.value, c.data_type) for c in row] for row in book.active.iter_rows()]
    assert cells == [[("testo", "s"), ("numero", "s")], [("'=1+1", "s"), (-1, "n")], [("'+39 333", "s"), (0, "n")],
                     [("'@SUM(A1)", "s"), (1, "n")], [("'-2+3", "s"), (2, "n")], [("a=b", "s"), (3, "n")]]  # fmt: skip


def test_a_hidden_formula_in_the_comuni_list_reaches_the_report_inert(campaign, capsys):
    text = COMUNI_CSV.replace("Ciro Esposito", "\x01=1+1").replace("Anna Greco", '"\x07=HYPERLINK(""x"")"')
    (campaign / "comuni.csv").write_text(text, encoding="utf-8")
    assert cli(campaign, "report", "--out", str(campaign / "out")) == 0
    out = campaign / "out"
    rows = reminders_rows(out / "reminders.csv")
    assert rows["Melito di Napoli NA"]["contact_name"] == "'=1+1"
    header, *cells = xlsx_rows(out / "reminders.xlsx")
    melito = dict(zip(header, next(c for c in cells if c[0] == "Melito di Napoli"), strict=True))
    assert melito["Referente"] == "'=1+1"
    book = openpyxl.load_workbook(out / "reminders.xlsx")
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
    with zipfile.ZipFile(out / "reminder-drafts.zip") as archive:
        index = list(csv.reader(io.StringIO(archive.read("elenco.csv").decode("utf-8-sig"))))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in index for cell in row)


def test_the_xlsx_keeps_its_format(tmp_path):
    frame = pd.DataFrame({"comune": ["Melito di Napoli", "Paternò"], "editor": [2, 0], "vuoto": [None, ""]})
    path = output_files.write_xlsx_file(frame, tmp_path, "accounts", {"comune": "Comune"})
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "Accounts"
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Comune", "editor", "vuoto"], ["Melito di Napoli", 2, None], ["Paternò", 0, None]
    ]  # fmt: skip
    assert (ws.freeze_panes, ws.auto_filter.ref) == ("A2", "A1:C3")
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("1F4E79")
    assert ws["A2"].font.b is False
    assert round(ws.column_dimensions["A"].width) == 19  # "Melito di Napoli" + 2, in Excel's units


# -- the workers ----------------------------------------------------------------------------------


def test_workers_write_files_and_send_back_their_seconds_and_failures(tmp_path, monkeypatch):
    from rollout.outputs import staging

    monkeypatch.setattr(staging, "workers", lambda: 1)  # as on a 2-core Linux machine (these jobs are fork-safe)

    def write(name: str, text: str):
        return lambda: (tmp_path / name).write_text(text, encoding="utf-8")

    def two_files():
        (tmp_path / "a.csv").write_text("a", encoding="utf-8")
        (tmp_path / "a.xlsx").write_text("b", encoding="utf-8")
        return {"a.csv": 0.5, "a.xlsx": 1.5}

    seconds = staging.run_jobs({"here.txt": write("here.txt", "qui")}, {"side.txt": write("side.txt", "là"),
                                                                          "a": two_files})  # fmt: skip
    assert sorted(seconds) == ["a.csv", "a.xlsx", "here.txt", "side.txt"]
    assert (seconds["a.csv"], seconds["a.xlsx"]) == (0.5, 1.5)
    assert [(tmp_path / n).read_text(encoding="utf-8") for n in ("here.txt", "side.txt", "a.csv")] == ["qui", "là", "a"]

    def full():
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        staging.run_jobs({"here.txt": write("here2.txt", "qui")}, {"side": full})
    assert (tmp_path / "here2.txt").exists()  # the other jobs ran to the end
    with pytest.raises(OSError, match="No space left on device"):
        staging.run_jobs({"here": full}, {"side.txt": write("side2.txt", "là")})
    assert (tmp_path / "side2.txt").read_text(encoding="utf-8") == "là"  # the worker was waited for

    monkeypatch.setattr(staging, "workers", lambda: 0)  # one processor, or not Linux: all here, in order
    assert sorted(staging.run_jobs({"h": write("h.txt", "1")}, {"s": write("s.txt", "2")})) == ["h", "s"]
    with pytest.raises(OSError, match="No space left on device"):
        staging.run_jobs({"h": write("h3.txt", "1")}, {"s": full})
    assert not (tmp_path / "h3.txt").exists()  # here, the first failure stops the rest


def _note_pid(path: Path) -> None:
    """A warm-up: writes down which process ran it (module level: a job sent to a worker pickles).
    Written whole or not at all: the test reads it as soon as it exists."""
    part = path.with_suffix(".part")
    part.write_text(str(os.getpid()), encoding="utf-8")
    part.replace(path)


def _write_with_pid(path: Path, warm: Path) -> None:
    path.write_text(f"{os.getpid()} {warm.read_text(encoding='utf-8')}", encoding="utf-8")


def _fail(message: str) -> None:
    raise OSError(errno.ENOSPC, message)


def test_a_worker_started_early_warms_up_then_runs_the_job_sent_to_it(tmp_path, monkeypatch):
    """The worker is forked before the job's data exist; the job then goes to it, not to a new process."""
    from rollout.outputs import staging

    monkeypatch.setattr(staging, "workers", lambda: 1)
    warm, out = tmp_path / "warm.txt", tmp_path / "side.txt"
    assert staging.start_worker("side.txt", functools.partial(_note_pid, warm))
    assert not staging.start_worker("side.txt", functools.partial(_note_pid, warm))  # one worker per job
    seconds = staging.run_jobs(
        {"here.txt": lambda: (tmp_path / "here.txt").write_text(str(os.getpid()), encoding="utf-8")},
        {"side.txt": functools.partial(_write_with_pid, out, warm)},
    )
    assert sorted(seconds) == ["here.txt", "side.txt"]
    worker, warmed_in = out.read_text(encoding="utf-8").split()
    assert worker == warmed_in != str(os.getpid())  # warmed up and ran in the same other process
    assert (tmp_path / "here.txt").read_text(encoding="utf-8") == str(os.getpid())

    # A warm-up that fails: the failure comes back when the job is sent, like a failing job's.
    assert staging.start_worker("bad", functools.partial(_fail, "warm-up failed"))
    with pytest.raises(OSError, match="warm-up failed"):
        staging.run_jobs({}, {"bad": functools.partial(_write_with_pid, out, warm)})
    assert staging.start_worker("late", functools.partial(_note_pid, warm))
    with pytest.raises(OSError, match="disk full"):
        staging.run_jobs({}, {"late": functools.partial(_fail, "disk full")})

    # A job that does not pickle (a local function) runs here; its worker is ended.
    assert staging.start_worker("local", functools.partial(_note_pid, warm))
    seconds = staging.run_jobs({}, {"local": lambda: out.write_text(str(os.getpid()), encoding="utf-8")})
    assert list(seconds) == ["local"] and out.read_text(encoding="utf-8") == str(os.getpid())

    # A run that stops before writing: the waiting worker is ended, nothing is left behind.
    warm.unlink()
    assert staging.start_worker("never", functools.partial(_note_pid, warm))
    while not warm.exists():
        time.sleep(0.01)
    staging.stop_workers()
    with pytest.raises(ProcessLookupError):
        os.kill(int(warm.read_text(encoding="utf-8")), 0)  # ended and reaped
    assert staging.run_jobs({}, {"never": lambda: None}).keys() == {"never"}  # a new worker now


def test_ctrl_c_ends_a_waiting_worker_quietly(tmp_path, monkeypatch, capfd):
    """Ctrl-C reaches the whole process group: a worker still waiting for its job ends without a
    traceback (the report itself says «interrotto»)."""
    import signal

    from rollout.outputs import staging

    monkeypatch.setattr(staging, "workers", lambda: 1)
    warm = tmp_path / "warm.txt"
    assert staging.start_worker("waiting", functools.partial(_note_pid, warm))
    while not warm.exists():
        time.sleep(0.01)
    pid = int(warm.read_text(encoding="utf-8"))
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
        time.sleep(0.01)
    assert "Traceback" not in capfd.readouterr().err
    staging.stop_workers()


def test_no_worker_is_forked_once_the_picture_renderer_runs(campaign, capsys):
    """vl-convert's JavaScript runtime has threads of its own: a fork after it started would hang."""
    from rollout.outputs import picture, staging
    from rollout.outputs.charts import status_chart

    picture.render_png(status_chart({"on_time": 1, "late": 0, "pending": 0, "missing": 0, "comuni": 1}))
    assert staging.workers() == 0
    assert cli(campaign, "report", "--out", str(campaign / "out")) == 0  # everything here, in order
    assert sorted(p.name for p in (campaign / "out").iterdir()) == EVERY_FILE


def test_the_picture_is_drawn_in_a_small_process_of_its_own(campaign):
    """vl-convert's runtime (over 100 MB) never joins the report's process: its peak stays lower."""
    import subprocess
    import sys

    folder = campaign
    code = (
        "import sys\nfrom rollout.cli import main\n"
        f"rc = main(['report', '--config', {str(folder / 'rollout.toml')!r}, '--out', {str(folder / 'out')!r}])\n"
        "print(rc, 'vl_convert' in sys.modules, 'altair' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.splitlines()[-1].split() == ["0", "False", "False"], done.stderr
    png = (folder / "out" / "status.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
