"""The Comuni page's table, built once per snapshot (every comune) and then only sliced by the filters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rollout.italian import moments
from rollout.keys import ComuniCols as C
from rollout.outputs.contacts import contacts_of
from rollout.outputs.tables import permission_labels
from rollout.read.permissions import PERMISSION_KEYS
from rollout.reminders.log import comune_keys
from rollout.status import STATUS_LABELS, Snapshot
from rollout.views import by_status
from ui.labels import SHORT

CONTACT_COLUMNS = ("Contatto", "Fonte del contatto")


@st.cache_data(max_entries=8, show_spinner=False)
def comuni_display(
    _snap: Snapshot, key: tuple, bounced: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """For every comune of ``_snap`` (``key`` identifies it), in ``by_status`` order: the table's
    columns, the label shown in the drill-down's choice, «Name (PR)», and the key its reminders
    are recorded under. The columns in ``CONTACT_COLUMNS`` hold personal data (a referent's
    address): the page hides them in screenshot mode. ``bounced``: addresses that bounced, never
    shown as the contact."""
    c = _snap.comuni.loc[by_status(_snap.comuni)]
    address, origin = contacts_of(c, bounced)
    table = pd.DataFrame({
        "Comune": c[C.NAME],
        "Prov.": c[C.PROVINCE],
        "Stato": c[C.STATUS].map(STATUS_LABELS),
        "Prima risposta": moments(c[C.FIRST_RESPONSE], _snap.settings.tz),
        "Editor": c[C.EDITORS],
        **{k: c[k] for k in PERMISSION_KEYS},
        "Mancano": [missing_words(m) for m in c[C.MISSING]],
        "Contatto": address,
        "Fonte del contatto": origin,
    }, index=c.index)  # fmt: skip
    labels = (c[C.NAME] + " (" + c[C.PROVINCE] + ")").where(c[C.PROVINCE] != "", c[C.NAME])
    keys = pd.Series(comune_keys(c[C.CODE], c[C.NAME], c[C.PROVINCE]), index=c.index)
    return table, labels, keys


def missing_words(missing: tuple[str, ...] | list[str]) -> str:
    """The permissions a comune lacks, in few words: «Newsletter, Tecnico», «tutti tranne Sito web», «tutti»."""
    if len(missing) == len(PERMISSION_KEYS):
        return "tutti"
    if len(missing) * 2 > len(PERMISSION_KEYS):
        return "tutti tranne " + ", ".join(SHORT[k] for k in PERMISSION_KEYS if k not in missing)
    return ", ".join(SHORT[k] for k in PERMISSION_KEYS if k in missing)


_KEY_OF = {
    label: key for key, label in zip(PERMISSION_KEYS, permission_labels(PERMISSION_KEYS).split(", "), strict=True)
}


def short_permissions(labels: str) -> str:
    """``permission_labels``' text (the reminders list, the downloads) in the table's few words."""
    keys = [_KEY_OF[label] for label in labels.split(", ") if label in _KEY_OF] if labels else []
    return missing_words(keys)
