"""The weekly status picture: one 1600×900 PNG for the steering meeting, composed with Altair.

Only aggregated figures go into it (counts, shares, a daily curve): no employee names, emails or
fiscal codes, and no contact of the comuni. It renders with vl-convert, no browser needed.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from rollout.italian import DATE_TIME, VEGA_LOCALE, countdown, long_date, of_total
from rollout.italian import not_on_map as not_on_map_text
from rollout.keys import TotalKeys
from rollout.outputs import charts, map_charts, maps, render
from rollout.status import Settings, Snapshot, coverage_of
from rollout.views import KPIS, NOTHING_TO_DO, Overview, answered_without_at, kpi_figures, to_do, week_totals

WIDTH, HEIGHT = 1600, 900
PADDING = 28
_AXIS = 60  # the response curve's y axis, left of the rows' common origin
_INNER = WIDTH - 2 * PADDING - _AXIS
_SPACING = 22
_INK, _MUTED = "#263238", "#607d8b"
_GOOD, _BAD = "#2e7d32", "#c62828"


def kpi_data(now: dict[str, int], before: dict[str, int], answered: int | None = None) -> pd.DataFrame:
    """One row per KPI: value, the line under it (``kpi_figures``), change over the previous week and
    its colour; ``answered``: the comuni without an AT editor that answered (``answered_without_at``)."""
    rows = []
    for i, figure in enumerate(kpi_figures(now, before, answered)):
        kpi, delta = figure.kpi, figure.change
        change = figure.week_text
        if delta == 0:
            colour = _MUTED
        else:
            good = (delta < 0) if kpi.rise_is_bad else (delta > 0)
            colour = _GOOD if good else _BAD
        rows.append({
            "i": i, "kpi": kpi.label, "key": kpi.key, "valore": figure.value, "variazione": delta,
            "testo_variazione": change, "colore": colour, "quota": figure.note,
            "evidenza": kpi.key == TotalKeys.WITHOUT_AT_EDITOR, "testo_valore": figure.value_text,
        })  # fmt: skip
    return pd.DataFrame(rows)


# The KPI tiles' lines, top to bottom: (field, y of the line's middle, font size). One figure per
# line, so that no figure can run into another however many digits it has.
KPI_LINES = (("kpi", 22, 17), ("testo_valore", 60, 42), ("quota", 98, 15), ("testo_variazione", 124, 15))
KPI_HEIGHT = 142


_TILE_GAP, _TILE_MARGIN = 0.06, 24


def kpi_text_room() -> float:
    """The width, in pixels, that a KPI tile leaves to each of its lines of text."""
    return (_INNER + _AXIS) / len(KPIS) * (1 - _TILE_GAP) - 2 * _TILE_MARGIN


def kpi_band(data: pd.DataFrame, height: int = KPI_HEIGHT) -> alt.LayerChart:
    # The band starts where the response curve's axis starts, left of the plots' common origin.
    x = alt.X("i:O", axis=None, scale=alt.Scale(range=[-_AXIS, _INNER], paddingInner=_TILE_GAP, paddingOuter=0))
    inset = kpi_text_room() / 2  # from a tile's centre to its text margin
    base = alt.Chart(data).encode(x=x)
    tile = base.mark_rect(cornerRadius=10, strokeWidth=2).encode(
        y=alt.value(0),
        y2=alt.value(height),
        color=alt.condition("datum.evidenza", alt.value("#fff3e0"), alt.value("#f3f6f9")),
        stroke=alt.condition("datum.evidenza", alt.value("#ef6c00"), alt.value("#dfe6ec")),
    )

    def text(field: str, y: int, size: int, **style: Any) -> alt.Chart:
        return base.mark_text(align="left", baseline="middle", dx=-inset, fontSize=size, **style).encode(
            y=alt.value(y), text=f"{field}:N"
        )

    (
        (label_f, label_y, label_s),
        (value_f, value_y, value_s),
        (share_f, share_y, share_s),
        (change_f, change_y, change_s),
    ) = KPI_LINES
    label = text(label_f, label_y, label_s, color=_MUTED, fontWeight="bold")
    value = text(value_f, value_y, value_s, color=_INK, fontWeight="bold")
    share = text(share_f, share_y, share_s, color=_MUTED)
    change = text(change_f, change_y, change_s, fontWeight="bold").encode(color=alt.Color("colore:N", scale=None))
    return alt.LayerChart(layer=[tile, label, value, share, change]).properties(width=_INNER, height=height)


def _text_line(text: str, size: int, color: str, height: int, bold: bool = False) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"t": [text]}))
        .mark_text(
            align="left",
            baseline="middle",
            fontSize=size,
            color=color,
            fontWeight="bold" if bold else "normal",
            limit=_INNER + _AXIS,
        )
        .encode(x=alt.value(-_AXIS), y=alt.value(height / 2), text="t:N")
        .properties(width=_INNER, height=height)
    )


def status_picture(
    snap: Snapshot, previous: Snapshot, campaign: str, comuni: pd.DataFrame | None = None
) -> alt.VConcatChart:
    """The whole picture as one Altair chart: title, KPIs with the weekly change, curve, coverage.

    ``previous`` is the same data seven days earlier; ``comuni`` narrows to a subset (filters).
    """
    return overview_picture(Overview.of(snap, previous), campaign, comuni)


def overview_picture(data: Overview, campaign: str, comuni: pd.DataFrame | None = None) -> alt.VConcatChart:
    """``status_picture`` of what an ``Overview`` holds."""
    s: Settings = data.settings
    view = data.comuni if comuni is None else comuni
    now, before = week_totals(view, data.week_before)
    subtitle = (
        f"Situazione al {s.as_of_local.strftime(DATE_TIME)} · scadenza {long_date(s.deadline)} · "
        f"{countdown(s.days_past_deadline)}"
    )
    if len(view) != len(data.comuni):
        subtitle += f" · filtro: {of_total(len(view), len(data.comuni))}"
    kpis = kpi_band(kpi_data(now, before, answered_without_at(view)))
    gap = _SPACING + 20
    left_w, map_w = 510, 330
    # The coverage chart's axis labels take ~150 px left, its bar labels up to ~120 px right of 100%.
    right_w = _INNER - left_w - map_w - 2 * gap - 150 - 120
    curve = charts.response_curve(view, s, height=410).properties(
        width=left_w, title=_panel_title("Comuni che hanno risposto, giorno per giorno")
    )
    where, not_on_map = _map(view, s.tz, map_w, 390)
    # The legend below the bars: above them it would lift this panel's title over the others'.
    coverage = charts.coverage_chart(coverage_of(view), len(view), height=370, legend="bottom").properties(
        width=right_w, title=_panel_title("Copertura dei permessi")
    )
    todo = _text_line(
        "Da fare: " + " · ".join([t.text for t in to_do(view, data.rows_to_review)] or [NOTHING_TO_DO]),
        17,
        _INK,
        26,
        bold=True,
    )
    note = "Dati aggregati, senza dati personali. Variazioni rispetto a 7 giorni prima. " + maps.CREDIT
    if not_on_map:
        note += f" · {not_on_map_text(not_on_map)} (contati nei totali)"
    footer = _text_line(note, 13, _MUTED, 18)
    title = alt.Title(
        campaign,
        subtitle=subtitle,
        anchor="start",
        fontSize=30,
        subtitleFontSize=19,
        color=_INK,
        subtitleColor=_MUTED,
        offset=18,
        subtitlePadding=8,
        limit=_INNER + _AXIS,  # a long campaign name is cut with "…", never widens the picture
    )
    # Built in one call: each .properties() or .configure_*() would deep-copy the whole chart.
    return alt.vconcat(
        kpis,
        alt.hconcat(curve, where, coverage, spacing=gap, resolve=alt.Resolve(scale={"color": "independent"})),
        todo,
        footer,
        spacing=_SPACING,
        title=title,
        background="white",
        config=alt.Config(
            locale=VEGA_LOCALE,  # 6.583 and 61 %, as everywhere (vl-convert reads it, like a browser)
            numberFormat=charts.NUMBER_FORMAT,
            view=alt.ViewConfig(stroke=None),
            axis=alt.AxisConfig(labelFontSize=14, titleFontSize=14, labelColor=_INK, titleColor=_MUTED),
            legend=alt.LegendConfig(labelFontSize=14),
            text=alt.MarkConfig(fontSize=14),
        ),
    )


def _map(view: pd.DataFrame, tz: str, width: int, height: int) -> tuple[alt.LayerChart, int]:
    """The map panel (comuni by status, or nationally provinces by share answered); comuni not on it."""
    md = maps.map_data(view, tz)
    if md.national or not md.provinces:
        chart = map_charts.provinces_map(maps.province_progress(view), width=width, height=height)
        title = "Quota di comuni con risposta per provincia"
    else:
        chart = map_charts.comuni_map(md, width=width, height=height, legend_columns=3, names=False)
        title = "Comuni per stato (● senza editor AT)"
    return chart.properties(title=_panel_title(title)), len(md.not_on_map)


def _panel_title(text: str) -> alt.Title:
    return alt.Title(text, anchor="start", fontSize=18, color=_INK, offset=12)


def to_vega(chart: alt.TopLevelMixin | dict) -> dict:
    """The Vega spec of the picture, padded to exactly WIDTH × HEIGHT pixels (see ``render``)."""
    return render.padded_vega(map_charts.to_spec(chart), WIDTH, HEIGHT, PADDING)


def render_png(chart: alt.TopLevelMixin | dict, *, apart: bool = False) -> bytes:
    """The picture as PNG bytes, Italian number and date formats; ``apart``: drawn by a fresh
    interpreter, so that vl-convert's JavaScript runtime (over 100 MB) never joins this process,
    unless it already runs here (a worker that started it beforehand: see ``warm_up``)."""
    spec = map_charts.to_spec(chart)  # the map's boundaries go in only now
    if apart and not render.running():
        return render.png_apart(spec, WIDTH, HEIGHT, PADDING)
    return render.png(spec, WIDTH, HEIGHT, PADDING)


def warm_up() -> None:
    """What drawing the picture needs, made ready before its data exist (in the report's worker):
    Altair's schema checks, vl-convert's JavaScript runtime, the provinces' boundaries."""
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").properties(width=10, height=10)
    render.png(chart.to_dict(), 20, 20, 0)
    maps.provinces_topology()


def status_png(
    snap: Snapshot, previous: Snapshot, campaign: str, comuni: pd.DataFrame | None = None, *, apart: bool = False
) -> bytes:
    """``status_picture`` rendered to a 1600×900 PNG (``apart``: see ``render_png``)."""
    return render_png(status_picture(snap, previous, campaign, comuni), apart=apart)
