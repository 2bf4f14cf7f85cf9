"""Reading the sender's mailbox against a real IMAP server (Dovecot on 127.0.0.1): read-only,
incremental, every kind of receipt, and one clear line for each fault."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from imapclient import IMAPClient
from test_receipts import EXPECTED, SENT

from rollout.reminders.imap_settings import ImapSettings, find_imap
from rollout.reminders.mailbox import Cursor, MailboxError, open_client, read_new
from testkit.imap_server import DOVECOT, MISSING, Dovecot, crlf
from testkit.mail_samples import mixed_mailbox
from testkit.smtp_server import free_port

pytestmark = pytest.mark.skipif(DOVECOT is None, reason=MISSING)
DATA = Path(__file__).resolve().parent / "data" / "receipts"
PASSWORD = "segreta-lunga-della-casella"
USERS = {"pnrr": PASSWORD, "grande": PASSWORD, "vuota": PASSWORD, "altra": PASSWORD}
BIG = 10_000  # messages in the big mailbox: 1 in 100 a delivery receipt, 1 in 250 a reply


@pytest.fixture(scope="module")
def server():
    """One Dovecot for the module: ``pnrr`` holds every test message, ``grande`` 10,000 messages."""
    dovecot = Dovecot(USERS)
    dovecot.fill_maildir("grande", mixed_mailbox(BIG, (DATA / "risposta.eml").read_bytes()))
    with dovecot:
        with client(dovecot, "pnrr") as imap:
            for path in sorted(DATA.glob("*.eml")):
                imap.append("INBOX", crlf(path.read_bytes()))
        yield dovecot


def settings(server: Dovecot, user: str = "pnrr", **changes) -> ImapSettings:
    values = {"host": "127.0.0.1", "port": server.port, "security": "none", "username": user,
              "password": PASSWORD, "folder": "INBOX", "timeout": 20.0}  # fmt: skip
    values.update(changes)
    return ImapSettings(**values)


def client(server: Dovecot, user: str) -> IMAPClient:
    imap = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=20)
    imap.login(user, PASSWORD)
    return imap


def state(server: Dovecot, user: str) -> tuple[int, dict]:
    """How many messages, and each one's flags (but ``\\Recent``, the server's own) and content digest."""
    with client(server, user) as imap:
        exists = imap.select_folder("INBOX", readonly=True)[b"EXISTS"]
        data = imap.fetch(imap.search("ALL"), ["FLAGS", "BODY.PEEK[]"]) if exists else {}
    return exists, {
        uid: (sorted(f for f in item[b"FLAGS"] if f != b"\\Recent"), hashlib.sha256(item[b"BODY[]"]).hexdigest())
        for uid, item in data.items()
    }


def on_disk(server: Dovecot, user: str) -> list[tuple[str, int]]:
    """The maildir's message files: names (flags are in them: ``:2,S`` is seen) and sizes."""
    return sorted((p.name, p.stat().st_size) for p in server.maildir(user).glob("*/*") if p.parent.name != "tmp")


