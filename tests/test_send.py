"""Sending the reminders by SMTP against a real server on 127.0.0.1 (aiosmtpd): once, tracked, paced."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
from smtp_server import PASSWORD, USER, Mailbox, Server, free_port, self_signed, server_tls

from conftest import ROOT
from rollout.cli import main
from rollout.config import load_config
from rollout.errors import InputError
from rollout.pipeline import run_report
from rollout.reminders import mail_settings, send
from rollout.reminders.drafts import drafts, reminders_list, templates_from_config
from rollout.reminders.log import ReminderLog

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
DEMO = ROOT / "data" / "demo"
DUE = 74  # the demo campaign on 08/09/2023: 79 comuni to chase, 5 without a usable address
NO_ADDRESS = ["Mercogliano (AV)", "Castel San Lorenzo (SA)", "Laurino (SA)", "Olevano sul Tusciano (SA)",
              "Pellezzano (SA)"]  # fmt: skip
REFUSED = "segreteria@comune.sarno.sa.it"
LIONI = "segreteria@comune.lioni.av.it"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Backoff and pacing without real waits in the in-process runs (a fake clock the sleeps advance)."""
    now = [0.0]
    monkeypatch.setattr(send, "CLOCK", lambda: now[0])
    monkeypatch.setattr(send, "SLEEP", lambda seconds: now.__setitem__(0, now[0] + seconds))


