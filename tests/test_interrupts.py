"""Stopping is clean (issue 18, §5): SIGTERM, SIGINT and SIGHUP end a command the same way.

What ``timeout``, systemd and ``docker stop`` send (SIGTERM), a closed terminal (SIGHUP) and Ctrl-C
(SIGINT) all leave no worker, no temporary folder and nothing half written; the command prints one
line, ``errore: interrotto (…)``, and exits with 128 + the signal's number. Before, SIGTERM left the
report's two workers running for ever and its ``.out.*.tmp`` folder behind.

Real processes (``python -m rollout``), real signals, sent at a moment each test waits for (the
temporary folder appears, the HTTP server has the request, the SMTP server has messages): no sleep
waits for luck.
"""

from __future__ import annotations

import http.server
import os
import signal
import threading
import tomllib
from pathlib import Path

import pytest
from processes import TIMEOUT, Command, left_running

from conftest import ROOT
from rollout import interrupts
from rollout.cli import main
from rollout.outputs.staging import staged
from rollout.reminders.log import ReminderLog
from rollout.synthetic import national
from testkit.smtp_server import Mailbox, Server

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
DEMO = ROOT / "data" / "demo"
NAMES = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "Ctrl-C", signal.SIGHUP: "SIGHUP"}


def configure(folder: Path, comuni: str, submissions: str) -> Path:
    (folder / "rollout.toml").write_text(
        f'deadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\nform_url = "https://forms.gle/x"\n'
        f'comuni = "{comuni}"\nsubmissions = "{submissions}"\n'
        '[reminders]\ndatabase = "log/promemoria.sqlite3"\nsender = "Ufficio PNRR <pnrr@azienda.it>"\n'
        "max_per_minute = 100000\n",
        encoding="utf-8",
    )
    return folder / "rollout.toml"


def temporary(folder: Path, pattern: str) -> list[str]:
    return sorted(p.name for p in folder.glob(pattern))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=NAMES.get)
def test_a_report_stopped_while_writing_leaves_no_worker_no_temporary_folder_and_the_last_report(tmp_path, signum):
    configure(tmp_path, DEMO / "comuni.csv", DEMO / "risposte.csv")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "status.json").write_text("il report della settimana scorsa\n", encoding="utf-8")
    report = Command(tmp_path, "report", "--config", "rollout.toml", "--out", "out")
    report.wait_until(lambda: temporary(tmp_path, ".out.*.tmp"), "writing into a temporary folder")
    code, out, err = report.stop(signum)
    assert (code, out, err) == (
        128 + signum,
        "",
        f"errore: interrotto ({NAMES[signum]}): nessun file lasciato a metà in out; rilancia il comando\n",
    )
    assert left_running(report.pid) == []
    assert temporary(tmp_path, ".out.*") == []
    assert {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()} == {
        "status.json": "il report della settimana scorsa\n"
    }


class _Stalling(http.server.BaseHTTPRequestHandler):
    """Answers nothing until the test lets it (a sheet that is slow to come)."""

    arrived = threading.Event()
    release = threading.Event()

    def do_GET(self):
        type(self).arrived.set()
        type(self).release.wait(TIMEOUT)
        self.send_error(503)

    def log_message(self, *args):
        pass


