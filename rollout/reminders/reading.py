"""«Leggi le ricevute»: read the sender's mailbox from where the last reading stopped, apply what it
says to the outbox, and say what changed (the command line and the Promemoria page).

Also the counts of the outcomes per comune, for ``status.json`` and the weekly report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from imapclient import IMAPClient

from rollout.italian import number, plural
from rollout.keys import ReminderCols
from rollout.outputs.contacts import ADDRESS_COLUMNS, addresses_of, contact_for
from rollout.reminders.drafts import comuni_marks
from rollout.reminders.imap_settings import ImapSettings
from rollout.reminders.log import ReminderLog
from rollout.reminders.mailbox import Cursor, read_new
from rollout.reminders.outcomes import TRACKED, Applied, Position


def mailbox_name(settings: ImapSettings) -> str:
    """Which mailbox a position belongs to (kept in the log only as a keyed digest)."""
    return f"{settings.username}@{settings.host}:{settings.port}"


def read_receipts(
    settings: ImapSettings,
    log: ReminderLog,
    *,
    tz: str = "Europe/Rome",
    now: dt.datetime | None = None,
    connect: Callable[[ImapSettings], IMAPClient] | None = None,
) -> Applied:
    """Read the messages that arrived since the last reading and apply them: all or nothing (a fault of
    the mailbox, ``MailboxError``, or of the log, ``TrackingError``, leaves the log as it was)."""
    name = mailbox_name(settings)
    at = log.position(name, settings.folder)
    since = Cursor(at.folder, at.uidvalidity, at.last_uid) if at else None
    receipts, cursor = read_new(settings, since, connect=connect)
    return log.apply_receipts(receipts, name, Position(cursor.folder, cursor.uidvalidity, cursor.last_uid), now, tz)


_CHANGED = {"delivered": ("consegnato", "consegnati"), "bounced": ("respinto", "respinti"),
            "replied": ("con risposta", "con risposta"), "sent": ("inviato", "inviati")}  # fmt: skip


def summary_line(done: Applied) -> str:
    """«Ricevute: 18 messaggi letti, 5 esiti aggiornati (2 consegnati, 2 respinti, 1 con risposta), …»."""
    if not done.read:
        return "Ricevute: nessun messaggio nuovo nella casella."
    parts = [plural(done.read, "messaggio letto", "messaggi letti")]
    if done.changes:
        by_state = [(s, sum(c.after == s for c in done.changes)) for s in ("delivered", "bounced", "replied", "sent")]
        detail = ", ".join(plural(n, *_CHANGED[s]) for s, n in by_state if n)
        parts.append(f"{plural(len(done.changes), 'esito aggiornato', 'esiti aggiornati')} ({detail})")
    else:
        parts.append("nessun esito cambiato")
    if done.matched - len(done.changes) > 0:
        n = done.matched - len(done.changes)
        parts.append(plural(n, "ricevuta che non cambia l'esito", "ricevute che non cambiano l'esito"))
    if done.repeated:
        parts.append(plural(done.repeated, "già registrata", "già registrate"))
    if done.unknown:
        parts.append(
            plural(done.unknown, "di un messaggio non inviato dal tracker", "di messaggi non inviati dal tracker")
        )
    if done.unrelated:
        parts.append(plural(done.unrelated, "non pertinente", "non pertinenti"))
    return "Ricevute: " + ", ".join(parts) + "."


def bounced_addresses(log: ReminderLog, comuni: pd.DataFrame) -> frozenset[str]:
    """The addresses of ``comuni`` (any a contact may be chosen from) that bounced."""
    return log.bounced_among(addresses_of(comuni))


def without_address(comuni: pd.DataFrame, bounced: frozenset[str]) -> pd.DataFrame:
    """The comuni whose every known address bounced: no working address left."""
    if not bounced or comuni.empty:
        return comuni.iloc[0:0]
    dead = {a.strip().lower() for a in bounced}
    hit = pd.Series(False, index=comuni.index)
    for column in ADDRESS_COLUMNS:  # only the comuni with an address that bounced need a look
        if column in comuni.columns:
            hit |= comuni[column].fillna("").astype(str).str.strip().str.lower().isin(dead)
    candidates = comuni.loc[hit]
    return candidates.loc[[contact_for(row, bounced).address == "" for row in candidates.itertuples()]]


def reminders_section(comuni: pd.DataFrame, marks: pd.DataFrame | None, bounced: frozenset[str]) -> dict[str, Any]:
    """``status.json``'s ``reminders``: per participating comune, found under any of its identifiers:
    how many were reminded (any channel), the outcome of the last message the tracker sent to each
    (``awaiting`` a receipt, ``delivered``, ``bounced``, ``replied``), and how many have no working
    address left. Counts only: no address, no name."""
    found = comuni_marks(comuni, marks)
    states = found[ReminderCols.LAST_OUTCOME].value_counts().to_dict()
    return {
        "comuni_reminded": int((found[ReminderCols.REMINDERS_SENT] > 0).sum()),
        "last_outcome": {("awaiting" if s == "sent" else s): int(states.get(s, 0)) for s in TRACKED},
        "without_working_address": len(without_address(comuni, bounced)),
    }


def report_line(section: dict[str, Any] | None) -> str:
    """The weekly report's line: «Promemoria: 16 comuni sollecitati; ultimo invio: 10 consegnati, …»."""
    if section is None:
        return "Promemoria: registro non leggibile, esiti non noti."
    o = section["last_outcome"]
    line = f"Promemoria: {plural(section['comuni_reminded'], 'comune sollecitato', 'comuni sollecitati')}"
    if sum(o.values()):
        line += (
            f"; esito dell'ultimo invio: {plural(o['delivered'], 'consegnato', 'consegnati')}, "
            f"{plural(o['bounced'], 'respinto', 'respinti')}, {plural(o['replied'], 'con risposta', 'con risposta')}, "
            f"{number(o['awaiting'])} in attesa di ricevuta"
        )
    if section["without_working_address"]:
        line += f"; {plural(section['without_working_address'], 'comune', 'comuni')} senza un indirizzo funzionante"
    return line + "."
