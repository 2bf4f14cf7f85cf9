"""``python -m rollout weekly`` against a real SMTP server (aiosmtpd) on 127.0.0.1, the demo's sheets
served over HTTP on 127.0.0.1 as a public Google Sheet link serves them.

One good weekly run is shared by the module (the report draws a PNG, 1–3 s): the tests after it
run on the same campaign, on the same day or on the days after (the run's clock is injected).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from processes import TIMEOUT, Command, left_running
from test_outcomes import MAILBOX_PASSWORD, answer, put
from test_receipts import SENT

from conftest import ROOT, run_cli
from data_sources import http
from rollout.cli import main
from rollout.config import WeeklySettings, load_config
from rollout.errors import InputError
from rollout.reminders import send
from rollout.reminders.log import ReminderLog
from rollout.reminders.mail_settings import smtp_from_table
from rollout.weekly import folders
from rollout.weekly import run as weekly_run
from rollout.weekly.state import WeeklyLog
from rollout.weekly.summary import Summary, send_summary
from testkit.imap_server import DOVECOT, MISSING, Dovecot
from testkit.local_http import Routes, serve_routes
from testkit.smtp_server import Mailbox, Server, free_port

DEMO = ROOT / "data" / "demo"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
ROME = ZoneInfo("Europe/Rome")
DAY = dt.date(2023, 9, 8)  # the campaign's moment (as_of) and the first run's day
COMMITTEE = ["comitato@azienda.it", "direzione@azienda.it"]
PNG = b"\x89PNG\r\n\x1a\n"


def lines(name: str) -> list[str]:
    return (DEMO / name).read_text(encoding="utf-8").splitlines(keepends=True)


RESPONSES, COMUNI = lines("risposte.csv"), lines("comuni.csv")  # a header and 303 responses; 130 comuni


def serve(sheets: Routes, name: str, rows: list[str]) -> None:
    sheets.routes[f"/{name}"] = (200, CSV, "".join(rows).encode("utf-8"))


def write_campaign(
    folder: Path, comuni: str, submissions: str, port: int, campaign: str = "Demo", send_reminders: bool = True
) -> Path:
    """rollout.toml and secrets.toml in ``folder``: the moment of the demo, reminders and summary on."""
    (folder / "rollout.toml").write_text(
        f"campaign = {json.dumps(campaign)}\ndeadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\n"
        f'form_url = "https://forms.gle/x"\ncomuni = "{comuni}"\nsubmissions = "{submissions}"\n'
        '[reminders]\nsender = "Ufficio PNRR <pnrr@azienda.it>"\nsignature = "Ufficio PNRR"\n'
        "max_per_minute = 100000\nresend_after_days = 1\n"
        f"[weekly]\nsend_reminders = {json.dumps(send_reminders)}\nrecipients = {json.dumps(COMMITTEE)}\nkeep_weeks = 2\n",
        encoding="utf-8",
    )
    (folder / "secrets.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n', encoding="utf-8"
    )
    return folder


def weekly(folder: Path, *flags: str) -> tuple[int, str]:
    """``python -m rollout weekly`` in this process: the exit code and what it printed."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(
            ["weekly", "--config", str(folder / "rollout.toml"), "--secrets", str(folder / "secrets.toml"), *flags]
        )
    return code, stdout.getvalue()


def on(day: dt.date):
    """The run's clock: 19:00 in Rome on ``day``."""
    return lambda: dt.datetime(day.year, day.month, day.day, 19, 0, tzinfo=ROME)


def summaries(box: Mailbox) -> list[tuple[list[str], EmailMessage]]:
    return [(rcpt, m) for rcpt, m in box.received if rcpt == COMMITTEE]


def reminders(box: Mailbox) -> list[EmailMessage]:
    return [m for rcpt, m in box.received if rcpt != COMMITTEE]


def texts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and the HTML part, decoded (line ends as in Python)."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


