"""What the reminders' outcomes cost at national scale: ``python bench/outcomes.py``.

The national campaign of ``bench/pipeline.py`` (``rollout.synthetic.national``: 6,600 comuni), a reminders log where every comune to
chase was sent a message (each reserved and settled as ``send`` does), then one receipt per
message (70% delivered, 10% bounced naming the address, 10% replied, 10% only accepted). Prints
the median of 5 runs of:

- applying all the receipts in one transaction (``apply_receipts``), and a second reading of the
  same receipts (all already recorded);
- what the Promemoria page adds to each rerun: the log's summary, the bounced addresses among the
  comuni's, the reminders list with them, the ``status.json`` section, the comuni without a working
  address.

A measurement: it always exits 0. Figures move with the machine's load (printed).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from pipeline import run_pipeline  # noqa: E402

from rollout.reminders.drafts import reminders_list  # noqa: E402
from rollout.reminders.log import Mark, ReminderLog  # noqa: E402
from rollout.reminders.outcomes import Position  # noqa: E402
from rollout.reminders.reading import bounced_addresses, reminders_section, without_address  # noqa: E402
from rollout.reminders.receipts import Receipt  # noqa: E402
from rollout.synthetic.national import campaign_config, generate  # noqa: E402

RUNS = 5
NOW = dt.datetime(2023, 10, 2, 9, 0, tzinfo=dt.UTC)


def median(work: Callable[[], object], runs: int = RUNS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        snap = run_pipeline(campaign_config(*generate(Path(folder))))
        table = reminders_list(snap)
        log = ReminderLog(Path(folder) / "promemoria.sqlite3")
        receipts = []
        start = time.perf_counter()
        with log.held():
            for n, row in enumerate(table.itertuples(index=False)):
                message_id = f"<{n}.bench@azienda.it>"
                log.claim(Mark(row.key, row.comune), NOW.date(), message_id, "pec", "bench:1", "b1", NOW,
                          address=row.contact)  # fmt: skip
                log.settle(message_id, "sent", sent_on=NOW.date(), now=NOW)
                kind = ("delivered",) * 7 + ("bounced", "replied", "accepted")
                named = (row.contact,) if kind[n % 10] == "bounced" else ()
                receipts.append(Receipt(kind[n % 10], message_id, "indirizzo inesistente", "pec", NOW, named,
                                        receipt_id=f"<r{n}@pec>"))  # fmt: skip
        sending = time.perf_counter() - start
        first_start = time.perf_counter()
        applied = log.apply_receipts(receipts, "pnrr@host:993", Position("INBOX", 1, len(receipts)), NOW)
        first = time.perf_counter() - first_start
        again, repeated = median(
            lambda: log.apply_receipts(receipts, "pnrr@host:993", Position("INBOX", 1, len(receipts)), NOW)
        )
        summary_s, marks = median(log.summary)
        bounced_s, bounced = median(lambda: bounced_addresses(log, snap.comuni))
        list_s, _ = median(lambda: reminders_list(snap, marks=marks, bounced=bounced))
        section_s, section = median(lambda: reminders_section(snap.comuni, marks, bounced))
        dead_s, dead = median(lambda: without_address(snap.comuni, bounced))

    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{len(snap.comuni):,} comuni, {len(table):,} messages sent (reserving and settling them: {sending:.2f} s)")
    print(f"apply {applied.read:,} receipts: {first:.2f} s ({len(applied.changes):,} changes); "
          f"again (all recorded): {again:.2f} s ({repeated.repeated:,} repeated)")  # fmt: skip
    print(f"summary: {summary_s * 1000:.0f} ms; bounced addresses ({len(bounced):,}): {bounced_s * 1000:.0f} ms")
    print(f"reminders list with them: {list_s * 1000:.0f} ms; status.json section: {section_s * 1000:.0f} ms "
          f"{section['last_outcome']}; without a working address ({len(dead):,}): {dead_s * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
