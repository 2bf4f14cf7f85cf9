"""The steering committee's summaries in the reminders' log: one per day, never sent twice.

A small table beside the outbox (``summaries``), written as the outbox is: the day's summary is
reserved ``queued`` in one transaction before it goes to the server (``claim_summary``), then
``sent``, ``failed`` (never handed over: it may be reserved again) or ``uncertain`` (the server
may have it). A summary ``queued``, ``sent`` or ``uncertain`` holds its day: a second run that day,
or a run after a crash, never sends another. No addresses are stored, only how many.
"""

from __future__ import annotations

import datetime as dt

from rollout.reminders.log import ReminderLog, TrackingError

SUMMARY_STATES = ("queued", "sent", "failed", "uncertain")
_TABLE = """
CREATE TABLE IF NOT EXISTS summaries (
    day TEXT PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    recipients INTEGER NOT NULL,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


class WeeklyLog(ReminderLog):
    """The reminders' log with the summaries' table (created on first use)."""

    def claim_summary(self, day: dt.date, message_id: str, owner: str, recipients: int) -> str:
        """Reserve the summary of ``day``: "" when reserved, else the state of the one that holds
        the day (``queued``, ``sent`` or ``uncertain``). A ``failed`` one is reserved again."""
        stamp = _now()
        with self._write() as con:
            con.execute(_TABLE)
            row = con.execute("SELECT state FROM summaries WHERE day = ?", (day.isoformat(),)).fetchone()
            if row and row[0] != "failed":
                return str(row[0])
            con.execute(
                "INSERT INTO summaries (day, message_id, state, recipients, owner, created_at, updated_at)"
                " VALUES (?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET message_id = excluded.message_id,"
                " state = 'queued', detail = '', recipients = excluded.recipients, owner = excluded.owner,"
                " updated_at = excluded.updated_at",
                (day.isoformat(), message_id, recipients, owner, stamp, stamp),
            )
        return ""

    def settle_summary(self, message_id: str, state: str, detail: str = "") -> str:
        """The outcome of a queued summary; the state it has afterwards (only ``queued`` changes)."""
        if state not in SUMMARY_STATES:
            raise ValueError(state)
        with self._write() as con:
            con.execute(_TABLE)
            row = con.execute("SELECT state FROM summaries WHERE message_id = ?", (message_id,)).fetchone()
            if row is None:
                raise TrackingError(f"Riepilogo {message_id} assente dal registro dei promemoria {self.path}.")
            if row[0] != "queued":
                return str(row[0])
            con.execute(
                "UPDATE summaries SET state = ?, detail = ?, updated_at = ? WHERE message_id = ?",
                (state, detail, _now(), message_id),
            )
        return state

    def summary_state(self, day: dt.date) -> str:
        """The state of the summary of ``day``, "" when none was reserved."""
        if not self.path.exists():
            return ""
        with self._read() as con:
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'summaries'").fetchone():
                return ""
            row = con.execute("SELECT state FROM summaries WHERE day = ?", (day.isoformat(),)).fetchone()
        return str(row[0]) if row else ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
