"""Italian formats for dates and numbers shown in the pages, and tables in a compact form for the browser."""

from __future__ import annotations

import re

import pandas as pd

from rollout.italian import moment, percent, weekday_date

day = weekday_date  # the pages' names for rollout.italian's formats
__all__ = ["compact", "day", "fit_height", "md_escape", "moment", "share", "text_width", "wrapped"]


def share(value: float) -> str:
    """``61 %``: ``rollout.italian.percent``."""
    return percent(value)


# U+2060 WORD JOINER: invisible, zero width, no line break. Put before "@" and ":", and between
# "www" and ".", it keeps GitHub-flavoured markdown from turning e-mail addresses, "https://…",
# "mailto:…" and "www.…" into links: Streamlit's renderer autolinks them even when escaped.
JOINER = "\u2060"
_MARKDOWN = frozenset("\\`*_{}[]()<>#+-.!|~$:")
_WWW = re.compile(r"(?i)(?<=www)(?=\\\.)")


def md_escape(text: object) -> str:
    """Text from the inputs made inert for st.markdown: no links, HTML or formatting.

    Every markdown character is backslash-escaped; an invisible word joiner before "@" and ":"
    and after "www" stops autolinks. The reader sees the text unchanged.
    """
    out = []
    for ch in str(text):
        if ch in "@:":
            out.append(JOINER)
        out.append("\\" + ch if ch in _MARKDOWN else ch)
    return _WWW.sub(JOINER, "".join(out))


ROW = 35  # st.dataframe's row height (and its header's), in pixels


def fit_height(rows: int, most: int = 12, row: int = ROW) -> int:
    """The height of an ``st.dataframe`` that shows ``rows`` rows (at least one, at most ``most``,
    then it scrolls): a table of four rows is four rows tall, not a box of blank lines."""
    return ROW + min(max(rows, 1), most) * row + 3  # the header row, the rows, the borders


WRAP_ROW = 66  # a row three lines tall: above 64 px st.dataframe wraps long texts in their cells


def wrapped(rows: int, most: int = 8) -> dict[str, int]:
    """``st.dataframe``'s settings for a table whose long texts wrap onto three lines, ``rows`` rows."""
    return {"row_height": WRAP_ROW, "height": fit_height(rows, most, WRAP_ROW)}


def text_width(texts, header: str = "", least: int = 60, most: int = 320) -> int:
    """A column width, in pixels, that shows the longest of ``texts`` and the ``header`` whole
    (within ``least`` and ``most``): the grid's 14 px font takes under 7 px a character; a cell
    adds 17 px of padding, a header 26 (padding and sort arrow)."""
    longest = max((len(str(t)) for t in texts), default=0)
    return int(min(max(longest * 6.9 + 17, len(header) * 6.9 + 26, least), most))


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as ``st.dataframe`` should send it: the same cells, a fraction of the bytes.

    Texts that repeat (a status, a province, a reason) become categories, whole
    numbers take the smallest integer type and the index (hidden by the pages) becomes a plain
    range: thousands of rows then travel as hundreds of kilobytes instead of megabytes.
    """
    out = frame.reset_index(drop=True)
    for name in list(out.columns):
        column = out[name]
        if pd.api.types.is_integer_dtype(column.dtype):
            out[name] = pd.to_numeric(column, downcast="integer")
        elif len(column) > 50 and pd.api.types.is_string_dtype(column.dtype) and _repeats(column):
            out[name] = column.astype("category")
    return out


def _repeats(column: pd.Series) -> bool:
    """Whether a text column has few distinct values, none of them empty (the grid would show an
    empty category as «None»)."""
    try:
        return column.nunique() * 4 <= len(column) and not (column == "").any()
    except TypeError:  # unhashable cells (lists): left as they are
        return False
