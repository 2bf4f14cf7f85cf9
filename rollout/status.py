"""The state of the campaign at a moment (``as_of``): statuses, current editors, coverage.

Cheap on purpose: the dashboard calls it again for the previous week and for time travel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

# The statuses' and outcomes' names live with the rest of the wording; imported from here too.
from rollout.italian import OUTCOME_LABELS as OUTCOME_LABELS
from rollout.italian import STATUS_LABELS as STATUS_LABELS
from rollout.read.comuni import ComuniList
from rollout.read.matching import PROBLEM_LABELS as MATCH_LABELS
from rollout.read.permissions import PERMISSION_KEYS
from rollout.read.responses import PROBLEM_LABELS, Responses

STATUSES = ("on_time", "late", "pending", "missing")
OUTCOMES = ("counted", "replaced", "after_as_of", "unmatched", "invalid")


@dataclass(frozen=True)
class Settings:
    """The deadline (a day, inclusive), the moment of observation and the time zone."""

    deadline: dt.date
    as_of: pd.Timestamp
    tz: str = "Europe/Rome"

    @property
    def deadline_end(self) -> pd.Timestamp:
        """The first instant after the deadline day (exclusive bound), in UTC."""
        nxt = dt.datetime.combine(self.deadline + dt.timedelta(days=1), dt.time(), ZoneInfo(self.tz))
        return pd.Timestamp(nxt).tz_convert("UTC")

    @property
    def deadline_last_second(self) -> pd.Timestamp:
        """23:59:59 of the deadline day, local time (as shown and written in status.json)."""
        return pd.Timestamp(dt.datetime.combine(self.deadline, dt.time(23, 59, 59), ZoneInfo(self.tz)))

    @property
    def as_of_local(self) -> pd.Timestamp:
        return self.as_of.tz_convert(self.tz)

    def local_date(self, ts: pd.Timestamp) -> dt.date:
        return ts.tz_convert(self.tz).date()

    @property
    def days_past_deadline(self) -> int:
        """Whole days from the deadline day to as_of's day (negative before the deadline)."""
        return (self.as_of_local.date() - self.deadline).days

    def shifted(self, days: int) -> Settings:
        return Settings(self.deadline, self.as_of + pd.Timedelta(days=days), self.tz)

    def week_before(self) -> Settings:
        """The same campaign seven days earlier: what every «in 7 giorni» compares with."""
        return self.shifted(-WEEK_DAYS)


WEEK_DAYS = 7


@dataclass(frozen=True)
class Snapshot:
    """Everything known at ``settings.as_of``."""

    settings: Settings
    comuni: pd.DataFrame  # one row per participating comune (index = cid)
    current: pd.Index  # sheet rows of the current editors: each employee's latest valid response
    rows: pd.DataFrame  # every response row with its outcome and reason (index = sheet row)
    comuni_list: ComuniList
    responses: Responses

    @cached_property
    def editors(self) -> pd.DataFrame:
        """The current editors, with everything the form said about them."""
        return self.responses.rows.loc[self.current]

    @cached_property
    def totals(self) -> dict[str, int]:
        return totals_of(self.comuni)

    def week_before(self) -> Snapshot:
        """The same data seven days before ``as_of``."""
        return evaluate(self.responses, self.comuni_list, self.settings.week_before())

    @cached_property
    def coverage(self) -> pd.DataFrame:
        return coverage_of(self.comuni)

    @cached_property
    def outcome_counts(self) -> dict[str, int]:
        counts = self.rows["outcome"].value_counts()
        return {o: int(counts.get(o, 0)) for o in OUTCOMES}

    @property
    def rows_to_review(self) -> int:
        """Response rows someone must look at: the comune not recognised, or the response not valid."""
        return self.outcome_counts["unmatched"] + self.outcome_counts["invalid"]


def totals_of(comuni: pd.DataFrame) -> dict[str, int]:
    """Comuni by status, and those without an Amministrazione Trasparente editor (any subset)."""
    counts = comuni["status"].value_counts()
    out = {"comuni": len(comuni)}
    out.update({s: int(counts.get(s, 0)) for s in STATUSES})
    out["without_at_editor"] = int((~comuni["has_at_editor"]).sum())
    return out


def coverage_of(comuni: pd.DataFrame) -> pd.DataFrame:
    """Per permission: comuni with at least one current editor, and their share of all."""
    total = len(comuni)
    counts = [int((comuni[k] > 0).sum()) for k in PERMISSION_KEYS]
    shares = [c / total if total else 0.0 for c in counts]
    return pd.DataFrame({"comuni": counts, "share": shares}, index=pd.Index(PERMISSION_KEYS, name="permission"))


