"""Charts as Altair specifications (rendered by the dashboard, or to PNG by vl-convert)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import altair as alt
import pandas as pd

from rollout.italian import DATE, VEGA_LOCALE, count_comuni, share_of
from rollout.keys import ComuniCols as C
from rollout.keys import CoverageCols
from rollout.read.permissions import PERMISSIONS
from rollout.status import STATUS_LABELS, Settings

STATUS_COLORS = {"on_time": "#2e7d32", "late": "#ef6c00", "pending": "#90a4ae", "missing": "#c62828"}
GROUP_NAMES = {"Sito web comunale": "Ruoli sito web", "Servizi digitali": "Uffici servizi digitali"}
GROUP_COLORS = {"Ruoli sito web": "#1f4e79", "Uffici servizi digitali": "#5b9bd5"}


def response_curve_data(comuni: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per day: comuni that had answered by the end of that day, split by on time / late."""
    firsts = comuni[C.FIRST_RESPONSE].dropna().dt.tz_convert(settings.tz).dt.date
    today = settings.as_of_local.date()
    start = min([*firsts.tolist(), today - dt.timedelta(days=14), settings.deadline - dt.timedelta(days=14)])
    end = max(today, settings.deadline + dt.timedelta(days=1))
    days = pd.date_range(start, end, freq="D").date
    counts = firsts.value_counts()
    rows = []
    total_on_time = total_late = 0
    for day in days:
        if day <= today:
            n = int(counts.get(day, 0))
            if day <= settings.deadline:
                total_on_time += n
            else:
                total_late += n
            rows.append({"giorno": pd.Timestamp(day), "risposte": total_on_time + total_late,
                         "in tempo": total_on_time, "in ritardo": total_late, "nuovi": n})  # fmt: skip
    return pd.DataFrame(rows, columns=["giorno", "risposte", "in tempo", "in ritardo", "nuovi"])


def response_curve(
    comuni: pd.DataFrame, settings: Settings, height: int = 260, axis_title: bool = True
) -> alt.LayerChart:
    """Cumulative comuni answered by day, with the deadline and the total marked (``axis_title``:
    False where the panel's own title says what the y axis counts)."""
    data = response_curve_data(comuni, settings)
    total = len(comuni)
    end = max(settings.as_of_local.date(), settings.deadline + dt.timedelta(days=1))
    x = alt.X("giorno:T", title=None, axis=alt.Axis(format="%d/%m", labelAngle=0),
              scale=alt.Scale(domain=[data["giorno"].min().isoformat() if len(data) else None, pd.Timestamp(end).isoformat()]))  # fmt: skip
    # Headroom above the total, so that its line has a label above it and the deadline's below it.
    top = max(total, 1) * 1.14
    y_scale = alt.Scale(domain=[0, top], nice=False)
    area = (
        alt.Chart(data)
        .mark_area(line={"color": "#1f4e79"}, color="#5b9bd5", opacity=0.35, interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y(
                "risposte:Q",
                title="Comuni che hanno risposto" if axis_title else None,
                scale=y_scale,
                axis=alt.Axis(tickMinStep=1, format=",d", tickCount=4),  # whole comuni (6.000), also on small campaigns
            ),
            tooltip=[
                alt.Tooltip("giorno:T", title="Giorno", format=DATE),
                alt.Tooltip("risposte:Q", title="Comuni con risposta"),
                alt.Tooltip("nuovi:Q", title="Nuovi nel giorno"),
            ],
        )
    )
    below_total = 1 - total / top  # the total's line, as a share of the height from the top
    marks = pd.DataFrame({
        "giorno": [pd.Timestamp(settings.deadline) + pd.Timedelta(hours=23, minutes=59)],
        "etichetta": [f"Scadenza {settings.deadline:%d/%m}"],
    })  # fmt: skip
    deadline = alt.Chart(marks).mark_rule(color="#c62828", strokeDash=[6, 4], size=2).encode(x="giorno:T")
    deadline_label = (
        alt.Chart(marks)
        .mark_text(align="right", baseline="top", dx=-4, dy=4, color="#c62828", fontWeight="bold")
        .encode(x="giorno:T", y=alt.value(round(height * below_total)), text="etichetta:N")
    )
    total_data = pd.DataFrame({"y": [total], "t": [f"Totale: {count_comuni(total)}"]})
    total_line = (
        alt.Chart(total_data).mark_rule(color="#455a64", strokeDash=[2, 3]).encode(y=alt.Y("y:Q", scale=y_scale))
    )
    total_label = (
        alt.Chart(total_data)
        .mark_text(align="left", baseline="bottom", dx=2, dy=-3, color="#455a64")
        .encode(x=alt.value(0), y=alt.Y("y:Q", scale=y_scale), text="t:N")
    )
    return (area + deadline + deadline_label + total_line + total_label).properties(height=height)


