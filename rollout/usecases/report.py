"""The weekly report: every output into one folder, all or nothing (``python -m rollout report``,
and the benchmark)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rollout.config import Config
from rollout.outputs import staging
from rollout.outputs.columns import write_for_people
from rollout.outputs.files import write_csv
from rollout.outputs.quality import rows_table
from rollout.outputs.staging import run_jobs, staged
from rollout.outputs.tables import accounts_table, comuni_table, status_dict
from rollout.reminders.reading import report_line
from rollout.status import Snapshot
from rollout.usecases.reminders import DRAFTS_ZIP, Reminders
from rollout.views import Overview

STATUS_PNG = "status.png"
ACCOUNTS_XLSX = "accounts.xlsx"
REPORT_FILES = ("status.json", "comuni.csv", "rows.csv", "reminders.csv", "reminders.xlsx", DRAFTS_ZIP,
                "accounts.csv", ACCOUNTS_XLSX, STATUS_PNG)  # fmt: skip
PICTURE_NICENESS = 5


@dataclass
class Written:
    """What ``write_report`` wrote: the files (in ``out``), the seconds each took, the warnings."""

    paths: list[Path]
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    reminders: str = ""  # the line on the reminders' outcomes (``rollout.reminders.reading.report_line``)


def write_report(snap: Snapshot, out: Path, config: Config | None = None) -> Written:
    """Write every output of the report into ``out`` (created if needed), all or nothing.

    The files are written into a temporary folder beside ``out`` and moved into it at the end; the
    status picture and the accounts' XLSX (the slowest) are written by worker processes meanwhile.
    """
    config = config or Config()
    accounts = accounts_table(snap)  # for accounts.csv here and, pickled, for the XLSX worker
    reminders = Reminders.of(snap, config, tolerant=True)  # the log, read once: its files and status.json
    warnings: list[str] = [*reminders.warnings]
    with staged(Path(out)) as tmp:

        def reminder_files() -> dict[str, float]:
            return run_jobs(reminders.jobs(tmp))

        def table(name: str, make) -> Callable[[], object]:
            return lambda: write_csv(make(snap), tmp, name)

        status = status_dict(snap, reminders.section)
        here = {
            "status.json": lambda: (tmp / "status.json").write_text(
                json.dumps(status, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
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
    return Written(paths, seconds, warnings, report_line(reminders.section))


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
