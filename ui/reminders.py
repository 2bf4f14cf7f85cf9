"""The reminders log as the pages use it: problems shown as Italian messages, never tracebacks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import short_date
from rollout.reminders.log import ReminderLog
from rollout.usecases import reminders
from ui.format import md_escape


def reminder_log(config: Config) -> ReminderLog | None:
    """The log named by the configuration; None (with a message shown) when the path is unusable."""
    try:
        return reminders.reminder_log(config)
    except InputError as err:
        st.error(md_escape(str(err)))
        return None


def load_marks(log: ReminderLog | None) -> pd.DataFrame | None:
    """The reminders already sent per comune; None (with a warning shown) when the file is unusable."""
    if log is None:
        return None
    marks, problem = reminders.read_marks(log, tolerant=True)
    if problem:
        st.warning(f"Promemoria inviati non disponibili. {md_escape(problem)}")
    return marks


def load_bounced(log: ReminderLog | None, comuni: pd.DataFrame) -> frozenset[str]:
    """The addresses of ``comuni`` that bounced (never used again); none when the file is unusable
    (``load_marks`` has already said why)."""
    return frozenset() if log is None else reminders.read_bounced(log, comuni, tolerant=True)


def shown_day(iso_day: str) -> str:
    """``2023-09-20`` as ``20/09/2023``; "" stays ""."""
    return short_date(dt.date.fromisoformat(iso_day)) if iso_day else ""
