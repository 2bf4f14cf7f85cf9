"""Sending reminders safely (issue 18, sections 1 and 2), against aiosmtpd on 127.0.0.1 and a real
SQLite log: a hostile list forges no header, a comune is never mailed twice whatever identifies it,
a message the server may have accepted is never «failed», the limit per minute holds across
senders, a refused copy is reported, an address no server takes is never used."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3

import pytest
from test_headers import SENT_FIELDS, display_name, one_line
from test_send import DEMO, LIONI, log_of, received_once, run, secrets

from rollout.config import load_config
from rollout.pipeline import run_report
from rollout.reminders import send
from rollout.reminders.drafts import drafts, reminders_list, templates_from_config
from rollout.reminders.log import SCHEMA_VERSION, ReminderLog, database_path
from rollout.usecases import reminders as reminders_kit
from testkit.smtp_server import Mailbox, Server

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
ATTACK = "=?utf-8?q?Avella=0D=0AReply-To:_attacker@evil.example=0D=0A=0D=0AFake_body?="
AVELLA = "segreteria@comune.avella.av.it"
TODAY = dt.date.today().strftime("%d/%m/%Y")
HEADER = (DEMO / "comuni.csv").read_text(encoding="utf-8").splitlines()[0]
ROWS = (DEMO / "comuni.csv").read_text(encoding="utf-8").splitlines()[1:19]  # 16 with an address, 2 without
FORM_HEADER = (DEMO / "risposte.csv").read_text(encoding="utf-8").splitlines()[0]
CONFIG = (
    'campaign = "{campaign}"\ndeadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\n'
    'form_url = "https://forms.gle/x"\ncomuni = "{comuni}"\nsubmissions = "risposte.csv"\n'
    '[reminders]\ndatabase = "log/promemoria.sqlite3"\nsender = {sender}\nsignature = "{signature}"\n'
    'max_per_minute = {rate}\nreply_to = "risposte@azienda.it"\nbcc = "archivio@azienda.it"\n{extra}'
)


def campaign(folder, comuni_rows, *, comuni="comuni.csv", header=HEADER, responses=(), rate=100000, **values):
    """A campaign in ``folder``: the comuni list, the responses and rollout.toml."""
    (folder / comuni).write_text("\n".join([header, *comuni_rows]) + "\n", encoding="utf-8")
    (folder / "risposte.csv").write_text("\n".join([FORM_HEADER, *responses]) + "\n", encoding="utf-8")
    text = CONFIG.format(
        campaign=values.get("campaign", "Demo"), comuni=comuni, rate=rate, extra=values.get("extra", ""),
        sender=values.get("sender", '"Ufficio PNRR <pnrr@azienda.it>"'), signature=values.get("signature", "Ufficio"),
    )  # fmt: skip
    (folder / "rollout.toml").write_text(text, encoding="utf-8")
    return folder


def letters(folder):
    """The drafts the tracker would send (those with an address), by recipient."""
    config = load_config(folder / "rollout.toml")
    snap, _ = run_report(config)
    table = reminders_list(snap)
    frame = drafts(table, snap.settings, templates_from_config(config), config.campaign, config.form_url)
    return {r.to: r for r in frame.itertuples() if r.to}


def csv_row(*cells: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)  # a cell with a line break is quoted
    return out.getvalue().removesuffix("\n")


def demo_row(n: int, **changes: str) -> str:
    cells = next(csv.reader([ROWS[n]]))
    names = HEADER.split(",")
    for column, value in changes.items():
        cells[names.index(column)] = value
    return csv_row(*cells)


# -- 1. No header of a sent message can be forged ---------------------------------------------------------


def test_a_hostile_list_and_configuration_forge_no_header_of_any_message(tmp_path, capsys):
    """Names, referents, the campaign, the subject, the signature and the sender's display name carry
    encoded words and line breaks: every received message has exactly its headers, envelope and body.
    Before: the first comune's message carried the attacker's Reply-To and body."""
    rows = [
        demo_row(0, Comune=ATTACK),
        demo_row(1, Comune="Bisaccia\r\nBcc: spia@evil.example", Referente="=?utf-8?q?Mario=0D=0ABcc:_x@evil.it?=",
                 **{"Email referente": "segreteria@comune.bisaccia.av.it"}),
        demo_row(2, Comune="Capriglia\u2028Irpina\x85Bcc: spia@evil.example\x0bX\x0cY\x1cZ"),
        demo_row(3, Comune="Cassano Irpino =?UTF-8?B?DQpCY2M6IHNwaWFAZXZpbC5leGFtcGxl?="),
        demo_row(12),  # Lioni, as listed
    ]  # fmt: skip
    folder = campaign(
        tmp_path, rows, campaign="=?utf-8?q?Campagna=0D=0ABcc:_spia@evil.example?=\\r\\nX-Spam: si",
        sender='"\\"=?utf-8?q?Ufficio=0D=0ABcc:_spia@evil.example?= PNRR\\" <pnrr@azienda.it>"',
        signature="=?utf-8?q?Firma?=\\r\\nBcc: spia@evil.example\\n.\\n.Punto",
        extra='[reminders.pending]\nsubject = "{campagna} | {referente} | Comune di {comune}"\n',
    )  # fmt: skip
    expected = letters(folder)
    assert len(expected) == 5
    box = Mailbox()
    with Server(box) as server:
        code, out = run(folder, secrets(folder, server.port), "--yes", capsys=capsys)
    assert code == 0, out.err
    assert out.out.splitlines()[-1] == "Promemoria: 5 comuni, 5 inviati."
    assert sorted(received_once(box)) == sorted(expected)
    for (envelope, message), raw in zip(box.received, box.raw, strict=True):
        to = message["To"].addresses[0].addr_spec
        letter = expected[to]
        assert envelope == [to, "archivio@azienda.it"]
        assert sorted(message.keys()) == sorted(SENT_FIELDS)  # each once: no Bcc, no second Reply-To
        assert display_name(raw, "To") == f"Comune di {one_line(letter.comune)}"
        assert display_name(raw, "From") == "=?utf-8?q?Ufficio=0D=0ABcc:_spia@evil.example?= PNRR"
        assert message["Reply-To"].addresses[0].addr_spec == "risposte@azienda.it"
        assert message["Subject"] == letter.subject
        assert message.get_content().replace("\r\n", "\n") == letter.body
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    avella = next(raw for _, raw in zip(box.received, box.raw, strict=True) if b"avella" in raw.lower())
    assert display_name(avella, "To") == f"Comune di {ATTACK}"
    subject = "=?utf-8?q?Campagna=0D=0ABcc:_spia@evil.example?= X-Spam: si | Domenico D'Alessio | Comune di "
    assert expected[AVELLA].subject == subject + ATTACK
    assert expected[AVELLA].body.startswith("Gentile Domenico D'Alessio,\n\nvi ricordiamo che")
    assert expected[AVELLA].body.endswith("Cordiali saluti\n=?utf-8?q?Firma?=\nBcc: spia@evil.example\n.\n.Punto\n")


def test_addresses_no_server_would_take_are_listed_and_never_used(tmp_path, capsys):
    """Before: m@-comune.it, a%evil.example@comune.it and m@comune-.it were sent to; then they were
    refused when the message was written, leaving the comune with no address; now they are invalid
    when the list is read, and the comune's next address takes their place."""
    bad = {0: "m@-comune.it", 2: "a%evil.example@comune.it", 3: "m@comune-.it"}
    rows = [demo_row(n, **{"Email referente": bad[n]}) if n in bad else demo_row(n) for n in range(18)]
    folder = campaign(tmp_path, rows)
    box = Mailbox()
    with Server(box) as server:
        code, out = run(folder, secrets(folder, server.port), "--yes", capsys=capsys)
    assert code == 0
    lines = out.out.splitlines()
    # One address rule, applied when the list is read: the comune's next address (its PEC) is used.
    named = ("Avella (AV)", "Capriglia Irpina (AV)", "Cassano Irpino (AV)")
    assert [line for line in lines if any(f" {name} " in line for name in named)] == [
        "[1/16] inviato: Avella (AV) → protocollo@pec.comune.avella.av.it",
        "[3/16] inviato: Capriglia Irpina (AV) → protocollo@pec.comune.caprigliairpina.av.it",
        "[4/16] inviato: Cassano Irpino (AV) → protocollo@pec.comune.cassanoirpino.av.it",
    ]  # fmt: skip
    assert lines[-1] == "Promemoria: 18 comuni, 16 inviati, 2 senza indirizzo."
    assert not set(bad.values()) & {a for rcpts, _ in box.received for a in rcpts}
    assert len(box.received) == 16