def test_a_report_stopped_while_reading_a_slow_source_leaves_no_worker(tmp_path):
    """The workers start before the sources are read: a stop then must end them too."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        configure(tmp_path, DEMO / "comuni.csv", f"http://127.0.0.1:{server.server_address[1]}/risposte.csv")
        report = Command(tmp_path, "report", "--config", "rollout.toml", "--out", "out")
        report.wait_until(_Stalling.arrived.is_set, "asking the server for the responses")
        code, out, err = report.stop(signal.SIGTERM)
    finally:
        _Stalling.release.set()
        server.shutdown()
        server.server_close()
    assert (code, out) == (143, "")
    assert err == "errore: interrotto (SIGTERM): nessun file lasciato a metà in out; rilancia il comando\n"
    assert left_running(report.pid) == []
    assert not (tmp_path / "out").exists() and temporary(tmp_path, ".out.*") == []


def test_accounts_notes_stopped_half_way_write_no_note(tmp_path):
    # Some 700 notes (the demo's 60 could all be written between the poll that sees them begin and
    # the signal, on a busy machine): the signal always comes half way.
    national.generate(tmp_path, n_comuni=800, n_responses=1500)
    configure(tmp_path, national.COMUNI_FILE, national.RESPONSES_FILE)
    notes = Command(tmp_path, "accounts", "notes", "--config", "rollout.toml", "--out", "note")

    def rendering() -> list[str]:  # the notes' temporary folder: beside the output (staged) or inside it
        return temporary(tmp_path, ".note.*.tmp") + temporary(tmp_path / "note", ".note-*")

    notes.wait_until(rendering, "rendering the notes into a temporary folder")
    code, out, err = notes.stop(signal.SIGHUP)
    assert (code, out) == (129, "")
    assert err == "errore: interrotto (SIGHUP): nessun file lasciato a metà in note; rilancia il comando\n"
    assert left_running(notes.pid) == []
    assert rendering() == [] and temporary(tmp_path / "note", "*") == []  # no note, nothing half written


def test_reminders_send_stopped_by_sigterm_records_what_went_and_resumes_without_doubles(tmp_path, capsys):
    """The signal reaches the sending code as the exception Ctrl-C raises: what went is recorded, a
    message possibly handed over is never sent again unasked (before: killed, nothing said)."""
    lines = (DEMO / "comuni.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "comuni.csv").write_text("\n".join(lines[:19]) + "\n", encoding="utf-8")
    header = (DEMO / "risposte.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "risposte.csv").write_text(header + "\n", encoding="utf-8")  # no answer yet: 16 to send
    configure(tmp_path, "comuni.csv", "risposte.csv")
    box = Mailbox(delay=0.05)
    with Server(box) as server:
        (tmp_path / "secrets.toml").write_text(
            f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n', encoding="utf-8"
        )
        flags = ["reminders", "send", "--config", "rollout.toml", "--secrets", "secrets.toml", "--yes"]
        sending = Command(tmp_path, *flags)
        sending.wait_until(lambda: len(box.received) >= 3, "sending three messages")
        code, _, err = sending.stop(signal.SIGTERM)
        assert code == 143 and err.splitlines()[-1] == (
            "errore: interrotto (SIGTERM): i messaggi già inviati sono registrati; rilancia per riprendere"
        )
        assert 3 <= len(box.received) < 16
        box.delay = 0
        main(["reminders", "send", "--config", str(tmp_path / "rollout.toml"), "--secrets",
              str(tmp_path / "secrets.toml"), "--yes"])  # fmt: skip
    capsys.readouterr()
    blocked = ReminderLog(tmp_path / "log" / "promemoria.sqlite3").blocked()
    recipients = box.recipients()
    assert len(recipients) == len(set(recipients))  # no comune twice
    assert len(blocked) <= 1 and 16 - len(blocked) <= len(recipients) <= 16  # at most the one in the air held back


@pytest.mark.parametrize("entry", ["python -m rollout", "rollout (console script)"])
def test_a_stop_while_the_libraries_load_ends_with_one_line(tmp_path, entry):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, function = scripts["rollout"].partition(":")
    code = f"import sys\nfrom {module} import {function}\nsys.exit({function}())\n"  # what pip's wrapper runs
    args = ("report", "--out", "out")
    command = Command(tmp_path, *args) if entry.startswith("python") else Command(tmp_path, *args, code=code)
    command.wait_until(lambda: command.catches(signal.SIGTERM), "handling SIGTERM")
    exit_code, out, err = command.stop(signal.SIGTERM)
    assert (exit_code, out) == (143, "") and err.startswith("errore: interrotto (SIGTERM)")
    assert len(err.splitlines()) == 1
    assert left_running(command.pid) == []


# --- in this process: the pieces -----------------------------------------------------------------------


def test_a_signal_during_the_moves_into_place_comes_after_the_last_one(tmp_path, monkeypatch):
    """Never half a report: a SIGTERM while the files move into ``out`` waits for the last move."""
    moved = []
    real_replace = Path.replace

    def replace(self, target):
        if not moved:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives now, between two moves
        moved.append(Path(target).name)
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with interrupts.handled(), pytest.raises(interrupts.Interrupted) as stop, staged(tmp_path / "out") as folder:
        for name in ("a.csv", "b.csv", "c.csv"):
            (folder / name).write_text(name, encoding="utf-8")
    assert stop.value.signum == signal.SIGTERM and interrupts.exit_code(stop.value) == 143
    assert moved == ["a.csv", "b.csv", "c.csv"] and sorted(os.listdir(tmp_path / "out")) == moved
    assert temporary(tmp_path, ".out.*") == []


def test_an_ignored_sighup_stays_ignored():
    """``nohup rollout report …`` keeps running when the terminal closes."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    before = signal.getsignal(signal.SIGTERM)
    try:
        with interrupts.handled():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not before
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGHUP, previous)


