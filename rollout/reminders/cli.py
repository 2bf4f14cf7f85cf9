"""``python -m rollout reminders export|mark|undo|send``: the reminders kit from the command line.

Also the reminders' part of ``python -m rollout report``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import DATE, agree, marked_reminders, number, plural, recorded_reminders, short_date
from rollout.outputs.columns import write_for_people
from rollout.outputs.files import write_csv
from rollout.outputs.links import FormLink
from rollout.outputs.staging import run_jobs, staged
from rollout.read.text import words
from rollout.reminders.drafts import (
    Templates,
    drafts,
    drafts_zip,
    export_frame,
    reminders_list,
    templates_from_config,
)
from rollout.reminders.log import CHANNELS, Mark, ReminderLog, TrackingError, comune_keys, database_path
from rollout.reminders.mail_settings import find_smtp, options_from_config
from rollout.reminders.send import PROBLEMS, Sender, plan, release_uncertain, summary_line
from rollout.status import Snapshot
from rollout.terminal import say

DRAFTS_ZIP = "reminder-drafts.zip"
_CHANNEL_WORDS = {**{k: k for k in CHANNELS}, "telefono": "phone", "altro": "other", "posta": "email"}


def add_parser(parser: argparse.ArgumentParser, add_sources) -> None:
    """The ``reminders`` command's actions on its ``parser``; ``add_sources`` adds the flags shared with ``report``."""
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="scrive elenco dei promemoria (CSV, XLSX) e bozze (ZIP di .eml)")
    mark = actions.add_parser("mark", help="registra i promemoria inviati (un comune o tutto l'elenco)")
    undo = actions.add_parser("undo", help="annulla una registrazione (il codice stampato da mark)")
    send = actions.add_parser("send", help="invia i promemoria per email o PEC (server SMTP in [smtp] dei segreti)")
    for action in (export, mark, undo, send):
        add_sources(action)
        action.add_argument("--database", help="registro dei promemoria (default: [reminders] database)")
    export.add_argument("--out", required=True, help="cartella in cui scrivere i file")
    who = mark.add_mutually_exclusive_group(required=True)
    who.add_argument("--all", action="store_true", help="tutti i comuni dell'elenco dei promemoria")
    who.add_argument("--comune", action="append", help="codice, nome o «Nome (PR)»; si può ripetere")
    mark.add_argument("--date", help="data di invio, AAAA-MM-GG (default: oggi)")
    mark.add_argument(
        "--channel", default="email", help="canale: email, pec, telefono (phone), altro (other); default email"
    )
    mark.add_argument("--note", default="", help="nota facoltativa (niente dati personali)")
    undo.add_argument("batch", help="il codice della registrazione da annullare")
    send.add_argument("--dry-run", action="store_true", help="mostra cosa partirebbe e a chi, senza inviare nulla")
    send.add_argument("--limit", type=int, help="invia al massimo N messaggi (gli altri al prossimo invio)")
    send.add_argument(
        "--comune", action="append", help="solo questo comune (codice, nome o «Nome (PR)»); si può ripetere"
    )
    send.add_argument(
        "--yes", action="store_true", help="invia senza chiedere conferma (necessario senza un terminale)"
    )
    send.add_argument(
        "--retry-uncertain",
        action="store_true",
        help="rimanda i messaggi con esito incerto (invio interrotto): prima controlla che non siano nella posta inviata",
    )


def reminder_log(config: Config, override: str | None = None) -> ReminderLog:
    return ReminderLog(Path(override) if override else database_path(config))


UNKNOWN_COUNTS = (
    "I promemoria già inviati non sono noti: le colonne Promemoria inviati, Ultimo promemoria e Canale "
    "di reminders.csv e reminders.xlsx sono vuote."
)


