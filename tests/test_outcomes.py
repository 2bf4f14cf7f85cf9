"""What happened to each reminder (issue 21, section 2): the reminders are sent to aiosmtpd on 127.0.0.1,
then receipts, bounces and replies built from the messages really sent (their Message-IDs and
addresses, in the layouts of tests/data/receipts) are put by IMAP APPEND into Dovecot on 127.0.0.1,
and read by ``reminders receipts`` or «Leggi le ricevute»: the outcome of each comune on the pages, in
status.json and in the next sending (a bounced address is never written to again)."""

from __future__ import annotations

import base64
import datetime as dt
import email
import json
import sqlite3
from email import policy

import pytest
from imap_server import DOVECOT, MISSING, Dovecot, crlf
from imapclient import IMAPClient
from smtp_server import Mailbox, Server
from test_receipts import SENT, UNKNOWN

from conftest import DATA, ROOT, run_cli
from rollout.reminders import send
from rollout.reminders.log import ReminderLog
from rollout.reminders.receipts import classify

pytestmark = [
    pytest.mark.skipif(DOVECOT is None, reason=MISSING),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]
RECEIPTS = DATA / "receipts"
DEMO = ROOT / "data" / "demo"
MAILBOX_PASSWORD = "segreta-lunga-della-casella"
USERS = ("riga", "pagina", "indicepa", "ancora")
ACCESS = "una-password-lunga-per-il-gruppo"
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def dovecot():
    """One Dovecot for the module, one mailbox per test."""
    with Dovecot(dict.fromkeys(USERS, MAILBOX_PASSWORD)) as server:
        yield server


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(send, "CLOCK", lambda: now[0])
    monkeypatch.setattr(send, "SLEEP", lambda seconds: now.__setitem__(0, now[0] + seconds))


# -- a campaign, its sending, and what comes back --------------------------------------------------------


