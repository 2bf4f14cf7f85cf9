"""Italian formats for dates and numbers shown in the pages."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rollout.italian import WEEKDAYS


def day(value: dt.date) -> str:
    return f"{WEEKDAYS[value.weekday()]} {value:%d/%m/%Y}"


def moment(ts: pd.Timestamp | None, tz: str = "Europe/Rome") -> str:
    if ts is None or pd.isna(ts):
        return ""
    return ts.tz_convert(tz).strftime("%d/%m/%Y %H:%M")


def share(value: float) -> str:
    return f"{value:.0%}".replace(".", ",")


def md_escape(text: object) -> str:
    """Text from the inputs made inert for st.markdown: no links, HTML or formatting."""
    out = []
    for ch in str(text):
        if ch in "\\`*_{}[]()<>#+-.!|~$:":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