@dataclass
class Reminders:
    """The reminders' part of a report: the list (with the reminders already sent) and its drafts."""

    snap: Snapshot
    config: Config
    table: pd.DataFrame
    templates: Templates
    warnings: list[str]

    @classmethod
    def of(cls, snap: Snapshot, config: Config, database: str | None = None, *, tolerant: bool = False) -> Reminders:
        """Read the reminders log. ``tolerant`` (the weekly report): a damaged or unreadable log leaves
        the counts unknown, with a warning, instead of stopping everything."""
        templates = templates_from_config(config)
        try:
            marks, warnings = reminder_log(config, database).summary(), []
        except TrackingError as err:
            if not tolerant:
                raise
            marks, warnings = None, [f"{err} {UNKNOWN_COUNTS}"]
        table = reminders_list(snap, marks=marks, form=FormLink.from_config(config))
        if marks is None:
            table["reminders_sent"] = pd.array([pd.NA] * len(table), dtype="Int64")
            table["last_reminder"] = table["last_channel"] = ""
        return cls(snap, config, table, templates, warnings)

    def jobs(self, out: Path) -> dict[str, Callable[[], object]]:
        """One job per file: ``reminders.csv`` (machine names, every column), ``reminders.xlsx`` (for
        people: the dashboard's columns and Italian headers) and the drafts' ZIP."""
        export = self.table.drop(columns=["key", "reason"])
        return {
            "reminders.csv": lambda: write_csv(export, out, "reminders"),
            "reminders.xlsx": lambda: write_for_people(export_frame(self.table), out, "reminders"),
            DRAFTS_ZIP: lambda: self.write_drafts(out),
        }

    def write_drafts(self, out: Path) -> Path:
        c, s = self.config, self.snap.settings
        frame = drafts(self.table, s, self.templates, c.campaign, c.form_url, links=False)
        path = out / DRAFTS_ZIP
        path.write_bytes(drafts_zip(frame, self.templates, s.as_of_local))
        return path


def run_reminders(args: argparse.Namespace, config: Config, snap: Snapshot) -> tuple[list[str], list[str]]:
    """Carry out ``reminders export|mark|undo``; the lines to print and the warnings."""
    if args.action == "export":
        reminders = Reminders.of(snap, config, args.database)
        with staged(Path(args.out)) as tmp:
            jobs = reminders.jobs(tmp)
            run_jobs(jobs)
        return [f"File scritti in {args.out}: {', '.join(jobs)}"], reminders.warnings
    return run_log_action(args, config, snap), []


def run_log_action(args: argparse.Namespace, config: Config, snap: Snapshot) -> list[str]:
    """``reminders mark`` or ``reminders undo``: they write to the log."""
    log = reminder_log(config, args.database)
    if args.action == "undo":
        removed = log.undo(args.batch)
        if not removed:
            raise InputError(f"Nessuna registrazione con codice {args.batch} in {log.path}.")
        return [f"{recorded_reminders(removed, 'Annullato', 'Annullati')} (codice {args.batch})."]
    channel = _CHANNEL_WORDS.get(args.channel.strip().lower())
    if channel is None:
        raise InputError(f"Canale sconosciuto: '{args.channel}'. Usa email, pec, telefono o altro.")
    sent_on = parse_day(args.date) if args.date else dt.datetime.now(ZoneInfo(config.timezone)).date()
    if args.all:
        table = reminders_list(snap)
        marks = [Mark(k, n) for k, n in zip(table["key"], table["comune"], strict=True)]
        if not marks:
            raise InputError("L'elenco dei promemoria è vuoto: nessun comune da registrare.")
    else:
        marks = [find_comune(snap.comuni, text) for text in args.comune]
    batch = log.record(marks, sent_on, channel, args.note)
    return [
        f"{marked_reminders(len(set(marks)))} ({CHANNELS[channel]}, {short_date(sent_on)}) in {log.path}.",
        f"Per annullare: python -m rollout reminders undo {batch}",
    ]


