"""What the pages derive from a snapshot, computed once per snapshot and filters, then reused.

A rerun (a page visited again, a filter set back) finds its charts and tables here instead of
building them again. The keys are ``Context.key`` (the snapshot) or ``Context.view_key`` (the
snapshot and the sidebar filters), plus what else each result depends on.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from rollout.keys import MarkCols as M
from rollout.outputs import charts, quality
from rollout.outputs.links import FormLink
from rollout.reminders.drafts import comuni_marks
from rollout.reminders.reading import reminders_section, without_address
from rollout.usecases.reminders import chase_list
from rollout.views import Todo, permission_matrix, to_do


def chart(key: tuple, build: Callable[[], object], **kwargs) -> None:
    """Draw the chart ``build()`` makes (an Altair chart or a Vega-Lite dict), built once per ``key``."""
    st.vega_lite_chart(spec(key, build), width="stretch", **kwargs)


@st.cache_resource(max_entries=128, show_spinner=False)
def spec(key: tuple, _build: Callable[[], object]) -> dict:
    """The Vega-Lite specification of ``_build()``; ``key`` names the chart and everything it shows.

    Shared, not copied: a copy of the map's boundaries (a quarter of a megabyte of small lists)
    could cost a tenth of a second per rerun; Streamlit only reads the spec (it copies the top
    level before changing it). Not validated against the Vega-Lite schema (a tenth of a second
    per page): the charts are fixed by ``rollout.outputs`` and rendered by vl-convert in the tests.
    Numbers and dates are written the Italian way (``charts.with_locale``), not the browser's.
    """
    made = _build()
    return charts.with_locale(made if isinstance(made, dict) else made.to_dict(validate=False))


@st.cache_data(max_entries=16, show_spinner=False)
def matrix(_view: pd.DataFrame, view_key: tuple) -> pd.DataFrame:
    """Comune × permission of the filtered comuni, most gaps first."""
    return permission_matrix(_view)


@st.cache_data(max_entries=8, show_spinner=False)
def quality_tables(_snap, key: tuple) -> dict[str, object]:
    """The Qualità dati page's tables and counts (the possible duplicates compare every name)."""
    exact, recognised = quality.exact_names(_snap)
    return {
        "exact": exact,
        "recognised": recognised,
        "unmatched": quality.unmatched_table(_snap),
        "invalid": quality.invalid_table(_snap),
        "replaced": quality.replaced_table(_snap),
        "unknown": quality.unknown_permissions_table(_snap),
        "duplicates": quality.possible_duplicates(_snap),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def reminders(
    _snap, _view: pd.DataFrame, view_key: tuple, marks: pd.DataFrame | None, form: FormLink,
    bounced: frozenset[str] = frozenset(),
) -> pd.DataFrame:  # fmt: skip
    """The comuni to chase among the filtered ones, with the reminders already sent and the addresses
    that bounced left out (``marks`` and ``bounced`` are part of the key: a reminder recorded or a
    receipt read makes a new list; ``marks`` None: the log is unreadable, the counts unknown)."""
    return chase_list(_snap, marks, form, _view, bounced)


@st.cache_data(max_entries=16, show_spinner=False)
def outcomes(
    _view: pd.DataFrame, view_key: tuple, marks: pd.DataFrame | None, bounced: frozenset[str]
) -> tuple[dict, pd.DataFrame]:
    """The reminders' counts of the filtered comuni (``status.json``'s section) and those without a
    working address: computed again only when the log or the filters change."""
    return reminders_section(_view, marks, bounced), without_address(_view, bounced)


@st.cache_resource(max_entries=16, show_spinner=False)
def todos(_view: pd.DataFrame, view_key: tuple, review_rows: int, marks: pd.DataFrame | None) -> tuple[Todo, ...]:
    """The Panoramica's «Da fare» for the filtered comuni, each kind's comuni in ``to_chase``'s order
    (who went longest without a reminder first: ``marks``, the reminders' log, is part of the key).
    Shared, not copied: the items are frozen."""
    last = comuni_marks(_view, marks)[M.LAST_REMINDER] if marks is not None and len(marks) else None
    return tuple(to_do(_view, review_rows, last))
