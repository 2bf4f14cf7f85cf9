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
import shutil
import sqlite3
from email import policy

import pandas as pd
import pytest
from imapclient import IMAPClient
from pandas.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest
from test_receipts import SENT, UNKNOWN

from conftest import DATA, ROOT, run_cli
from rollout.access import fingerprint
from rollout.reminders import send
from rollout.reminders.log import ReminderLog
from rollout.reminders.receipts import classify
from testkit.imap_server import DOVECOT, MISSING, Dovecot, crlf
from testkit.smtp_server import Mailbox, Server, free_port
from ui.auth import PASSWORD_OK
from ui.format import md_escape

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
    assert states.loc["Avella"].to_dict() == {"state": "bounced", "detail": AVELLA_REASON}
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


# -- a bounced address gives way to IndicePA's PEC, or leaves the comune without a working address ---------

SICILY = (
    "Comune,Provincia,Codice ISTAT,Email referente\n"
    "Barrafranca,EN,086004,segreteria@comune.barrafranca.example\n"
    "Enna,EN,086009,segreteria@comune.enna.example\n"
    "Villarosa,EN,086020,segreteria@comune.villarosa.example\n"
)


def test_a_bounced_address_gives_way_to_the_registry_pec_until_the_list_changes(tmp_path, dovecot):
    """Enna's and Villarosa's addresses in the list bounce: Enna's next reminder goes to its PEC in IndicePA
    (tests/data/indicepa), Villarosa (not in IndicePA) has no working address left, until the list gives
    it a new one."""
    shutil.copy(DATA / "indicepa" / "enti.csv", tmp_path / "enti.csv")
    folder = campaign(tmp_path, SICILY, contacts='contacts = "enti.csv"\n')
    box = Mailbox()
    with Server(box) as server:
        ids = sent(folder, box, server.port, dovecot, "indicepa")
    assert sorted(a for _, a in ids.values()) == [
        "segreteria@comune.barrafranca.example", "segreteria@comune.enna.example",
        "segreteria@comune.villarosa.example",
    ]  # fmt: skip
    put(dovecot, "indicepa", [
        answer("postfix-dsn.eml", SENT["avella_mail"], ids["Enna"], "<dsn-e@mail.azienda.it>",
               "segreteria@comune.avella.av.it"),
        answer("exchange-ndr.eml", SENT["bisaccia_mail"], ids["Villarosa"], "<ndr-v@azienda.it>",
               "segreteria@comune.bisaccia.av.it"),
        answer("aruba-avvenuta-consegna.eml", SENT["lioni"], ids["Barrafranca"], "<opec-b@pec.aruba.it>",
               "protocollo@pec.comune.lioni.av.it"),
    ])  # fmt: skip
    config = ("--config", folder / "rollout.toml", "--secrets", folder / "secrets.toml")
    read = run_cli("reminders", "receipts", *config)
    assert read.stdout.splitlines()[:3] == [
        f"respinto: Enna (086009): {AVELLA_REASON}",
        "respinto: Villarosa (086020): indirizzo inesistente: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
        "Recipient not found by SMTP address lookup",
        "consegnato: Barrafranca (086004)",
    ]

    box = Mailbox()
    with Server(box) as server:
        secrets(folder, server.port, dovecot, "indicepa")
        again = run_cli("reminders", "send", *config, "--yes")
    assert box.recipients() == ["protocollo@pec.comune.enna.example"]
    assert again.stdout.splitlines() == [
        f"saltato: Barrafranca (EN): promemoria già inviato il {TODAY:%d/%m/%Y} (email)",
        "senza indirizzo: Villarosa (EN): nessun indirizzo utilizzabile (nessun indirizzo funzionante: respinto "
        "l'indirizzo di elenco comuni)",
        "[1/1] inviato: Enna (EN) → protocollo@pec.comune.enna.example",
        "Promemoria: 3 comuni, 1 inviato, 1 saltato, 1 senza indirizzo.",
    ]
    report = run_cli("report", "--config", folder / "rollout.toml", "--out", tmp_path / "out")
    rows = {r["comune"]: r for r in _csv(tmp_path / "out" / "reminders.csv")}
    assert (rows["Enna"]["contact"], rows["Enna"]["contact_source"], rows["Enna"]["outcome"]) == (
        "protocollo@pec.comune.enna.example", "IndicePA (PEC); respinto l'indirizzo di elenco comuni",
        "in attesa di ricevuta",
    )  # fmt: skip
    status = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))["reminders"]
    assert status == {"comuni_reminded": 3, "without_working_address": 1,
                      "last_outcome": {"awaiting": 1, "delivered": 1, "bounced": 1, "replied": 0}}  # fmt: skip
    assert "1 comune senza un indirizzo funzionante" in report.stdout

    # The list now gives Villarosa another address: that one is used.
    (folder / "comuni.csv").write_text(
        SICILY.replace("segreteria@comune.villarosa", "protocollo@comune.villarosa"), encoding="utf-8"
    )
    box = Mailbox()
    with Server(box) as server:
        secrets(folder, server.port, dovecot, "indicepa")
        assert run_cli("reminders", "send", *config, "--yes").returncode == 0
    assert box.recipients() == ["protocollo@comune.villarosa.example"]