def write_config(folder, comuni, submissions):
    (folder / "rollout.toml").write_text(
        'campaign = "Demo"\ndeadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\n'
        f'form_url = "https://forms.gle/x"\ncomuni = "{comuni}"\nsubmissions = "{submissions}"\n'
        '[reminders]\ndatabase = "log/promemoria.sqlite3"\nsender = "Ufficio PNRR <pnrr@azienda.it>"\n'
        'signature = "Ufficio PNRR"\nmax_per_minute = 100000\nreply_to = "risposte@azienda.it"\n'
        'bcc = "archivio@azienda.it"\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def campaign(tmp_path):
    """The demo campaign under its own configuration; the reminders log in tmp_path."""
    return write_config(tmp_path, DEMO / "comuni.csv", DEMO / "risposte.csv")


@pytest.fixture
def small(tmp_path):
    """The demo's first 18 comuni and no answer yet: 16 messages to send, 2 comuni without an address."""
    lines = (DEMO / "comuni.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "comuni.csv").write_text("\n".join(lines[:19]) + "\n", encoding="utf-8")
    header = (DEMO / "risposte.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "risposte.csv").write_text(header + "\n", encoding="utf-8")
    return write_config(tmp_path, tmp_path / "comuni.csv", tmp_path / "risposte.csv")


def secrets(folder, port, **extra):
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", f'security = "{extra.pop("security", "none")}"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    path = folder / "secrets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(campaign, secrets_path, *flags, capsys=None):
    code = main(
        ["reminders", "send", "--config", str(campaign / "rollout.toml"), "--secrets", str(secrets_path), *flags]
    )
    out = capsys.readouterr() if capsys else None
    return code, out


def log_of(campaign) -> ReminderLog:
    return ReminderLog(campaign / "log" / "promemoria.sqlite3")


def addresses(config_path):
    """Per comune to chase with an address: the address, its comune and the subject, from the drafts."""
    config = load_config(config_path)
    snap, _ = run_report(config)
    letters = drafts(reminders_list(snap), snap.settings, templates_from_config(config), "Demo", "https://forms.gle/x")
    letters = letters.loc[letters["to"] != ""]
    return {r.to: (r.comune, r.subject) for r in letters.itertuples()}


@pytest.fixture
def expected(campaign):
    return addresses(campaign / "rollout.toml")


@pytest.fixture
def few(small):
    found = addresses(small / "rollout.toml")
    assert len(found) == 16
    return found


def received_once(mailbox: Mailbox) -> collections.Counter:
    counts = collections.Counter(mailbox.recipients())
    assert max(counts.values(), default=1) == 1, [a for a, n in counts.items() if n > 1]
    return counts


def test_every_due_comune_gets_one_message_addressed_right_and_a_second_run_sends_nothing(campaign, expected, capsys):
    box = Mailbox()
    with Server(box) as server:
        code, out = run(campaign, secrets(campaign, server.port), "--yes", capsys=capsys)
        assert code == 0, out.err
        lines = out.out.splitlines()
        assert lines[-1] == f"Promemoria: 79 comuni, {DUE} inviati, 5 senza indirizzo."
        assert [line for line in lines if line.startswith("senza indirizzo")] == [
            f"senza indirizzo: {c}: nessun indirizzo utilizzabile (nessun contatto disponibile)" for c in NO_ADDRESS
        ]
        assert sum(line.startswith("[") and " inviato: " in line for line in lines) == DUE
        assert len(expected) == DUE and set(received_once(box)) == set(expected)
        ids = set()
        for envelope, message in box.received:
            to = message["To"].addresses[0]
            comune, subject = expected[to.addr_spec]
            assert envelope == [to.addr_spec, "archivio@azienda.it"]  # the Bcc only in the envelope
            assert to.display_name == f"Comune di {comune}"
            assert message["Subject"] == subject and subject.endswith(f"Comune di {comune}")
            assert str(message["From"]) == "Ufficio PNRR <pnrr@azienda.it>"
            assert str(message["Reply-To"]) == "risposte@azienda.it" and "Bcc" not in message
            assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
            assert message["Date"].datetime.date() == dt.date.today()
            assert message["Message-ID"].endswith("@azienda.it>")
            ids.add(message["Message-ID"])
            body = message.get_content()
            assert f"Comune di {comune}" in body and "https://forms.gle/x" in body
            assert not [a for a in expected if a in body]  # no address, this one's or another comune's
        assert len(ids) == DUE

        log = log_of(campaign)
        summary = log.summary()
        assert len(summary) == DUE and set(summary["last_channel"]) == {"email"}
        assert set(summary["last_reminder"]) == {dt.date.today().isoformat()}
        assert log.outbox()["state"].value_counts().to_dict() == {"sent": DUE}

        again, out = run(campaign, secrets(campaign, server.port), "--yes", capsys=capsys)
        assert again == 0
        assert out.out.splitlines()[-1] == f"Promemoria: 79 comuni, {DUE} saltati, 5 senza indirizzo."
        assert f"saltato: Sarno (SA): promemoria già inviato il {dt.date.today():%d/%m/%Y} (email)" in out.out
        assert len(box.received) == DUE


def test_dry_run_sends_nothing_and_records_nothing(campaign, capsys):
    box = Mailbox()
    with Server(box) as server:
        code, out = run(campaign, secrets(campaign, server.port), "--dry-run", "--limit", "3", capsys=capsys)
    assert code == 0
    lines = out.out.splitlines()
    assert lines[0] == (
        "da inviare: Bisaccia (AV) → protocollo@pec.comune.bisaccia.av.it · "
        "Promemoria: nominativi degli editor del nuovo sito web - Comune di Bisaccia"
    )
    assert lines[-2:] == [
        f"Promemoria: 79 comuni, 3 da inviare, 5 senza indirizzo, {DUE - 3} rimandati.",
        "Prova (--dry-run): nessun messaggio inviato.",
    ]
    assert box.received == [] and not (campaign / "log" / "promemoria.sqlite3").exists()


def test_without_yes_and_without_a_terminal_nothing_is_sent(campaign, capsys):
    box = Mailbox()
    with Server(box) as server:
        code, out = run(campaign, secrets(campaign, server.port), "--comune", "Sarno", capsys=capsys)
    assert code == 1
    assert out.out.splitlines()[-1] == (
        "Nessun messaggio inviato: 1 promemoria da inviare. Senza un terminale serve --yes "
        "(oppure usa --dry-run per vederli)."
    )
    assert box.received == [] and log_of(campaign).outbox().empty


def test_on_a_terminal_it_asks_first(small, capsys):
    from rollout.cli import build_parser, resolve_config
    from rollout.cli_reminders import run_send
    from rollout.pipeline import report_load, settings_for

    box = Mailbox()
    with Server(box) as server:
        argv = ["reminders", "send", "--config", str(small / "rollout.toml"), "--secrets",
                str(secrets(small, server.port)), "--comune", "Lioni"]  # fmt: skip
        args = build_parser().parse_args(argv)
        config = resolve_config(args)
        loaded, _ = report_load(config)
        snap = loaded.prepared.at(settings_for(config))
        questions: list[str] = []
        lines: list[str] = []

        def answer(reply):
            return lambda question: questions.append(question) or reply

        assert run_send(args, config, snap, loaded, lines.append, answer("n"), interactive=True) == 1
        assert lines == ["Nessun messaggio inviato: 1 promemoria da inviare."] and box.received == []
        assert run_send(args, config, snap, loaded, lines.append, answer("sì"), interactive=True) == 0
        assert questions == ["Inviare 1 promemoria tramite 127.0.0.1? [s/N] "] * 2
        assert lines[1:] == [f"[1/1] inviato: Lioni (AV) → {LIONI}", "Promemoria: 1 comune, 1 inviato."]
    assert box.recipients() == [LIONI]


def test_a_refused_recipient_is_recorded_and_reported_and_the_rest_goes_on(small, few, capsys):
    box = Mailbox(refuse={LIONI})
    with Server(box) as server:
        code, out = run(small, secrets(small, server.port), "--yes", capsys=capsys)
    assert code == 1
    assert [line for line in out.out.splitlines() if "Lioni" in line] == [
        f"[12/16] rifiutato: Lioni (AV) → {LIONI}: il server ha rifiutato il destinatario: "
        "550 5.1.1 <indirizzo>: Recipient address rejected: User unknown"
    ]
    assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 15 inviati, 2 senza indirizzo, 1 rifiutato."
    assert set(received_once(box)) == set(few) - {LIONI}
    outbox = log_of(small).outbox()
    refused = outbox.loc[outbox["state"] == "refused"]
    assert refused["comune"].tolist() == ["Lioni"]
    assert refused["detail"].iloc[0] == "550 5.1.1 <indirizzo>: Recipient address rejected: User unknown"
    assert "Lioni" not in set(log_of(small).summary().index)  # not a reminder


def test_a_dropped_connection_is_retried_and_a_server_that_stays_down_is_resumed_later(small, few, capsys):
    box = Mailbox(drop_once_at=3, drop_after=8)
    with Server(box) as server:
        path = secrets(small, server.port)
        code, out = run(small, path, "--yes", capsys=capsys)
        assert code == 1
        lines = out.out.splitlines()
        assert len(box.received) == 8  # the drop after 3 was retried on a new connection
        failed = [line for line in lines if line.startswith("[") and "non inviato" in line]
        assert failed[:2] == [
            "[9/16] non inviato: Frigento (AV): errore temporaneo dopo 3 tentativi: connessione chiusa dal server",
            "[10/16] non inviato: Grottolella (AV): il server non risponde (connessione chiusa dal server)",
        ]
        assert len(failed) == 8
        assert lines[-1] == "Promemoria: 18 comuni, 8 inviati, 2 senza indirizzo, 8 non inviati."

        box.drop_after = None  # the server is back: the next run resumes what was not sent
        code, out = run(small, path, "--yes", capsys=capsys)
        assert code == 0
        assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 8 inviati, 8 saltati, 2 senza indirizzo."
    assert set(received_once(box)) == set(few)


def test_a_connection_lost_while_handing_over_is_uncertain_never_resent_until_released(small, few, capsys):
    box = Mailbox(lost_in_data={LIONI})
    with Server(box) as server:
        path = secrets(small, server.port)
        code, out = run(small, path, "--yes", capsys=capsys)
        assert code == 1
        assert [line for line in out.out.splitlines() if "Lioni" in line] == [
            "[12/16] esito incerto: Lioni (AV): connessione interrotta durante la consegna del messaggio "
            "(SMTPServerDisconnected); il server potrebbe averlo ricevuto: controlla nella posta inviata se è "
            "partito; se no, rilancia con --retry-uncertain"
        ]
        assert len(box.received) == 15  # the others went on, on a new connection
        code, out = run(small, path, "--yes", capsys=capsys)
        assert code == 1 and f"esito incerto: Lioni (AV): {send.UNCERTAIN_HINT}" in out.out
        assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 15 saltati, 2 senza indirizzo, 1 con esito incerto."
        code, out = run(small, path, "--yes", "--retry-uncertain", capsys=capsys)
        assert code == 0 and out.out.splitlines()[-2:] == [f"[1/1] inviato: Lioni (AV) → {LIONI}",
                                                           "Promemoria: 18 comuni, 1 inviato, 15 saltati, 2 senza indirizzo."]  # fmt: skip
    assert set(received_once(box)) == set(few)


def test_an_unreachable_server_stops_before_any_message(small, capsys):
    code, out = run(small, secrets(small, free_port()), "--yes", capsys=capsys)
    assert code == 2 and log_of(small).outbox().empty
    assert out.err.startswith("errore: Nessun messaggio inviato: server SMTP 127.0.0.1:")
    assert out.err.endswith(" non raggiungibile (Connection refused).\n")


def subprocess_send(campaign, secrets_path, *flags):
    return subprocess.Popen(
        [sys.executable, "-m", "rollout", "reminders", "send", "--yes", "--config", str(campaign / "rollout.toml"),
         "--secrets", str(secrets_path), *flags],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_kill_9_during_a_batch_then_resume_sends_no_comune_twice(small, few, capsys):
    box = Mailbox(delay=0.05)
    with Server(box) as server:
        path = secrets(small, server.port)
        process = subprocess_send(small, path)
        deadline = time.monotonic() + 60
        while len(box.received) < 5 and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        time.sleep(0.1)  # the server finishes what it was receiving
        assert 5 <= len(box.received) < 16
        box.delay = 0
        code, out = run(small, path, "--yes", capsys=capsys)
        blocked = log_of(small).blocked()
        assert len(blocked) <= 1  # at most the message in the air when the process died
        if len(blocked):
            comune = blocked["comune"].iloc[0]
            assert code == 1 and f"esito incerto: {comune} (AV): {send.UNCERTAIN_HINT}" in out.out
            address = next(a for a, (c, _) in few.items() if c == comune)
            if address not in box.recipients():  # checked as one checks the sent folder: it did not go
                code, out = run(small, path, "--yes", "--retry-uncertain", capsys=capsys)
                assert out.out.splitlines()[0] == "Liberato 1 messaggio con esito incerto: partirà di nuovo."
                assert code == 0
        else:
            assert code == 0
    assert set(received_once(box)) == set(few)


def test_two_processes_sending_at_once_send_each_comune_once(small, few):
    """Two processes (forked: no interpreter start-up to wait for) run the same command at once."""
    box = Mailbox(delay=0.01)
    fork = multiprocessing.get_context("fork")
    with Server(box) as server:
        path = secrets(small, server.port)
        outputs = [small / f"out{n}.txt" for n in (1, 2)]
        processes = [fork.Process(target=send_in_child, args=(small, path, out)) for out in outputs]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
    assert set(received_once(box)) == set(few)
    lines = [out.read_text(encoding="utf-8").splitlines() for out in outputs]
    sent = [sum(" inviato: " in line for line in out) for out in lines]
    assert sum(sent) == 16, lines
    for out in lines:  # what the other process sent is skipped or shown as being sent elsewhere
        others = [
            line.split("] ", 1)[1].split(":")[0] for line in out if line.startswith("[") and " inviato: " not in line
        ]
        assert set(others) <= {"saltato", "in invio altrove"}, out
    assert log_of(small).outbox()["state"].value_counts().to_dict() == {"sent": 16}


def send_in_child(campaign, secrets_path, out):
    with open(out, "w", encoding="utf-8") as stream, contextlib.redirect_stdout(stream):
        code = main(
            ["reminders", "send", "--yes", "--config", str(campaign / "rollout.toml"), "--secrets", str(secrets_path)]
        )
    os._exit(code)


def test_a_bad_login_stops_before_any_message_with_one_line(campaign, capsys):
    box = Mailbox()
    with Server(box, auth=True) as server:
        code, out = run(campaign, secrets(campaign, server.port, username=USER, password="sbagliata"), "--yes",
                        capsys=capsys)  # fmt: skip
        assert code == 2
        assert out.err == (
            "errore: Il server SMTP 127.0.0.1 rifiuta l'accesso: utente o password errati "
            "(535 5.7.8 Authentication credentials invalid).\n"
        )
        assert "inviato" not in out.out and box.received == [] and log_of(campaign).outbox().empty
        code, out = run(campaign, secrets(campaign, server.port, username=USER, password=PASSWORD), "--yes",
                        "--comune", "Sarno", capsys=capsys)  # fmt: skip
        assert code == 0 and box.recipients() == [REFUSED]
        assert box.logins[-1] and not any(box.logins[:-1])  # smtplib tries PLAIN, then LOGIN


def test_starttls_with_a_self_signed_certificate_is_rejected_unless_configured(campaign, tmp_path, capsys):
    cert, key = self_signed(tmp_path)
    box = Mailbox()
    with Server(box, tls=server_tls(cert, key)) as server:
        code, out = run(campaign, secrets(campaign, server.port, security="starttls"), "--yes", capsys=capsys)
        assert code == 2
        assert out.err.startswith("errore: Il certificato TLS del server SMTP 127.0.0.1 non è valido (")
        assert out.err.endswith("se il server usa un certificato proprio, indicane il file in [smtp] ca_file.\n")
        assert len(out.err.splitlines()) == 1 and box.received == []
        trusted = secrets(campaign, server.port, security="starttls", ca_file=str(cert))
        code, out = run(campaign, trusted, "--yes", "--comune", "Sarno", "--comune", "A508", capsys=capsys)
        assert code == 0, out.err
    assert out.out.splitlines()[0] == "non da sollecitare: Avella non è nell'elenco dei promemoria"
    assert box.recipients() == [REFUSED]


def test_the_rate_limit_is_respected_measured_on_an_injected_clock(small, few):
    now = [0.0]
    handed: list[float] = []

    def message_done(done, total, item):  # each message takes 5 s of the injected clock
        handed.append(now[0])
        now[0] += 5

    config = load_config(small / "rollout.toml")
    snap, _ = run_report(config)
    log = log_of(small)
    table = reminders_list(snap, marks=log.summary())
    letters = drafts(table, snap.settings, templates_from_config(config), config.campaign, config.form_url)
    options = mail_settings.SendOptions(max_per_minute=6)
    items = send.plan(table, letters, options, dt.date(2023, 9, 8))
    box = Mailbox()
    with Server(box) as server:
        settings = mail_settings.SmtpSettings("127.0.0.1", server.port, "none", sender="pnrr@azienda.it")
        sender = send.Sender(settings, log, options, today=dt.date(2023, 9, 8), clock=lambda: now[0],
                             sleep=lambda s: now.__setitem__(0, now[0] + s))  # fmt: skip
        started = time.monotonic()
        sender.run(items, progress=message_done)
        elapsed = time.monotonic() - started
    assert set(received_once(box)) == set(few) and len(handed) == 16
    assert handed == [0, 5, 10, 15, 20, 25, 60, 65, 70, 75, 80, 85, 120, 125, 130, 135]
    assert max(sum(t <= s < t + 60 for s in handed) for t in handed) == 6  # never more than 6 in a minute
    assert elapsed < 10  # measured on the injected clock, not slept


def test_settings_are_checked_with_clear_messages(tmp_path):
    def problem(**table):
        with pytest.raises(InputError) as err:
            mail_settings.smtp_from_table(table)
        return str(err.value)

    assert problem(host="smtp.example.it", security="none") == (
        'In [smtp] security = "none" è ammesso solo per un server locale (127.0.0.1).'
    )
    assert problem(host="smtp.example.it", secure="ssl").startswith("Chiave sconosciuta in [smtp]: secure.")
    assert (
        problem(host="x", sender="non un indirizzo")
        == "In [smtp] sender non è un indirizzo email valido: 'non un indirizzo'."
    )
    pec = mail_settings.smtp_from_table({"host": "smtps.pec.aruba.it", "username": "u", "password": "p"})
    assert (pec.port, pec.security, pec.channel) == (465, "ssl", "pec") and "p'" not in repr(pec)
    path = tmp_path / "secrets.toml"
    path.write_text('[connections.gsheets]\nspreadsheet = ""\n', encoding="utf-8")
    assert mail_settings.find_smtp(path) is None
    config = load_config(DEMO / "rollout.toml")
    assert mail_settings.options_from_config(config) == mail_settings.SendOptions(7, 20, "", ())