@dataclass
class Week:
    folder: Path
    sheets: Routes
    box: Mailbox
    code: int
    printed: str

    @property
    def out(self) -> Path:
        return self.folder / "out"


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """The demo campaign's sheets over HTTP; one weekly run on 08/09/2023 at 19:00."""
    folder = tmp_path_factory.mktemp("weekly")
    box = Mailbox()
    with serve_routes() as sheets, Server(box) as server, pytest.MonkeyPatch.context() as patch:
        patch.setattr(http, "sleep", lambda seconds: None)  # the retries' waits are tested elsewhere
        now = [0.0]
        patch.setattr(send, "CLOCK", lambda: now[0])
        patch.setattr(send, "SLEEP", lambda seconds: now.__setitem__(0, now[0] + seconds))
        patch.setattr(weekly_run, "CLOCK", on(DAY))
        serve(sheets, "comuni.csv", COMUNI)
        serve(sheets, "risposte.csv", RESPONSES)
        write_campaign(folder, f"{sheets.base}/comuni.csv", f"{sheets.base}/risposte.csv", server.port)
        code, printed = weekly(folder)
        yield Week(folder, sheets, box, code, printed)


# --- a good week -----------------------------------------------------------------------------------


def test_a_weekly_run_sends_the_due_reminders_and_one_summary_with_the_picture(week):
    report = week.out / "2023-09-08"
    assert week.code == 0
    assert week.printed.splitlines() == [
        f"weekly 08/09/2023: rapporto in {report}; promemoria: 74 inviati, 5 senza indirizzo; "
        f"riepilogo inviato a 2 destinatari; dettagli in {week.out / 'weekly.log'}."
    ]
    assert len(reminders(week.box)) == 74  # the 79 comuni to chase, less the 5 without a usable address
    [(recipients, message)] = summaries(week.box)
    assert recipients == COMMITTEE
    assert message["Subject"] == "Demo: situazione al 08/09/2023"
    assert message["To"] == "comitato@azienda.it, direzione@azienda.it"
    assert message["From"] == "Ufficio PNRR <pnrr@azienda.it>"
    assert message["Auto-Submitted"] == "auto-generated"

    # The picture, inline: multipart/related inside multipart/alternative, referred to by its Content-ID.
    assert message.get_content_type() == "multipart/alternative"
    plain, html = texts(message)
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image.get_content().startswith(PNG)
    assert image.get_content() == (report / "status.png").read_bytes()
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]

    # The KPIs in Italian, the figures of status.json, their change over the week before.
    totals = json.loads((report / "status.json").read_text(encoding="utf-8"))["totals"]
    assert totals == {"comuni": 130, "on_time": 60, "late": 0, "pending": 70, "missing": 0, "without_at_editor": 79}
    assert plain.split("\n\n")[:3] == [
        "Situazione al 08/09/2023 18:00 (scadenza 13/09/2023: mancano 5 giorni alla scadenza).\n"
        "- Comuni: 130 (invariato in 7 giorni)\n"
        "- In tempo: 60 (46\u00a0% dei comuni; +31 in 7 giorni)\n"
        "- In ritardo: 0 (0\u00a0% dei comuni; invariato in 7 giorni)\n"
        "- In attesa: 70 (54\u00a0% dei comuni; -31 in 7 giorni)\n"
        "- Mancanti: 0 (0\u00a0% dei comuni; invariato in 7 giorni)\n"
        "- Senza editor AT: 79 (di cui 9 hanno risposto; -26 in 7 giorni)",
        "Negli ultimi 7 giorni 31 comuni hanno risposto per la prima volta.",
        "Promemoria: 79 comuni, 74 inviati, 5 senza indirizzo.",
    ]
    assert '<th scope="row" style="text-align: left; padding-right: 1em">In tempo</th>' in html
    assert "46\u00a0% dei comuni; +31 in 7 giorni" in html
    assert (week.out / "ultimo").is_symlink() and (week.out / "ultimo").readlink() == Path("2023-09-08")


