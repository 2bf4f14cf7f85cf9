"""Data quality: every input row accounted for, and the lists the PM reviews and fixes."""

from __future__ import annotations

import pandas as pd

from rollout.keys import ComuniCols as C
from rollout.keys import OutcomeCols
from rollout.keys import QualityCols as Q
from rollout.keys import ResponseCols as R
from rollout.outputs.tables import iso_texts
from rollout.read.matching import METHOD_LABELS, alias_line
from rollout.read.text import map_unique, person_key
from rollout.status import OUTCOME_LABELS, Snapshot


def _comune_names(snap: Snapshot, cids: pd.Series) -> pd.Series:
    return snap.comuni[C.NAME].reindex(cids).fillna("").astype(str).set_axis(cids.index)


def rows_table(snap: Snapshot) -> pd.DataFrame:
    """One line per input row: what became of it and why (no personal data)."""
    r = snap.responses.rows
    t = snap.rows
    tz = snap.settings.tz
    return pd.DataFrame({
        Q.ROW: r.index.to_numpy(),
        Q.OUTCOME: t[OutcomeCols.OUTCOME].to_numpy(),
        Q.OUTCOME_LABEL: t[OutcomeCols.OUTCOME].map(OUTCOME_LABELS).to_numpy(),
        Q.REASON: t[OutcomeCols.REASON].to_numpy(),
        Q.TIMESTAMP: iso_texts(r[R.TS], tz, ""),
        Q.COMUNE_TYPED: r[R.COMUNE_RAW].to_numpy(),
        Q.COMUNE: _comune_names(snap, r[R.CID]).to_numpy(),
        Q.MATCH: r[R.MATCH_METHOD].map(METHOD_LABELS).fillna("").to_numpy(),
        Q.REPLACED_BY: t[OutcomeCols.REPLACED_BY].astype(str).replace("<NA>", "").to_numpy(),
    })  # fmt: skip


def unmatched_table(snap: Snapshot) -> pd.DataFrame:
    """Rows whose comune could not be matched, with the best suggestion and an alias line."""
    r = snap.responses.rows
    rows = r.loc[snap.rows[OutcomeCols.OUTCOME] == "unmatched"]
    suggestion = rows[R.SUGGESTION]
    first_choice = suggestion.str.split(r" / |, ", regex=True).str[0].fillna("")
    return pd.DataFrame({
        Q.ROW: rows.index.to_numpy(),
        Q.COMUNE_TYPED: rows[R.COMUNE_RAW].to_numpy(),
        Q.PROBLEM: snap.rows.loc[rows.index, OutcomeCols.REASON].to_numpy(),
        Q.SUGGESTION: suggestion.to_numpy(),
        Q.ALIAS: [alias_line(t, s) if s else "" for t, s in zip(rows[R.COMUNE_RAW], first_choice, strict=True)],
    })  # fmt: skip


def invalid_table(snap: Snapshot) -> pd.DataFrame:
    r = snap.responses.rows
    rows = r.loc[snap.rows[OutcomeCols.OUTCOME] == "invalid"]
    return pd.DataFrame({
        Q.ROW: rows.index.to_numpy(),
        Q.COMUNE_TYPED: rows[R.COMUNE_RAW].to_numpy(),
        Q.COMUNE: _comune_names(snap, rows[R.CID]).to_numpy(),
        Q.REASON: snap.rows.loc[rows.index, OutcomeCols.REASON].to_numpy(),
        Q.NAME: rows[R.NAME].to_numpy(),
    })  # fmt: skip


def replaced_table(snap: Snapshot) -> pd.DataFrame:
    """Responses replaced by a later one of the same employee (corrections)."""
    r = snap.responses.rows
    t = snap.rows
    rows = r.loc[t[OutcomeCols.OUTCOME] == "replaced"]
    by = t.loc[rows.index, OutcomeCols.REPLACED_BY].astype(int)
    later_name = r[R.NAME].reindex(by).to_numpy()
    return pd.DataFrame({
        Q.ROW: rows.index.to_numpy(),
        Q.REPLACED_BY: by.to_numpy(),
        Q.COMUNE: _comune_names(snap, rows[R.CID]).to_numpy(),
        Q.NAME: rows[R.NAME].to_numpy(),
        Q.EMAIL: rows[R.EMAIL].to_numpy(),
        Q.NOTE: ["" if a == b else f"nome diverso nella risposta successiva: {b}" for a, b in zip(rows[R.NAME], later_name, strict=True)],
    })  # fmt: skip


def unknown_permissions_table(snap: Snapshot) -> pd.DataFrame:
    """Texts in the permissions answer that are none of the seven (the form's "Altro")."""
    u = snap.responses.unknown_permissions
    in_view = snap.rows.loc[u[R.ROW], OutcomeCols.OUTCOME].to_numpy() != "after_as_of"
    u = u.loc[in_view]
    return pd.DataFrame({
        Q.ROW: u[R.ROW].to_numpy(),
        Q.COMUNE: _comune_names(snap, u[R.CID]).where(u[R.CID].to_numpy() >= 0, u[R.COMUNE_RAW]).to_numpy(),
        Q.TEXT: u[R.UNKNOWN_TEXT].to_numpy(),
        Q.COUNTED: (u[R.PROBLEM] == "").to_numpy(),
    })  # fmt: skip


def possible_duplicates(snap: Snapshot) -> pd.DataFrame:
    """Current editors of one comune who share a name under different identities (email vs none)."""
    e = snap.editors
    if e.empty:
        return pd.DataFrame(columns=[Q.COMUNE, Q.NAME, Q.ROWS])
    key = pd.Series(map_unique(e[R.NAME], person_key), index=e.index, dtype=str)
    frame = e[[R.CID, R.NAME]].assign(_key=key).loc[key != ""]
    dup = frame.loc[frame.duplicated([R.CID, "_key"], keep=False)]  # no Python call per group
    if dup.empty:
        return pd.DataFrame(columns=[Q.COMUNE, Q.NAME, Q.ROWS])
    out = (
        dup.reset_index()
        .groupby([R.CID, "_key"])
        .agg(**{Q.NAME: (R.NAME, "first"), Q.ROWS: (R.ROW, lambda s: ", ".join(map(str, s)))})
    )
    out = out.reset_index()
    out.insert(0, Q.COMUNE, _comune_names(snap, out[R.CID]))
    return out[[Q.COMUNE, Q.NAME, Q.ROWS]]


def exact_names(snap: Snapshot) -> tuple[int, int]:
    """Responses up to as_of whose comune was written exactly as listed (as a pre-filled link writes
    it), and all the responses up to as_of with a recognised comune."""
    r = snap.responses.rows
    in_view = (snap.rows[OutcomeCols.OUTCOME] != "after_as_of").to_numpy()
    matched = r.loc[in_view & (r[R.CID] >= 0).to_numpy()]
    listed = snap.comuni[C.NAME].reindex(matched[R.CID]).to_numpy()
    return int((matched[R.COMUNE_RAW].to_numpy() == listed).sum()), len(matched)
