"""Italian labels and column settings shared by the pages."""

from __future__ import annotations

import streamlit as st

from rollout.read.permissions import PERMISSIONS

STATUS_BADGES = {"on_time": "🟢 in tempo", "late": "🟠 in ritardo", "pending": "⚪ in attesa", "missing": "🔴 mancante"}
SHORT = {p.key: p.short for p in PERMISSIONS}
LONG = {p.key: p.label for p in PERMISSIONS}


def permission_columns(kind: str = "number") -> dict[str, object]:
    """Column settings for the seven permission columns (counts or ticks)."""
    if kind == "check":
        return {k: st.column_config.CheckboxColumn(SHORT[k], help=LONG[k], width="small") for k in SHORT}
    return {
        k: st.column_config.NumberColumn(SHORT[k], help=f"Editor attuali con «{LONG[k]}»", width="small") for k in SHORT
    }
