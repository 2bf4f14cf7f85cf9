"""Which reminders were sent, when and how: a small local SQLite file (WAL mode, transactions).

As survey tools do for their participants, the project manager marks a reminder as sent (one
comune or a whole list, with the date and the channel); the marks survive restarts and several
browser sessions (or the command line) writing at once. Only the comune's key and name, the date,
the channel and an optional note are stored: no names or addresses of people.

A comune is one comune whatever identified it: each key is stored with every identifier of its
comune (ISTAT and catasto code, name and province: ``rollout.reminders.identity``), and a comune
is found again under any of them, so a list that gains codes or is replaced by the open-data file
never makes a comune reminded look new.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rollout.config import Config
from rollout.errors import InputError
from rollout.keys import MarkCols as M
from rollout.reminders.identity import joined, key_identifiers
from rollout.reminders.outcomes import (
    NOT_BOUNCED,
    TRACKED,
    OutcomeBook,
    columns,
    digest,
    log_key,
    migrate_outcomes,
    replay,
)

CHANNELS = {"email": "email", "pec": "PEC", "phone": "telefono", "other": "altro"}
SCHEMA_VERSION = 4  # 2: the outbox of the messages sent by SMTP; 3: identifiers, hand-over times;
# 4: the receipts read from the mailbox, the outcomes, the digest of each message's address (outcomes.py)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id INTEGER PRIMARY KEY,
    comune_key TEXT NOT NULL,
    comune TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    channel TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    batch TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_by_comune ON reminders (comune_key);
CREATE INDEX IF NOT EXISTS reminders_by_batch ON reminders (batch);
"""
_OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    comune_key TEXT NOT NULL,
    comune TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL,
    batch TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    handed_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_by_comune ON outbox (comune_key, state);
