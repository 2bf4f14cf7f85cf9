"""The last good copy of each remote source, kept on disk for when the next read fails.

One JSON file per source, named by a hash of the source (links may carry keys, so they are not
written in clear), written atomically and readable only by the owner: the copy holds the same
personal data as the sheet. Local files are not copied: they are on disk already.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
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
            cells.columns = range(width)
            saved_at = dt.datetime.fromisoformat(body["saved_at"])
            notes = tuple(str(n) for n in body["notes"])
            return Grid(cells, str(body["origin"]), notes, loaded_at=saved_at, locale=str(body.get("locale", "")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


def read_with_fallback(read: Callable[[], Grid], identity: str, store: SnapshotStore | None) -> Grid:
    """``read()``; when it fails, the last good copy marked stale with the reason, else the error.

    A fresh read far shorter than the last good copy (no data rows, or under half as many) is
    suspect, as a sheet emptied or cut by mistake: the last good copy is used, marked stale.
    A fresh grid is not saved here: the caller saves it once it has proved usable.
    """
    try:
        fresh = read()
    except SourceError as err:
        last = store.load(identity) if store is not None else None
        if last is None:
            raise
        return replace(last, stale_reason=str(err))
    last = store.load(identity) if store is not None else None
    if last is not None and (reason := shrunk(fresh, last, store.folder)):  # type: ignore[union-attr]
        return replace(last, stale_reason=reason)
    return fresh


def data_rows(grid: Grid) -> int:
    """Rows under the first (header) row."""
    return max(grid.rows - 1, 0)


def shrunk(fresh: Grid, last: Grid, folder: Path) -> str:
    """Why ``fresh`` may not replace ``last`` (an Italian reason), or "" when it may."""
    now, before = data_rows(fresh), data_rows(last)
    if before == 0 or (now > 0 and now * 2 >= before):
        return ""
    what = "solo l'intestazione, nessuna riga" if now == 0 else f"{now} righe"
    return (
        f"il foglio appena letto ha {what} contro le {before} dell'ultima copia buona: sembra svuotato o "
        f"troncato, quindi resta in uso l'ultima copia. Se le righe sono state tolte di proposito, cancella "
        f"la copia locale in {folder} e ricarica."
    )
