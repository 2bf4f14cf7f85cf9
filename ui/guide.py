"""The project manager's guide, ``docs/guida.md``, shown as the dashboard's «Guida» page."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from ui.context import admitted

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guida.md"
_FENCE = re.compile(r"^\s*```")


def show(path: Path = GUIDE) -> None:
    """The guide, its first heading as the page's title; nothing before the access gate passes.

    Shown also when the data cannot be read: it says what to do then.
    """
    if not admitted():
        st.stop()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        st.error(f"La guida non è disponibile: manca il file {path.name} nella cartella docs del progetto.")
        return
    title, _, body = text.partition("\n")
    st.header(title.removeprefix("# ").strip() or "Guida")
    st.markdown(demoted(body))


def demoted(markdown: str) -> str:
    """Every heading one level down (``##`` → ``###``), so that none is as large as the page's title."""
    out, fenced = [], False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,5} ", line):
            line = "#" + line
        out.append(line)
    return "\n".join(out)
