"""``python -m rollout weekly``: the week's routine, unattended (docs/weekly.md).

In order: read the sources (with the last good copy and the suspect-load rule of
``rollout.pipeline``); write the report into ``out/AAAA-MM-GG``, point ``out/ultimo`` at it and
delete the weeks beyond ``[weekly] keep_weeks``; read the receipts when ``[imap]`` is set; send the
reminders due when ``[weekly] send_reminders`` (the outbox, plan and Sender of ``reminders send``,
never from data that are not up to date); send the steering committee its summary, once a day.

One lock (``folders.run_lock``) keeps two runs apart. The result is an exit code a scheduler can
act on (0 done, 1 done with problems, 2 nothing done) and one line; the details go to
``out/weekly.log``, without personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from data_sources import SourceError
from rollout import interrupts
from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import countdown, moment, plural, short_date
from rollout.pipeline import Load, report_load, settings_for
from rollout.reminders.drafts import templates_from_config
from rollout.reminders.headers import usable_address
from rollout.reminders.imap_settings import find_imap
from rollout.reminders.log import TrackingError, database_path
from rollout.reminders.mail_settings import find_smtp
from rollout.reminders.reading import summary_line as receipts_line
from rollout.reminders.send import PROBLEMS, RESULTS, Outcome, SendError, count_words, summary_line
from rollout.status import Snapshot
from rollout.terminal import say
from rollout.usecases import receipts
from rollout.usecases.report import STATUS_PNG, start_workers, write_report
from rollout.usecases.sending import prepare_sending
from rollout.views import answered_without_at, week_totals
from rollout.weekly.folders import (
    LATEST,
    LOG_NAME,
    Busy,
    RunLog,
    day_folder,
    lock_path,
    old_weeks,
    point_latest,
    prune,
    run_lock,
)
from rollout.weekly.state import WeeklyLog
from rollout.weekly.summary import Delivery, Summary, answered_this_week, kpi_rows, send_summary

DONE, PROBLEMS_FOUND, NOTHING_DONE = 0, 1, 2
# The run's moment (its day names the report's folder and the summary); tests replace it.
CLOCK: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
ACCEPT_HOW = (
    "accettali con «Accetta i nuovi dati» nel cruscotto, o con python -m rollout report --accept-smaller: "
    "il prossimo weekly li userà"
)


@dataclass
class WeeklyRun:
    """One run: its settings, then what each step did (for the summary, the log and the one line)."""

    config: Config
    secrets: str | None = None
    dry_run: bool = False
    show: Callable[[str], None] = say  # the dry run's lines
    first: list[str] = field(default_factory=list)  # what went wrong: the summary's first lines
    lines: list[str] = field(default_factory=list)  # the summary's lines about the week's actions
    done: list[str] = field(default_factory=list)  # the one line's parts
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now = CLOCK()
        self.tz = ZoneInfo(self.config.timezone)
        self.today = self.now.astimezone(self.tz).date()
        self.out = self.config.weekly_dir
        self.snap: Snapshot | None = None
        self.loaded: Load | None = None
        self.stale = ""  # why reminders may not be sent from these data
        self.folder: Path | None = None
        self.picture: bytes | None = None

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> tuple[int, str]:
        """Every step, under the lock; the exit code and the one line."""
        self.check()
        self.log = RunLog(self.out / LOG_NAME, self.tz, CLOCK)
        try:
            with run_lock(lock_path(self.config), self.now):
                return self.steps()
        except Busy as err:
            since = f", avviata il {moment(err.started, self.config.timezone)}" if err.started else ""
            who = f" (processo {err.pid}{since})" if err.pid else ""
            line = f"weekly non eseguito: un'altra esecuzione è in corso{who}; nulla fatto."
            self.log.write(line)
            return NOTHING_DONE, line

    def check(self) -> None:
        """The settings, before anything is read or written: InputError says what is wrong."""
        c = self.config
        if c.demo:
            raise InputError(
                "weekly ha bisogno di una configurazione (rollout.toml o --config): con i dati dimostrativi non parte."
            )
        c.require()
        self.templates = templates_from_config(c)
        self.smtp = find_smtp(self.secrets)
        if (c.weekly.send_reminders or c.weekly.recipients) and self.smtp is None and not self.dry_run:
            raise InputError(
                "Invio non configurato: [weekly] chiede di inviare promemoria o riepilogo, ma manca la sezione [smtp] "
                "nel file dei segreti (.streamlit/secrets.toml o --secrets); vedi docs/reminders.md, «Settings»."
            )
        self.sender = (self.smtp.sender if self.smtp else "") or self.templates.sender
        if c.weekly.recipients and not usable_address(parseaddr(self.sender)[1]):
            raise InputError(
                "Manca il mittente del riepilogo: indica sender in [smtp] dei segreti o in [reminders] di rollout.toml."
            )
        self.imap = find_imap(self.secrets)  # a mistake in [imap] stops the run before it starts, too

    def steps(self) -> tuple[int, str]:
        self.log.write(f"inizio{' (prova: --dry-run, nessun invio)' if self.dry_run else ''}: {self.config.path}")
        try:
            start_workers()  # the report's slowest files get ready while the sources are read
            if self.read():
                self.report()
            self.receipts()
            self.reminders()
            self.summary()
        except KeyboardInterrupt:
            self.log.write("interrotto: i messaggi già inviati sono registrati")
            raise
        except Exception as err:
            self.log.write(f"errore: {type(err).__name__}: {err}")
            raise
        code = NOTHING_DONE if self.snap is None else PROBLEMS_FOUND if self.problems else DONE
        line = self.line()
        self.log.write(f"fine (codice {code}): {line}")
        return code, line

    def line(self) -> str:
        """The one line on standard output: what was done, what needs a look, where the details are."""
        head = f"weekly {short_date(self.today)}{' (prova)' if self.dry_run else ''}"
        parts = list(self.done)
        if self.problems:
            parts.append(f"da controllare: {', '.join(self.problems)}")
        parts.append(f"dettagli in {self.log.path}")
        return f"{head}: {'; '.join(parts)}."

    # -- 1. read ------------------------------------------------------------------------------------
    def read(self) -> bool:
        """The sources, as every command reads them; False when there are no data at all."""
        c = self.config
        try:
            self.loaded, warnings = report_load(c, secrets=self.secrets)
        except (InputError, SourceError) as err:
            why = str(err).rstrip(".")
            self.first.append(
                f"Lettura dei dati non riuscita: {why}. Nessun rapporto scritto, nessun promemoria inviato."
            )
            self.problems.append("lettura dei dati non riuscita")
            self.log.write(f"lettura non riuscita: {why}")
            return False
        self.snap = self.loaded.prepared.at(settings_for(c))
        notes = [*warnings, *self.snap.comuni_list.notes, *self.snap.responses.notes]
        self.log.write(*(f"avviso: {note}" for note in notes))
        self.stale = self.loaded.send_refusal(c.timezone, ACCEPT_HOW).rstrip(".")
        if self.stale:
            self.problems.append("dati non aggiornati")
        return True

    # -- 2. the dated report ------------------------------------------------------------------------
    def report(self) -> None:
        assert self.snap is not None
        folder = day_folder(self.out, self.today)
        try:
            written = write_report(self.snap, folder, self.config)
        except OSError as err:
            self.lines.append(f"Rapporto non scritto in {folder}: {_why(err)}.")
            self.problems.append("rapporto non scritto")
            self.log.write(f"rapporto non scritto in {folder}: {_why(err)}")
            return
        self.folder = folder
        if (folder / STATUS_PNG).is_file():
            self.picture = (folder / STATUS_PNG).read_bytes()
        self.log.write(
            f"rapporto scritto in {folder}: {', '.join(p.name for p in written.paths)}",
            *(f"avviso: {w}" for w in written.warnings),
        )
        try:
            with interrupts.deferred():  # a stop comes after the link is in place, never between
                self.log.write(f"{point_latest(self.out, folder)} punta a {folder.name}")
        except OSError as err:
            self.problems.append(f"{LATEST} non aggiornato")
            self.log.write(f"{self.out / LATEST} non aggiornato: {_why(err)}")
        self.done.append(f"rapporto in {folder}")
        old = old_weeks(self.out, self.today, self.config.weekly.keep_weeks, keep=folder)
        names = ", ".join(p.name for p in old)
        if old and self.dry_run:
            self.show(f"Prova: non elimino {plural(len(old), 'settimana', 'settimane')} oltre keep_weeks: {names}")
        elif old:
            try:
                with interrupts.deferred():  # never a week deleted half way
                    prune(old)
            except OSError as err:
                self.problems.append("settimane vecchie non eliminate")
                self.log.write(f"settimane vecchie non eliminate ({names}): {_why(err)}")
            else:
                self.log.write(f"eliminate le settimane oltre [weekly] keep_weeks: {names}")

    # -- 3. receipts and bounces --------------------------------------------------------------------
    def receipts(self) -> None:
        """The receipts, bounces and replies in the sender's mailbox, when ``[imap]`` is set: applied to
        the outbox (``rollout.usecases.receipts``) before any reminder goes, so that a bounced address
        is not written to again."""
        if self.imap is None:
            return
        try:
            done = receipts.read(self.config, self.imap, log=WeeklyLog(database_path(self.config)))
        except InputError as err:  # the mailbox (MailboxError) or the log (TrackingError): nothing recorded
            why = str(err).rstrip(".")
            self.lines.append(f"Ricevute non lette: {why}.")
            self.problems.append("ricevute non lette")
            self.log.write(f"ricevute non lette: {why}")
            return
        line = receipts_line(done)
        self.log.write(*(change.line() for change in done.changes), line)
        self.lines.append(line)
        bounced = sum(change.after == "bounced" for change in done.changes)
        if bounced:
            self.problems.append(plural(bounced, "promemoria respinto", "promemoria respinti"))

    # -- 4. the reminders due -----------------------------------------------------------------------
    def reminders(self) -> None:
        c = self.config
        if self.snap is None:
            return  # the first line says the read failed
        if not c.weekly.send_reminders:
            if self.stale:
                self.first.append(f"Attenzione: {self.stale}.")
            self.lines.append("Invio automatico dei promemoria non attivo ([weekly] send_reminders).")
            return
        if self.stale:
            self.first.append(f"Nessun promemoria inviato: {self.stale}.")
            self.done.append("nessun promemoria inviato")
            self.log.write(f"nessun promemoria inviato: {self.stale}")
            return
        try:
            self.send_reminders(WeeklyLog(database_path(c)))
        except (SendError, TrackingError) as err:
            why = str(err).rstrip(".")
            self.lines.append(f"Promemoria non inviati: {why}.")
            self.problems.append("promemoria non inviati")
            self.log.write(f"promemoria non inviati: {why}")

    def send_reminders(self, log: WeeklyLog) -> None:
        """Those due, as ``reminders send --yes`` sends them (``prepare_sending``); the dry run lists them."""
        assert self.snap is not None
        sending = prepare_sending(
            self.snap, self.config, source=self.loaded, smtp=self.smtp, log=log, dry_run=self.dry_run,
            how_to_accept=ACCEPT_HOW, today=self.today,
        )  # fmt: skip
        items = sending.items
        if self.dry_run:
            for item in items:
                self.show(item.line() + (f" · {item.subject}" if item.result == "due" else ""))
            self.show(summary_line(items))
            self.done.append(f"promemoria da inviare: {len(sending.due)}")
            return
        due = sending.due
        if due:
            sending.run(progress=lambda done, total, item: self.log.write(self.item_line(item)))
        self.log.write(*(self.item_line(i) for i in items if i not in due))
        self.lines.append(summary_line(items))
        self.done.append(f"promemoria: {count_words(items) or 'nessuno da inviare'}")
        troubles = [i for i in items if i.result in PROBLEMS]
        if troubles:
            self.problems.append(f"promemoria {count_words(troubles)}")

    @staticmethod
    def item_line(item: Outcome) -> str:
        """A comune's reminder in the log: its name and result, the detail (never an address)."""
        detail = f": {item.detail}" if item.detail and item.result != "no_address" else ""
        return f"promemoria {RESULTS[item.result]}: {item.label}{detail}"

    # -- 5. the steering committee's summary --------------------------------------------------------
    def summary(self) -> None:
        recipients = list(self.config.weekly.recipients)
        if not recipients:
            self.log.write("riepilogo non inviato: nessun destinatario in [weekly] recipients")
            return
        summary = self.compose()
        log = WeeklyLog(database_path(self.config))
        if self.dry_run:
            state = log.summary_state(self.today)
            held = " (già inviato oggi: non partirebbe)" if state in ("queued", "sent", "uncertain") else ""
            self.show(f"Riepilogo{held}: a {', '.join(recipients)} · {summary.subject}")
            self.done.append(f"riepilogo per {_recipients(len(recipients))}{held}; nessun messaggio inviato")
            return
        assert self.smtp is not None
        try:
            delivery = send_summary(
                summary, self.smtp, log, self.today, self.sender, recipients, CLOCK().astimezone(self.tz)
            )
        except TrackingError as err:
            delivery = Delivery("failed", f"riepilogo non inviato: {str(err).rstrip('.')}")
        self.record(delivery, len(recipients))

    def record(self, delivery: Delivery, recipients: int) -> None:
        """The summary's outcome: in the one line, among the problems, in the log."""
        result, detail = delivery.result, delivery.detail
        if result == "sent":
            self.done.append(f"riepilogo inviato a {_recipients(recipients - delivery.refused_copies)}")
            if delivery.refused_copies:
                self.problems.append("riepilogo con destinatari rifiutati")
        elif result == "held" and detail == "sent":
            self.done.append("riepilogo già inviato oggi")
        elif result == "held":  # an earlier run stopped while handing it over: someone should check
            self.done.append("riepilogo di oggi già avviato")
            self.problems.append("riepilogo di oggi con esito incerto")
        else:
            self.problems.append(_SUMMARY_PROBLEMS[result])
        if result == "held":
            self.log.write(f"riepilogo non inviato: quello di oggi è già registrato ({detail})")
        else:
            self.log.write(f"riepilogo {RESULTS[result]}" + (f": {detail}" if detail else ""))

    def compose(self) -> Summary:
        """The summary of what this run found and did."""
        c, snap = self.config, self.snap
        if snap is None:
            return Summary(f"{c.campaign}: lettura dei dati non riuscita ({short_date(self.today)})", tuple(self.first))
        s = snap.settings
        now, before = week_totals(snap.comuni, snap.week_before().comuni)
        situation = f"Situazione al {moment(s.as_of, s.tz)} (scadenza {short_date(s.deadline)}: {countdown(s.days_past_deadline)})."
        lines = [answered_this_week(now, before), *self.lines]
        if self.folder is not None:
            lines.append(f"Rapporto completo sul server: {self.folder} (l'ultimo è sempre in {self.out / LATEST}).")
        subject = f"{c.campaign}: situazione al {short_date(s.as_of_local.date())}"
        kpis = kpi_rows(now, before, answered_without_at(snap.comuni))
        return Summary(subject, tuple(self.first), situation, kpis, tuple(lines), self.picture)


_SUMMARY_PROBLEMS = {"refused": "riepilogo rifiutato", "failed": "riepilogo non inviato",
                     "uncertain": "riepilogo con esito incerto"}  # fmt: skip


def _why(err: OSError) -> str:
    return f"{err.strerror or err}" + (f" ({err.filename})" if err.filename else "")


def _recipients(n: int) -> str:
    return plural(n, "destinatario", "destinatari")


def run_weekly(
    config: Config, *, secrets: str | None = None, dry_run: bool = False, show: Callable[[str], None] = say
) -> tuple[int, str]:
    """``python -m rollout weekly``: the exit code (0 done, 1 done with problems, 2 nothing done) and
    the one line to print. InputError before anything is done when the settings are wrong."""
    return WeeklyRun(config, secrets, dry_run, show).run()
