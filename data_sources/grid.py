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


def cells_from_rows(rows: list[list[str]]) -> pd.DataFrame:
    """Rows of text cells (of any lengths) as grid cells: padded, numbered from 1, no trailing blanks."""
    width = max((len(r) for r in rows), default=0)
    cells = text_frame([r + [""] * (width - len(r)) for r in rows])
    return drop_trailing_empty(cells) if not cells.empty else cells


def text_frame(rows: list[list[str]]) -> pd.DataFrame:
    """Rows of text cells as a frame numbered from 1 (as the sheet numbers its rows), blanks as ""."""
    frame = pd.DataFrame(rows, dtype=str)
    if frame.empty:
        return frame
    frame = frame.fillna("")
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def drop_trailing_empty(cells: pd.DataFrame) -> pd.DataFrame:
    """Blank rows after the last filled one are not input rows (sheets export them)."""
    cells = cells.reset_index(drop=True)
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    cells.columns = pd.RangeIndex(cells.shape[1])
    if cells.empty:
        return cells
    filled = (cells != "").any(axis=1).to_numpy()
    last = len(filled) - filled[::-1].argmax() if filled.any() else 0
    return cells.iloc[:last]
