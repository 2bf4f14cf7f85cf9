"""How to reach a comune: which address, and where it came from.

The comuni list's own contact comes first (its email, then its PEC); IndicePA's PEC fills in where
the list has none; then the address that filled the form in; then IndicePA's other address. An
address known to bounce is skipped, so the next one takes its place. Every address carries its
origin («elenco comuni», «IndicePA», «indirizzo di chi ha compilato il modulo»).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rollout.keys import ComuniCols as C

ORIGINS = {
    "list": "elenco comuni",
    "pec": "elenco comuni (PEC)",
    "registry_pec": "IndicePA (PEC)",
    "filler": "indirizzo di chi ha compilato il modulo",
    "registry_email": "IndicePA (email, non PEC)",
    "none": "nessun contatto disponibile",
}
# (column of the comune's row, origin), in order of precedence.
_ORDER = (
    (C.CONTACT_EMAIL, "list"),
    (C.PEC, "pec"),
    (C.REGISTRY_PEC, "registry_pec"),
    (C.FILLER_EMAIL, "filler"),
    (C.REGISTRY_EMAIL, "registry_email"),
)


ADDRESS_COLUMNS = tuple(column for column, _ in _ORDER)  # every column an address may come from


@dataclass(frozen=True)
class Contact:
    """The address to write to ("" when there is none) and where it came from, in Italian."""

    address: str
    source: str


def contact_for(comune: Any, bounced: Iterable[str] = frozenset()) -> Contact:
    """The address of ``comune`` (a row of ``Snapshot.comuni`` or of the comuni list: a named tuple,
    a Series or a mapping) and its origin, skipping the addresses in ``bounced`` (known to bounce)."""
    dead = {str(a).strip().lower() for a in bounced}
    skipped = []
    for column, origin in _ORDER:
        address = str(_get(comune, column) or "")
        if not address:
            continue
        if address.lower() in dead:
            skipped.append(ORIGINS[origin])
            continue
        source = ORIGINS[origin]
        if skipped:
            source += f"; respinto l'indirizzo di {' e di '.join(skipped)}"
        elif origin != "list" and (raw := _get(comune, C.CONTACT_RAW)) and not _get(comune, C.CONTACT_EMAIL):
            source += f"; indirizzo nell'elenco non valido: {raw}"
        return Contact(address, source)
    if skipped:
        return Contact("", f"nessun indirizzo funzionante: respinto l'indirizzo di {' e di '.join(skipped)}")
    if raw := _get(comune, C.CONTACT_RAW):
        return Contact("", f"indirizzo nell'elenco non valido: {raw}")
    return Contact("", ORIGINS["none"])


def contacts_of(comuni: pd.DataFrame, bounced: Iterable[str] = frozenset()) -> tuple[list[str], list[str]]:
    """``contact_for`` for every row of ``comuni``: the addresses and their origins."""
    dead = frozenset(bounced)
    found = [contact_for(row, dead) for row in comuni.itertuples(index=False)]
    return [c.address for c in found], [c.source for c in found]


def addresses_of(comuni: pd.DataFrame) -> set[str]:
    """Every address ``contact_for`` may choose for the rows of ``comuni`` (to ask which ones bounced)."""
    found: set[str] = set()
    for column in ADDRESS_COLUMNS:
        if column in comuni.columns:
            found.update(a for a in comuni[column].fillna("").astype(str) if a)
    return found


def _get(comune: Any, column: str) -> object:
    if isinstance(comune, dict | pd.Series):
        return comune.get(column, "")
    return getattr(comune, column, "")
