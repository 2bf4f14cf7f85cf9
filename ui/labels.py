"""Italian labels and column settings shared by the pages."""

from __future__ import annotations

import streamlit as st

from rollout.read.permissions import PERMISSIONS
from rollout.status import STATUS_LABELS
from ui.format import text_width

# A status is told by its word; the colour only helps (no emoji: a browser without an emoji font,
# as headless chromium or a Debian desktop without fonts-noto-color-emoji, draws them as boxes).
# Table pills carry white text: each colour gives it at least 5:1 (WCAG AA asks 4.5:1).
STATUS_COLORS = {"on_time": "#2e7d32", "late": "#b45309", "pending": "#546e7a", "missing": "#c62828"}
_BADGE_COLORS = {"on_time": "green", "late": "orange", "pending": "gray", "missing": "red"}
SHORT = {p.key: p.short for p in PERMISSIONS}
LONG = {p.key: p.label for p in PERMISSIONS}


def status_words(statuses):
    """The statuses (a Series of keys) as the words a table shows: ``in tempo``, ``mancante``…"""
    return statuses.map(STATUS_LABELS)


def status_column(label: str = "Stato", **kwargs) -> object:
    """Column settings that show a status word (see ``status_words``) on a pill of its colour."""
    return st.column_config.MultiselectColumn(
        label, options=list(STATUS_LABELS.values()), color=list(STATUS_COLORS.values()), **kwargs
    )


def status_badge(status: str) -> str:
    """A status as a markdown badge: its word, on its colour."""
    return f":{_BADGE_COLORS[status]}-badge[{STATUS_LABELS[status]}]"


def permission_columns(kind: str = "number") -> dict[str, object]:
    """Column settings for the seven permission columns (counts or ticks), each as wide as its name."""
    if kind == "check":
        return {
            k: st.column_config.CheckboxColumn(SHORT[k], help=LONG[k], width=text_width([], SHORT[k])) for k in SHORT
        }
    return {
        k: st.column_config.NumberColumn(
            SHORT[k], help=f"Editor attuali con «{LONG[k]}»", width=text_width([], SHORT[k])
        )
        for k in SHORT
    }