def test_every_kind_of_message_is_read_once_and_nothing_changes(server):
    before = state(server, "pnrr")
    receipts, cursor = read_new(settings(server))
    names = sorted(p.name for p in DATA.glob("*.eml"))  # appended in this order: UIDs 1..n
    assert [(r.kind, r.message_id, r.reason, r.source, r.recipients) for r in receipts] == [EXPECTED[n] for n in names]
    uidvalidity = cursor.uidvalidity
    assert uidvalidity > 0 and cursor == Cursor("INBOX", uidvalidity, len(names))
    assert [r.key for r in receipts] == [f"{uidvalidity}:{uid}" for uid in range(1, len(names) + 1)]
    assert state(server, "pnrr") == before  # same count, same flags (no \Seen), same bytes
    assert all(b"\\Seen" not in flags for flags, _ in before[1].values())
    files = on_disk(server, "pnrr")
    assert len(files) == len(names) and not [n for n, _ in files if re.search(r":2,[A-Z]*S", n)]  # none seen

    # reading again counts nothing twice; a new arrival is the only news
    assert read_new(settings(server), cursor) == ([], cursor)
    with client(server, "pnrr") as imap:
        imap.append("INBOX", crlf((DATA / "aruba-accettazione.eml").read_bytes().replace(b"05263.563", b"05263.999")))
    news, after = read_new(settings(server), cursor)
    assert [(r.kind, r.message_id, r.key) for r in news] == [
        ("accepted", SENT["lioni"], f"{uidvalidity}:{len(names) + 1}")
    ]
    assert after == Cursor("INBOX", uidvalidity, len(names) + 1)

    # the folder renumbered (another UIDVALIDITY): everything again, with the same receipt ids to tell repeats
    again, _ = read_new(settings(server), Cursor("INBOX", uidvalidity + 1, len(names) + 1))
    assert [r.receipt_id for r in again[: len(names)]] == [r.receipt_id for r in receipts]


def test_the_same_receipt_twice_is_counted_once(server):
    copy = crlf((DATA / "aruba-errore-consegna.eml").read_bytes())
    with client(server, "vuota") as imap:
        imap.append("INBOX", copy)
        imap.append("INBOX", copy)  # the same receipt stored twice (a rule that copies, a re-import)
    receipts, cursor = read_new(settings(server, "vuota"))
    assert [(r.kind, r.reason) for r in receipts] == [
        ("bounced", EXPECTED["aruba-errore-consegna.eml"][2]),
        ("unrelated", "copia di un messaggio già letto"),
    ]
    assert cursor.last_uid == 2


def test_ten_thousand_messages(server):
    """Headers for all of them, bodies only of the 100 receipts; the count of each kind exact."""
    before = on_disk(server, "grande")
    receipts, cursor = read_new(settings(server, "grande"))
    assert len(receipts) == BIG and cursor.last_uid == BIG
    assert Counter(r.kind for r in receipts) == {"unrelated": 9860, "delivered": 100, "replied": 40}
    assert len({r.message_id for r in receipts if r.kind == "delivered"}) == 100
    assert len(before) == BIG and on_disk(server, "grande") == before


