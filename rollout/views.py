"""Subsets and orderings of the comuni table that the pages share (pandas only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from rollout.italian import AT_LONG, answered_part, number, percent, plural, signed, without_at
from rollout.read.permissions import PERMISSION_KEYS, PERMISSIONS
from rollout.read.text import words
from rollout.status import totals_of

if TYPE_CHECKING:
    from rollout.status import Settings, Snapshot


@dataclass(frozen=True)
class Kpi:
    """One of the headline figures of the Panoramica and of the weekly picture."""

    label: str
    key: str  # in ``totals_of``
    rise_is_bad: bool
    help: str = ""


KPIS = (
    Kpi("Comuni", "comuni", False),
    Kpi("In tempo", "on_time", False),
    Kpi("In ritardo", "late", False),
    Kpi("In attesa", "pending", True, "Nessuna risposta, scadenza non ancora passata"),
    Kpi("Mancanti", "missing", True, "Nessuna risposta, scadenza passata"),
    Kpi(
        "Senza editor AT", "without_at_editor", True,
        f"Comuni {AT_LONG}, che abbiano risposto o no; sotto, quanti di loro hanno risposto",
    ),
)  # fmt: skip


def week_totals(view: pd.DataFrame, week_before: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """The KPIs' figures for the comuni of ``view``, now and seven days before (``week_before``:
    the comuni table of ``Snapshot.week_before``; the same comuni are counted)."""
    return totals_of(view), totals_of(week_before.loc[view.index])


def answered_without_at(comuni: pd.DataFrame) -> int:
    """The comuni that answered (on time or late) without naming an AT editor: the part of
    ``totals.without_at_editor`` that needs a reminder for the editor alone."""
    return int((comuni["status"].isin(["on_time", "late"]) & ~comuni["has_at_editor"]).sum())


@dataclass(frozen=True)
class KpiFigure:
    """One KPI as the Panoramica and the picture write it: the figure, its change in seven days and
    the line under it (the share of all comuni; for «Senza editor AT», how many of them answered)."""

    kpi: Kpi
    value: int
    change: int
    note: str

    @property
    def value_text(self) -> str:
        return number(self.value)

    @property
    def change_text(self) -> str:
        return signed(self.change)


def kpi_figures(now: dict[str, int], before: dict[str, int], answered: int | None = None) -> list[KpiFigure]:
    """The KPIs of ``week_totals``; ``answered``: ``answered_without_at`` of the same comuni (without
    it, «Senza editor AT» gets the share of all comuni like the others)."""
    total = now["comuni"]
    out = []
    for kpi in KPIS:
        value = now[kpi.key]
        if kpi.key == "without_at_editor" and answered is not None:
            note = answered_part(answered)
        else:
            note = "" if kpi.key == "comuni" or not total else f"{percent(value / total)} dei comuni"
        out.append(KpiFigure(kpi, value, value - before[kpi.key], note))
    return out


@dataclass(frozen=True)
class Overview:
    """What the weekly picture shows: the comuni now and seven days before, the settings and the
    count of rows to review. No response rows (names, emails, fiscal codes): small enough to send
    to another process."""

    settings: Settings
    comuni: pd.DataFrame
    week_before: pd.DataFrame  # the comuni table seven days earlier
    rows_to_review: int

    @classmethod
    def of(cls, snap: Snapshot, week_before: Snapshot | None = None) -> Overview:
        """``week_before``: ``snap.week_before()``, computed here unless given."""
        before = week_before if week_before is not None else snap.week_before()
        return cls(snap.settings, snap.comuni, before.comuni, snap.rows_to_review)


@dataclass(frozen=True)
class Todo:
    """One kind of action the campaign needs, with the comuni it concerns (most urgent first)."""

    kind: str  # missing | pending | no_at | review
    count: int  # no_at: those that answered without an AT editor (the ones to ask for one)
    names: tuple[str, ...]  # the comuni, for the dashboard; the picture shows counts only
    whole: int = 0  # no_at: every comune without an AT editor (``totals.without_at_editor``)

    @property
    def text(self) -> str:
        """The count in words: ``12 comuni mancanti da sollecitare``; for the comuni without an AT
        editor, all of them and those that answered, as everywhere: ``without_at``."""
        if self.kind == "no_at":
            return without_at(self.whole, self.count)
        return plural(self.count, *_TODO_WORDS[self.kind])


_TODO_WORDS = {  # singular, plural
    "missing": ("comune mancante da sollecitare", "comuni mancanti da sollecitare"),
    "pending": ("comune in attesa di risposta", "comuni in attesa di risposta"),
    "review": ("riga di risposte da verificare", "righe di risposte da verificare"),
}
NOTHING_TO_DO = "nessuna azione in sospeso"


def to_do(comuni: pd.DataFrame, review_rows: int = 0) -> list[Todo]:
    """What needs action, in order: missing comuni (most days late first), pending ones, those that
    answered without an AT editor, response rows to review (unmatched or invalid)."""
    chase = to_chase(comuni)
    whole = int((~comuni["has_at_editor"]).sum())
    items = [Todo(kind, len(chase[kind]), tuple(chase[kind])) for kind in ("missing", "pending")]
    items.append(Todo("no_at", len(chase["no_at"]), tuple(chase["no_at"]), whole))
    items.append(Todo("review", review_rows, ()))
    return [item for item in items if item.count]


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


def permission_matrix(comuni: pd.DataFrame) -> pd.DataFrame:
    """Comune × permission (True = at least one current editor), most gaps first."""
    covered = comuni[list(PERMISSION_KEYS)] > 0
    out = pd.DataFrame({"name": comuni["name"], "province": comuni["province"], "status": comuni["status"]})
    out = out.join(covered)
    out["gaps"] = (~covered).sum(axis=1).astype(int)
    return out.sort_values(["gaps", "province", "name"], ascending=[False, True, True], kind="stable")


def completeness(comuni: pd.DataFrame) -> dict[str, int]:
    """Comuni with every web role, every service office, and all seven permissions covered."""
    web = [p.key for p in PERMISSIONS if p.group == "Sito web comunale"]
    services = [p.key for p in PERMISSIONS if p.group == "Servizi digitali"]
    has = comuni[[p.key for p in PERMISSIONS]] > 0
    return {
        "web": int(has[web].all(axis=1).sum()),
        "services": int(has[services].all(axis=1).sum()),
        "all": int(has.all(axis=1).sum()),
    }


def employees_of(snap: Snapshot, cid: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The current editors of one comune and the responses of theirs that were replaced."""
    rows = snap.responses.rows
    outcome = snap.rows["outcome"]
    mine = rows["cid"] == cid
    current = rows.loc[mine & (outcome == "counted")]
    replaced = rows.loc[mine & (outcome == "replaced")]

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "row": frame.index.to_numpy(),
            "ts": frame["ts"].to_numpy(),
            "name": frame["name"].to_numpy(),
            "email": frame["email"].where(frame["email"] != "", frame["email_raw"]).to_numpy(),
            "fiscal_code": frame["fiscal_code"].to_numpy(),
            "permissions": [
                [k for k in PERMISSION_KEYS if r[k]] for r in frame[list(PERMISSION_KEYS)].to_dict("records")
            ],
            "office": frame["office"].to_numpy(),
        })  # fmt: skip

    later = table(replaced)
    later["replaced_by"] = snap.rows.loc[replaced.index, "replaced_by"].astype("Int64").to_numpy()
    return table(current), later


def to_chase(comuni: pd.DataFrame) -> dict[str, list[str]]:
    """Names to act on: missing (most days late first), pending, answered without an AT editor."""
    missing = comuni.loc[comuni["status"] == "missing"].sort_values(["days_late", "name"], ascending=[False, True])
    answered = comuni["status"].isin(["on_time", "late"])
    return {
        "missing": missing["name"].tolist(),
        "pending": comuni.loc[comuni["status"] == "pending", "name"].tolist(),
        "no_at": comuni.loc[answered & ~comuni["has_at_editor"], "name"].tolist(),
    }