# -- «Leggi le ricevute» on the Promemoria page --------------------------------------------------------------


def dashboard(folder, monkeypatch, secrets_values: dict, page: str = "pages/promemoria.py") -> AppTest:
    monkeypatch.setenv("ROLLOUT_CONFIG", str(folder / "rollout.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["unrelated"] = "x"  # never the developer's own secrets
    for key, value in secrets_values.items():
        at.secrets[key] = value
    if "access" in secrets_values:
        at.session_state[PASSWORD_OK] = fingerprint(ACCESS)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def imap_values(dovecot: Dovecot, user: str, **changes) -> dict:
    return {"host": "127.0.0.1", "port": dovecot.port, "security": "none", "username": user,
            "password": MAILBOX_PASSWORD, **changes}  # fmt: skip


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def outcomes_shown(at: AppTest) -> dict[str, str]:
    table = table_with(at, "outcome")
    return dict(zip(table["comune"], table["outcome"], strict=True))


def test_the_promemoria_page_reads_the_receipts_and_shows_each_outcome(tmp_path, dovecot, monkeypatch):
    folder = small(tmp_path)
    box = Mailbox()
    with Server(box) as server:
        ids = sent(folder, box, server.port, dovecot, "pagina")
    put(dovecot, "pagina", mailbag(ids))
    values = {"access": {"password": ACCESS}, "smtp": {"host": "127.0.0.1", "port": 25, "security": "none"},
              "imap": imap_values(dovecot, "pagina")}  # fmt: skip
    at = dashboard(folder, monkeypatch, values)
    assert set(outcomes_shown(at).values()) == {"in attesa di ricevuta", ""}

    at.button(key="receipts_go").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "Ricevute: 9 messaggi letti, 5 esiti aggiornati (2 consegnati, 2 respinti, 1 con risposta), 2 ricevute che "
        "non cambiano l'esito, 1 di un messaggio non inviato dal tracker, 1 non pertinente."
    ]
    changes = table_with(at, "Motivo")
    expected = pd.DataFrame(
        [
            ["Avella", "respinto", AVELLA_REASON],
            ["Cassano Irpino", "respinto", CASSANO_REASON],
            ["Lioni", "consegnato", ""],
            ["Melito Irpino", "risposta ricevuta", ""],
            ["Capriglia Irpina", "consegnato", ""],
        ],
        columns=["Comune", "Esito", "Motivo"],
    )
    assert_frame_equal(changes, expected)
    shown = outcomes_shown(at)
    assert {
        k: shown[k]
        for k in ("Avella", "Cassano Irpino", "Lioni", "Melito Irpino", "Capriglia Irpina", "Bisaccia", "Mercogliano")
    } == {
        "Avella": "respinto: indirizzo inesistente",
        "Cassano Irpino": "respinto: mancata consegna PEC",
        "Lioni": "consegnato",
        "Melito Irpino": "risposta ricevuta",
        "Capriglia Irpina": "consegnato",
        "Bisaccia": "in attesa di ricevuta",
        "Mercogliano": "",
    }  # the reason's first words in the table; whole in the downloads and the Comuni page's detail
    assert md_escape(
        "Promemoria: 16 comuni sollecitati; esito dell'ultimo invio: 2 consegnati, 2 respinti, 1 con risposta, "
        "11 in attesa di ricevuta."
    ) in [c.value for c in at.caption]

    at.button(key="receipts_go").click().run()  # a second reading changes nothing
    assert [s.value for s in at.success] == ["Ricevute: nessun messaggio nuovo nella casella."]
    assert outcomes_shown(at) == shown

    page = dashboard(folder, monkeypatch, values, "pages/comuni.py")
    comuni = table_with(page, "Esito ultimo invio")
    by_name = dict(zip(comuni["Comune"], comuni["Esito ultimo invio"], strict=True))
    assert (by_name["Avella"], by_name["Melito Irpino"], by_name["Grottaminarda"]) == (
        "respinto: indirizzo inesistente", "risposta ricevuta", "",
    )  # fmt: skip
    contacts = dict(zip(comuni["Comune"], comuni["Fonte del contatto"], strict=True))
    assert contacts["Avella"] == "elenco comuni (PEC); respinto l'indirizzo di elenco comuni"
    choice = page.selectbox(key="detail_comune")
    choice.select_index(choice.options.index("Avella (AV)")).run()
    detail = next(c.value for c in page.caption if "Promemoria inviati:" in c.value)
    assert detail.endswith(" · Esito dell'ultimo invio: " + md_escape(f"respinto: {AVELLA_REASON}"))  # whole


def test_the_button_only_on_a_protected_dashboard_with_imap_and_one_line_for_a_fault(tmp_path, dovecot, monkeypatch):
    folder = small(tmp_path)
    imap = imap_values(dovecot, "ancora")
    at = dashboard(folder, monkeypatch, {"imap": imap})  # open: no button
    assert not [b for b in at.button if b.key == "receipts_go"]
    assert any("casella del mittente nella sezione [imap]" in c.value for c in at.caption)
    at = dashboard(folder, monkeypatch, {"access": {"password": ACCESS}})  # protected, no [imap]
    assert not [b for b in at.button if b.key == "receipts_go"]
    at = dashboard(folder, monkeypatch, {"access": {"password": ACCESS}, "imap": {**imap, "password": "sbagliata"}})
    at.button(key="receipts_go").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Ricevute non lette: "
        + md_escape(f"Accesso rifiutato dal server IMAP 127.0.0.1:{dovecot.port}: controlla username e password in "
                    "[imap] dei segreti.")
    ]  # fmt: skip
    at = dashboard(folder, monkeypatch, {"access": {"password": ACCESS}, "imap": {**imap, "security": "rotta"}})
    assert [e.value for e in at.error] == [
        "Lettura delle ricevute non disponibile: "
        + md_escape('In [imap] dei segreti security deve essere "ssl", "starttls" o "none", non "rotta".')
    ]


