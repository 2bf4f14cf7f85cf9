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
from rollout.keys import ComuniCols as C
from rollout.keys import CoverageCols, OutcomeCols, TotalKeys
from rollout.keys import ResponseCols as R
from rollout.read.comuni import ComuniList
from rollout.read.matching import PROBLEM_LABELS as MATCH_LABELS
from rollout.read.permissions import AT_KEY, PERMISSION_KEYS
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
        counts = self.rows[OutcomeCols.OUTCOME].value_counts()
        return {o: int(counts.get(o, 0)) for o in OUTCOMES}

    @property
    def rows_to_review(self) -> int:
        """Response rows someone must look at: the comune not recognised, or the response not valid."""
        return self.outcome_counts["unmatched"] + self.outcome_counts["invalid"]


def totals_of(comuni: pd.DataFrame) -> dict[str, int]:
    """Comuni by status, and those without an Amministrazione Trasparente editor (any subset)."""
    counts = comuni[C.STATUS].value_counts()
    out = {TotalKeys.COMUNI: len(comuni)}
    out.update({s: int(counts.get(s, 0)) for s in STATUSES})
    out[TotalKeys.WITHOUT_AT_EDITOR] = int((~comuni[C.HAS_AT_EDITOR]).sum())
    return out


def coverage_of(comuni: pd.DataFrame) -> pd.DataFrame:
    """Per permission: comuni with at least one current editor, and their share of all."""
    total = len(comuni)
    counts = [int((comuni[k] > 0).sum()) for k in PERMISSION_KEYS]
    shares = [c / total if total else 0.0 for c in counts]
    return pd.DataFrame(
        {CoverageCols.COMUNI: counts, CoverageCols.SHARE: shares},
        index=pd.Index(PERMISSION_KEYS, name=CoverageCols.PERMISSION),
    )


def evaluate(responses: Responses, comuni: ComuniList, settings: Settings) -> Snapshot:
    """Statuses, current editors and row outcomes at ``settings.as_of``."""
    rows = responses.rows
    in_view = (rows[R.TS] <= settings.as_of).fillna(False).astype(bool).to_numpy()
    problem = rows[R.PROBLEM]
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
    slim = rows.loc[outcome == "valid", [R.TS, R.CID, R.IDENT, R.FILLER_EMAIL, *PERMISSION_KEYS]]
    valid = slim.sort_values(R.TS, kind="stable")
    latest = ~valid.duplicated([R.CID, R.IDENT], keep="last").to_numpy()
    current = valid.loc[latest]
    replaced = valid.loc[~latest]
    successor = pd.Series(current.index.to_numpy(), index=_pair(current))
    replaced_by = pd.Series(successor.reindex(_pair(replaced)).to_numpy(), index=replaced.index)

    table = pd.DataFrame(index=rows.index)
    table[OutcomeCols.OUTCOME] = np.where(outcome == "valid", "counted", outcome)
    table.loc[replaced.index, OutcomeCols.OUTCOME] = "replaced"
    table[OutcomeCols.REASON] = _reasons(rows, table[OutcomeCols.OUTCOME], replaced_by)
    table[OutcomeCols.REPLACED_BY] = replaced_by.reindex(rows.index).astype("Int64")
    status = _comuni_status(comuni, valid, current, settings)
    return Snapshot(settings, status, current.index, table, comuni, responses)


def _pair(frame: pd.DataFrame) -> pd.Index:
    """(comune, employee) as one integer per row."""
    return pd.Index(frame[R.CID].to_numpy(np.int64) * (1 << 32) + frame[R.IDENT].to_numpy(np.int64))


def _reasons(rows: pd.DataFrame, outcome: pd.Series, replaced_by: pd.Series) -> pd.Series:
    reason = pd.Series("", index=rows.index, dtype=str)
    invalid = outcome.eq("invalid")
    reason[invalid] = rows.loc[invalid, R.PROBLEM].map(PROBLEM_LABELS)
    only_other = invalid & rows[R.PROBLEM].eq("no_permission") & rows[R.UNKNOWN_TEXT].ne("")
    reason[only_other] = "nessun permesso riconosciuto; testo non riconosciuto: " + rows.loc[only_other, R.UNKNOWN_TEXT]
    bad_ts = invalid & rows[R.PROBLEM].eq("bad_timestamp")
    reason[bad_ts] = "data/ora della risposta illeggibile: '" + rows.loc[bad_ts, R.TS_RAW] + "'"
    unmatched = outcome.eq("unmatched")
    reason[unmatched] = (
        rows.loc[unmatched, R.MATCH_PROBLEM].map(MATCH_LABELS).fillna("comune non riconosciuto")
        + ": " + rows.loc[unmatched, R.MATCH_DETAIL]
    )  # fmt: skip
    reason[replaced_by.index] = "sostituita dalla risposta della riga " + replaced_by.astype(str)
    return reason


def _comuni_status(comuni: ComuniList, valid: pd.DataFrame, current: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    out = comuni.frame.copy()
    first = valid.groupby(R.CID)[R.TS].min()
    out[C.FIRST_RESPONSE] = first.reindex(out.index)
    last = valid.groupby(R.CID)[R.TS].max()
    out[C.LAST_RESPONSE] = last.reindex(out.index)
    out[C.EDITORS] = current.groupby(R.CID).size().reindex(out.index, fill_value=0).astype(int)
    perms = current.groupby(R.CID)[list(PERMISSION_KEYS)].sum().reindex(out.index, fill_value=0).astype(int)
    for key in PERMISSION_KEYS:
        out[key] = perms[key]
    answered = out[C.FIRST_RESPONSE].notna()
    on_time = answered & (out[C.FIRST_RESPONSE] < settings.deadline_end)
    passed = settings.as_of >= settings.deadline_end
    out[C.STATUS] = np.select(
        [on_time, answered, ~answered & (not passed)], ["on_time", "late", "pending"], default="missing"
    )
    out[C.HAS_AT_EDITOR] = out[AT_KEY] > 0
    covered = perms.to_numpy() > 0
    out[C.MISSING] = [tuple(k for k, has in zip(PERMISSION_KEYS, row, strict=True) if not has) for row in covered]
    first_day = out[C.FIRST_RESPONSE].dt.tz_convert(settings.tz).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    late = (first_day - np.datetime64(settings.deadline, "D")).astype("timedelta64[D]").astype(np.int64)
    late = np.where(out[C.FIRST_RESPONSE].isna().to_numpy(), max(settings.days_past_deadline, 0), late)
    out[C.DAYS_LATE] = np.where(out[C.STATUS].isin(["late", "missing"]), late, 0).astype(int)
    with_filler = current.loc[current[R.FILLER_EMAIL] != ""].sort_values(R.TS, kind="stable")
    filler = with_filler.groupby(R.CID)[R.FILLER_EMAIL].last()
    out[C.FILLER_EMAIL] = filler.reindex(out.index).fillna("").astype(str)
    return out
