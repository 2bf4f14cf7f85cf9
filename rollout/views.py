"""Subsets and orderings of the comuni table that the pages share (pandas only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from rollout.italian import AT_LONG, answered_part, number, percent, plural, signed, without_at
from rollout.keys import ComuniCols as C
from rollout.keys import EmployeeCols as E
from rollout.keys import OutcomeCols, TotalKeys
from rollout.keys import ResponseCols as R
from rollout.read.permissions import PERMISSION_KEYS, PERMISSIONS
from rollout.read.text import words, words_series
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
    Kpi("Comuni", TotalKeys.COMUNI, False),
    Kpi("In tempo", "on_time", False),
    Kpi("In ritardo", "late", False),
    Kpi("In attesa", "pending", True, "Nessuna risposta, scadenza non ancora passata"),
    Kpi("Mancanti", "missing", True, "Nessuna risposta, scadenza passata"),
    Kpi(
        "Senza editor AT", TotalKeys.WITHOUT_AT_EDITOR, True,
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
    return int((comuni[C.STATUS].isin(["on_time", "late"]) & ~comuni[C.HAS_AT_EDITOR]).sum())


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

    @property
    def week_text(self) -> str:
        """The change in words: ``+31 in 7 giorni``, ``invariato in 7 giorni``."""
        return f"{self.change_text} in 7 giorni" if self.change else "invariato in 7 giorni"


def kpi_figures(now: dict[str, int], before: dict[str, int], answered: int | None = None) -> list[KpiFigure]:
    """The KPIs of ``week_totals``; ``answered``: ``answered_without_at`` of the same comuni (without
    it, «Senza editor AT» gets the share of all comuni like the others)."""
    total = now[TotalKeys.COMUNI]
    out = []
    for kpi in KPIS:
        value = now[kpi.key]
        if kpi.key == TotalKeys.WITHOUT_AT_EDITOR and answered is not None:
            note = answered_part(answered)
        else:
            note = "" if kpi.key == TotalKeys.COMUNI or not total else f"{percent(value / total)} dei comuni"
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
    names: tuple[str, ...]  # the comuni, «Name (PR)», for the dashboard; the picture shows counts only
    order: str = ""  # how ``names`` are ordered, in words
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


def to_do(comuni: pd.DataFrame, review_rows: int = 0, last_reminder: pd.Series | None = None) -> list[Todo]:
    """What needs action, in order: missing comuni, pending ones, those that answered without an AT
    editor (each in ``to_chase``'s order), response rows to review (unmatched or invalid)."""
    chase = to_chase(comuni, last_reminder)
    whole = int((~comuni[C.HAS_AT_EDITOR]).sum())
    items = [
        Todo(kind, len(names), tuple(names), order, whole if kind == "no_at" else 0)
        for kind, (names, order) in chase.items()
    ]
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
        mask &= comuni[C.PROVINCE].isin(provinces)
    if statuses := list(statuses):
        mask &= comuni[C.STATUS].isin(statuses)
    if waves := list(waves):
        mask &= comuni[C.WAVE].isin(waves)
    if missing_permission:
        mask &= comuni[missing_permission] == 0
    if text := words(search):
        mask &= comuni[C.NAME].map(words).str.contains(text, regex=False)
    return comuni.loc[mask]


ACTION_ORDER = ("missing", "pending", "late", "on_time")  # the statuses, those that need action first


def by_status(comuni: pd.DataFrame) -> pd.Index:
    """The comuni's index by status (``ACTION_ORDER``), then by name (case and accents aside), then
    by province."""
    keys = pd.DataFrame({
        C.STATUS: comuni[C.STATUS].map({s: i for i, s in enumerate(ACTION_ORDER)}),
        C.NAME: words_series(comuni[C.NAME]),
        C.PROVINCE: comuni[C.PROVINCE].astype(str),
    })  # fmt: skip
    return keys.sort_values([C.STATUS, C.NAME, C.PROVINCE], kind="stable").index


def permission_matrix(comuni: pd.DataFrame) -> pd.DataFrame:
    """Comune × permission (True = at least one current editor), most gaps first."""
    covered = comuni[list(PERMISSION_KEYS)] > 0
    out = pd.DataFrame({C.NAME: comuni[C.NAME], C.PROVINCE: comuni[C.PROVINCE], C.STATUS: comuni[C.STATUS]})
    out = out.join(covered)
    out["gaps"] = (~covered).sum(axis=1).astype(int)
    return out.sort_values(["gaps", C.PROVINCE, C.NAME], ascending=[False, True, True], kind="stable")


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
    outcome = snap.rows[OutcomeCols.OUTCOME]
    mine = rows[R.CID] == cid
    current = rows.loc[mine & (outcome == "counted")]
    replaced = rows.loc[mine & (outcome == "replaced")]

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            E.ROW: frame.index.to_numpy(),
            E.TS: frame[R.TS].to_numpy(),
            E.NAME: frame[R.NAME].to_numpy(),
            E.EMAIL: frame[R.EMAIL].where(frame[R.EMAIL] != "", frame[R.EMAIL_RAW]).to_numpy(),
            E.FISCAL_CODE: frame[R.FISCAL_CODE].to_numpy(),
            E.PERMISSIONS: [
                [k for k in PERMISSION_KEYS if r[k]] for r in frame[list(PERMISSION_KEYS)].to_dict("records")
            ],
            E.OFFICE: frame[R.OFFICE].to_numpy(),
        })  # fmt: skip

    later = table(replaced)
    later[E.REPLACED_BY] = snap.rows.loc[replaced.index, OutcomeCols.REPLACED_BY].astype("Int64").to_numpy()
    return table(current), later


BY_PROVINCE = "per provincia"
LEAST_REMINDED_FIRST = "prima chi non ha avuto promemoria, poi chi l'ha avuto da più tempo"


def to_chase(comuni: pd.DataFrame, last_reminder: pd.Series | None = None) -> dict[str, tuple[list[str], str]]:
    """Comuni to act on, «Name (PR)», and their order in words: missing, pending, answered without
    an AT editor.

    Every missing comune is equally late (the deadline is one day), so the order is who went
    longest without a reminder: never reminded first, then the oldest last reminder
    (``last_reminder``: ISO day per comune, "" for none); then by province and name.
    """
    answered = comuni[C.STATUS].isin(["on_time", "late"])
    groups = {
        "missing": comuni[C.STATUS] == "missing",
        "pending": comuni[C.STATUS] == "pending",
        "no_at": answered & ~comuni[C.HAS_AT_EDITOR],
    }
    last = pd.Series("", index=comuni.index) if last_reminder is None else last_reminder.reindex(comuni.index)
    out = {}
    for kind, mask in groups.items():
        part = comuni.loc[mask]
        keys = pd.DataFrame({
            "last": last.loc[part.index].fillna("").astype(str),
            C.PROVINCE: part[C.PROVINCE].astype(str),
            C.NAME: words_series(part[C.NAME]),
        })  # fmt: skip
        part = part.loc[keys.sort_values(["last", C.PROVINCE, C.NAME], kind="stable").index]
        names = (part[C.NAME] + " (" + part[C.PROVINCE] + ")").where(part[C.PROVINCE] != "", part[C.NAME])
        order = LEAST_REMINDED_FIRST if (keys["last"] != "").any() else BY_PROVINCE
        out[kind] = (names.tolist(), order)
    return out
