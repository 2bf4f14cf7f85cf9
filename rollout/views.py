"""Subsets and orderings of the comuni table that the pages share (pure pandas)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from rollout.text import words


def filter_comuni(
    comuni: pd.DataFrame,
    *,
    provinces: Iterable[str] = (),
    statuses: Iterable[str] = (),
    waves: Iterable[str] = (),
    search: str = "",
    missing_permission: str | None = None,
) -> pd.DataFrame:
    """Comuni matching every given filter; an empty filter keeps everything."""
    mask = pd.Series(True, index=comuni.index)
    if provinces := list(provinces):
        mask &= comuni["province"].isin(provinces)
    if statuses := list(statuses):
        mask &= comuni["status"].isin(statuses)
    if waves := list(waves):
        mask &= comuni["wave"].isin(waves)
    if missing_permission:
        mask &= comuni[missing_permission] == 0
    if text := words(search):
        mask &= comuni["name"].map(words).str.contains(text, regex=False)
    return comuni.loc[mask]


def countdown(days_past: int) -> str:
    """Days to the deadline, or past it, in words."""
    if days_past < -1:
        return f"mancano {-days_past} giorni alla scadenza"
    if days_past == -1:
        return "la scadenza è domani"
    if days_past == 0:
        return "la scadenza è oggi"
    return f"scadenza superata da {days_past} giorn{'o' if days_past == 1 else 'i'}"
