"""Command line for unattended weekly runs: ``python -m rollout report --out DIR``.

A thin face over the core: on bad input it prints one line (``errore: …``) and exits non-zero.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from data_sources import SourceError
from rollout import interrupts
from rollout.config import Config, load_config
from rollout.errors import InputError
from rollout.italian import (
    DATE_TIME,
    STATUS_LABELS,
    agree,
    answered_without_at_text,
    count_comuni,
    plural,
    rows_read,
    status_count,
    without_at,
)
from rollout.outputs import staging
from rollout.outputs.columns import write_for_people
from rollout.outputs.files import write_csv
from rollout.outputs.quality import rows_table
from rollout.outputs.staging import run_jobs, staged
from rollout.outputs.tables import accounts_table, comuni_table, status_dict
from rollout.pipeline import run_report
from rollout.reminders import cli as reminders_cli
from rollout.status import Snapshot
from rollout.terminal import Progress, say
from rollout.views import Overview, answered_without_at
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
    reminders_cli.add_parser(
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


@dataclass
class Written:
    """What ``write_report`` wrote: the files (in ``out``), the seconds each took, the warnings."""

    paths: list[Path]
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def write_report(snap: Snapshot, out: Path, config: Config | None = None) -> Written:
    """Write every output of the report into ``out`` (created if needed), all or nothing.

    The files are written into a temporary folder beside ``out`` and moved into it at the end; the
    status picture and the accounts' XLSX (the slowest) are written by worker processes meanwhile.
    """
    config = config or Config()
    accounts = accounts_table(snap)  # for accounts.csv here and, pickled, for the XLSX worker
    warnings: list[str] = []
    with staged(Path(out)) as tmp:

        def reminder_files() -> dict[str, float]:
            reminders = reminders_cli.Reminders.of(snap, config, tolerant=True)
            warnings.extend(reminders.warnings)
            return run_jobs(reminders.jobs(tmp))

        def table(name: str, make) -> Callable[[], object]:
            return lambda: write_csv(make(snap), tmp, name)

        here = {
            "status.json": lambda: (tmp / "status.json").write_text(
                json.dumps(status_dict(snap), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            ),
            "comuni.csv": table("comuni", comuni_table),
            "rows.csv": table("rows", rows_table),
            "reminders": reminder_files,  # the list, its XLSX and the drafts
            "accounts.csv": lambda: write_csv(accounts, tmp, "accounts"),
        }
        side = {
            # Sent to the workers started early (see start_workers): the picture gets the figures only.
            STATUS_PNG: functools.partial(write_status_png, Overview.of(snap), config.campaign, tmp),
            ACCOUNTS_XLSX: functools.partial(write_for_people, accounts, tmp, "accounts"),
        }
        seconds = run_jobs(here, side)
        names = sorted(p.name for p in tmp.iterdir())
    order = [*REPORT_FILES, *(n for n in names if n not in REPORT_FILES)]
    paths = [Path(out) / n for n in order if n in names]
    return Written(paths, seconds, warnings)


STATUS_PNG = "status.png"
ACCOUNTS_XLSX = "accounts.xlsx"
REPORT_FILES = ("status.json", "comuni.csv", "rows.csv", "reminders.csv", "reminders.xlsx",
                reminders_cli.DRAFTS_ZIP, "accounts.csv", ACCOUNTS_XLSX, STATUS_PNG)  # fmt: skip


def write_status_png(data: Overview, campaign: str, out: Path) -> Path:
    """The weekly status picture, compared with the week before."""
    from rollout.outputs import picture  # Altair and vl-convert: loaded only to draw

    path = out / STATUS_PNG
    path.write_bytes(picture.render_png(picture.overview_picture(data, campaign), apart=True))
    return path


def start_workers() -> None:
    """Start the workers of the two slowest files now: while the sources are read, the picture's
    loads Altair and vl-convert on the other processor, instead of after; the accounts' XLSX one
    starts small, not as a copy of the process holding every table."""
    staging.start_worker(ACCOUNTS_XLSX, _warm_up_xlsx)
    staging.start_worker(STATUS_PNG, _warm_up_picture)


def _warm_up_xlsx() -> None:
    import xlsxwriter  # noqa: F401 -- loaded before the table comes


def _warm_up_picture() -> None:
    from rollout.outputs import picture

    # The accounts' XLSX takes longest: when the three processes compete for two processors, the
    # picture (not the longest) yields; alone, it runs at full speed all the same.
    with contextlib.suppress(OSError):
        os.nice(PICTURE_NICENESS)
    picture.warm_up()


PICTURE_NICENESS = 5


def summary(snap: Snapshot) -> str:
    """The report's first line: the totals of status.json, in the dashboard's words."""
    t = snap.totals
    when = snap.settings.as_of_local.strftime(DATE_TIME)
    statuses = ", ".join(status_count(t[s], s) for s in STATUS_LABELS)
    at = without_at(t["without_at_editor"], answered_without_at(snap.comuni))
    return f"Situazione al {when}: {count_comuni(t['comuni'])}, {statuses}; {at}; {rows_read(len(snap.rows))}."


def accounts_notes(snap: Snapshot, config: Config, out: Path, template: str | None) -> list[str]:
    """``accounts notes``: one DOCX per comune with current editors; the lines to print. On a
    terminal a line on stderr tells how many notes are written (nothing when stderr is a file)."""
    from rollout.italian import number
    from rollout.outputs import notes  # docxtpl and lxml: loaded only for the notes

    progress = Progress(
        lambda done, total: f"Note scritte: {number(done)} di {number(total)} ({done * 100 // max(total, 1)} %)"
    )
    try:
        written = notes.write_notes(snap, config, out, template, progress.update if progress.active else None)
    finally:
        progress.close()
    with_editors = len(written) - 1
    no_at = int(((snap.comuni["editors"] > 0) & ~snap.comuni["has_at_editor"]).sum())
    without_editors = len(snap.comuni) - with_editors
    return [
        f"{agree(with_editors, 'Scritta', 'Scritte')} {plural(with_editors, 'nota', 'note')} (una per comune con "
        f"editor) in {out}; elenco in {notes.INDEX_CSV}.",
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
    command = (getattr(args, "command", None), getattr(args, "action", None))
    if command == ("reminders", "send"):
        return f"{what}: i messaggi già inviati sono registrati; rilancia per riprendere"
    if command[0] == "weekly":
        return f"{what}: nessun rapporto lasciato a metà, i messaggi già inviati sono registrati; rilancia il comando"
    if command[0] == "report" or command == ("accounts", "notes") or command == ("reminders", "export"):
        return f"{what}: nessun file lasciato a metà in {args.out}; rilancia il comando"
    return what


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "weekly":
            code, line = run_weekly(load_config(args.config), secrets=args.secrets, dry_run=args.dry_run,
                                    write_report=write_report, warm_up=start_workers)  # fmt: skip
            say(line)
            return code
        config = resolve_config(args)
        if args.command == "report":
            start_workers()
        sending = args.command == "reminders" and args.action == "send" and not args.dry_run
        snap, load_warnings = run_report(
            config, secrets=args.secrets, strict=args.strict, accept_smaller=args.accept_smaller, sending=sending
        )
        code = 0
        if args.command == "reminders" and args.action == "send":
            lines, code = [], reminders_cli.run_send(args, config, snap)
        elif args.command == "reminders":
            lines, warnings = reminders_cli.run_reminders(args, config, snap)
            load_warnings = [*load_warnings, *warnings]
        elif args.command == "accounts":
            lines = accounts_notes(snap, config, Path(args.out), args.template)
        else:
            written = write_report(snap, Path(args.out), config)
            load_warnings = [*load_warnings, *written.warnings]
            lines = [summary(snap), f"File scritti in {args.out}: {', '.join(p.name for p in written.paths)}"]
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