def test_hostile_messages_in_the_mailbox(server):
    """A receipt whose daticert.xml is 5 MB and a 12 MB bounce-looking message: one outcome each."""
    huge = "".join(f'<destinatari tipo="certificato">d{i}@pec.example.it</destinatari>' for i in range(100_000))
    receipt = (DATA / "aruba-avvenuta-consegna.eml").read_text(encoding="utf-8")
    start = receipt.index("Content-Type: application/xml")
    end = receipt.index("------------=_", start)
    import base64

    xml = f'<postacert tipo="avvenuta-consegna" errore="nessuno"><intestazione>{huge}</intestazione></postacert>'
    part = ('Content-Type: application/xml; name="daticert.xml"\nContent-Disposition: inline; filename="daticert.xml"\n'
            "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(xml.encode()).decode() + "\n")  # fmt: skip
    bomb = receipt[:start] + part + receipt[end:]
    bounce = b"From: MAILER-DAEMON@mx.example.it\nSubject: Undelivered Mail\n\n" + b"x" * 12_000_000
    with client(server, "altra") as imap:
        imap.append("INBOX", crlf(bomb.encode()))
        imap.append("INBOX", crlf(bounce))
    receipts, _ = read_new(settings(server, "altra"))
    assert [(r.kind, r.reason) for r in receipts] == [
        ("unrelated", "ricevuta PEC ignorata: daticert.xml troppo grande"),  # of which only MAX_MESSAGE bytes came
        ("unrelated", "né ricevuta, né avviso di mancata consegna, né risposta"),
    ]


def test_a_server_that_stops_mid_read_loses_nothing():
    """The server goes down between the headers and the bodies: one line, no receipt, the cursor stays;
    the next read, server back, finds everything."""
    names = ["aruba-errore-consegna.eml", "newsletter.eml", "risposta.eml"]
    with Dovecot({"pnrr": PASSWORD}) as dying:
        with client(dying, "pnrr") as imap:
            for name in names:
                imap.append("INBOX", crlf((DATA / name).read_bytes()))

        def connect(wanted: ImapSettings) -> IMAPClient:
            real = open_client(wanted)
            fetch = real.fetch

            def fetch_then_die(messages, items, *args, **kwargs):
                if any(str(i).startswith("BODY.PEEK[]") for i in items):
                    dying.stop()  # the bodies are asked for: the server goes down now
                return fetch(messages, items, *args, **kwargs)

            real.fetch = fetch_then_die
            return real

        before = Cursor()
        with pytest.raises(MailboxError) as caught:
            read_new(settings(dying), before, connect=connect)
        assert str(caught.value).startswith(f"Lettura della casella IMAP 127.0.0.1:{dying.port} interrotta (")
        assert str(caught.value).endswith("): niente è stato registrato, riprova più tardi.")
        dying.start()
        receipts, cursor = read_new(settings(dying), before)
        assert [(r.kind, r.message_id) for r in receipts] == [EXPECTED[n][:2] for n in names]
        assert cursor.last_uid == 3


def test_tls_and_starttls(server):
    secure = settings(server, port=server.ssl_port, security="ssl", ca_file=str(server.cert))
    assert read_new(secure)[1].last_uid >= 18
    starttls = settings(server, security="starttls", ca_file=str(server.cert))
    assert read_new(starttls)[1].last_uid >= 18
    with pytest.raises(MailboxError) as caught:
        read_new(settings(server, port=server.ssl_port, security="ssl"))  # its own certificate, not trusted
    assert str(caught.value) == (
        f"Il certificato TLS del server IMAP 127.0.0.1:{server.ssl_port} non è valido (self-signed certificate): "
        "se il server usa un certificato proprio, indicalo in ca_file di [imap]."
    )
    with pytest.raises(MailboxError) as caught:
        read_new(settings(server, security="ssl", ca_file=str(server.cert)))  # TLS on the plain port
    assert str(caught.value).startswith(f"Connessione TLS con il server IMAP 127.0.0.1:{server.port} non riuscita (")
    assert str(caught.value).endswith("): controlla port e security in [imap].")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"folder": "Ricevute"},
         "La cartella «Ricevute» non esiste nella casella (cartelle: INBOX): correggi folder in [imap]."),
        ({"port": "down"}, "Il server IMAP 127.0.0.1:{port} non risponde: connessione rifiutata. Riprova più tardi."),
    ],
)  # fmt: skip
def test_faults_are_one_clear_line(server, change, message):
    if change.get("port") == "down":
        change = {"port": free_port()}  # nothing listens there
    wanted = settings(server, **change)
    with pytest.raises(MailboxError) as caught:
        read_new(wanted, Cursor("INBOX", 7, 3))
    assert str(caught.value) == message.format(port=wanted.port)


def test_the_settings_come_from_the_secrets_file(server, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nusername = "pnrr"\npassword = "{PASSWORD}"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\nfolder = "INBOX"\n',
        encoding="utf-8",
    )
    found = find_imap(secrets, env={})
    assert found == ImapSettings("127.0.0.1", server.port, "none", "pnrr", PASSWORD, "INBOX")  # the login of [smtp]
    assert PASSWORD not in repr(found)
    assert read_new(found)[1].last_uid >= 18


def test_a_wrong_password_is_one_clear_line(server):
    """Last in the module: after a failed login Dovecot makes the next logins from 127.0.0.1 wait seconds."""
    wrong = settings(server, password="sbagliata")
    with pytest.raises(MailboxError) as caught:
        read_new(wrong, Cursor("INBOX", 7, 3))
    assert str(caught.value) == (
        f"Accesso rifiutato dal server IMAP 127.0.0.1:{server.port}: controlla username e password in [imap] dei segreti."
    )
