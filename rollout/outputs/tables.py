"""The outputs: status.json (a stable contract), the comuni, reminders and accounts tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from rollout.italian import days, local_clock, rounded_share, short_date
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
    first = iso_texts(comuni["first_response"], tz)
    for row, first_response in zip(comuni.itertuples(index=False), first, strict=True):
        entries.append({
            "name": row.name,
            "code": row.code or None,
            "status": row.status,
            "first_response": first_response,
            "editors": int(row.editors),
            "permissions": {k: int(getattr(row, k)) for k in PERMISSION_KEYS},
            "has_at_editor": bool(row.has_at_editor),
        })  # fmt: skip
    cov = snap.coverage
    unmatched = snap.rows.index[snap.rows["outcome"] == "unmatched"]
    raw = snap.responses.rows["comune_raw"]
    return {
        "as_of": iso(snap.settings.as_of, tz),
        "deadline": snap.settings.deadline_last_second.isoformat(timespec="seconds"),
        "totals": snap.totals,
        "coverage": {
            k: {"comuni": int(cov.at[k, "comuni"]), "share": rounded_share(cov.at[k, "share"])} for k in PERMISSION_KEYS
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
        "name": c["name"], "code": c["code"], "province": c["province"], "status": c["status"],
        "first_response": iso_texts(c["first_response"], tz, ""),
        "editors": c["editors"],
    })  # fmt: skip
    for key in PERMISSION_KEYS:
        out[key] = c[key]
    out["has_at_editor"] = c["has_at_editor"]
    out["missing_permissions"] = [" ".join(m) for m in c["missing"]]
    out["days_late"] = c["days_late"]
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
    chase = c.loc[c["status"].isin(["pending", "missing"]) | ~c["has_at_editor"]].copy()
    reasons = []
    for row in chase.itertuples():
        if row.status == "pending":
            reasons.append(f"nessuna risposta (scadenza {deadline})")
        elif row.status == "missing":
            reasons.append(f"nessuna risposta: scadenza del {deadline} superata da {days(row.days_late)}")
        else:
            reasons.append("nessun editor Amministrazione Trasparente")
    contact, source = contacts_of(chase, bounced)
    out = pd.DataFrame({
        "comune": chase["name"], "province": chase["province"], "code": chase["code"],
        "status": chase["status"], "status_label": chase["status"].map(STATUS_LABELS),
        "reasons": reasons,
        "missing_permissions": [permission_labels(m) for m in chase["missing"]],
        "days_late": chase["days_late"],
        "contact_name": chase["contact_name"], "contact": contact, "contact_source": source,
        "wave": chase["wave"],
        "link_modulo": form.for_comuni(chase["name"], chase["province"], chase["code"]),
    })  # fmt: skip
    rank = out["status"].map({"missing": 0, "pending": 1, "late": 2, "on_time": 3})
    out = out.assign(_rank=rank).sort_values(
        ["_rank", "days_late", "province", "comune"], ascending=[True, False, True, True]
    )
    return out.drop(columns="_rank").reset_index(drop=True)


def accounts_table(snap: Snapshot) -> pd.DataFrame:
    """The clean list of editors to configure: one row per current employee."""
    e = snap.editors
    c = snap.comuni
    tz = snap.settings.tz
    out = pd.DataFrame({
        "comune": c["name"].reindex(e["cid"]).to_numpy(),
        "code": c["code"].reindex(e["cid"]).to_numpy(),
        "province": c["province"].reindex(e["cid"]).to_numpy(),
        "surname": e["surname"].to_numpy(),
        "first_name": e["first_name"].to_numpy(),
        "full_name": e["name"].to_numpy(),
        "email": e["email"].where(e["email"] != "", e["email_raw"]).to_numpy(),
        "fiscal_code": e["fiscal_code"].to_numpy(),
    })  # fmt: skip
    for key in PERMISSION_KEYS:
        out[key] = e[key].astype(int).to_numpy()
    out["response_time"] = iso_texts(e["ts"], tz)
    out["row"] = e.index.to_numpy()
    return out.sort_values(["comune", "province", "full_name", "row"], ignore_index=True)
