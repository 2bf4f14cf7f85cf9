"""What happened to each message sent: receipts, bounces and replies applied to the outbox.

A message goes on from ``sent`` to ``delivered``, ``bounced`` (with the reason, in Italian) or
``replied`` (``rollout.reminders.receipts.outcome_state``). Every receipt applied is kept by its own
id (``receipts``), so reading the mailbox again never counts one twice, even after the server
renumbered the folder; where the last read stopped (``mailbox_cursor``, per mailbox and folder) is
written in the same transaction. Receipts naming a message the tracker never sent change nothing.

The address each message went to is kept as a keyed digest (BLAKE2b in its keyed mode, a MAC, with
a random key of the log, ``meta``): enough to recognise an address given again ("did this one
bounce?"), never to read it back from the file, nor to match it against another log. An address a bounce names is not used again (``bounced_among``); a
comune whose address bounced counts as not reminded by that message, so the next send may go to
its next address at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from rollout.reminders.receipts import Receipt, outcome_state

# The states a message the server accepted can be in, and how the pages name them.
TRACKED = ("sent", "delivered", "bounced", "replied")
OUTCOME_LABELS = {
    "sent": "in attesa di ricevuta",
    "delivered": "consegnato",
    "bounced": "respinto",
    "replied": "risposta ricevuta",
}
# Version 4 of the log: the receipts applied, where each mailbox's reading stopped, the log's own key.
OUTCOMES_SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY,
    receipt_id TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    named TEXT NOT NULL DEFAULT '',
    received_at TEXT,
    read_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_by_message ON receipts (message_id);
CREATE TABLE IF NOT EXISTS mailbox_cursor (
    mailbox TEXT NOT NULL,
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (mailbox, folder)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
# Columns version 4 adds to the outbox: the digest of the address, and whether a bounce named it.
OUTBOX_COLUMNS = {"recipient": "TEXT", "address_bounced": "INTEGER NOT NULL DEFAULT 0"}
# A reminder whose message bounced on an address known to be dead does not count as a reminder
# (``r`` is the reminders table): the comune was not reached.
NOT_BOUNCED = (
    "NOT EXISTS (SELECT 1 FROM outbox o WHERE o.comune_key = r.comune_key AND o.batch = r.batch"
    " AND o.state = 'bounced' AND o.address_bounced = 1)"
)
_KEY_NAME = "address_key"


def outcome_text(state: str, detail: str = "", short: bool = False) -> str:
    """«consegnato», «respinto: indirizzo inesistente: 550 5.1.1 …», «risposta ricevuta», «in attesa di
    ricevuta»; "". ``short``: the reason's first words only, the Italian ones («respinto: indirizzo
    inesistente», «respinto: mancata consegna PEC»), for a table's column."""
    label = OUTCOME_LABELS.get(state, "")
    if short:
        detail = detail.split(": ", 1)[0]
    return f"{label}: {detail}" if state == "bounced" and detail else label


@lru_cache(maxsize=65536)  # the same addresses are asked about at every page view
def digest(key: bytes, address: str) -> str:
    """The keyed digest of an address (case and spaces aside)."""
    return hashlib.blake2b(address.strip().lower().encode("utf-8"), key=key, digest_size=16).hexdigest()


def log_key(con: sqlite3.Connection, create: bool = False) -> bytes | None:
    """The log's own key (made on first need when ``create``); None in a file that has none yet."""
    if "meta" not in tables(con):
        return None
    row = con.execute("SELECT value FROM meta WHERE name = ?", (_KEY_NAME,)).fetchone()
    if row is None and create:
        row = (os.urandom(32).hex(),)
        con.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (_KEY_NAME, row[0]))
    return bytes.fromhex(row[0]) if row else None


def tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in con.execute(f"PRAGMA table_info({table})")}


def migrate_outcomes(con: sqlite3.Connection) -> None:
    """Bring a file to version 4 (inside the caller's transaction)."""
    present = columns(con, "outbox")
    for name, kind in OUTBOX_COLUMNS.items():
        if name not in present:
            con.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")
    for statement in OUTCOMES_SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    log_key(con, create=True)