def parse_day(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", DATE):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise InputError(f"Data di invio non valida: '{text}'. Usa il formato AAAA-MM-GG, per esempio 2023-09-20.")


def find_comune(comuni: pd.DataFrame, text: str) -> Mark:
    """The participating comune named by a code, ``Name (PR)`` or a name (case and accents aside)."""
    keys = pd.Series(comune_keys(comuni["code"], comuni["name"], comuni["province"]), index=comuni.index)
    wanted = text.strip()
    hits = comuni.index[comuni["code"].str.upper() == wanted.upper()] if wanted else []
    if not len(hits):
        labelled = comuni["name"].map(words) + " " + comuni["province"].str.lower()
        hits = comuni.index[labelled == words(wanted)]
    if not len(hits):
        hits = comuni.index[comuni["name"].map(words) == words(wanted)]
    if len(hits) == 1:
        return Mark(keys[hits[0]], comuni.at[hits[0], "name"])
    if len(hits) > 1:
        options = ", ".join(f"{comuni.at[i, 'name']} ({comuni.at[i, 'province']})" for i in hits)
        raise InputError(f"'{wanted}' indica più comuni: {options}. Usa il codice o «Nome (PR)».")
    raise InputError(f"Comune non trovato nell'elenco dei partecipanti: '{wanted}'.")


def run_send(
    args: argparse.Namespace,
    config: Config,
    snap: Snapshot,
    out: Callable[[str], None] | None = None,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> int:
    """``reminders send``: one line per comune as it goes, then a summary; 0 only if all due were sent."""
    out = out or say
    interactive = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit deve essere almeno 1.")
    settings = find_smtp(args.secrets)
    if settings is None and not args.dry_run:
        raise InputError(
            "Invio non configurato: manca la sezione [smtp] nel file dei segreti (.streamlit/secrets.toml o "
            "--secrets); vedi docs/reminders.md, «Settings»."
        )
    options = options_from_config(config)
    templates = templates_from_config(config)
    log = reminder_log(config, args.database)
    table = reminders_list(snap, marks=log.summary(), form=FormLink.from_config(config))
    only = None
    if args.comune:
        picked = [find_comune(snap.comuni, text) for text in args.comune]
        only = {m.key for m in picked}
        for m in picked:
            if m.key not in set(table["key"]):
                out(f"non da sollecitare: {m.comune} non è nell'elenco dei promemoria")
    if args.retry_uncertain and not args.dry_run:
        freed = release_uncertain(log, only)
        freed_text = plural(freed, "messaggio con esito incerto", "messaggi con esito incerto")
        out(f"{agree(freed, 'Liberato', 'Liberati')} {freed_text}: {agree(freed, 'partirà', 'partiranno')} di nuovo.")
    letters = drafts(table, snap.settings, templates, config.campaign, config.form_url)
    today = dt.datetime.now(ZoneInfo(config.timezone)).date()
    items = plan(table, letters, options, today, log.blocked(), only, args.limit)
    due = [i for i in items if i.result == "due"]
    for item in items:
        if item.result != "due" or args.dry_run:
            out(item.line() + (f" · {item.subject}" if item.result == "due" else ""))
    if args.dry_run:
        out(summary_line(items))
        out("Prova (--dry-run): nessun messaggio inviato.")
        return 0
    assert settings is not None
    if due and not args.yes:
        question = f"Inviare {number(len(due))} promemoria tramite {settings.host}? [s/N] "
        if not interactive or ask(question).strip().lower() not in ("s", "si", "sì", "y", "yes"):
            why = "" if interactive else " Senza un terminale serve --yes (oppure usa --dry-run per vederli)."
            out(f"Nessun messaggio inviato: {number(len(due))} promemoria da inviare.{why}")
            return 1
    sender = Sender(settings, log, options, sender=templates.sender, today=today)
    sender.run(items, progress=lambda done, total, item: out(f"[{done}/{total}] {item.line()}"))
    out(summary_line(items))
    return 1 if any(i.result in PROBLEMS for i in items) else 0
