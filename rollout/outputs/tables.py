"""The outputs: status.json (a stable contract), the comuni, reminders and accounts tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from rollout.italian import days, local_clock, rounded_share, short_date
from rollout.keys import AccountCols as A
from rollout.keys import ComuniCols as C
from rollout.keys import CoverageCols, OutcomeCols, ReminderCols
from rollout.keys import ResponseCols as R
from rollout.outputs.contacts import contacts_of
from rollout.outputs.links import FormLink
from rollout.read.permissions import BY_KEY, PERMISSION_KEYS
from rollout.status import STATUS_LABELS, Snapshot


def iso(ts: pd.Timestamp | None, tz: str) -> str | None:
    """ISO 8601 with the local offset, to the second; None for a missing moment."""
    if ts is None or pd.isna(ts):
        return None
    return ts.tz_convert(tz).isoformat(timespec="seconds")


def iso_texts(moments: pd.Series, tz: str, missing: str | None = None) -> list[str | None]:
    """``iso`` for a whole column at once (``missing`` for an empty moment)."""
    wall, offsets = local_clock(moments, tz)
    return [missing if o is None else t + o for t, o in zip(wall.tolist(), offsets, strict=True)]


def status_dict(snap: Snapshot, reminders: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``status.json`` contract (docs/domain.md): no personal data, keys always present.

    ``reminders``: the reminders' counts (``rollout.reminders.reading.reminders_section``); None when
    the log could not be read (then ``null``)."""
    tz = snap.settings.tz
    comuni = snap.comuni
    entries = []
    first = iso_texts(comuni[C.FIRST_RESPONSE], tz)
    editors = comuni[C.EDITORS].astype(int)
    for row, first_response, count in zip(comuni.itertuples(index=False), first, editors, strict=True):
        entries.append({
            C.NAME: row.name,
            C.CODE: row.code or None,
            C.STATUS: row.status,
            C.FIRST_RESPONSE: first_response,
            C.EDITORS: int(count),
            "permissions": {k: int(getattr(row, k)) for k in PERMISSION_KEYS},
            C.HAS_AT_EDITOR: bool(row.has_at_editor),
        })  # fmt: skip
    cov = snap.coverage
    counts, shares = cov[CoverageCols.COMUNI].astype(int), cov[CoverageCols.SHARE].astype(float)
    unmatched = snap.rows.index[snap.rows[OutcomeCols.OUTCOME] == "unmatched"]
    raw = snap.responses.rows[R.COMUNE_RAW]
    return {
        "as_of": iso(snap.settings.as_of, tz),
        "deadline": snap.settings.deadline_last_second.isoformat(timespec="seconds"),
        "totals": snap.totals,
        "coverage": {
            k: {CoverageCols.COMUNI: int(counts[k]), CoverageCols.SHARE: rounded_share(shares[k])}
            for k in PERMISSION_KEYS
        },
        "comuni": entries,
        "unmatched": [{"row": int(r), "comune": raw.at[r]} for r in sorted(unmatched)],
        "reminders": reminders,
    }


