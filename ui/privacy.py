"""«Modalità screenshot»: the pages hide personal data so that a screen capture shows none."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rollout.keys import AccountCols as A
from rollout.keys import DraftCols as D
from rollout.keys import QualityCols as Q
from rollout.keys import ReminderCols as L
from ui.state import screenshot_mode

# Columns (in the core's tables, English names) that hold people's names, addresses or free text.
PERSONAL_COLUMNS = (
    Q.NAME, A.FULL_NAME, A.SURNAME, A.FIRST_NAME, Q.EMAIL, A.FISCAL_CODE, L.CONTACT_NAME, L.CONTACT,
    Q.NOTE, Q.TEXT, D.MAILTO,
)  # fmt: skip
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