def campaign(folder, comuni_csv: str, contacts: str = "") -> object:
    (folder / "comuni.csv").write_text(comuni_csv, encoding="utf-8")
    header = (DEMO / "risposte.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "risposte.csv").write_text(header + "\n", encoding="utf-8")
    (folder / "rollout.toml").write_text(
        'campaign = "Demo"\ndeadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\nform_url = "https://forms.gle/x"\n'
        f'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n{contacts}'
        '[reminders]\ndatabase = "log/promemoria.sqlite3"\nsender = "Ufficio PNRR <pnrr@azienda.it>"\n'
        'signature = "Ufficio PNRR"\nmax_per_minute = 100000\n',
        encoding="utf-8",
    )
    return folder


def small(folder):
    """The demo's first 18 comuni, no answer yet: 16 with an address (Bisaccia's is its PEC), 2 without."""
    lines = (DEMO / "comuni.csv").read_text(encoding="utf-8").splitlines()
    return campaign(folder, "\n".join(lines[:19]) + "\n")


def secrets(where, smtp_port: int, dovecot: Dovecot, user: str, **imap) -> object:
    values = {"host": "127.0.0.1", "port": dovecot.port, "security": "none", "username": user,
              "password": MAILBOX_PASSWORD, **imap}  # fmt: skip
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'security = "none"', "[imap]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path = where / "secrets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sent(folder, box: Mailbox, smtp_port: int, dovecot: Dovecot, user: str) -> dict[str, tuple[str, str]]:
    """Send the reminders; per comune, the Message-ID and the address of its message."""
    path = secrets(folder, smtp_port, dovecot, user)
    result = run_cli("reminders", "send", "--config", folder / "rollout.toml", "--secrets", path, "--yes")
    assert result.returncode == 0, result.stderr
    out = {}
    for _, message in box.received:
        comune = message["To"].addresses[0].display_name.removeprefix("Comune di ")
        out[comune] = (message["Message-ID"], message["To"].addresses[0].addr_spec)
    return out


def answer(template: str, old: str, new: tuple[str, str], own: str, old_to: str = "") -> bytes:
    """A message of tests/data/receipts answering the message ``new`` (its Message-ID and address)
    instead of the one it answered (``old`` Message-ID, ``old_to`` address), with its own Message-ID
    ``own``: headers and bodies rewritten, base64 parts (daticert.xml, the returned message) included."""
    pairs = [(old.strip("<>"), new[0].strip("<>"))] + ([(old_to, new[1])] if old_to else [])
    raw = (RECEIPTS / template).read_bytes()
    for a, b in pairs:
        raw = raw.replace(a.encode(), b.encode())
    message = email.message_from_bytes(raw, policy=policy.compat32)
    for part in message.walk():
        if str(part.get("Content-Transfer-Encoding", "")).lower() == "base64" and not part.is_multipart():
            data = part.get_payload(decode=True)
            for a, b in pairs:
                data = data.replace(a.encode(), b.encode())
            part.set_payload(base64.encodebytes(data).decode("ascii"))
    if message["Message-ID"] is not None:
        message.replace_header("Message-ID", own)
    return message.as_bytes()


def put(dovecot: Dovecot, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=20) as imap:
        imap.login(user, MAILBOX_PASSWORD)
        if not imap.folder_exists(folder):
            imap.create_folder(folder)
        for data in messages:
            imap.append(folder, crlf(data))


def mailbag(ids: dict[str, tuple[str, str]]) -> list[bytes]:
    """What comes back for the small campaign: a bounce, a PEC bounce, a delivery, an acceptance only, a
    reply (then an out-of-office, which does not undo it), an out-of-office, a forged receipt of a
    message never sent, a newsletter."""
    bag = [
        answer("postfix-dsn.eml", SENT["avella_mail"], ids["Avella"], "<dsn-1@mail.azienda.it>",
               "segreteria@comune.avella.av.it"),
        answer("aruba-errore-consegna.eml", SENT["avella"], ids["Cassano Irpino"], "<opec-e1@pec.aruba.it>",
               "protocollo@pec.comune.avella.av.it"),
        answer("aruba-avvenuta-consegna.eml", SENT["lioni"], ids["Lioni"], "<opec-c1@pec.aruba.it>",
               "protocollo@pec.comune.lioni.av.it"),
        answer("aruba-accettazione.eml", SENT["lioni"], ids["Bisaccia"], "<opec-a1@pec.aruba.it>"),
        answer("risposta.eml", SENT["melito_mail"], ids["Melito Irpino"], "<risposta-1@comune.it>"),
        answer("fuori-ufficio.eml", SENT["capriglia_mail"], ids["Melito Irpino"], "<fuori-1@comune.it>"),
        answer("fuori-ufficio.eml", SENT["capriglia_mail"], ids["Capriglia Irpina"], "<fuori-2@comune.it>"),
        (RECEIPTS / "ricevuta-sconosciuta.eml").read_bytes(),
        (RECEIPTS / "newsletter.eml").read_bytes(),
    ]  # fmt: skip
    return bag


AVELLA_REASON = (
    "indirizzo inesistente: 550 5.1.1 <indirizzo>: Recipient address rejected: User unknown in virtual mailbox table"
)
CASSANO_REASON = "mancata consegna PEC: destinatario inesistente, 5.1.1 - Aruba Pec S.p.A. - casella inesistente"


def test_the_messages_built_here_say_what_they_should(tmp_path):
    """The builder itself: each message answers the real Message-ID, and a bounce names the real address."""
    ids = {c: (f"<{n}.1.2@azienda.it>", f"segreteria@{n}.example") for n, c in enumerate(
        ["Avella", "Cassano Irpino", "Lioni", "Bisaccia", "Melito Irpino", "Capriglia Irpina"])}  # fmt: skip
    got = [classify(m) for m in mailbag(ids)]
    assert [(r.kind, r.message_id, r.recipients) for r in got] == [
        ("bounced", ids["Avella"][0], (ids["Avella"][1],)),
        ("bounced", ids["Cassano Irpino"][0], (ids["Cassano Irpino"][1],)),
        ("delivered", ids["Lioni"][0], (ids["Lioni"][1],)),
        ("accepted", ids["Bisaccia"][0], ()),
        ("replied", ids["Melito Irpino"][0], ()),
        ("auto_reply", ids["Melito Irpino"][0], ()),
        ("auto_reply", ids["Capriglia Irpina"][0], ()),
        ("delivered", UNKNOWN, ("protocollo@pec.comune.melitoirpino.av.it",)),
        ("unrelated", "", ()),
    ]
    assert [got[0].reason, got[1].reason] == [AVELLA_REASON, CASSANO_REASON]
    assert len({r.receipt_id for r in got}) == len(got)


def test_receipts_from_the_command_line_once_and_only_for_our_messages(tmp_path, dovecot):
    folder = small(tmp_path)
    box = Mailbox()
    with Server(box) as server:
        ids = sent(folder, box, server.port, dovecot, "riga")
    assert len(ids) == 16
    put(dovecot, "riga", mailbag(ids))
    log = ReminderLog(folder / "log" / "promemoria.sqlite3")
    config = ("--config", folder / "rollout.toml", "--secrets", folder / "secrets.toml")

    first = run_cli("reminders", "receipts", *config)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines() == [
        f"respinto: Avella (A508): {AVELLA_REASON}",
        f"respinto: Cassano Irpino (B997): {CASSANO_REASON}",
        "consegnato: Lioni (E605)",
        "risposta ricevuta: Melito Irpino (F110)",
        "consegnato: Capriglia Irpina (B706)",
        "Ricevute: 9 messaggi letti, 5 esiti aggiornati (2 consegnati, 2 respinti, 1 con risposta), "
        "2 ricevute che non cambiano l'esito, 1 di un messaggio non inviato dal tracker, 1 non pertinente.",
    ]
    states = log.outbox().set_index("comune")[["state", "detail"]]
    assert states["state"].value_counts().to_dict() == {"sent": 11, "bounced": 2, "delivered": 2, "replied": 1}
    assert states.loc["Avella"].tolist() == ["bounced", AVELLA_REASON]
    assert states.loc["Bisaccia", "state"] == "sent"  # accepted by the PEC provider: still waiting
    before = log.outbox()

    # Reading again: nothing new, nothing counted twice.
    again = run_cli("reminders", "receipts", *config)
    assert (again.returncode, again.stdout) == (0, "Ricevute: nessun messaggio nuovo nella casella.\n")
    # The same receipts in another folder (another UIDVALIDITY, read from the start): recognised.
    put(dovecot, "riga", mailbag(ids), folder="Ricevute")
    secrets(folder, 25, dovecot, "riga", folder="Ricevute")
    copy = run_cli("reminders", "receipts", *config)
    assert copy.stdout.splitlines() == [
        "Ricevute: 9 messaggi letti, nessun esito cambiato, 7 già registrate, 1 di un messaggio non inviato dal "
        "tracker, 1 non pertinente."
    ]
    assert log.outbox().equals(before)

    # status.json and the weekly report count them; no address, no name of a person.
    report = run_cli("report", "--config", folder / "rollout.toml", "--out", tmp_path / "out")
    assert report.returncode == 0, report.stderr
    assert report.stdout.splitlines()[1] == (
        "Promemoria: 16 comuni sollecitati; esito dell'ultimo invio: 2 consegnati, 2 respinti, 1 con risposta, "
        "11 in attesa di ricevuta."
    )
    status = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    assert status["reminders"] == {
        "comuni_reminded": 16,
        "last_outcome": {"awaiting": 11, "delivered": 2, "bounced": 2, "replied": 1},
        "without_working_address": 0,
    }
    assert "@" not in json.dumps(status["reminders"])
    rows = {r["comune"]: r for r in _csv(tmp_path / "out" / "reminders.csv")}
    assert rows["Avella"]["outcome"] == f"respinto: {AVELLA_REASON}"
    assert [rows[c]["outcome"] for c in ("Lioni", "Melito Irpino", "Bisaccia", "Grottaminarda")] == [
        "consegnato", "risposta ricevuta", "in attesa di ricevuta", "",
    ]  # fmt: skip
    # The bounced address gives way to the list's PEC, at once: the reminder did not arrive.
    assert (rows["Avella"]["contact"], rows["Avella"]["contact_source"]) == (
        "protocollo@pec.comune.avella.av.it", "elenco comuni (PEC); respinto l'indirizzo di elenco comuni",
    )  # fmt: skip
    box = Mailbox()
    with Server(box) as server:
        secrets(folder, server.port, dovecot, "riga")
        resent = run_cli("reminders", "send", "--config", folder / "rollout.toml", "--secrets",
                         folder / "secrets.toml", "--yes")  # fmt: skip
    assert resent.returncode == 0, resent.stderr
    assert sorted(box.recipients()) == [
        "protocollo@pec.comune.avella.av.it",
        "protocollo@pec.comune.cassanoirpino.av.it",
    ]
    lines = resent.stdout.splitlines()
    assert f"saltato: Lioni (AV): promemoria già inviato il {TODAY:%d/%m/%Y} (email)" in lines
    assert lines[-1] == "Promemoria: 18 comuni, 2 inviati, 14 saltati, 2 senza indirizzo."
    with sqlite3.connect(log.path) as con:  # the log keeps digests of the addresses, never the addresses
        dump = "\n".join(con.iterdump())
    con.close()
    assert [a for _, a in ids.values() if a in dump] == [] and "@pec.comune" not in dump


def _csv(path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