# Numbers without a format of their own (a count written on a bar, in a tooltip) get the thousands
# separator too: 4.465, not 4465.
NUMBER_FORMAT = ",~f"


def with_locale(spec: dict) -> dict:
    """``spec`` (a Vega-Lite dict) writing numbers and dates the Italian way wherever it is drawn: the
    dashboard's browser and vl-convert alike read ``config.locale`` (6.583, 61 %). The top level is
    copied: the rest is shared with ``spec``."""
    return {**spec, "config": {"numberFormat": NUMBER_FORMAT, **spec.get("config", {}), "locale": VEGA_LOCALE}}


def coverage_data(coverage: pd.DataFrame, total: int) -> pd.DataFrame:
    rows = []
    counts, shares = coverage[CoverageCols.COMUNI].astype(int), coverage[CoverageCols.SHARE].astype(float)
    for perm in PERMISSIONS:
        n, share = int(counts[perm.key]), float(shares[perm.key])
        rows.append({
            "permesso": perm.short, "gruppo": GROUP_NAMES[perm.group], "ufficio": perm.office,
            "comuni": n, "quota": share, "etichetta": share_of(n, total),
        })  # fmt: skip
    return pd.DataFrame(rows)


INSIDE_FROM = 0.55  # a coverage bar longer than this carries its figures inside


def coverage_chart(
    coverage: pd.DataFrame, total: int, height: int = 230, legend: Literal["top", "bottom"] = "top"
) -> alt.LayerChart:
    """Share of comuni with at least one editor per permission, web roles and service offices
    (``legend``: where the two groups' legend goes, "top" or "bottom")."""
    data = coverage_data(coverage, total)
    order = data["permesso"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("permesso:N", sort=order, title=None, axis=alt.Axis(labelLimit=140, labelOverlap=False)),
        x=alt.X(
            "quota:Q",
            title="Comuni con almeno un editor",
            axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),  # room for each label, also when narrow
            scale=alt.Scale(domain=[0, 1]),
        ),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("gruppo:N", scale=alt.Scale(domain=list(GROUP_COLORS), range=list(GROUP_COLORS.values())),
                        legend=alt.Legend(title=None, orient=legend, direction="horizontal", labelLimit=0)),
        tooltip=[alt.Tooltip("permesso:N", title="Permesso"), alt.Tooltip("comuni:Q", title="Comuni"),
                 alt.Tooltip("quota:Q", title="Quota", format=".0%")],
    )  # fmt: skip
    # Long bars carry their figures inside (readable on either blue), short ones beside: no figure
    # runs out of the chart, however narrow.
    dark = next(iter(GROUP_COLORS))  # the web roles' dark blue carries white text, the light blue dark text
    inside = (
        base.transform_filter(f"datum.quota > {INSIDE_FROM}")
        .mark_text(align="right", dx=-4)
        .encode(
            text="etichetta:N",
            color=alt.condition(f"datum.gruppo == '{dark}'", alt.value("white"), alt.value("#0b1f33")),
        )
    )
    beside = base.transform_filter(f"datum.quota <= {INSIDE_FROM}").mark_text(align="left", dx=4, color="#263238")
    return (bars + inside + beside.encode(text="etichetta:N")).properties(height=height)


def status_chart(totals: dict[str, int], height: int = 110, legend_columns: int = 4) -> alt.LayerChart:
    """One stacked bar: comuni by status, with the counts written on it and the statuses' names in
    a legend of ``legend_columns`` columns."""
    data = pd.DataFrame({
        "stato": [STATUS_LABELS[s] for s in STATUS_COLORS],
        "comuni": [totals.get(s, 0) for s in STATUS_COLORS],
        "ordine": list(range(len(STATUS_COLORS))),
    })  # fmt: skip
    base = alt.Chart(data).encode(
        x=alt.X("comuni:Q", stack="zero", title=None, axis=None),
        order="ordine:Q",
    )
    bars = base.mark_bar(height=34).encode(
        color=alt.Color(
            "stato:N",
            scale=alt.Scale(domain=data["stato"].tolist(), range=list(STATUS_COLORS.values())),
            legend=alt.Legend(title=None, orient="bottom", columns=legend_columns, labelLimit=0),
        ),
        tooltip=[alt.Tooltip("stato:N", title="Stato"), alt.Tooltip("comuni:Q", title="Comuni")],
    )
    labels = (
        base.transform_filter("datum.comuni > 0")
        .transform_stack(stack="comuni", groupby=[], sort=[alt.SortField("ordine")], as_=["x0", "x1"])
        .transform_calculate(mid="(datum.x0 + datum.x1) / 2")
        .mark_text(color="white", fontWeight="bold")
        .encode(x=alt.X("mid:Q", axis=None), text="comuni:Q")
    )
    return (bars + labels).properties(height=height)