def people_and_contacts() -> set[str]:
    """Every employee's name, surname, fiscal code and email, every referent and contact of a comune."""
    found = set()
    for row in csv.DictReader(io.StringIO("".join(RESPONSES))):
        name, surname = row["Nome del dipendente"].strip(), row["Cognome del dipendente"].strip()
        found |= {f"{name} {surname}", f"{surname} {name}", row["Codice fiscale del dipendente"]}
        found |= {row["Indirizzo email"], row["Indirizzo email del dipendente"]}
    for row in csv.DictReader(io.StringIO("".join(COMUNI))):
        found |= {row["Referente"], row["Email referente"], row["PEC"]}
    return {text.lower() for text in found if len(text.strip()) > 3}


def test_the_summary_and_the_log_carry_no_personal_data(week):
    [(_, message)] = summaries(week.box)
    plain, html = texts(message)
    html = re.sub(r'src="cid:[^"]+"', "", html)  # the picture's Content-ID is a message id: left@right
    log = (week.out / "weekly.log").read_text(encoding="utf-8")
    assert "@" not in plain and "@" not in html and "@" not in log
    personal = people_and_contacts()
    assert len(personal) > 500
    for text in (plain.lower(), html.lower(), log.lower()):
        assert sorted(p for p in personal if p in text) == []
    assert "promemoria inviato: Bisaccia (AV)" in log  # comuni are named, people are not
    assert "promemoria senza indirizzo: Mercogliano (AV)" in log


def test_a_second_run_the_same_day_sends_nothing(week):
    before = len(week.box.received)
    code, printed = weekly(week.folder)
    assert code == 0
    assert printed.splitlines() == [
        f"weekly 08/09/2023: rapporto in {week.out / '2023-09-08'}; promemoria: 74 saltati, 5 senza indirizzo; "
        f"riepilogo già inviato oggi; dettagli in {week.out / 'weekly.log'}."
    ]
    assert len(week.box.received) == before


# --- suspect data ----------------------------------------------------------------------------------


def test_from_shrunk_data_no_reminder_goes_and_the_summary_says_why_first(week, monkeypatch):
    """The day after (resend_after_days = 1: every comune chased is due again), the responses' sheet
    lost 121 rows: nothing is sent to the comuni, the committee is told why, first."""
    monkeypatch.setattr(weekly_run, "CLOCK", on(DAY + dt.timedelta(days=1)))
    before = len(week.box.received)
    serve(week.sheets, "risposte.csv", RESPONSES[:183])
    try:
        code, printed = weekly(week.folder)
    finally:
        serve(week.sheets, "risposte.csv", RESPONSES)
    assert code == 1
    assert printed.splitlines() == [
        f"weekly 09/09/2023: rapporto in {week.out / '2023-09-09'}; nessun promemoria inviato; riepilogo inviato a "
        f"2 destinatari; da controllare: dati non aggiornati; dettagli in {week.out / 'weekly.log'}."
    ]
    [(_, message)] = summaries(week.box)[1:]
    assert len(week.box.received) == before + 1  # the summary only
    plain, html = texts(message)
    first = plain.split("\n\n")[0]
    assert re.fullmatch(
        r"Nessun promemoria inviato: dati non aggiornati dal \d\d/\d\d/\d{4} \d\d:\d\d \(risposte, uso l'ultima copia "
        r"letta\): il foglio appena letto ha 182 righe, l'ultima copia buona ne ha 303\. Se i nuovi dati sono giusti, "
        r"accettali con «Accetta i nuovi dati» nel cruscotto, o con python -m rollout report --accept-smaller: il "
        r"prossimo weekly li userà\.",
        first,
    ), first
    assert html.index("Nessun promemoria inviato") < html.index("Situazione al")
    # The picture and the figures are those of the last good copy.
    assert "- In tempo: 60 (46\u00a0% dei comuni; +31 in 7 giorni)" in plain

    # With the sheet whole again, the same day's dry run lists the 74 reminders the suspect data held back.
    code, printed = weekly(week.folder, "--dry-run")
    shown = printed.splitlines()
    assert code == 0
    assert sum(line.startswith("da inviare: ") for line in shown) == 74
    assert "da inviare: Lioni (AV) → segreteria@comune.lioni.av.it · " in "\n".join(shown)
    assert shown[-3:] == [
        "Promemoria: 79 comuni, 74 da inviare, 5 senza indirizzo.",
        "Riepilogo (già inviato oggi: non partirebbe): a comitato@azienda.it, direzione@azienda.it · "
        "Demo: situazione al 08/09/2023",
        f"weekly 09/09/2023 (prova): rapporto in {week.out / '2023-09-09'}; promemoria da inviare: 74; riepilogo per "
        f"2 destinatari (già inviato oggi: non partirebbe); nessun messaggio inviato; dettagli in "
        f"{week.out / 'weekly.log'}.",
    ]
    assert len(week.box.received) == before + 1


