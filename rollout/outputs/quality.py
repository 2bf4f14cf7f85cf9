"""Data quality: every input row accounted for, and the lists the PM reviews and fixes."""

from __future__ import annotations

import pandas as pd

from rollout.outputs.tables import iso_texts
from rollout.read.matching import METHOD_LABELS, alias_line
from rollout.read.text import map_unique, person_key
from rollout.status import OUTCOME_LABELS, Snapshot


def _comune_names(snap: Snapshot, cids: pd.Series) -> pd.Series:
    return snap.comuni["name"].reindex(cids).fillna("").astype(str).set_axis(cids.index)


def rows_table(snap: Snapshot) -> pd.DataFrame:
    """One line per input row: what became of it and why (no personal data)."""
    r = snap.responses.rows
    t = snap.rows
    tz = snap.settings.tz
    return pd.DataFrame({
        "row": r.index.to_numpy(),
        "outcome": t["outcome"].to_numpy(),
        "outcome_label": t["outcome"].map(OUTCOME_LABELS).to_numpy(),
        "reason": t["reason"].to_numpy(),
        "timestamp": iso_texts(r["ts"], tz, ""),
        "comune_typed": r["comune_raw"].to_numpy(),
        "comune": _comune_names(snap, r["cid"]).to_numpy(),
        "match": r["match_method"].map(METHOD_LABELS).fillna("").to_numpy(),
        "replaced_by": t["replaced_by"].astype(str).replace("<NA>", "").to_numpy(),
    })  # fmt: skip


def unmatched_table(snap: Snapshot) -> pd.DataFrame:
    """Rows whose comune could not be matched, with the best suggestion and an alias line."""
    r = snap.responses.rows
    rows = r.loc[snap.rows["outcome"] == "unmatched"]
    suggestion = rows["suggestion"]
    first_choice = suggestion.str.split(r" / |, ", regex=True).str[0].fillna("")
    return pd.DataFrame({
        "row": rows.index.to_numpy(),
        "comune_typed": rows["comune_raw"].to_numpy(),
        "problem": snap.rows.loc[rows.index, "reason"].to_numpy(),
        "suggestion": suggestion.to_numpy(),
        "alias": [alias_line(t, s) if s else "" for t, s in zip(rows["comune_raw"], first_choice, strict=True)],
    })  # fmt: skip


def invalid_table(snap: Snapshot) -> pd.DataFrame:
    r = snap.responses.rows
    rows = r.loc[snap.rows["outcome"] == "invalid"]
    return pd.DataFrame({
        "row": rows.index.to_numpy(),
        "comune_typed": rows["comune_raw"].to_numpy(),
        "comune": _comune_names(snap, rows["cid"]).to_numpy(),
        "reason": snap.rows.loc[rows.index, "reason"].to_numpy(),
        "name": rows["name"].to_numpy(),
    })  # fmt: skip


def replaced_table(snap: Snapshot) -> pd.DataFrame:
    """Responses replaced by a later one of the same employee (corrections)."""
    r = snap.responses.rows
    t = snap.rows
    rows = r.loc[t["outcome"] == "replaced"]
    by = t.loc[rows.index, "replaced_by"].astype(int)
    later_name = r["name"].reindex(by).to_numpy()
    return pd.DataFrame({
        "row": rows.index.to_numpy(),
        "replaced_by": by.to_numpy(),
        "comune": _comune_names(snap, rows["cid"]).to_numpy(),
        "name": rows["name"].to_numpy(),
        "email": rows["email"].to_numpy(),
        "note": ["" if a == b else f"nome diverso nella risposta successiva: {b}" for a, b in zip(rows["name"], later_name, strict=True)],
    })  # fmt: skip


def unknown_permissions_table(snap: Snapshot) -> pd.DataFrame:
    """Texts in the permissions answer that are none of the seven (the form's "Altro")."""
    u = snap.responses.unknown_permissions
    in_view = snap.rows.loc[u["row"], "outcome"].to_numpy() != "after_as_of"
    u = u.loc[in_view]
    return pd.DataFrame({
        "row": u["row"].to_numpy(),
        "comune": _comune_names(snap, u["cid"]).where(u["cid"].to_numpy() >= 0, u["comune_raw"]).to_numpy(),
        "text": u["unknown_text"].to_numpy(),
        "counted": (u["problem"] == "").to_numpy(),
    })  # fmt: skip


def possible_duplicates(snap: Snapshot) -> pd.DataFrame:
    """Current editors of one comune who share a name under different identities (email vs none)."""
    e = snap.editors
    if e.empty:
        return pd.DataFrame(columns=["comune", "name", "rows"])
    key = pd.Series(map_unique(e["name"], person_key), index=e.index, dtype=str)
    frame = e[["cid", "name"]].assign(_key=key).loc[key != ""]
    dup = frame.loc[frame.duplicated(["cid", "_key"], keep=False)]  # no Python call per group
    if dup.empty:
        return pd.DataFrame(columns=["comune", "name", "rows"])
    out = (
        dup.reset_index()
        .groupby(["cid", "_key"])
        .agg(name=("name", "first"), rows=("row", lambda s: ", ".join(map(str, s))))
    )
    out = out.reset_index()
    out.insert(0, "comune", _comune_names(snap, out["cid"]))
    return out[["comune", "name", "rows"]]


def exact_names(snap: Snapshot) -> tuple[int, int]:
    """Responses up to as_of whose comune was written exactly as listed (as a pre-filled link writes
    it), and all the responses up to as_of with a recognised comune."""
    r = snap.responses.rows
    in_view = (snap.rows["outcome"] != "after_as_of").to_numpy()
    matched = r.loc[in_view & (r["cid"] >= 0).to_numpy()]
    listed = snap.comuni["name"].reindex(matched["cid"]).to_numpy()
    return int((matched["comune_raw"].to_numpy() == listed).sum()), len(matched)
