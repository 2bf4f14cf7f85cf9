"""Reading the receipts, bounces and replies of the reminders sent, for both faces:
``python -m rollout reminders receipts`` (``rollout.cli_reminders``) and «Leggi le ricevute» on the
Promemoria page (``ui/receipts.py``). The faces only show the outcome (``summary_line``, ``Change.line``).
"""

from __future__ import annotations

from collections.abc import Callable

from rollout.config import Config
from rollout.errors import InputError
from rollout.reminders.imap_settings import ImapSettings
from rollout.reminders.log import ReminderLog
from rollout.reminders.outcomes import Applied
from rollout.reminders.reading import read_receipts
from rollout.usecases import reminders

NOT_CONFIGURED = (
    "Lettura delle ricevute non configurata: manca la sezione [imap] nel file dei segreti "
    "(.streamlit/secrets.toml o --secrets); vedi docs/reminders.md, «Receipts and bounces»."
)


def read(
    config: Config,
    imap: ImapSettings | Callable[[], ImapSettings | None] | None,
    *,
    log: ReminderLog | None = None,
    database: str | None = None,
) -> Applied:
    """Read the sender's mailbox from where the last reading stopped and apply what it says to the log
    (``log``; default the configured one, or ``database``): all or nothing. ``imap``: the mailbox's
    settings (``[imap]``), or how to find them. InputError (one Italian line) when it cannot be read."""
    settings = imap() if callable(imap) else imap
    if settings is None:
        raise InputError(NOT_CONFIGURED)
    return read_receipts(settings, log or reminders.reminder_log(config, database), tz=config.timezone)
