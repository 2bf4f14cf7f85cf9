"""The last good copy of each remote source, kept on disk for when the next read fails.

One JSON file per source, named by a hash of the source (links may carry keys, so they are not
written in clear), written atomically and readable only by the owner: the copy holds the same
personal data as the sheet. Local files are not copied: they are on disk already.

A fresh read that is suspect against the copy (fewer rows, or other first rows, under a
``ShrinkRule`` the caller chooses per source) does not replace it until the user accepts it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from data_sources.errors import SourceError
from data_sources.grid import Grid

FORMAT = 1


class SnapshotStore:
    """Last good grids under ``folder`` (created on first save)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, identity: str) -> Path:
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
        return self.folder / f"{digest}.json"

    def save(self, identity: str, grid: Grid) -> str:
        """Keep ``grid`` as the last good copy of ``identity``; "" or an Italian warning if that failed."""
        saved_at = grid.loaded_at or dt.datetime.now(dt.UTC)
        body = {
            "format": FORMAT,
            "saved_at": saved_at.astimezone(dt.UTC).isoformat(),
            "origin": grid.origin,
            "notes": list(grid.notes),
            "locale": grid.locale,
            "index": [int(i) for i in grid.cells.index],
            "rows": grid.cells.to_numpy(dtype=object).tolist(),
        }
        target = self.path_for(identity)
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.folder)  # mode 0600
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(body, out, ensure_ascii=False, separators=(",", ":"))
            Path(tmp).replace(target)
        except OSError as err:
            if tmp:
                with contextlib.suppress(OSError):
                    Path(tmp).unlink()
            return (
                f"Impossibile salvare la copia locale di {grid.origin} in {self.folder}: {err.strerror or err}. "
                "Se la prossima lettura non riesce non ci saranno dati da mostrare."
            )
        return ""

    def load(self, identity: str) -> Grid | None:
        """The last good copy, with ``loaded_at`` = when it was read; None if absent or unreadable."""
        try:
            body = json.loads(self.path_for(identity).read_text(encoding="utf-8"))
            if body.get("format") != FORMAT:
                return None
            rows, index = body["rows"], body["index"]
            width = len(rows[0]) if rows else 0
            if len(rows) != len(index) or any(len(r) != width or not all(isinstance(c, str) for c in r) for r in rows):
                return None
            cells = pd.DataFrame(rows, dtype=str, index=pd.Index(index, dtype="int64"))
            cells.columns = pd.RangeIndex(width)
            saved_at = dt.datetime.fromisoformat(body["saved_at"])
            notes = tuple(str(n) for n in body["notes"])
            return Grid(cells, str(body["origin"]), notes, loaded_at=saved_at, locale=str(body.get("locale", "")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class ShrinkRule:
    """When a fresh read may not replace the last good copy without the user's word.

    A read with no data rows is always held back. ``grows_only``: rows are only ever added, so any
    row fewer, or first rows that are no longer the copy's first rows, is held back too. Otherwise a
    read is held back when it loses more than ``max_lost_rows`` rows *and* more than
    ``max_lost_share`` of them. Which rule fits which source is the caller's (domain) decision.
    """

    grows_only: bool = False
    max_lost_rows: int = 0
    max_lost_share: float = 0.0


PREFIX_ROWS = 10  # the data rows compared from the top: cheap, and enough to see rows removed or sorted


@dataclass(frozen=True)
class Change:
    """A fresh read held back against the last good copy (or accepted despite it)."""

    before: int  # data rows of the last good copy
    now: int  # data rows just read
    first_rows_changed: bool  # the first rows are no longer the copy's first rows
    fingerprint: str  # names these fresh cells: accepting them accepts these and no others

    def describe(self) -> str:
        """What changed, in one Italian clause (rows before and now)."""
        now = "solo l'intestazione, nessuna riga;" if self.now == 0 else f"{_rows(self.now)},"
        text = f"il foglio appena letto ha {now} l'ultima copia buona ne ha {self.before}"
        if self.first_rows_changed and self.now >= self.before:
            text += ", ma le prime righe non sono più le stesse"
        return text


def _rows(n: int) -> str:
    return "1 riga" if n == 1 else f"{n} righe"


def read_with_fallback(
    read: Callable[[], Grid],
    identity: str,
    store: SnapshotStore | None,
    rule: ShrinkRule,
    accept: bool | frozenset[str] = False,
) -> tuple[Grid, Change | None]:
    """``read()``; when it fails, the last good copy marked stale with the reason, else the error.

    A fresh read that ``rule`` holds back against the last good copy (a sheet emptied, cut or
    sorted by mistake) is a ``Change``: the last good copy is used, marked stale with what changed,
    unless ``accept`` is True (any change) or holds the change's fingerprint (the one the user saw).
    Returns the grid in use and the change (held back, or accepted: then the grid is the fresh one).
    A fresh grid is not saved here: the caller saves it once it has proved usable.
    """
    try:
        fresh = read()
    except SourceError as err:
        last = store.load(identity) if store is not None else None
        if last is None:
            raise
        return replace(last, stale_reason=str(err)), None
    last = store.load(identity) if store is not None else None
    change = held_back(fresh, last, rule) if last is not None else None
    if last is None or change is None or accept is True or (accept and change.fingerprint in accept):
        return fresh, change
    return replace(last, stale_reason=change.describe()), change


def data_rows(grid: Grid) -> int:
    """Rows under the first (header) row."""
    return max(grid.rows - 1, 0)


def held_back(fresh: Grid, last: Grid, rule: ShrinkRule) -> Change | None:
    """The change that keeps ``fresh`` from replacing ``last`` under ``rule``, or None when it may."""
    now, before = data_rows(fresh), data_rows(last)
    if before == 0:
        return None
    lost = before - now
    changed = rule.grows_only and _first_rows(fresh, min(before, PREFIX_ROWS)) != _first_rows(
        last, min(before, PREFIX_ROWS)
    )
    if now == 0 or changed or (lost > rule.max_lost_rows and lost > rule.max_lost_share * before):
        return Change(before, now, changed, fingerprint(fresh))
    return None


def _first_rows(grid: Grid, n: int) -> list[tuple[str, ...]]:
    """The first ``n`` data rows without their trailing empty cells (a column added at the end of
    the sheet changes nothing)."""
    rows = grid.cells.iloc[1 : 1 + n].to_numpy(dtype=object).tolist()
    out = []
    for row in rows:
        while row and row[-1] == "":
            row.pop()
        out.append(tuple(row))
    return out


def fingerprint(grid: Grid) -> str:
    """A short hash of every cell of ``grid`` (and its shape)."""
    digest = hashlib.sha256(repr(grid.cells.shape).encode())
    digest.update(pd.util.hash_pandas_object(grid.cells, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:32]