def evaluate(responses: Responses, comuni: ComuniList, settings: Settings) -> Snapshot:
    """Statuses, current editors and row outcomes at ``settings.as_of``."""
    rows = responses.rows
    in_view = (rows["ts"] <= settings.as_of).fillna(False).astype(bool).to_numpy()
    problem = rows["problem"]
    outcome = np.select(
        [
            problem.isin(["empty_row", "bad_timestamp"]).to_numpy(),
            ~in_view,
            problem.eq("unmatched").to_numpy(),
            problem.ne("").to_numpy(),
        ],
        ["invalid", "after_as_of", "unmatched", "invalid"],
        default="valid",
    )
    # Only the columns the rules need, with the employee as an integer code: cheap to sort and group.
    slim = rows.loc[outcome == "valid", ["ts", "cid", "ident", "filler_email", *PERMISSION_KEYS]]
    valid = slim.sort_values("ts", kind="stable")
    latest = ~valid.duplicated(["cid", "ident"], keep="last").to_numpy()
    current = valid.loc[latest]
    replaced = valid.loc[~latest]
    successor = pd.Series(current.index.to_numpy(), index=_pair(current))
    replaced_by = pd.Series(successor.reindex(_pair(replaced)).to_numpy(), index=replaced.index)

    table = pd.DataFrame(index=rows.index)
    table["outcome"] = np.where(outcome == "valid", "counted", outcome)
    table.loc[replaced.index, "outcome"] = "replaced"
    table["reason"] = _reasons(rows, table["outcome"], replaced_by)
    table["replaced_by"] = replaced_by.reindex(rows.index).astype("Int64")
    status = _comuni_status(comuni, valid, current, settings)
    return Snapshot(settings, status, current.index, table, comuni, responses)


def _pair(frame: pd.DataFrame) -> pd.Index:
    """(comune, employee) as one integer per row."""
    return pd.Index(frame["cid"].to_numpy(np.int64) * (1 << 32) + frame["ident"].to_numpy(np.int64))


def _reasons(rows: pd.DataFrame, outcome: pd.Series, replaced_by: pd.Series) -> pd.Series:
    reason = pd.Series("", index=rows.index, dtype=str)
    invalid = outcome.eq("invalid")
    reason[invalid] = rows.loc[invalid, "problem"].map(PROBLEM_LABELS)
    only_other = invalid & rows["problem"].eq("no_permission") & rows["unknown_text"].ne("")
    reason[only_other] = "nessun permesso riconosciuto; testo non riconosciuto: " + rows.loc[only_other, "unknown_text"]
    bad_ts = invalid & rows["problem"].eq("bad_timestamp")
    reason[bad_ts] = "data/ora della risposta illeggibile: '" + rows.loc[bad_ts, "ts_raw"] + "'"
    unmatched = outcome.eq("unmatched")
    reason[unmatched] = (
        rows.loc[unmatched, "match_problem"].map(MATCH_LABELS).fillna("comune non riconosciuto")
        + ": " + rows.loc[unmatched, "match_detail"]
    )  # fmt: skip
    reason[replaced_by.index] = "sostituita dalla risposta della riga " + replaced_by.astype(str)
    return reason


def _comuni_status(comuni: ComuniList, valid: pd.DataFrame, current: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    out = comuni.frame.copy()
    first = valid.groupby("cid")["ts"].min()
    out["first_response"] = first.reindex(out.index)
    last = valid.groupby("cid")["ts"].max()
    out["last_response"] = last.reindex(out.index)
    out["editors"] = current.groupby("cid").size().reindex(out.index, fill_value=0).astype(int)
    perms = current.groupby("cid")[list(PERMISSION_KEYS)].sum().reindex(out.index, fill_value=0).astype(int)
    for key in PERMISSION_KEYS:
        out[key] = perms[key]
    answered = out["first_response"].notna()
    on_time = answered & (out["first_response"] < settings.deadline_end)
    passed = settings.as_of >= settings.deadline_end
    out["status"] = np.select(
        [on_time, answered, ~answered & (not passed)], ["on_time", "late", "pending"], default="missing"
    )
    out["has_at_editor"] = out["amministrazione_trasparente"] > 0
    covered = perms.to_numpy() > 0
    out["missing"] = [tuple(k for k, has in zip(PERMISSION_KEYS, row, strict=True) if not has) for row in covered]
    first_day = out["first_response"].dt.tz_convert(settings.tz).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    late = (first_day - np.datetime64(settings.deadline, "D")).astype("timedelta64[D]").astype(np.int64)
    late = np.where(out["first_response"].isna().to_numpy(), max(settings.days_past_deadline, 0), late)
    out["days_late"] = np.where(out["status"].isin(["late", "missing"]), late, 0).astype(int)
    with_filler = current.loc[current["filler_email"] != ""].sort_values("ts", kind="stable")
    filler = with_filler.groupby("cid")["filler_email"].last()
    out["filler_email"] = filler.reindex(out.index).fillna("").astype(str)
    return out