# -- faults of the command line: one line, nothing recorded ---------------------------------------------------


def test_each_fault_of_the_mailbox_is_one_line_and_records_nothing(tmp_path, dovecot):
    folder = small(tmp_path)
    log = folder / "log" / "promemoria.sqlite3"
    config = ("reminders", "receipts", "--config", folder / "rollout.toml", "--secrets", folder / "secrets.toml")
    (folder / "secrets.toml").write_text('[smtp]\nhost = "127.0.0.1"\n', encoding="utf-8")
    result = run_cli(*config)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        "errore: Lettura delle ricevute non configurata: manca la sezione [imap] nel file dei segreti "
        "(.streamlit/secrets.toml o --secrets); vedi docs/reminders.md, «Receipts and bounces».\n"
    ))  # fmt: skip
    down = free_port()
    cases = {
        "password": ({"password": "sbagliata"}, f"Accesso rifiutato dal server IMAP 127.0.0.1:{dovecot.port}: "
                     "controlla username e password in [imap] dei segreti."),
        "folder": ({"folder": "Ricevute PEC"}, "La cartella «Ricevute PEC» non esiste nella casella (cartelle: INBOX): "
                   "correggi folder in [imap]."),
        "down": ({"port": down}, f"Il server IMAP 127.0.0.1:{down} non risponde: connessione rifiutata. "
                 "Riprova più tardi."),
    }  # fmt: skip
    for name, (changes, message) in cases.items():
        secrets(folder, 25, dovecot, "ancora", **changes)
        result = run_cli(*config)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", f"errore: {message}\n"), name
    assert not log.exists()  # nothing read, nothing written
