"""The raw result of reading a source: every cell as text, rows numbered as in the sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Grid:
    """All cells of one sheet as strings ("" when empty).

    ``cells`` has integer column positions 0..n-1 and an index equal to the sheet row number
    (the first line of the file is row 1), so a row can always be reported as the PM sees it.
    """

    cells: pd.DataFrame
    origin: str
    notes: tuple[str, ...] = field(default=())
    # When the cells were read from the source (UTC); for a remote source read from its last good
    # copy on disk, when that copy was taken. None for local files.
    loaded_at: dt.datetime | None = None
    # Non-empty when the source could not be read now: why, in Italian; the cells are the last good copy.
    stale_reason: str = ""
    # For a workbook read from its first sheet: the other sheets' names and first rows, so that a
    # cover page can be told apart from the sheet with the columns.
    other_sheets: tuple[tuple[str, pd.DataFrame], ...] = ()
    # The spreadsheet's locale as the Sheets API gives it ("it_IT", "en_US"); "" when unknown.
    locale: str = ""

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def stale(self) -> bool:
        return bool(self.stale_reason)
