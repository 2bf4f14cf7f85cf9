"""Italian formats for dates and numbers shown in the pages."""

from __future__ import annotations

import re

from rollout.italian import moment, weekday_date

day = weekday_date  # the pages' names for rollout.italian's formats
__all__ = ["day", "md_escape", "moment", "share"]


def share(value: float) -> str:
    return f"{value:.0%}".replace(".", ",")


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
