"""A writer of the reminders log for another process: light to import, so that a spawned child
starts with the log's own modules, not with the tests' (pytest, hypothesis, the fixtures)."""

from __future__ import annotations

import datetime as dt

from rollout.reminders.log import Mark, ReminderLog


def write_marks(path: str, writer: int, batches: int) -> None:
    """Record ``batches`` batches of three marks, each named after ``writer`` and the batch."""
    log = ReminderLog(path, timeout=30)
    for i in range(batches):
        marks = [Mark(f"W{writer}-{i}-{j}", f"Comune {writer}/{i}/{j}") for j in range(3)]
        log.record(marks, dt.date(2023, 9, 14), "email")
