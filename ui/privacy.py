"""«Modalità screenshot»: the pages hide personal data so that a screen capture shows none."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.state import screenshot_mode

# Columns (in the core's tables, English names) that hold people's names, addresses or free text.
PERSONAL_COLUMNS = ("name", "full_name", "surname", "first_name", "email", "fiscal_code", "contact_name", "contact",
                    "note", "text", "mailto")  # fmt: skip
NOTICE = ":material/visibility_off: Modalità screenshot: nomi, email, codici fiscali e contatti sono nascosti."


def hide_personal(frame: pd.DataFrame, columns: tuple[str, ...] = PERSONAL_COLUMNS) -> pd.DataFrame:
    """``frame`` without its personal columns when the screenshot mode is on, else as it is."""
    if not screenshot_mode():
        return frame
    return frame.drop(columns=[c for c in columns if c in frame.columns])


def notice() -> None:
    """A caption saying that personal data are hidden (only in screenshot mode)."""
    if screenshot_mode():
        st.caption(NOTICE)