"""
_SCHEMA += _OUTBOX_SCHEMA
# Version 3: every identifier of the comune behind each key, and when each message was reserved
# (seconds since the epoch: the per-minute limit counts the messages of every process).
_IDENTITY_SCHEMA = """
CREATE TABLE IF NOT EXISTS comune_ids (
    ident TEXT NOT NULL,
    comune_key TEXT NOT NULL,
    PRIMARY KEY (ident, comune_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS comune_ids_by_key ON comune_ids (comune_key);
CREATE INDEX IF NOT EXISTS outbox_by_time ON outbox (handed_at);
"""
SUMMARY_COLUMNS = (M.REMINDERS_SENT, M.LAST_REMINDER, M.LAST_CHANNEL, M.LAST_COUNTED, M.LAST_OUTCOME, M.OUTCOME_DETAIL)
# The outbox: a message is written ``queued`` before it is handed to the server, then ``sent`` (and
# a reminder is recorded with it), ``refused`` or ``failed``; ``uncertain`` when the connection broke
# after the message was handed over. A ``queued`` or ``uncertain`` row blocks its comune: it is
# never sent again until someone has checked (``release``). The mailbox then tells what became of a
# ``sent`` message: ``delivered``, ``bounced`` or ``replied`` (``rollout.reminders.outcomes``).
OUTBOX_STATES = ("queued", "sent", "refused", "failed", "uncertain")
BLOCKING = ("queued", "uncertain")


class TrackingError(InputError):
    """The reminders file cannot be used (corrupt, locked, not writable); the message says why."""


def comune_key(code: str, name: str, province: str) -> str:
    """How marks refer to a comune: its code when the list has one, else ``Name (PR)``."""
    code, name, province = str(code).strip(), str(name).strip(), str(province).strip().upper()
    if code:
        return code
    return f"{name} ({province})" if province else name


def comune_keys(code: pd.Series, name: pd.Series, province: pd.Series) -> list[str]:
    """``comune_key`` for whole columns."""
    return [comune_key(c, n, p) for c, n, p in zip(code, name, province, strict=True)]


def database_path(config: Config) -> Path:
    """``[reminders] database`` (relative to the configuration file), else ``promemoria.sqlite3`` beside it."""
    path = Path(config.reminders.database).expanduser()
    if not path.is_absolute():
        base = config.path.resolve().parent if config.path else Path.cwd()
        path = base / path
    return path


@dataclass(frozen=True)
class Mark:
    """A reminder to record: the comune's key, its name as listed and, when known, every identifier
    of the comune (``identity.identifiers``); without them they are derived from the key and name."""

    key: str
    comune: str
    ids: tuple[str, ...] = ()

    def identifiers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.ids, *key_identifiers(self.key, self.comune))))


def _stamp(now: dt.datetime | None) -> str:
    return (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")


class ReminderLog(OutcomeBook):
    """The marks in one SQLite file; created on first write, every write one transaction."""

    def __init__(self, path: str | Path, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._held: sqlite3.Connection | None = None

    @contextmanager
    def held(self):
        """One connection for many transactions (a sending run): opening and closing one per write
        costs a checkpoint each time. Every write is still its own transaction."""
        if self._held is not None:
            yield self
            return
        with closing(self._connect()) as con:
            self._held = con
            try:
                yield self
            finally:
                self._held = None

    # -- writing ----------------------------------------------------------------------------------
    def record(
        self, marks: Iterable[Mark], sent_on: dt.date, channel: str, note: str = "", now: dt.datetime | None = None
    ) -> str:
        """Mark reminders as sent, all or none; returns the batch id (to undo them together)."""
        if channel not in CHANNELS:
            raise InputError(f"Canale sconosciuto: '{channel}'. Canali ammessi: {', '.join(CHANNELS)}.")
        marks = list(dict.fromkeys(marks))
        if not marks:
            raise InputError("Nessun comune da registrare.")
        batch = uuid.uuid4().hex
        recorded = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        rows = [(m.key, m.comune, sent_on.isoformat(), channel, note.strip(), batch, recorded) for m in marks]
        with self._write() as con:
            con.executemany(
                "INSERT INTO reminders (comune_key, comune, sent_on, channel, note, batch, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            for mark in marks:
                _remember(con, mark.key, mark.identifiers())
        return batch

    def undo(self, batch: str) -> int:
        """Remove the marks of one batch; returns how many were removed."""
        if not self.path.exists():
            return 0
        with self._write() as con:
            return con.execute("DELETE FROM reminders WHERE batch = ?", (batch,)).rowcount

    # -- the outbox of messages sent by SMTP -------------------------------------------------------
    def claim(
        self,
        mark: Mark,
        since: dt.date,
        message_id: str,
        channel: str,
        owner: str,
        batch: str,
        now: dt.datetime | None = None,
        *,
        per_minute: int | None = None,
        at: float | None = None,
        address: str = "",
    ) -> str:
        """Reserve one comune's message before it goes to the server: "" when reserved, else why not:
        ``reminded|<day>|<channel>``, ``queued|<owner>|<message id>``, ``uncertain|<owner>|<message id>``,
        or ``wait|<seconds>`` when ``per_minute`` messages were reserved in the 60 seconds before ``at``.

        One transaction checks that the comune (under any of its identifiers) has no reminder since
        ``since`` (any channel) and no message queued or of uncertain outcome, and that the limit
        per minute leaves room (the messages of every process count), then writes the message
        ``queued``: two processes (or two clicks) can never both reserve the same comune, nor
        together pass the limit. ``at``: seconds since the epoch (``time.time()``). A reminder whose
        message bounced on a dead address does not count. ``address``: where the message goes (kept
        as a keyed digest, to recognise it in a bounce).
        """
        stamp = _stamp(now)
        at = time.time() if at is None else at
        with self._write() as con:
            keys = _keys_of(con, mark)
            marks = ", ".join("?" * len(keys))
            last = con.execute(
                f"SELECT sent_on, channel FROM reminders r WHERE comune_key IN ({marks}) AND sent_on >= ?"
                f" AND {NOT_BOUNCED} ORDER BY sent_on DESC, id DESC LIMIT 1",
                (*keys, since.isoformat()),
            ).fetchone()
            if last:
                return f"reminded|{last[0]}|{last[1]}"
            busy = con.execute(
                f"SELECT state, owner, message_id FROM outbox WHERE comune_key IN ({marks}) AND state IN (?, ?)"
                " LIMIT 1",
                (*keys, *BLOCKING),
            ).fetchone()
            if busy:
                return "|".join(busy)
            if per_minute is not None:
                recent = [row[0] for row in con.execute(
                    "SELECT handed_at FROM outbox WHERE handed_at > ? AND handed_at < ? ORDER BY handed_at",
                    (at - 60, at + 60),  # a clock set back counts its "future" messages too
                )]  # fmt: skip
                if len(recent) >= per_minute:
                    return f"wait|{max(recent[len(recent) - per_minute] + 60 - at, 0.01)}"
            key = log_key(con, create=True)
            assert key is not None
            con.execute(
                "INSERT INTO outbox (comune_key, comune, message_id, channel, state, owner, batch, created_at,"
                " updated_at, handed_at, recipient) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                (mark.key, mark.comune, message_id, channel, owner, batch, stamp, stamp, at,
                 digest(key, address) if address else None),
            )  # fmt: skip
            _remember(con, mark.key, mark.identifiers())
        return ""

    def settle(
        self,
        message_id: str,
        state: str,
        detail: str = "",
        sent_on: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> str:
        """The outcome of a queued message; ``sent`` also records the reminder, in the same transaction.

        Only a ``queued`` message changes: the state it has afterwards is returned (an outcome
        already recorded is never overwritten, e.g. ``sent`` by an interruption just after it).
        Receipts of the message read from the mailbox meanwhile are applied then."""
        if state not in OUTBOX_STATES:
            raise ValueError(state)
        stamp = _stamp(now)
        with self._write() as con:
            row = con.execute(
                "SELECT comune_key, comune, channel, batch, state FROM outbox WHERE message_id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise TrackingError(f"Messaggio {message_id} assente dal registro dei promemoria {self.path}.")
            if row[4] != "queued":
                return row[4]
            con.execute(
                "UPDATE outbox SET state = ?, detail = ?, updated_at = ? WHERE message_id = ?",
                (state, detail, stamp, message_id),
            )
            if state == "sent":
                con.execute(
                    "INSERT INTO reminders (comune_key, comune, sent_on, channel, note, batch, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        row[0],
                        row[1],
                        (sent_on or dt.date.today()).isoformat(),
                        row[2],
                        "inviato dal tracker",
                        row[3],
                        stamp,
                    ),
                )
            if state in ("sent", "uncertain"):
                replay(con, message_id, stamp)
                final = con.execute("SELECT state FROM outbox WHERE message_id = ?", (message_id,)).fetchone()[0]
                state = "sent" if final in TRACKED else final  # a receipt proved an uncertain one left
        return state

    def blocked(self) -> pd.DataFrame:
        """The messages queued or of uncertain outcome: comune key and name, state, owner, last change,
        and ``ids``, every identifier of the comune (space-separated)."""
        columns = ["comune_key", "comune", "state", "owner", "updated_at", "message_id"]
        if not self.path.exists():
            return pd.DataFrame(columns=[*columns, "ids"])
        with self._read() as con:
            rows = con.execute(
                f"SELECT {', '.join(columns)} FROM outbox WHERE state IN (?, ?) ORDER BY id", BLOCKING
            ).fetchall()
            ids = _identifiers(con, {row[0]: row[1] for row in rows})
        frame = pd.DataFrame(rows, columns=columns)
        frame["ids"] = [ids[key] for key in frame["comune_key"]]
        return frame

    def release(self, message_ids: Iterable[str], now: dt.datetime | None = None) -> int:
        """Mark messages of uncertain outcome as not sent (after checking the sent folder)."""
        ids = list(message_ids)
        if not ids or not self.path.exists():
            return 0
        with self._write() as con:
            return sum(
                con.execute(
                    "UPDATE outbox SET state = 'failed', detail = 'esito incerto, liberato per un nuovo invio',"
                    " updated_at = ? WHERE message_id = ? AND state IN (?, ?)",
                    (_stamp(now), i, *BLOCKING),
                ).rowcount
                for i in ids
            )

    def outbox(self) -> pd.DataFrame:
        """Every message of the outbox, oldest first (no addresses: they are not stored)."""
        columns = ["comune_key", "comune", "message_id", "channel", "state", "detail", "batch", "updated_at"]
        if not self.path.exists():
            return pd.DataFrame(columns=columns)
        with self._read() as con:
            rows = con.execute(f"SELECT {', '.join(columns)} FROM outbox ORDER BY id").fetchall()
        return pd.DataFrame(rows, columns=columns)

    # -- reading ----------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Per comune key: reminders sent, the date of the last one (ISO), its channel, ``ids`` (every
        identifier of the comune, space-separated: ``drafts`` finds a comune by any of them),
        ``last_counted`` (the last reminder that counts for the resend interval: not one whose message
        bounced on a dead address), and the outcome of the last message sent by the tracker:
        ``last_outcome`` (one of ``TRACKED``, or ""), ``outcome_detail`` (why it bounced) and
        ``outcome_order`` (which message is more recent, 0 for none)."""
        names = [M.REMINDERS_SENT, M.LAST_REMINDER, M.LAST_CHANNEL, M.IDS, M.LAST_COUNTED, M.LAST_OUTCOME,
                 M.OUTCOME_DETAIL, M.OUTCOME_ORDER]  # fmt: skip
        empty = pd.DataFrame(
            {n: pd.Series(dtype=int if n in (M.REMINDERS_SENT, M.OUTCOME_ORDER) else str) for n in names},
            index=pd.Index([], name=M.COMUNE_KEY, dtype=str),
        )
        if not self.path.exists():
            return empty
        with self._read() as con:
            counted = NOT_BOUNCED if "address_bounced" in columns(con, "outbox") else "1"
            rows = con.execute(f"""
                SELECT comune_key, MAX(comune), COUNT(*) AS n,
                       (SELECT r2.sent_on || '|' || r2.channel FROM reminders r2 WHERE r2.comune_key = r.comune_key
                        ORDER BY r2.sent_on DESC, r2.id DESC LIMIT 1) AS last,
                       COALESCE(MAX(CASE WHEN {counted} THEN sent_on END), '')
                FROM reminders r GROUP BY comune_key
            """).fetchall()  # fmt: skip
            ids = _identifiers(con, {row[0]: row[1] for row in rows})
            outcomes = {
                key: (state, detail, order)
                for key, order, state, detail in con.execute(
                    f"SELECT comune_key, id, state, detail FROM outbox WHERE state IN ({', '.join('?' * len(TRACKED))})"
                    " ORDER BY id",
                    TRACKED,
                )
            }
        if not rows:
            return empty
        keys, _, counts, last, counted_on = zip(*rows, strict=True)
        dates, channels = zip(*(value.split("|", 1) for value in last), strict=True)
        outcome = [outcomes.get(key, ("", "", 0)) for key in keys]
        return pd.DataFrame(
            {M.REMINDERS_SENT: list(counts), M.LAST_REMINDER: list(dates), M.LAST_CHANNEL: list(channels),
             M.IDS: [ids[key] for key in keys], M.LAST_COUNTED: list(counted_on),
             M.LAST_OUTCOME: [o[0] for o in outcome], M.OUTCOME_DETAIL: [o[1] for o in outcome],
             M.OUTCOME_ORDER: [o[2] for o in outcome]},
            index=pd.Index(list(keys), name=M.COMUNE_KEY, dtype=str),
        )  # fmt: skip

    def history(self, key: str) -> pd.DataFrame:
        """Every reminder of one comune, most recent first."""
        columns = ["sent_on", "channel", "note", "recorded_at"]
        if not self.path.exists():
            return pd.DataFrame(columns=columns)
        with self._read() as con:
            rows = con.execute(
                "SELECT sent_on, channel, note, recorded_at FROM reminders WHERE comune_key = ?"
                " ORDER BY sent_on DESC, id DESC",
                (key,),
            ).fetchall()
        return pd.DataFrame(rows, columns=columns)

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._read() as con:
            return int(con.execute("SELECT COUNT(*) FROM reminders").fetchone()[0])

    # -- connections ------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        """A connection for writing: folder and file created if needed (the file readable by its owner only)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise TrackingError(
                f"Impossibile creare la cartella del registro dei promemoria {self.path.parent}: {err.strerror or err}."
            ) from None
        try:
            # SQLite gives its -wal and -shm files the permissions of the database file.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as err:
            raise TrackingError(
                f"Il registro dei promemoria {self.path} non si può creare: {err.strerror or err}."
            ) from None
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as err:
            raise self._error(err) from None
        try:
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode = WAL")
            if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                _migrate(con)
        except BaseException as err:
            if con.in_transaction:
                con.execute("ROLLBACK")
            con.close()
            if isinstance(err, sqlite3.Error):
                raise self._error(err) from None
            raise
        return con

    @contextmanager
    def _connection(self):
        if self._held is not None:
            yield self._held
        else:
            with closing(self._connect()) as con:
                yield con

    @contextmanager
    def _write(self):
        with self._connection() as con:
            try:
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except BaseException as err:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):
                    raise self._error(err) from None
                raise

    def _connect_read_only(self) -> sqlite3.Connection:
        """A connection that never writes: works in a read-only folder or on a read-only file.

        In WAL mode a reader needs the -shm file; where it cannot be created (a read-only folder,
        so no writer can be there either) the file is opened as immutable.
        """
        uri = self.path.resolve().as_uri()
        errors: list[sqlite3.Error] = []  # one per way tried: each either connects or fails
        for options in ("mode=ro", "mode=ro&immutable=1"):
            con = None
            try:
                con = sqlite3.connect(f"{uri}?{options}", uri=True, timeout=self.timeout, isolation_level=None)
                con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                return con
            except sqlite3.Error as err:
                if con is not None:
                    con.close()
                errors.append(err)
                text = str(err).lower()
                if not ("unable to open" in text or "readonly" in text or "read-only" in text):
                    break
        raise self._error(errors[-1])

    @contextmanager
    def _read(self):
        if self._held is not None:  # a sending run's own connection
            try:
                yield self._held
            except sqlite3.Error as err:
                raise self._error(err) from None
            return
        con = self._connect_read_only()
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "reminders" not in tables:
                con.close()  # created but never written to: no reminders
                con = sqlite3.connect(":memory:")
                con.executescript(_SCHEMA)
            elif "outbox" not in tables:  # a log from before sending by SMTP: nothing was sent that way
                con.executescript(_OUTBOX_SCHEMA.replace("EXISTS outbox", "EXISTS temp.outbox"))
            yield con
        except sqlite3.Error as err:
            raise self._error(err) from None
        finally:
            con.close()

    def _error(self, err: sqlite3.Error) -> TrackingError:
        text = str(err).lower()
        where = f"Il registro dei promemoria {self.path}"
        if "locked" in text or "busy" in text:
            return TrackingError(f"{where} è bloccato da un altro programma: riprova tra qualche secondo.")
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return TrackingError(
                f"{where} è danneggiato o non è un file SQLite: spostalo altrove (i promemoria già registrati "
                "sono lì dentro) e ne verrà creato uno nuovo."
            )
        if "readonly" in text or "read-only" in text:
            return TrackingError(f"{where} è di sola lettura: controlla i permessi del file e della cartella.")
        if "unable to open" in text:
            return TrackingError(f"{where} non si può aprire: controlla che la cartella esista e sia scrivibile.")
        return TrackingError(f"{where} non è utilizzabile: {err}.")