# -- 2. Never twice ---------------------------------------------------------------------------------------


def without_codes(row: str) -> str:
    cells = next(csv.reader([row]))
    return csv_row(*cells[:2], *cells[3:])


def open_data(rows: list[str]) -> list[str]:
    """The same comuni as the official open-data file writes them: ISTAT codes, no contacts."""
    geo = {r["cadastral"]: r for r in csv.DictReader((DEMO.parent / "geo" / "comuni.csv").open(encoding="utf-8"))}
    out = []
    for row in rows:
        name, province, cadastral = next(csv.reader([row]))[:3]
        istat = geo[cadastral]["istat"]
        out.append(csv_row(f"c_{cadastral.lower()}", f"Comune di {name}", "Comune", name, istat, province,
                           istat[:3], "Campania", "15", "A"))  # fmt: skip
    return out


OPEN_DATA_HEADER = (
    "codice_ipa,ente,tipologia_ente,comune,cod_comune,provincia,cod_provincia,regione,cod_regione,stato_candidatura"
)


def test_a_comune_is_never_mailed_twice_when_its_list_gains_codes_or_becomes_the_open_data_file(tmp_path, capsys):
    """Before: the same list with codes (after one without) mailed every comune a second time."""
    answer = ("1/9/2023 10.00.00,ufficio.avella@example.it,Avella,Rossi,Anna,RSSNNA80A41A508X,"
              "a.rossi@example.it,Area Amministrativa,1) Editor Sito Web")  # fmt: skip
    header = HEADER.replace("Codice catastale,", "")
    folder = campaign(tmp_path, [without_codes(r) for r in ROWS], header=header, responses=[answer])
    box = Mailbox()
    with Server(box) as server:
        path = secrets(folder, server.port)
        code, out = run(folder, path, "--yes", capsys=capsys)
        assert code == 0 and out.out.splitlines()[-1] == "Promemoria: 18 comuni, 16 inviati, 2 senza indirizzo."
        first = received_once(box)

        campaign(folder, ROWS, comuni="con-codici.csv", responses=[answer])  # the same list, with catasto codes
        code, out = run(folder, path, "--yes", capsys=capsys)
        assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 16 saltati, 2 senza indirizzo."
        assert f"saltato: Avella (AV): promemoria già inviato il {TODAY} (email)" in out.out.splitlines()
        assert code == 0 and received_once(box) == first

        campaign(folder, open_data(ROWS), comuni="open-data.csv", header=OPEN_DATA_HEADER, responses=[answer])
        code, out = run(folder, path, "--yes", capsys=capsys)  # Avella now reached at the form's address
        assert code == 0 and received_once(box) == first
        assert f"saltato: Avella (AV): promemoria già inviato il {TODAY} (email)" in out.out.splitlines()
        assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 1 saltato, 17 senza indirizzo."
    config = load_config(folder / "rollout.toml")
    table = reminders_list(run_report(config)[0], marks=log_of(folder).summary())
    sent = table.set_index("comune")[["reminders_sent", "last_reminder"]]
    assert sent.loc["Avella"].to_dict() == {"reminders_sent": 1, "last_reminder": dt.date.today().isoformat()}
    assert sent["reminders_sent"].sum() == 16  # each comune found again under its ISTAT code