def permission_labels(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(BY_KEY[k].label.removeprefix("Editor ") for k in keys)


def comuni_table(snap: Snapshot) -> pd.DataFrame:
    """One row per participating comune, as in status.json plus province and what is missing."""
    tz = snap.settings.tz
    c = snap.comuni
    out = pd.DataFrame({
        C.NAME: c[C.NAME], C.CODE: c[C.CODE], C.PROVINCE: c[C.PROVINCE], C.STATUS: c[C.STATUS],
        C.FIRST_RESPONSE: iso_texts(c[C.FIRST_RESPONSE], tz, ""),
        C.EDITORS: c[C.EDITORS],
    })  # fmt: skip
    for key in PERMISSION_KEYS:
        out[key] = c[key]
    out[C.HAS_AT_EDITOR] = c[C.HAS_AT_EDITOR]
    out[C.MISSING_PERMISSIONS] = [" ".join(m) for m in c[C.MISSING]]
    out[C.DAYS_LATE] = c[C.DAYS_LATE]
    return out.reset_index(drop=True)


def reminders_table(
    snap: Snapshot,
    comuni: pd.DataFrame | None = None,
    form: FormLink | None = None,
    bounced: Iterable[str] = frozenset(),
) -> pd.DataFrame:
    """Who to chase: no valid response yet, or answered without an Amministrazione Trasparente editor.

    ``comuni`` narrows the list to a subset of ``snap.comuni`` (the dashboard's filters); ``form``
    gives each comune its own (pre-filled) link to the form, column ``link_modulo``; ``bounced``:
    addresses known to bounce, never chosen as the contact (``rollout.outputs.contacts``).
    """
    form = form or FormLink()
    c = snap.comuni if comuni is None else comuni
    s = snap.settings
    deadline = short_date(s.deadline)
    chase = c.loc[c[C.STATUS].isin(["pending", "missing"]) | ~c[C.HAS_AT_EDITOR]].copy()
    reasons = []
    for status, late in zip(chase[C.STATUS], chase[C.DAYS_LATE].astype(int), strict=True):
        if status == "pending":
            reasons.append(f"nessuna risposta (scadenza {deadline})")
        elif status == "missing":
            reasons.append(f"nessuna risposta: scadenza del {deadline} superata da {days(late)}")
        else:
            reasons.append("nessun editor Amministrazione Trasparente")
    contact, source = contacts_of(chase, bounced)
    out = pd.DataFrame({
        ReminderCols.COMUNE: chase[C.NAME], ReminderCols.PROVINCE: chase[C.PROVINCE], ReminderCols.CODE: chase[C.CODE],
        ReminderCols.STATUS: chase[C.STATUS], ReminderCols.STATUS_LABEL: chase[C.STATUS].map(STATUS_LABELS),
        ReminderCols.REASONS: reasons,
        ReminderCols.MISSING_PERMISSIONS: [permission_labels(m) for m in chase[C.MISSING]],
        ReminderCols.DAYS_LATE: chase[C.DAYS_LATE],
        ReminderCols.CONTACT_NAME: chase[C.CONTACT_NAME], ReminderCols.CONTACT: contact,
        ReminderCols.CONTACT_SOURCE: source,
        ReminderCols.WAVE: chase[C.WAVE],
        ReminderCols.LINK_MODULO: form.for_comuni(chase[C.NAME], chase[C.PROVINCE], chase[C.CODE]),
    })  # fmt: skip
    rank = out[ReminderCols.STATUS].map({"missing": 0, "pending": 1, "late": 2, "on_time": 3})
    out = out.assign(_rank=rank).sort_values(
        ["_rank", ReminderCols.DAYS_LATE, ReminderCols.PROVINCE, ReminderCols.COMUNE],
        ascending=[True, False, True, True],
    )
    return out.drop(columns="_rank").reset_index(drop=True)


def accounts_table(snap: Snapshot) -> pd.DataFrame:
    """The clean list of editors to configure: one row per current employee."""
    e = snap.editors
    c = snap.comuni
    tz = snap.settings.tz
    out = pd.DataFrame({
        A.COMUNE: c[C.NAME].reindex(e[R.CID]).to_numpy(),
        A.CODE: c[C.CODE].reindex(e[R.CID]).to_numpy(),
        A.PROVINCE: c[C.PROVINCE].reindex(e[R.CID]).to_numpy(),
        A.SURNAME: e[R.SURNAME].to_numpy(),
        A.FIRST_NAME: e[R.FIRST_NAME].to_numpy(),
        A.FULL_NAME: e[R.NAME].to_numpy(),
        A.EMAIL: e[R.EMAIL].where(e[R.EMAIL] != "", e[R.EMAIL_RAW]).to_numpy(),
        A.FISCAL_CODE: e[R.FISCAL_CODE].to_numpy(),
    })  # fmt: skip
    for key in PERMISSION_KEYS:
        out[key] = e[key].astype(int).to_numpy()
    out[A.RESPONSE_TIME] = iso_texts(e[R.TS], tz)
    out[A.ROW] = e.index.to_numpy()
    return out.sort_values([A.COMUNE, A.PROVINCE, A.FULL_NAME, A.ROW], ignore_index=True)