def _migrate(con: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction (another process may be doing the same:
    the version is read again once the file is reserved). Version 3 stores the identifiers of the
    keys already recorded, derived from each key and name; version 4 adds the outcomes (outcomes.py)."""
    con.execute("BEGIN IMMEDIATE")
    if con.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        con.execute("COMMIT")
        return
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    if "handed_at" not in {row[1] for row in con.execute("PRAGMA table_info(outbox)")}:
        con.execute("ALTER TABLE outbox ADD COLUMN handed_at REAL")
    for statement in _IDENTITY_SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    known = con.execute(
        "SELECT comune_key, MAX(comune) FROM (SELECT comune_key, comune FROM reminders"
        " UNION ALL SELECT comune_key, comune FROM outbox) GROUP BY comune_key"
    ).fetchall()
    for key, comune in known:
        _remember(con, key, key_identifiers(key, comune))
    migrate_outcomes(con)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    con.execute("COMMIT")


def _remember(con: sqlite3.Connection, key: str, ids: Iterable[str]) -> None:
    con.executemany("INSERT OR IGNORE INTO comune_ids (ident, comune_key) VALUES (?, ?)", [(i, key) for i in ids])


def _keys_of(con: sqlite3.Connection, mark: Mark) -> list[str]:
    """The keys recorded for the comune of ``mark``: its own and those sharing one of its identifiers."""
    ids = mark.identifiers()
    keys = {mark.key}
    if ids:
        found = con.execute(
            f"SELECT DISTINCT comune_key FROM comune_ids WHERE ident IN ({', '.join('?' * len(ids))})", ids
        )
        keys.update(row[0] for row in found)
    return sorted(keys)


def _identifiers(con: sqlite3.Connection, names: dict[str, str]) -> dict[str, str]:
    """Key -> its comune's identifiers (space-separated), for the keys of ``names`` (key -> name).

    From the file; a file from before version 3 (read without changing it) has none: they are
    derived from each key and name, as the migration would."""
    stored = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "comune_ids" not in stored:
        return {key: joined(key_identifiers(key, name)) for key, name in names.items()}
    found: dict[str, list[str]] = {key: [] for key in names}
    for key, ident in con.execute("SELECT comune_key, ident FROM comune_ids ORDER BY comune_key, ident"):
        if key in found:
            found[key].append(ident)
    # A key without identifiers was written by an older version still running: derived as the migration does.
    return {key: joined(ids or key_identifiers(key, names[key])) for key, ids in found.items()}