V2_SCHEMA = """
CREATE TABLE reminders (id INTEGER PRIMARY KEY, comune_key TEXT NOT NULL, comune TEXT NOT NULL,
    sent_on TEXT NOT NULL, channel TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', batch TEXT NOT NULL,
    recorded_at TEXT NOT NULL);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, comune_key TEXT NOT NULL, comune TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL, batch TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
PRAGMA user_version = 2;
"""


def test_a_log_written_before_identifiers_finds_its_comuni_under_their_codes(tmp_path, capsys):
    """A log of the previous version, written from a list without codes: Avella reminded by PEC, Bisaccia
    of uncertain outcome. The list now has codes: neither is mailed; the file is brought to the current version."""
    folder = campaign(tmp_path, ROWS)
    path = database_path(load_config(folder / "rollout.toml"))
    path.parent.mkdir()
    with sqlite3.connect(path) as con:
        con.executescript(V2_SCHEMA)
        con.execute("INSERT INTO reminders VALUES (1, 'Avella (AV)', 'Avella', ?, 'pec', '', 'b1', '')",
                    (dt.date.today().isoformat(),))  # fmt: skip
        con.execute("INSERT INTO outbox VALUES (1, 'Bisaccia (AV)', 'Bisaccia', '<1@x>', 'pec', 'uncertain', '',"
                    " 'altrove:1', 'b2', '', '')")  # fmt: skip
    con.close()
    box = Mailbox()
    with Server(box) as server:
        code, out = run(folder, secrets(folder, server.port), "--yes", capsys=capsys)
        lines = out.out.splitlines()
        assert f"saltato: Avella (AV): promemoria già inviato il {TODAY} (PEC)" in lines
        assert f"esito incerto: Bisaccia (AV): {send.UNCERTAIN_HINT}" in lines
        assert (
            code == 1
            and lines[-1] == "Promemoria: 18 comuni, 14 inviati, 1 saltato, 2 senza indirizzo, 1 con esito incerto."
        )
        code, out = run(folder, secrets(folder, server.port), "--yes", "--retry-uncertain", "--comune", "A881",
                        capsys=capsys)  # fmt: skip
        assert code == 0 and out.out.splitlines()[0] == "Liberato 1 messaggio con esito incerto: partirà di nuovo."
    assert "protocollo@pec.comune.bisaccia.av.it" in received_once(box) and AVELLA not in box.recipients()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


