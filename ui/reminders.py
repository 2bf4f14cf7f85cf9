"""The reminders log as the pages use it: problems shown as Italian messages, never tracebacks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import short_date
from rollout.reminders.log import ReminderLog, database_path
from rollout.reminders.reading import bounced_addresses
from ui.format import md_escape


def reminder_log(config: Config) -> ReminderLog | None:
    """The log named by the configuration; None (with a message shown) when the path is unusable."""
    try:
        return ReminderLog(database_path(config))
    except InputError as err:
        st.error(md_escape(str(err)))
        return None


def load_marks(log: ReminderLog | None) -> pd.DataFrame | None:
    """The reminders already sent per comune; None (with a warning shown) when the file is unusable."""
    if log is None:
        return None
    try:
        return log.summary()
    except InputError as err:
        st.warning(f"Promemoria inviati non disponibili. {md_escape(str(err))}")
        return None


def load_bounced(log: ReminderLog | None, comuni: pd.DataFrame) -> frozenset[str]:
    """The addresses of ``comuni`` that bounced (never used again); none when the file is unusable
    (``load_marks`` has already said why)."""
    if log is None:
        return frozenset()
    try:
        return bounced_addresses(log, comuni)
    except InputError:
        return frozenset()


def shown_day(iso_day: str) -> str:
    """``2023-09-20`` as ``20/09/2023``; "" stays ""."""
    return short_date(dt.date.fromisoformat(iso_day)) if iso_day else ""
