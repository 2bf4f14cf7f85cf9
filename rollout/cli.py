"""Command line for unattended weekly runs: ``python -m rollout report --out DIR``.

A thin face over the use cases (``rollout.usecases``, which the dashboard calls too): it parses the
arguments, calls them and prints the outcome; on bad input one line (``errore: …``) and a non-zero
exit. The ``reminders`` command is in ``rollout.cli_reminders``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from data_sources import SourceError
from rollout import cli_reminders, interrupts
from rollout.config import Config, load_config
from rollout.errors import InputError
from rollout.italian import (
    DATE_TIME,
    STATUS_LABELS,
    agree,
    answered_without_at_text,
    count_comuni,
    number,
    plural,
    rows_read,
    status_count,
    without_at,
)
from rollout.keys import TotalKeys
from rollout.outputs import staging
from rollout.pipeline import report_load, settings_for
from rollout.status import Snapshot
from rollout.terminal import Progress, say
from rollout.usecases.report import start_workers, write_report
from rollout.views import answered_without_at
from rollout.weekly.run import run_weekly

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
# Stopped (Ctrl-C, SIGTERM, SIGHUP): 128 + the signal's number, as a shell reports it (interrupts.exit_code).


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rollout", description="Rollout tracker: stato della raccolta dati account."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="scrive status.json, promemoria ed elenco account in una cartella")
    add_source_flags(report)
    report.add_argument("--out", required=True, help="cartella in cui scrivere i file")
    cli_reminders.add_parser(
        sub.add_parser("reminders", help="promemoria: elenco e bozze, registrazione degli invii"), add_source_flags
    )
    accounts = sub.add_parser("accounts", help="account degli editor: note formali per i comuni")
    actions = accounts.add_subparsers(dest="action", required=True)
    notes_cmd = actions.add_parser("notes", help="una nota formale (DOCX) per ogni comune con editor")
    add_source_flags(notes_cmd)
    notes_cmd.add_argument("--template", help="modello DOCX della nota (default: [accounts] note_template)")
    notes_cmd.add_argument("--out", required=True, help="cartella in cui scrivere le note")
    weekly = sub.add_parser(
        "weekly", help="la routine della settimana, per cron: rapporto datato, promemoria dovuti, riepilogo al comitato"
    )
    weekly.add_argument("--config", help="file TOML di configurazione (default: rollout.toml o $ROLLOUT_CONFIG)")
    weekly.add_argument(
        "--secrets",
        help="file dei segreti: [smtp], [imap], credenziali Google (default: $ROLLOUT_SECRETS o .streamlit/secrets.toml)",
    )
    weekly.add_argument(
        "--dry-run",
        action="store_true",
        help="scrive il rapporto e mostra cosa partirebbe e a chi, senza inviare nulla",
    )
    return parser


def add_source_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every command shares: configuration, sources, deadline, moment."""
    parser.add_argument("--config", help="file TOML di configurazione (default: rollout.toml o $ROLLOUT_CONFIG)")
    parser.add_argument("--comuni", help="elenco dei comuni: percorso, URL CSV o link Google Sheet")
    parser.add_argument("--submissions", help="risposte al modulo: percorso, URL CSV o link Google Sheet")
    parser.add_argument("--deadline", help="scadenza, AAAA-MM-GG (inclusa fino alle 23:59:59)")
    parser.add_argument("--as-of", dest="as_of", help="data/ora di riferimento, ISO 8601 (default: adesso)")
    parser.add_argument(
        "--secrets",
        help="credenziali Google: secrets.toml con [connections.gsheets] o chiave JSON dell'account di servizio "
        "(default: $ROLLOUT_SECRETS o .streamlit/secrets.toml)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="se una sorgente remota non è leggibile, esci con errore invece di usare l'ultima copia salvata",
    )
    parser.add_argument(
        "--accept-smaller",
        dest="accept_smaller",
        action="store_true",
        help="accetta i dati appena letti anche se hanno meno righe dell'ultima copia buona (o, per le risposte, "
        "prime righe diverse): diventano la nuova copia buona",
    )


def resolve_config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if config.demo and (args.comuni or args.submissions):
        config = Config()  # own data given on the command line: the demo's settings do not apply
    return config.with_overrides(
        comuni=args.comuni, submissions=args.submissions, deadline=args.deadline, as_of=args.as_of
    )


def summary(snap: Snapshot) -> str:
    """The report's first line: the totals of status.json, in the dashboard's words."""
    t = snap.totals
    when = snap.settings.as_of_local.strftime(DATE_TIME)
    statuses = ", ".join(status_count(t[s], s) for s in STATUS_LABELS)
    at = without_at(t[TotalKeys.WITHOUT_AT_EDITOR], answered_without_at(snap.comuni))
    return f"Situazione al {when}: {count_comuni(t[TotalKeys.COMUNI])}, {statuses}; {at}; {rows_read(len(snap.rows))}."