@dataclass(frozen=True)
class Change:
    """A message whose state a receipt changed."""

    comune_key: str
    comune: str
    message_id: str
    before: str
    after: str
    reason: str = ""

    def line(self) -> str:
        """«consegnato: Lioni (064045)», «respinto: Avella (064007): casella inesistente»."""
        key, comune = self.comune_key, self.comune
        label = key if key.startswith(f"{comune} (") or key == comune else f"{comune} ({key})"  # «Name (PR)» as is
        what = OUTCOME_LABELS.get(self.after, self.after)
        if self.before == "uncertain":
            what += " (era esito incerto)"
        return f"{what}: {label}" + (f": {self.reason}" if self.after == "bounced" and self.reason else "")


@dataclass
class Applied:
    """What one reading did: the changes, and how many messages were of each kind."""

    changes: list[Change] = field(default_factory=list)
    read: int = 0  # messages read from the mailbox
    matched: int = 0  # receipts, bounces and replies of messages the tracker sent, recorded now
    repeated: int = 0  # recorded by an earlier reading
    unknown: int = 0  # naming a message the tracker never sent (or none)
    unrelated: int = 0  # neither receipts, nor bounces, nor replies


@dataclass(frozen=True)
class Position:
    """Where the last reading of one mailbox's folder stopped."""

    folder: str
    uidvalidity: int
    last_uid: int


class OutcomeBook:
    """The outbox's outcomes; mixed into ``ReminderLog`` (which gives ``_read`` and ``_write``)."""

    def position(self, mailbox: str, folder: str) -> Position | None:
        """Where the last reading of ``folder`` of ``mailbox`` (host, port and username) stopped; None at first."""
        if not self.path.exists():  # type: ignore[attr-defined]
            return None
        with self._read() as con:  # type: ignore[attr-defined]
            key = log_key(con)
            if key is None or "mailbox_cursor" not in tables(con):
                return None
            row = con.execute(
                "SELECT uidvalidity, last_uid FROM mailbox_cursor WHERE mailbox = ? AND folder = ?",
                (digest(key, mailbox), folder),
            ).fetchone()
        return Position(folder, int(row[0]), int(row[1])) if row else None

    def apply_receipts(
        self,
        receipts: Sequence[Receipt],
        mailbox: str,
        position: Position,
        now: dt.datetime | None = None,
        tz: str = "Europe/Rome",
    ) -> Applied:
        """Apply what the mailbox said and move its position, in one transaction: all or nothing.

        Each receipt is matched by the Message-IDs it refers to (the most likely first); one already
        recorded (its ``receipt_id``) or naming no message of the outbox changes nothing. ``tz``: the
        day a message of uncertain outcome proved sent is recorded as a reminder."""
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        done = Applied(read=len(receipts))
        with self._write() as con:  # type: ignore[attr-defined]
            key = log_key(con, create=True)
            assert key is not None
            for receipt in receipts:
                if receipt.kind == "unrelated":
                    done.unrelated += 1
                    continue
                if con.execute("SELECT 1 FROM receipts WHERE receipt_id = ?", (receipt.receipt_id,)).fetchone():
                    done.repeated += 1
                    continue
                message = _message(con, receipt.refers_to)
                if message is None:
                    done.unknown += 1
                    continue
                named = " ".join(digest(key, a) for a in receipt.recipients)
                when = receipt.when.isoformat(timespec="seconds") if receipt.when else None
                con.execute(
                    "INSERT INTO receipts (receipt_id, message_id, kind, reason, named, received_at, read_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (receipt.receipt_id, message, receipt.kind, receipt.reason, named, when, stamp),
                )
                done.matched += 1
                change = apply_one(con, message, receipt.kind, receipt.reason, named.split(), stamp, tz)
                if change is not None:
                    done.changes.append(change)
            _move(con, digest(key, mailbox), position, stamp)
        return done

    def bounced_among(self, addresses: Iterable[str]) -> frozenset[str]:
        """Those of ``addresses`` a bounce named, whose message has not been delivered or answered since."""
        wanted = {str(a) for a in addresses if str(a).strip()}
        if not wanted or not self.path.exists():  # type: ignore[attr-defined]
            return frozenset()
        with self._read() as con:  # type: ignore[attr-defined]
            key = log_key(con)
            if key is None or "recipient" not in columns(con, "outbox"):
                return frozenset()
            dead = {
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT recipient FROM outbox WHERE state = 'bounced' AND address_bounced = 1"
                )
            }
        return frozenset(a for a in wanted if digest(key, a) in dead) if dead else frozenset()


