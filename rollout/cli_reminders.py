"""``python -m rollout reminders export|mark|undo|send|receipts``: the reminders' command line.

A face over ``rollout.usecases``: it parses the arguments, calls the use cases and prints their
outcome; for ``send`` it also asks for confirmation and shows the progress.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from zoneinfo import ZoneInfo

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import marked_reminders, number, recorded_reminders, short_date
from rollout.pipeline import Load
from rollout.reminders.drafts import reminders_list
from rollout.reminders.imap_settings import find_imap
from rollout.reminders.log import CHANNELS
from rollout.reminders.mail_settings import find_smtp
from rollout.reminders.reading import summary_line as receipts_line
from rollout.reminders.send import summary_line
from rollout.status import Snapshot
from rollout.terminal import say
from rollout.usecases import receipts, reminders
from rollout.usecases.sending import prepare_sending


def add_parser(parser: argparse.ArgumentParser, add_sources) -> None:
    """The ``reminders`` command's actions on its ``parser``; ``add_sources`` adds the flags shared with ``report``."""
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="scrive elenco dei promemoria (CSV, XLSX) e bozze (ZIP di .eml)")
    mark = actions.add_parser("mark", help="registra i promemoria inviati (un comune o tutto l'elenco)")
    undo = actions.add_parser("undo", help="annulla una registrazione (il codice stampato da mark)")
    send = actions.add_parser("send", help="invia i promemoria per email o PEC (server SMTP in [smtp] dei segreti)")
    receipts_cmd = actions.add_parser(
        "receipts", help="legge ricevute, mancate consegne e risposte dalla casella del mittente ([imap] dei segreti)"
    )
    for action in (export, mark, undo, send):
        add_sources(action)
    receipts_cmd.add_argument("--config", help="file TOML di configurazione (default: rollout.toml o $ROLLOUT_CONFIG)")
    receipts_cmd.add_argument(
        "--secrets", help="file dei segreti con [imap] (default: $ROLLOUT_SECRETS o .streamlit/secrets.toml)"
    )
    for action in (export, mark, undo, send, receipts_cmd):
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


def run_reminders(args: argparse.Namespace, config: Config, snap: Snapshot) -> tuple[list[str], list[str]]:
    """Carry out ``reminders export|mark|undo``; the lines to print and the warnings."""
    if args.action == "export":
        files, warnings = reminders.export(snap, config, args.out, args.database)
        return [f"File scritti in {args.out}: {', '.join(files)}"], warnings
    log = reminders.reminder_log(config, args.database)
    if args.action == "undo":
        removed = reminders.undo(log, args.batch)
        return [f"{recorded_reminders(removed, 'Annullato', 'Annullati')} (codice {args.batch})."], []
    channel = reminders.channel_key(args.channel)
    sent_on = reminders.parse_day(args.date) if args.date else dt.datetime.now(ZoneInfo(config.timezone)).date()
    if args.all:
        marks = reminders.marks_for(reminders_list(snap))
    else:
        marks = [reminders.find_comune(snap.comuni, text) for text in args.comune]
    done = reminders.mark(log, marks, sent_on, channel, args.note)
    lines = [
        f"{marked_reminders(done.count)} ({CHANNELS[done.channel]}, {short_date(done.sent_on)}) in {log.path}.",
        f"Per annullare: python -m rollout reminders undo {done.batch}",
    ]
    return lines, []


def run_send(
    args: argparse.Namespace,
    config: Config,
    snap: Snapshot,
    source: Load | None,
    out: Callable[[str], None] | None = None,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> int:
    """``reminders send``: one line per comune as it goes, then a summary; 0 only if all due were sent.
    ``source``: the load ``snap`` comes from (stale data send nothing)."""
    out = out or say
    interactive = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    sending = prepare_sending(
        snap, config, source=source, smtp=lambda: find_smtp(args.secrets), only=args.comune or (), limit=args.limit,
        retry_uncertain=args.retry_uncertain, dry_run=args.dry_run, database=args.database,
    )  # fmt: skip
    if sending.refusal:
        raise InputError(f"nessun promemoria inviato: {sending.refusal}")
    for line in sending.notices:
        out(line)
    items, due = sending.items, sending.due
    for item in items:
        if item.result != "due" or args.dry_run:
            out(item.line() + (f" · {item.subject}" if item.result == "due" else ""))
    if args.dry_run:
        out(summary_line(items))
        out("Prova (--dry-run): nessun messaggio inviato.")
        return 0
    assert sending.smtp is not None
    if due and not args.yes:
        question = f"Inviare {number(len(due))} promemoria tramite {sending.smtp.host}? [s/N] "
        if not interactive or ask(question).strip().lower() not in ("s", "si", "sì", "y", "yes"):
            why = "" if interactive else " Senza un terminale serve --yes (oppure usa --dry-run per vederli)."
            out(f"Nessun messaggio inviato: {number(len(due))} promemoria da inviare.{why}")
            return 1
    sending.run(progress=lambda done, total, item: out(f"[{done}/{total}] {item.line()}"))
    out(summary_line(items))
    return 1 if sending.problems else 0


def run_receipts(args: argparse.Namespace, config: Config, out: Callable[[str], None] | None = None) -> int:
    """``reminders receipts``: one line per message whose outcome changed, then a summary; 0 when read."""
    out = out or say
    done = receipts.read(config, lambda: find_imap(args.secrets), database=args.database)
    for change in done.changes:
        out(change.line())
    out(receipts_line(done))
    return 0