FORKED_IN_A_DEFERRED_BLOCK = """
import os, signal, sys, time
from rollout import interrupts
with interrupts.handled():
    with interrupts.deferred():  # as staging.start_worker forks its workers
        pid = os.fork()
        if pid == 0:  # the worker, stopped before it could set its own signals
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status))
"""


SIGNALLED_AS_ITS_HANDLER_IS_SET = """
import os, signal
from rollout import interrupts
real = signal.signal
def setting(signum, handler):
    previous = real(signum, handler)
    if signum == signal.SIGTERM and callable(handler):  # the tracker's handler, not SIG_DFL put back
        os.kill(os.getpid(), signal.SIGTERM)  # the stop comes at once, before the next line of handled()
    return previous
signal.signal = setting
try:
    with interrupts.handled():
        print("not interrupted")
except interrupts.Interrupted as err:
    print("interrupted", err.signum, signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
"""


def test_a_signal_as_soon_as_its_handler_is_set_is_an_interruption_not_a_silent_exit():
    """The handler once took the command itself for a forked worker when the signal came before
    ``handled`` had noted the process's id: exit 143 without the line that says so (seen under load
    in the console-script test). The state is noted first; the handlers are restored all the same."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", SIGNALLED_AS_ITS_HANDLER_IS_SET],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"interrupted {int(signal.SIGTERM)} True"), done.stderr


def test_a_worker_stopped_before_it_set_its_own_signals_ends_at_once():
    """A worker forked inside a deferred block inherits the parent's handler: a SIGTERM that came
    before the worker replaced it was only noted (the worker then waited for a job for ever, and the
    parent for it: a test of the command line hung). It ends the worker now."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FORKED_IN_A_DEFERRED_BLOCK], capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT
    )
    assert done.stdout.strip() == "143", done.stderr


STUBBORN_WORKER = """
import os, signal, sys, time
from pathlib import Path
from rollout.outputs import staging
staging.END_SECONDS = 0.5
ready = Path(sys.argv[1])
def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.write_text(str(os.getpid()))
    time.sleep(60)
assert staging.start_worker("stubborn", stubborn), "no worker forked"
deadline = time.monotonic() + 60
while not ready.exists() or not ready.read_text():
    assert time.monotonic() < deadline, "the worker never started"
    time.sleep(0.01)
pid = int(ready.read_text())
staging.stop_workers()
try:
    os.kill(pid, 0)
    print("alive")
except ProcessLookupError:
    print("gone")
"""


def test_stopping_a_worker_that_ignores_sigterm_kills_it(tmp_path):
    """``stop_workers`` never waits for ever: a worker that does not end on SIGTERM is killed. In a
    process of its own, where a worker can always be forked (not in a test worker that has already
    imported a library with threads of its own)."""
    import subprocess
    import sys

    ready = tmp_path / "ready"
    done = subprocess.run([sys.executable, "-c", STUBBORN_WORKER, str(ready)], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT)  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "gone"), done.stderr