def accounts_notes(snap: Snapshot, config: Config, out: Path, template: str | None) -> list[str]:
    """``accounts notes``: one DOCX per comune with current editors; the lines to print. On a
    terminal a line on stderr tells how many notes are written (nothing when stderr is a file)."""
    from rollout.usecases.notes import write_notes  # docxtpl and lxml: loaded only for the notes

    progress = Progress(
        lambda done, total: f"Note scritte: {number(done)} di {number(total)} ({done * 100 // max(total, 1)} %)"
    )
    try:
        written = write_notes(snap, config, out, template, progress.update if progress.active else None)
    finally:
        progress.close()
    with_editors, no_at, without_editors = written.with_editors, written.without_at_editor, written.without_editors
    return [
        f"{agree(with_editors, 'Scritta', 'Scritte')} {plural(with_editors, 'nota', 'note')} (una per comune con "
        f"editor) in {out}; elenco in {written.index}.",
        f"{answered_without_at_text(no_at)}: {agree(no_at, 'la sua nota chiede', 'la loro nota chiede')} di "
        "indicarne uno.",
        f"{plural(without_editors, 'comune', 'comuni')} senza editor: nessuna nota.",
    ]


def main(argv: list[str] | None = None) -> int:
    """The command line. Ctrl-C, SIGTERM and SIGHUP stop it alike, at any point: no worker and no
    temporary folder left, one line ``errore: interrotto (…)``, exit 128 + the signal's number."""
    args = None
    with interrupts.handled():
        try:
            args = build_parser().parse_args(argv)
            return _run(args)
        except KeyboardInterrupt as err:
            say(f"errore: {interrupted_line(args, err)}", err=True)
            return interrupts.exit_code(err)


def interrupted_line(args: argparse.Namespace | None, err: BaseException) -> str:
    """What a stopped command says it left behind."""
    what = f"interrotto ({interrupts.signal_name(err)})"
    if args is None:  # stopped before the arguments were read
        return what
    command = (getattr(args, "command", None), getattr(args, "action", None))
    if command == ("reminders", "send"):
        return f"{what}: i messaggi già inviati sono registrati; rilancia per riprendere"
    if command == ("reminders", "receipts"):
        return f"{what}: nessuna ricevuta registrata; rilancia per leggerle"
    if command[0] == "weekly":
        return f"{what}: nessun rapporto lasciato a metà, i messaggi già inviati sono registrati; rilancia il comando"
    if command[0] == "report" or command == ("accounts", "notes") or command == ("reminders", "export"):
        return f"{what}: nessun file lasciato a metà in {args.out}; rilancia il comando"
    return what


def _run(args: argparse.Namespace) -> int:
    if args.command == "reminders" and args.action == "receipts":
        return receipts(args)  # the mailbox and the log only: no source to read
    try:
        if args.command == "weekly":
            code, line = run_weekly(load_config(args.config), secrets=args.secrets, dry_run=args.dry_run)
            say(line)
            return code
        config = resolve_config(args)
        if args.command == "report":
            start_workers()
        loaded, load_warnings = report_load(
            config, secrets=args.secrets, strict=args.strict, accept_smaller=args.accept_smaller
        )
        snap = loaded.prepared.at(settings_for(config))
        code = 0
        lines: list[str]
        if args.command == "reminders" and args.action == "send":
            lines, code = [], cli_reminders.run_send(args, config, snap, loaded)
        elif args.command == "reminders":
            lines, warnings = cli_reminders.run_reminders(args, config, snap)
            load_warnings = [*load_warnings, *warnings]
        elif args.command == "accounts":
            lines = accounts_notes(snap, config, Path(args.out), args.template)
        else:
            written = write_report(snap, Path(args.out), config)
            load_warnings = [*load_warnings, *written.warnings]
            lines = [summary(snap), written.reminders,
                     f"File scritti in {args.out}: {', '.join(p.name for p in written.paths)}"]  # fmt: skip
    except (InputError, SourceError) as err:
        say(f"errore: {err}", err=True)
        return EXIT_BAD_INPUT
    except OSError as err:
        where = getattr(args, "out", None) or err.filename or "?"
        say(f"errore: impossibile scrivere in {where}: {err.strerror or err}", err=True)
        return EXIT_BAD_INPUT
    except Exception as err:
        if os.environ.get("ROLLOUT_DEBUG"):
            raise
        say(f"errore interno ({type(err).__name__}): imposta ROLLOUT_DEBUG=1 per i dettagli", err=True)
        return EXIT_INTERNAL
    finally:
        staging.stop_workers()  # a worker started early whose job never came (the run stopped first)
    for note in (*load_warnings, *snap.comuni_list.notes, *snap.responses.notes):
        say(f"avviso: {note}", err=True)
    if config.demo:
        say("avviso: nessuna configurazione trovata, uso i dati dimostrativi", err=True)
    if lines:
        say(*lines)
    return code


def receipts(args: argparse.Namespace) -> int:
    """``reminders receipts``: exit 0, or 2 with one line ``errore: …`` (server down, login refused, no folder)."""
    try:
        return cli_reminders.run_receipts(args, load_config(args.config))
    except (InputError, SourceError) as err:
        say(f"errore: {err}", err=True)
        return EXIT_BAD_INPUT
    except Exception as err:  # Ctrl-C and the signals: ``main`` says what was left (nothing recorded)
        if os.environ.get("ROLLOUT_DEBUG"):
            raise
        say(f"errore interno ({type(err).__name__}): imposta ROLLOUT_DEBUG=1 per i dettagli", err=True)
        return EXIT_INTERNAL
