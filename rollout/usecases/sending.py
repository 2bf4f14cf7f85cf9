"""Sending the reminders by email or PEC, for both faces.

``prepare_sending`` decides everything: who (the reminders list with the reminders already recorded),
what (the drafts), what is already sent or blocked (the log's outbox), the options, and whether the
data may drive a sending at all (a last good copy in use never does). The faces only show the plan,
ask for confirmation and show the progress of ``Sending.run``: ``python -m rollout reminders send``
(``rollout.cli_reminders``) and «Invia i promemoria» on the Promemoria page (``ui/sending.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import agree, plural
from rollout.keys import ReminderCols
from rollout.outputs.links import FormLink
from rollout.pipeline import ACCEPT_FLAG, Load
from rollout.reminders.drafts import Templates, drafts, templates_from_config
from rollout.reminders.log import ReminderLog
from rollout.reminders.mail_settings import SendOptions, SmtpSettings, options_from_config
from rollout.reminders.send import PROBLEMS, Outcome, Sender, plan, release_uncertain
from rollout.status import Snapshot
from rollout.usecases import reminders

NOT_CONFIGURED = (
    "Invio non configurato: manca la sezione [smtp] nel file dei segreti (.streamlit/secrets.toml o "
    "--secrets); vedi docs/reminders.md, «Settings»."
)


@dataclass
class Sending:
    """A sending prepared: the plan (``items``, one per comune: ``due`` or why not), what it needs to
    run, the lines to show before it (``notices``) and, when the data may not drive a sending,
    why (``refusal``: then there is no plan)."""

    smtp: SmtpSettings | None
    log: ReminderLog | None
    options: SendOptions
    templates: Templates
    today: dt.date
    items: list[Outcome] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    refusal: str = ""

    @property
    def due(self) -> list[Outcome]:
        return [i for i in self.items if i.result == "due"]

    @property
    def problems(self) -> bool:
        """Some message was not sent (refused, failed, uncertain, …)."""
        return any(i.result in PROBLEMS for i in self.items)

    def run(self, progress: Callable[[int, int, Outcome], None] | None = None) -> list[Outcome]:
        """Send every ``due`` item (``rollout.reminders.send.Sender``); the items with their results."""
        if self.refusal:
            raise InputError(f"nessun promemoria inviato: {self.refusal}")
        if self.smtp is None or self.log is None:
            raise InputError(NOT_CONFIGURED)
        sender = Sender(self.smtp, self.log, self.options, sender=self.templates.sender, today=self.today)
        return sender.run(self.items, progress)


def prepare_sending(
    snap: Snapshot,
    config: Config,
    *,
    source: Load | None,
    smtp: SmtpSettings | Callable[[], SmtpSettings | None] | None,
    log: ReminderLog | None = None,
    table: pd.DataFrame | None = None,
    only: Iterable[str] = (),
    limit: int | None = None,
    retry_uncertain: bool = False,
    dry_run: bool = False,
    how_to_accept: str = f"rilancia con {ACCEPT_FLAG}",
    database: str | None = None,
    today: dt.date | None = None,
) -> Sending:
    """Prepare a sending of the reminders of ``snap``.

    ``source``: the load the snapshot comes from; stale data (a last good copy in use) refuse the
    sending (``Sending.refusal``, ``how_to_accept`` says how to take the fresh data), except for a
    ``dry_run``, which only looks. ``smtp``: the mail server's settings (``[smtp]``), or how to find
    them (called only once the data may drive a sending). ``table``: the reminders list to send from (the dashboard's,
    filtered); by default the whole list with the reminders recorded in ``log`` (default: the
    configured one, or ``database``). ``only``: the comuni named (code, name or «Name (PR)»);
    ``limit``: at most so many messages; ``retry_uncertain``: the messages of uncertain outcome go
    again (not in a dry run); ``today``: the day the sending is recorded on and ``resend_after_days``
    counts from (default: today in the campaign's time zone). InputError says what is wrong."""
    options, templates = options_from_config(config), templates_from_config(config)
    today = today or dt.datetime.now(ZoneInfo(config.timezone)).date()
    refusal = source.send_refusal(config.timezone, how_to_accept) if source is not None else ""
    if refusal and not dry_run:
        return Sending(None, log, options, templates, today, refusal=refusal)
    if limit is not None and limit < 1:
        raise InputError("--limit deve essere almeno 1.")
    if callable(smtp):
        smtp = smtp()
    if smtp is None and not dry_run:
        raise InputError(NOT_CONFIGURED)
    log = log or reminders.reminder_log(config, database)
    if table is None:
        bounced = reminders.read_bounced(log, snap.comuni)  # never written to again: the next address instead
        table = reminders.chase_list(snap, reminders.read_marks(log)[0], FormLink.from_config(config), bounced=bounced)
    notices = []
    wanted = None
    if only := list(only):
        picked = [reminders.find_comune(snap.comuni, text) for text in only]
        wanted = {m.key for m in picked}
        listed = set(table[ReminderCols.KEY])
        notices += [
            f"non da sollecitare: {m.comune} non è nell'elenco dei promemoria" for m in picked if m.key not in listed
        ]
    if retry_uncertain and not dry_run:
        freed = release_uncertain(log, wanted)
        freed_text = plural(freed, "messaggio con esito incerto", "messaggi con esito incerto")
        notices.append(
            f"{agree(freed, 'Liberato', 'Liberati')} {freed_text}: {agree(freed, 'partirà', 'partiranno')} di nuovo."
        )
    letters = drafts(table, snap.settings, templates, config.campaign, config.form_url)
    items = plan(table, letters, options, today, log.blocked(), wanted, limit)
    return Sending(smtp, log, options, templates, today, items, notices)
