"""Italian formats for dates and numbers shown in the pages, and tables in a compact form for the browser."""

from __future__ import annotations

import re

import pandas as pd

from rollout.italian import moment, percent, weekday_date

day = weekday_date  # the pages' names for rollout.italian's formats
__all__ = ["compact", "day", "md_escape", "moment", "share"]


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