def _message(con: sqlite3.Connection, ids: Iterable[str]) -> str | None:
    for message_id in ids:
        if con.execute("SELECT 1 FROM outbox WHERE message_id = ?", (message_id,)).fetchone():
            return message_id
    return None


def apply_one(
    con: sqlite3.Connection, message_id: str, kind: str, reason: str, named: list[str], stamp: str, tz: str
) -> Change | None:
    """One receipt's effect on its message (inside the caller's transaction); the change, or None."""
    row = con.execute(
        "SELECT comune_key, comune, state, detail, recipient, address_bounced, channel, batch, created_at"
        " FROM outbox WHERE message_id = ?",
        (message_id,),
    ).fetchone()
    key, comune, before, detail, recipient, dead, channel, batch, created = row
    after = outcome_state(before, kind)
    if kind == "bounced" and after == "bounced" and named:
        if recipient is None and len(named) == 1:  # sent before version 4: the bounce names the address
            recipient = named[0]
        dead = 1 if recipient in named else dead
    if after == before and (recipient, dead) == row[4:6]:
        return None
    if after != before:
        detail = reason if after == "bounced" else ""
    con.execute(
        "UPDATE outbox SET state = ?, detail = ?, recipient = ?, address_bounced = ?, updated_at = ?"
        " WHERE message_id = ?",
        (after, detail, recipient, dead, stamp, message_id),
    )
    if before == "uncertain" and after != before:  # it did leave: a reminder, as ``settle`` records one
        day = _local_day(created, tz)
        con.execute(
            "INSERT INTO reminders (comune_key, comune, sent_on, channel, note, batch, recorded_at)"
            " VALUES (?, ?, ?, ?, 'inviato dal tracker', ?, ?)",
            (key, comune, day, channel, batch, stamp),
        )
    return (
        Change(key, comune, message_id, before, after, reason if after == "bounced" else "")
        if after != before
        else None
    )


def replay(con: sqlite3.Connection, message_id: str, stamp: str, tz: str = "Europe/Rome") -> None:
    """Apply again the receipts recorded while the message was still ``queued`` (read meanwhile)."""
    if "receipts" not in tables(con):
        return
    found = con.execute(
        "SELECT kind, reason, named FROM receipts WHERE message_id = ? ORDER BY id", (message_id,)
    ).fetchall()
    for kind, reason, named in found:
        apply_one(con, message_id, kind, reason, named.split(), stamp, tz)


def _move(con: sqlite3.Connection, mailbox: str, position: Position, stamp: str) -> None:
    """Store the position; another reading that went further meanwhile (same UIDVALIDITY) is kept."""
    row = con.execute(
        "SELECT uidvalidity, last_uid FROM mailbox_cursor WHERE mailbox = ? AND folder = ?", (mailbox, position.folder)
    ).fetchone()
    last = position.last_uid
    if row and row[0] == position.uidvalidity:
        last = max(last, int(row[1]))
    con.execute(
        "INSERT OR REPLACE INTO mailbox_cursor (mailbox, folder, uidvalidity, last_uid, read_at) VALUES (?, ?, ?, ?, ?)",
        (mailbox, position.folder, position.uidvalidity, last, stamp),
    )


def _local_day(stamp: str, tz: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return dt.date.today().isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()