class LockAfterAccepted:
    """Another program locks the log right after the server's 250, for ``times`` writes of the outcome."""

    def __init__(self, times: int) -> None:
        self.real, self.times, self.holder = ReminderLog.settle, times, None

    @property
    def settle(self):
        return lambda log, *args, **kwargs: self(log, *args, **kwargs)

    def __call__(self, log, message_id, state, *args, **kwargs):
        if state == "sent" and self.times:
            self.times -= 1
            if self.holder is None:
                self.holder = sqlite3.connect(log.path, isolation_level=None)
                self.holder.execute("BEGIN EXCLUSIVE")
            try:
                return self.real(log, message_id, state, *args, **kwargs)
            finally:
                if not self.times:
                    self.release()
        return self.real(log, message_id, state, *args, **kwargs)

    def release(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None


@pytest.fixture
def quick_log(monkeypatch):
    """The log gives up on a lock after 0.2 s (10 s in real use), and pauses take no time."""
    monkeypatch.setattr(reminders_kit, "reminder_log", lambda config, override=None: ReminderLog(
        database_path(config), timeout=0.2))  # fmt: skip
    monkeypatch.setattr(send, "SLEEP", lambda seconds: None)


def test_a_log_locked_right_after_the_server_accepted_is_written_when_it_frees_up(tmp_path, capsys, monkeypatch,
                                                                                   quick_log):  # fmt: skip
    """Before: the message became «failed» as soon as the lock was gone, and the next run sent it again."""
    lock = LockAfterAccepted(times=1)
    monkeypatch.setattr(ReminderLog, "settle", lock.settle)
    folder = campaign(tmp_path, ROWS)
    box = Mailbox()
    with Server(box) as server:
        path = secrets(folder, server.port)
        code, out = run(folder, path, "--yes", capsys=capsys)
        assert code == 0 and f"[1/16] inviato: Avella (AV) → {AVELLA}" in out.out.splitlines()
        code, out = run(folder, path, "--yes", capsys=capsys)
    assert code == 0 and out.out.splitlines()[-1] == "Promemoria: 18 comuni, 16 saltati, 2 senza indirizzo."
    assert received_once(box)[AVELLA] == 1
    assert log_of(folder).outbox()["state"].value_counts().to_dict() == {"sent": 16}


def test_a_log_that_stays_locked_leaves_the_accepted_message_uncertain_never_failed(tmp_path, capsys, monkeypatch,
                                                                                   quick_log):  # fmt: skip
    lock = LockAfterAccepted(times=99)
    monkeypatch.setattr(ReminderLog, "settle", lock.settle)
    folder = campaign(tmp_path, ROWS)
    box = Mailbox()
    with Server(box) as server:
        path = secrets(folder, server.port)
        code, out = run(folder, path, "--yes", capsys=capsys)
        lines = [line for line in out.out.splitlines() if line.startswith("[")] + out.out.splitlines()[-1:]
        where = log_of(folder).path
        locked = f"Il registro dei promemoria {where} è bloccato da un altro programma: riprova tra qualche secondo."
        assert code == 1 and lines[0] == (
            "[1/16] esito incerto: Avella (AV): il server ha accettato il messaggio, ma il registro dei promemoria "
            f"non si è potuto aggiornare ({locked}); {send.UNRECORDED_HINT}"
        )
        assert lines[1] == f"[2/16] non inviato: Bisaccia (AV): registro dei promemoria non aggiornabile ({locked})"
        assert lines[-1] == "Promemoria: 18 comuni, 2 senza indirizzo, 15 non inviati, 1 con esito incerto."
        lock.release()
        monkeypatch.setattr(ReminderLog, "settle", lock.real)
        code, out = run(folder, path, "--yes", capsys=capsys)  # the same process: nothing is still sending Avella
        assert code == 1 and f"esito incerto: Avella (AV): {send.UNCERTAIN_HINT}" in out.out.splitlines()
        assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 15 inviati, 2 senza indirizzo, 1 con esito incerto."
    assert received_once(box)[AVELLA] == 1 and len(box.received) == 16


def test_ctrl_c_right_after_the_server_accepted_leaves_it_uncertain_and_says_so(tmp_path, capsys, monkeypatch):
    """Before: an interruption between the 250 and the log's write made the message «failed»: sent again."""
    real = ReminderLog.settle

    def interrupted(log, message_id, state, *args, **kwargs):
        if state == "sent":
            monkeypatch.setattr(ReminderLog, "settle", real)
            raise KeyboardInterrupt  # what Ctrl-C (and, in the command line, SIGTERM) raises there
        return real(log, message_id, state, *args, **kwargs)

    monkeypatch.setattr(ReminderLog, "settle", interrupted)
    folder = campaign(tmp_path, ROWS)
    box = Mailbox()
    with Server(box) as server:
        path = secrets(folder, server.port)
        code, out = run(folder, path, "--yes", capsys=capsys)
        assert code == 130 and [line for line in out.out.splitlines() if line.startswith("[")] == [
            "[1/16] esito incerto: Avella (AV): invio interrotto mentre il messaggio era consegnato al server; il "
            "server potrebbe averlo ricevuto: controlla nella posta inviata se è partito; se no, rilancia con "
            "--retry-uncertain"
        ]
        assert out.err.startswith("errore: interrotto")
        assert log_of(folder).outbox()["state"].tolist() == ["uncertain"]
        code, out = run(folder, path, "--yes", capsys=capsys)
    assert code == 1 and out.out.splitlines()[-1] == (
        "Promemoria: 18 comuni, 15 inviati, 2 senza indirizzo, 1 con esito incerto."
    )
    assert received_once(box)[AVELLA] == 1


@pytest.mark.parametrize("fault", [SystemExit(143), RuntimeError("imprevisto"), KeyboardInterrupt()])
def test_any_interruption_once_the_server_accepted_leaves_it_uncertain(tmp_path, monkeypatch, fault):
    """SIGTERM made to raise SystemExit, an unforeseen error, Ctrl-C: between the 250 and the log's write."""
    real = ReminderLog.settle

    def interrupted(log, message_id, state, *args, **kwargs):
        if state == "sent":
            raise fault
        return real(log, message_id, state, *args, **kwargs)

    folder = campaign(tmp_path, ROWS[:1])
    config = load_config(folder / "rollout.toml")
    snap, _ = run_report(config)
    log = log_of(folder)
    table = reminders_list(snap, marks=log.summary())
    items = send.plan(table, drafts(table, snap.settings, templates_from_config(config)),
                      send.SendOptions(), dt.date.today())  # fmt: skip
    monkeypatch.setattr(ReminderLog, "settle", interrupted)
    box = Mailbox()
    with Server(box) as server:
        settings = send.SmtpSettings("127.0.0.1", server.port, "none", sender="pnrr@azienda.it")
        with pytest.raises(type(fault)):
            send.Sender(settings, log, today=dt.date.today()).run(items)
    assert [(i.result, i.detail.split(";")[0]) for i in items] == [
        ("uncertain", "invio interrotto mentre il messaggio era consegnato al server")
    ]
    assert log.outbox()["state"].tolist() == ["uncertain"] and len(box.received) == 1


def test_the_limit_per_minute_counts_every_sender(tmp_path, capsys, monkeypatch):
    """Two senders at 5 a minute, one after the other within the minute (as two processes would):
    the second waits for the first's messages. Before: 8 messages in one minute."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(send, "CLOCK", lambda: now[0])
    monkeypatch.setattr(send, "SLEEP", lambda seconds: now.__setitem__(0, now[0] + seconds))
    folder = campaign(tmp_path, ROWS, rate=5)
    box = Mailbox(clock=lambda: now[0])
    with Server(box) as server:
        path = secrets(folder, server.port)
        code, _ = run(folder, path, "--yes", "--limit", "3", capsys=capsys)
        assert code == 0
        now[0] += 10
        code, _ = run(folder, path, "--yes", capsys=capsys)
        assert code == 0
    start = 1_700_000_000.0
    assert [t - start for t in box.times] == [0, 0, 0, 10, 10, 60, 60, 60, 70, 70, 120, 120, 120, 130, 130, 180]
    assert max(sum(t <= s < t + 60 for s in box.times) for t in box.times) == 5
    assert len(received_once(box)) == 16


def test_a_refused_copy_is_reported_and_counted(tmp_path, capsys):
    """Before: the archive's copy was refused without a word, exit code 0."""
    folder = campaign(tmp_path, ROWS)
    box = Mailbox(refuse={"archivio@azienda.it"})
    with Server(box) as server:
        code, out = run(folder, secrets(folder, server.port), "--yes", capsys=capsys)
    refused = "550 5.1.1 <indirizzo>: Recipient address rejected: User unknown"
    assert code == 1
    assert out.out.splitlines()[2] == (
        f"[1/16] inviato senza copia nascosta: Avella (AV) → {AVELLA}: il server ha rifiutato la copia nascosta "
        f"(bcc): {refused}"
    )
    assert out.out.splitlines()[-1] == "Promemoria: 18 comuni, 16 inviati senza copia nascosta, 2 senza indirizzo."
    assert {tuple(rcpts) for rcpts, _ in box.received} == {(to,) for to in received_once(box)}
    outbox = log_of(folder).outbox()
    assert set(outbox["state"]) == {"sent"} and set(outbox["detail"]) == {
        f"il server ha rifiutato la copia nascosta (bcc): {refused}"
    }
    assert len(log_of(folder).summary()) == 16  # the comuni were reminded


def test_the_lioni_of_the_demo_is_still_sent_once(tmp_path, capsys):
    """The identifiers change nothing for a list that keeps its keys: one message per comune."""
    folder = campaign(tmp_path, ROWS)
    box = Mailbox()
    with Server(box) as server:
        path = secrets(folder, server.port)
        assert run(folder, path, "--yes", "--comune", "Lioni", capsys=capsys)[0] == 0
        assert run(folder, path, "--yes", "--comune", "E605", capsys=capsys)[0] == 0
    assert box.recipients() == [LIONI]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"bcc": ["archivio@azienda.it", "a%evil.example@azienda.it"]},
         "In [reminders] bcc non è un indirizzo email valido: 'a%evil.example@azienda.it'."),
        ({"reply_to": "Risposte <r@-azienda.it>"},
         "In [reminders] reply_to non è un indirizzo email valido: 'Risposte <r@-azienda.it>'."),
    ],
)  # fmt: skip
def test_settings_with_an_address_no_server_takes_are_refused(tmp_path, section, message):
    from rollout.config import parse_config
    from rollout.errors import InputError
    from rollout.reminders.mail_settings import options_from_config, smtp_from_table

    with pytest.raises(InputError) as info:
        options_from_config(parse_config({"reminders": section}, tmp_path))
    assert str(info.value) == message
    with pytest.raises(InputError) as info:
        smtp_from_table({"host": "smtp.azienda.it", "sender": "Ufficio <pnrr@azienda-.it>"})
    assert str(info.value) == "In [smtp] sender non è un indirizzo email valido: 'Ufficio <pnrr@azienda-.it>'."