def test_without_any_data_the_summary_says_the_read_failed(tmp_path, monkeypatch):
    """No last good copy and a sheet that answers 503: no report, no reminder; the committee is told.
    The campaign's title, from the configuration, cannot add a header to the summary."""
    monkeypatch.setattr(http, "sleep", lambda seconds: None)
    monkeypatch.setattr(weekly_run, "CLOCK", on(DAY))
    box = Mailbox()
    campaign = "PNRR 1.4.1 – «Comuni»\r\nBcc: spia@example.com"
    with serve_routes() as sheets, Server(box) as server:
        serve(sheets, "comuni.csv", COMUNI)
        sheets.routes["/risposte.csv"] = (503, {}, b"busy")
        write_campaign(tmp_path, f"{sheets.base}/comuni.csv", f"{sheets.base}/risposte.csv", server.port, campaign)
        code, printed = weekly(tmp_path)
    assert code == 2
    assert printed.splitlines() == [
        f"weekly 08/09/2023: riepilogo inviato a 2 destinatari; da controllare: lettura dei dati non riuscita; "
        f"dettagli in {tmp_path / 'out' / 'weekly.log'}."
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["weekly.log"]  # no report
    [(recipients, message)] = box.received
    assert recipients == COMMITTEE
    assert (
        message["Subject"] == "PNRR 1.4.1 – «Comuni» Bcc: spia@example.com: lettura dei dati non riuscita (08/09/2023)"
    )
    assert message["Bcc"] is None
    plain, _ = texts(message)
    first = plain.split("\n\n")[0]
    assert first.startswith("Lettura dei dati non riuscita: ") and "503" in first
    assert first.endswith("Nessun rapporto scritto, nessun promemoria inviato.")
    assert not any(part.get_content_type() == "image/png" for part in message.walk())


# --- receipts and bounces -------------------------------------------------------------------------


@pytest.mark.skipif(DOVECOT is None, reason=MISSING)
def test_the_bounces_are_read_before_the_reminders_go_and_the_summary_counts_them(tmp_path, monkeypatch):
    """Reminders sent this morning; a bounce for Avella's arrives in the mailbox (Dovecot); the weekly
    run reads it first, chases Avella again at its PEC, and tells the committee."""
    monkeypatch.setattr(send, "SLEEP", lambda seconds: None)
    today = dt.datetime.now(ROME).date()  # the day `reminders send` records its messages on
    monkeypatch.setattr(weekly_run, "CLOCK", on(today))
    (tmp_path / "comuni.csv").write_text("".join(COMUNI[:19]), encoding="utf-8")  # 16 with an address
    (tmp_path / "risposte.csv").write_text(RESPONSES[0], encoding="utf-8")
    box = Mailbox()
    with Dovecot({"pnrr": MAILBOX_PASSWORD}) as dovecot, Server(box) as server:
        write_campaign(tmp_path, "comuni.csv", "risposte.csv", server.port)
        with (tmp_path / "secrets.toml").open("a", encoding="utf-8") as secrets:
            secrets.write(f'[imap]\nhost = "127.0.0.1"\nport = {dovecot.port}\nsecurity = "none"\n'
                          f'username = "pnrr"\npassword = "{MAILBOX_PASSWORD}"\n')  # fmt: skip
        sent = run_cli("reminders", "send", "--config", tmp_path / "rollout.toml", "--secrets",
                       tmp_path / "secrets.toml", "--yes")  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        avella = next(m for _, m in box.received if m["To"].addresses[0].display_name == "Comune di Avella")
        bounce = answer("postfix-dsn.eml", SENT["avella_mail"], (avella["Message-ID"], "segreteria@comune.avella.av.it"),
                        "<dsn-1@mail.azienda.it>", "segreteria@comune.avella.av.it")  # fmt: skip
        put(dovecot, "pnrr", [bounce])
        before = len(box.received)
        code, printed = weekly(tmp_path)
    assert code == 1
    assert printed.splitlines() == [
        f"weekly {today:%d/%m/%Y}: rapporto in {tmp_path / 'out' / today.isoformat()}; promemoria: 1 inviato, "
        "15 saltati, 2 senza indirizzo; riepilogo inviato a 2 destinatari; da controllare: 1 promemoria respinto; "
        f"dettagli in {tmp_path / 'out' / 'weekly.log'}."
    ]
    resent, (recipients, message) = box.received[before:]
    assert resent[0] == ["protocollo@pec.comune.avella.av.it"]  # the bounced address is not written to again
    assert recipients == COMMITTEE
    plain, _ = texts(message)
    assert "Ricevute: 1 messaggio letto, 1 esito aggiornato (1 respinto)." in plain.split("\n\n")
    assert "Promemoria: 18 comuni, 1 inviato, 15 saltati, 2 senza indirizzo." in plain.split("\n\n")
    log = (tmp_path / "out" / "weekly.log").read_text(encoding="utf-8")
    assert "respinto: Avella (A508): indirizzo inesistente: 550 5.1.1 <indirizzo>: " in log
    assert "segreteria@" not in log and "protocollo@" not in log


# --- two runs at once ------------------------------------------------------------------------------


class GatedMailbox(Mailbox):
    """Holds every message's answer until ``gate`` is set; ``arrived`` once a message is all here."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, TIMEOUT)
        return await super().handle_DATA(server, session, envelope)


def test_two_runs_started_together_send_one_summary(tmp_path):
    """Two real processes, started at once. The one that takes the lock is held at its first message
    until the other has ended: the other can only find the lock taken."""
    head = COMUNI[:19]  # 18 comuni, no answer yet: 16 reminders due, 2 comuni without an address
    (tmp_path / "comuni.csv").write_text("".join(head), encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(RESPONSES[0], encoding="utf-8")
    box = GatedMailbox()
    command = [sys.executable, "-m", "rollout", "weekly", "--config", str(tmp_path / "rollout.toml"),
               "--secrets", str(tmp_path / "secrets.toml")]  # fmt: skip
    with Server(box) as server:
        write_campaign(tmp_path, str(tmp_path / "comuni.csv"), str(tmp_path / "risposte.csv"), server.port)
        processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]  # fmt: skip
        try:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                ends = {pool.submit(p.communicate, timeout=TIMEOUT): p for p in processes}
                done, _ = concurrent.futures.wait(ends, timeout=TIMEOUT, return_when=concurrent.futures.FIRST_COMPLETED)
                [first] = done
                loser = ends[first]
                out, err = first.result()
                assert not box.received  # the other is still held at its first message
                box.gate.set()
                [winner] = [p for p in processes if p is not loser]
                won, won_err = next(f for f in ends if ends[f] is winner).result()
        finally:
            box.gate.set()
            for p in processes:
                if p.poll() is None:
                    p.kill()
    today = dt.datetime.now(ROME).date()  # the real clock: the subprocesses run unpatched
    assert loser.returncode == 2, (out, err)
    [line] = out.splitlines()
    assert re.fullmatch(
        rf"weekly non eseguito: un'altra esecuzione è in corso \(processo {winner.pid}, avviata il "
        r"\d\d/\d\d/\d{4} \d\d:\d\d\); nulla fatto\.",
        line,
    ), line
    assert err == ""
    assert winner.returncode == 0, (won, won_err)
    assert won.splitlines()[0].startswith(f"weekly {today.strftime('%d/%m/%Y')}: rapporto in ")
    assert len(summaries(box)) == 1
    assert len(reminders(box)) == 16
    assert ReminderLog(tmp_path / "promemoria.sqlite3").outbox()["state"].value_counts().to_dict() == {"sent": 16}


def test_a_run_stopped_while_the_summary_is_with_the_server_never_sends_it_again(tmp_path):
    """SIGTERM (systemd's stop) once the summary's text is all with the server, before its answer:
    one line, 143, the summary recorded as possibly sent; a new run that day sends no other."""
    (tmp_path / "comuni.csv").write_text("".join(COMUNI[:19]), encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(RESPONSES[0], encoding="utf-8")
    box = GatedMailbox()
    with Server(box) as server:
        write_campaign(tmp_path, "comuni.csv", "risposte.csv", server.port, send_reminders=False)
        run = Command(tmp_path, "weekly", "--config", "rollout.toml", "--secrets", "secrets.toml")
        run.wait_until(box.arrived.is_set, "handing the summary over")
        code, out, err = run.stop(signal.SIGTERM)
        box.gate.set()  # the server takes it after all: it did arrive
        assert (code, out, err) == (
            143,
            "",
            "errore: interrotto (SIGTERM): nessun rapporto lasciato a metà, i messaggi già inviati sono registrati; "
            "rilancia il comando\n",
        )
        assert left_running(run.pid) == []
        day = dt.datetime.now(ROME).date()  # the subprocess ran on the real clock
        assert WeeklyLog(tmp_path / "promemoria.sqlite3").summary_state(day) == "uncertain"
        log = (tmp_path / "out" / "weekly.log").read_text(encoding="utf-8").splitlines()
        assert log[-1].endswith("interrotto: i messaggi già inviati sono registrati")
        assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []
        box.arrived.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(weekly_run, "CLOCK", on(day))
            code, printed = weekly(tmp_path)
    assert code == 1
    assert "riepilogo di oggi già avviato; da controllare: riepilogo di oggi con esito incerto;" in printed
    assert box.received == []  # the stopped run's connection went with it; the new run sent nothing


# --- the summary is never sent twice ---------------------------------------------------------------


def test_a_summary_lost_after_the_server_took_it_is_uncertain_and_never_sent_again(tmp_path):
    """The connection drops after the message went, before the server's answer: it may have arrived."""
    box = Mailbox(lost_in_data=set(COMMITTEE))
    log = WeeklyLog(tmp_path / "promemoria.sqlite3")
    summary = Summary("Demo: situazione al 08/09/2023", situation="Situazione al 08/09/2023 18:00.")
    when = on(DAY)()
    with Server(box) as server:
        settings = smtp_from_table({"host": "127.0.0.1", "port": server.port, "security": "none"})
        sent = send_summary(summary, settings, log, DAY, "Ufficio PNRR <pnrr@azienda.it>", COMMITTEE, when)
        assert (sent.result, sent.problem) == ("uncertain", True)
        assert box.received == []  # the answer never left: as far as the sender knows, it may have arrived
        again = send_summary(summary, settings, log, DAY, "Ufficio PNRR <pnrr@azienda.it>", COMMITTEE, when)
        assert (again.result, again.detail) == ("held", "uncertain")
        assert log.summary_state(DAY) == "uncertain"
        next_day = DAY + dt.timedelta(days=1)
        assert send_summary(summary, settings, log, next_day, "pnrr@azienda.it", COMMITTEE, when).result == "sent"
    assert len(box.received) == 1


def test_a_summary_never_handed_over_may_go_later_the_same_day(tmp_path, monkeypatch):
    monkeypatch.setattr(send, "SLEEP", lambda seconds: None)  # the connection's retries, without waiting
    log = WeeklyLog(tmp_path / "promemoria.sqlite3")
    summary = Summary("Demo: situazione al 08/09/2023")
    settings = smtp_from_table({"host": "127.0.0.1", "port": free_port(), "security": "none", "timeout": 2})
    down = send_summary(summary, settings, log, DAY, "pnrr@azienda.it", COMMITTEE, on(DAY)())
    assert down.result == "failed" and "non raggiungibile" in down.detail
    assert log.summary_state(DAY) == "failed"
    box = Mailbox()
    with Server(box, port=settings.port):
        assert send_summary(summary, settings, log, DAY, "pnrr@azienda.it", COMMITTEE, on(DAY)()).result == "sent"
    assert [rcpt for rcpt, _ in box.received] == [COMMITTEE]


def test_a_refused_committee_address_is_reported_and_the_others_get_the_summary(tmp_path):
    log = WeeklyLog(tmp_path / "promemoria.sqlite3")
    summary = Summary("Demo: situazione al 08/09/2023")
    box = Mailbox(refuse={"direzione@azienda.it"})
    with Server(box) as server:
        settings = smtp_from_table({"host": "127.0.0.1", "port": server.port, "security": "none"})
        sent = send_summary(summary, settings, log, DAY, "pnrr@azienda.it", COMMITTEE, on(DAY)())
        assert (sent.result, sent.refused_copies, sent.problem) == ("sent", 1, True)
        assert (
            sent.detail == "1 destinatario rifiutato: 550 5.1.1 <indirizzo>: Recipient address rejected: User unknown"
        )
        box.refuse = set(COMMITTEE)
        nobody = send_summary(
            summary, settings, log, DAY + dt.timedelta(days=1), "pnrr@azienda.it", COMMITTEE, on(DAY)()
        )
        assert nobody.result == "refused" and log.summary_state(DAY + dt.timedelta(days=1)) == "failed"
    assert [rcpt for rcpt, _ in box.received] == [["comitato@azienda.it"]]


# --- the dated folders ---------------------------------------------------------------------------


def test_ultimo_is_replaced_atomically_and_is_a_text_file_where_links_cannot_be_made(tmp_path, monkeypatch):
    first, second = tmp_path / "2023-09-01", tmp_path / "2023-09-08"
    first.mkdir()
    second.mkdir()
    assert folders.point_latest(tmp_path, first) == "ultimo"
    assert folders.point_latest(tmp_path, second) == "ultimo"
    assert (tmp_path / "ultimo").readlink() == Path("2023-09-08") and folders.latest(tmp_path) == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2023-09-01", "2023-09-08", "ultimo"]  # no leftovers
    elsewhere = tmp_path / "copia"
    (elsewhere / "ultimo").mkdir(parents=True)  # someone made a real folder there: it is never replaced
    (elsewhere / "2023-09-08").mkdir()
    with pytest.raises(OSError):
        folders.point_latest(elsewhere, elsewhere / "2023-09-08")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["2023-09-08", "ultimo"]

    def no_links(self, target, target_is_directory=False):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(Path, "symlink_to", no_links)
    other = tmp_path / "fat"
    other.mkdir()
    (other / "2023-09-15").mkdir()
    assert folders.point_latest(other, other / "2023-09-15") == "ultimo.txt"
    assert (other / "ultimo.txt").read_text(encoding="utf-8") == "2023-09-15\n"
    assert folders.latest(other) == other / "2023-09-15"
    assert sorted(p.name for p in other.iterdir()) == ["2023-09-15", "ultimo.txt"]


def test_old_weeks_go_but_never_the_newest_nor_anything_else(tmp_path):
    for name in ("2023-06-01", "2023-07-20", "2023-08-25", "2023-09-01", "2023-09-08", "appunti", "2023-13-01"):
        (tmp_path / name).mkdir()
    (tmp_path / "2023-05-01").write_text("a file, not a report", encoding="utf-8")
    (tmp_path / "2023-04-01").symlink_to("2023-06-01")
    today = dt.date(2023, 9, 8)
    assert folders.old_weeks(tmp_path, today, 3, keep=tmp_path / "2023-09-08") == [
        tmp_path / "2023-06-01",
        tmp_path / "2023-07-20",
    ]
    assert folders.old_weeks(tmp_path, today, 0) == []  # 0: every week is kept
    # After a pause of the schedule, the newest keep_weeks stay however old they are.
    assert folders.old_weeks(tmp_path, today, 4) == [tmp_path / "2023-06-01"]  # 4 weeks: from 11/08/2023
    assert folders.old_weeks(tmp_path, dt.date(2024, 3, 1), 2) == [
        tmp_path / f"2023-{d}" for d in ("06-01", "07-20", "08-25")
    ]


def test_the_run_log_masks_addresses_and_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(folders, "LOG_LIMIT", 200)
    path = tmp_path / "weekly.log"
    log = folders.RunLog(path, ROME, on(DAY))
    log.write("rifiutato: 550 <mario.rossi@comune.x.it>: User unknown\r\nriga finta", "seconda")
    assert path.read_text(encoding="utf-8").splitlines() == [
        f"2023-09-08T19:00:00+02:00 [{os.getpid()}] rifiutato: 550 <indirizzo>: User unknown riga finta",
        f"2023-09-08T19:00:00+02:00 [{os.getpid()}] seconda",
    ]
    log.write("x" * 200)
    folders.RunLog(path, ROME, on(DAY)).write("nuovo")
    assert path.read_text(encoding="utf-8").endswith("nuovo\n") and len(path.read_text(encoding="utf-8")) < 100
    assert (tmp_path / "weekly.log.1").read_text(encoding="utf-8").count("\n") == 3


# --- the settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[weekly]\nsend = true', "Chiave sconosciuta in [weekly]: send. Chiavi ammesse: keep_weeks, out, recipients, send_reminders."),
        ('[weekly]\nsend_reminders = "sì"', "In [weekly] send_reminders deve essere true o false."),
        ("[weekly]\nkeep_weeks = -1", "In [weekly] keep_weeks deve essere un numero intero di settimane (0: tienile tutte)."),
        ('[weekly]\nrecipients = ["comitato@azienda.it", "nessuno"]', "In [weekly] recipients non è un indirizzo email valido: 'nessuno'."),
        ('[weekly]\nout = ""', "In [weekly] out deve essere il percorso di una cartella."),
    ],
)  # fmt: skip
def test_weekly_settings_are_checked_with_one_line(tmp_path, text, message):
    path = tmp_path / "rollout.toml"
    path.write_text(f'deadline = 2023-09-13\ncomuni = "c.csv"\nsubmissions = "r.csv"\n{text}\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert str(caught.value) == message


def test_weekly_settings(tmp_path):
    path = tmp_path / "rollout.toml"
    path.write_text('[weekly]\nrecipients = "Comitato@Azienda.it"\nout = "rapporti"\n', encoding="utf-8")
    assert load_config(path).weekly == WeeklySettings("rapporti", 12, False, ("comitato@azienda.it",))


def test_weekly_needs_a_mail_server_to_send_and_a_configuration(tmp_path, capsys):
    write_campaign(tmp_path, str(DEMO / "comuni.csv"), str(DEMO / "risposte.csv"), free_port())
    (tmp_path / "secrets.toml").write_text("", encoding="utf-8")
    assert (
        main(["weekly", "--config", str(tmp_path / "rollout.toml"), "--secrets", str(tmp_path / "secrets.toml")]) == 2
    )
    assert capsys.readouterr().err.startswith("errore: Invio non configurato: [weekly] chiede di inviare ")
    assert not (tmp_path / "out").exists()
