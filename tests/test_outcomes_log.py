"""The outcomes in the reminders' log (schema 4): each receipt applied once and all or nothing, the
mailbox's position, the digests of the addresses, and logs of version 3 read unchanged and migrated."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from conftest import run_cli
from rollout.reminders import outcomes, reading
from rollout.reminders.log import SCHEMA_VERSION, Mark, ReminderLog, TrackingError
from rollout.reminders.mailbox import Cursor
from rollout.reminders.outcomes import Position
from rollout.reminders.receipts import Receipt

DAY = dt.date(2023, 9, 20)
NOW = dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)
AVELLA = Mark("A508", "Avella")
ADDRESS = "segreteria@comune.avella.av.it"
INBOX = Position("INBOX", 7, 10)


def sent_log(tmp_path, state: str = "sent", message_id: str = "<m1@azienda.it>") -> ReminderLog:
    log = ReminderLog(tmp_path / "promemoria.sqlite3")
    assert log.claim(AVELLA, DAY, message_id, "email", "host:1", "b1", NOW, address=ADDRESS) == ""
    if state != "queued":
        log.settle(message_id, state, sent_on=DAY, now=NOW)
    return log


def bounce(named: tuple[str, ...] = (ADDRESS,), own: str = "<dsn-1@mx>", message_id: str = "<m1@azienda.it>"):
    return Receipt("bounced", message_id, "indirizzo inesistente", "dsn", NOW, named, receipt_id=own)


def state_of(log: ReminderLog) -> list[str]:
    return log.outbox()[["state", "detail"]].values.tolist()[0]


def test_a_bounce_kills_the_address_and_the_reminder_stops_counting(tmp_path):
    log = sent_log(tmp_path)
    assert log.summary().loc["A508", ["last_counted", "last_outcome"]].to_dict() == {
        "last_counted": "2023-09-20", "last_outcome": "sent",
    }  # fmt: skip
    done = log.apply_receipts([bounce()], "pnrr@host:993", INBOX, NOW)
    assert [c.line() for c in done.changes] == ["respinto: Avella (A508): indirizzo inesistente"]
    assert state_of(log) == ["bounced", "indirizzo inesistente"]
    assert log.bounced_among([ADDRESS.upper(), "protocollo@pec.comune.avella.av.it"]) == {ADDRESS.upper()}
    row = log.summary().loc["A508"]
    assert row[["reminders_sent", "last_reminder", "last_counted", "last_outcome"]].to_dict() == {
        "reminders_sent": 1, "last_reminder": "2023-09-20", "last_counted": "", "last_outcome": "bounced",
    }  # fmt: skip
    # the comune may be reminded again at once (at another address)
    assert log.claim(AVELLA, DAY, "<m2@azienda.it>", "email", "host:1", "b2", NOW, address="protocollo@x.it") == ""


def test_a_bounce_that_does_not_name_our_address_leaves_it_alone(tmp_path):
    """A PEC «non accettazione» (the sender's provider refused: Bcc not allowed) names no recipient: the
    comune's address is not to blame, and the reminder still counts (no resending at once)."""
    log = sent_log(tmp_path)
    log.apply_receipts([bounce(named=())], "pnrr@host:993", INBOX, NOW)
    assert state_of(log)[0] == "bounced"
    assert log.bounced_among([ADDRESS]) == frozenset()
    assert log.summary().loc["A508", "last_counted"] == "2023-09-20"
    assert log.claim(AVELLA, DAY, "<m2@azienda.it>", "email", "host:1", "b2", NOW).startswith("reminded|")


def test_a_reply_outranks_a_bounce_and_revives_the_address(tmp_path):
    log = sent_log(tmp_path)
    reply = Receipt("replied", "<altro@x>", "", "reply", NOW, (), ("<m1@azienda.it>",), receipt_id="<r@comune>")
    done = log.apply_receipts([bounce(), reply, bounce(own="<dsn-2@mx>")], "pnrr@host:993", INBOX, NOW)
    assert [(c.before, c.after) for c in done.changes] == [("sent", "bounced"), ("bounced", "replied")]
    assert (done.matched, done.repeated, done.unknown) == (3, 0, 0)
    assert state_of(log) == ["replied", ""]
    assert log.bounced_among([ADDRESS]) == frozenset()


def test_each_receipt_counts_once_and_unknown_ids_change_nothing(tmp_path):
    log = sent_log(tmp_path)
    forged = Receipt("delivered", "<mai-inviato@altra.it>", "", "pec", NOW, (ADDRESS,), receipt_id="<f@pec>")
    first = log.apply_receipts([bounce(), forged], "pnrr@host:993", INBOX, NOW)
    assert (first.matched, first.unknown, len(first.changes)) == (1, 1, 1)
    before = log.outbox()
    again = log.apply_receipts([bounce(), forged], "pnrr@host:993", Position("INBOX", 8, 2), NOW)
    assert (again.matched, again.repeated, again.unknown, again.changes) == (0, 1, 1, [])
    assert log.outbox().equals(before)


def test_the_position_never_goes_back_and_follows_a_new_uidvalidity(tmp_path):
    log = sent_log(tmp_path)
    assert log.position("pnrr@host:993", "INBOX") is None
    log.apply_receipts([], "pnrr@host:993", Position("INBOX", 7, 10), NOW)
    log.apply_receipts([], "pnrr@host:993", Position("INBOX", 7, 4), NOW)  # a slower reading, started earlier
    assert log.position("pnrr@host:993", "INBOX") == Position("INBOX", 7, 10)
    log.apply_receipts([], "pnrr@host:993", Position("INBOX", 9, 3), NOW)  # the folder was renumbered
    assert log.position("pnrr@host:993", "INBOX") == Position("INBOX", 9, 3)
    assert log.position("altro@host:993", "INBOX") is None  # another mailbox, another position
    with sqlite3.connect(log.path) as con:
        stored = con.execute("SELECT mailbox FROM mailbox_cursor").fetchall()
    con.close()
    assert stored and "pnrr" not in stored[0][0]  # a digest, not the username


def test_a_failure_midway_records_nothing(tmp_path, monkeypatch):
    log = sent_log(tmp_path)
    real = outcomes.apply_one

    def failing(con, message_id, *args):
        real(con, message_id, *args)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(outcomes, "apply_one", failing)
    with pytest.raises(TrackingError, match="non è utilizzabile: disk I/O error"):
        log.apply_receipts([bounce()], "pnrr@host:993", INBOX, NOW)
    monkeypatch.undo()
    assert state_of(log) == ["sent", ""] and log.position("pnrr@host:993", "INBOX") is None
    assert log.apply_receipts([bounce()], "pnrr@host:993", INBOX, NOW).matched == 1  # not counted as repeated


def test_a_receipt_read_while_the_message_was_queued_is_applied_when_it_settles(tmp_path):
    log = sent_log(tmp_path, state="queued")
    delivered = Receipt("delivered", "<m1@azienda.it>", "", "pec", NOW, (ADDRESS,), receipt_id="<c@pec>")
    assert log.apply_receipts([delivered], "pnrr@host:993", INBOX, NOW).changes == []
    assert log.settle("<m1@azienda.it>", "sent", sent_on=DAY, now=NOW) == "sent"
    assert state_of(log)[0] == "delivered"


def test_an_acceptance_proves_an_uncertain_message_left(tmp_path):
    log = sent_log(tmp_path, state="uncertain")
    assert log.summary().empty  # not a reminder yet
    accepted = Receipt("accepted", "<m1@azienda.it>", "", "pec", NOW, (), receipt_id="<a@pec>")
    done = log.apply_receipts([accepted], "pnrr@host:993", INBOX, NOW, tz="Europe/Rome")
    assert [c.line() for c in done.changes] == ["in attesa di ricevuta (era esito incerto): Avella (A508)"]
    assert log.blocked().empty
    assert log.summary().loc["A508", ["reminders_sent", "last_reminder", "last_outcome"]].to_dict() == {
        "reminders_sent": 1, "last_reminder": "2023-09-20", "last_outcome": "sent",
    }  # fmt: skip


V3 = """
CREATE TABLE reminders (id INTEGER PRIMARY KEY, comune_key TEXT NOT NULL, comune TEXT NOT NULL,
    sent_on TEXT NOT NULL, channel TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', batch TEXT NOT NULL,
    recorded_at TEXT NOT NULL);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, comune_key TEXT NOT NULL, comune TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL, batch TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, handed_at REAL);
CREATE TABLE comune_ids (ident TEXT NOT NULL, comune_key TEXT NOT NULL, PRIMARY KEY (ident, comune_key)) WITHOUT ROWID;
INSERT INTO reminders VALUES (1, 'A508', 'Avella', '2023-09-20', 'email', 'inviato dal tracker', 'b1', '');
INSERT INTO outbox VALUES (1, 'A508', 'Avella', '<m1@azienda.it>', 'email', 'sent', '', 'host:1', 'b1', '', '', 0);
INSERT INTO comune_ids VALUES ('catasto:A508', 'A508');
PRAGMA user_version = 3;
"""


def test_a_log_of_version_3_is_read_unchanged_then_migrated_keeping_everything(tmp_path):
    path = tmp_path / "promemoria.sqlite3"
    with sqlite3.connect(path) as con:
        con.executescript(V3)
    con.close()
    before = path.read_bytes()
    log = ReminderLog(path)
    assert log.summary().loc["A508", ["reminders_sent", "last_counted", "last_outcome"]].to_dict() == {
        "reminders_sent": 1, "last_counted": "2023-09-20", "last_outcome": "sent",
    }  # fmt: skip
    assert log.bounced_among([ADDRESS]) == frozenset() and log.position("pnrr@host:993", "INBOX") is None
    assert path.read_bytes() == before  # reading never writes

    # Its message was sent before the addresses were kept: the bounce's own recipient is taken.
    log.apply_receipts([bounce()], "pnrr@host:993", INBOX, NOW)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert con.execute("SELECT COUNT(*) FROM reminders").fetchone()[0] == 1
    con.close()
    assert state_of(log)[0] == "bounced" and log.bounced_among([ADDRESS]) == {ADDRESS}


def test_ctrl_c_while_the_receipts_are_applied_records_nothing(tmp_path, monkeypatch):
    """Stopped in the middle of applying (Ctrl-C, SIGTERM): one line, exit 130, the log as it was."""
    log = sent_log(tmp_path)
    (tmp_path / "rollout.toml").write_text('[reminders]\ndatabase = "promemoria.sqlite3"\n', encoding="utf-8")
    (tmp_path / "secrets.toml").write_text(
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "pnrr"\npassword = "segreta"\n', encoding="utf-8"
    )

    def mailbox(settings, since=None, connect=None):
        return [bounce(), bounce(own="<dsn-2@mx>")], Cursor("INBOX", 7, 2)

    def stopped(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(reading, "read_new", mailbox)
    monkeypatch.setattr(outcomes, "apply_one", stopped)
    result = run_cli("reminders", "receipts", "--config", tmp_path / "rollout.toml", "--secrets",
                     tmp_path / "secrets.toml")  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (
        130, "", "errore: interrotto (Ctrl-C): nessuna ricevuta registrata; rilancia per leggerle\n",
    )  # fmt: skip
    assert state_of(log) == ["sent", ""] and log.position("pnrr@127.0.0.1:143", "INBOX") is None
