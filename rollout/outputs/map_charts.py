"""Maps and progress by territory as Altair specifications (the data come from ``maps``).

Vega-Lite draws the TopoJSON itself: the boundaries travel inline in the spec, with the
comuni's figures joined by a lookup on the ISTAT code (or the province abbreviation).
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache

import altair as alt
import pandas as pd

from rollout.italian import percent
from rollout.outputs.charts import STATUS_COLORS
from rollout.outputs.maps import (
    MapData,
    comuni_topology,
    province_regions,
    provinces_topology,
    subset_topology,
)
from rollout.read.permissions import PERMISSIONS
from rollout.status import STATUS_LABELS

OUTSIDE = "non partecipante"
OUTSIDE_COLOR = "#eceff1"
_STATUS_DOMAIN = [*STATUS_LABELS.values(), OUTSIDE]
_STATUS_RANGE = [*STATUS_COLORS.values(), OUTSIDE_COLOR]
_PROJECTION = "mercator"


_PLACEHOLDER = "rollout_topology"


def _topo(key: str, feature: str) -> alt.Data:
    """A stand-in for a topology, filled by ``to_spec``: Altair never validates the big arrays."""
    return alt.Data(
        values={"type": "Topology", _PLACEHOLDER: key}, format=alt.DataFormat(type="topojson", feature=feature)
    )


def _topology(key: str) -> dict:
    """``provinces`` or ``comuni:<region>:<provinces>[:bare]`` (bare: no names, for the picture)."""
    kind, *rest = key.split(":")
    if kind == "provinces":
        return provinces_topology()
    region, provinces, *bare = rest
    topo = subset_topology(comuni_topology(region), "comuni", set(provinces.split(",")), "prov_acr")
    if bare:
        geometries = topo["objects"]["comuni"]["geometries"]
        topo["objects"]["comuni"]["geometries"] = [
            {**g, "properties": {k: g["properties"][k] for k in ("com_istat_code", "prov_acr")}} for g in geometries
        ]
    return topo


def to_spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The chart's Vega-Lite spec with the boundaries put in.

    Not validated against the schema (tens of milliseconds per chart on the Panoramica): these
    specs are fixed by this module and rendered by vl-convert in the tests.
    """
    spec = chart.to_dict(validate=False) if not isinstance(chart, dict) else copy.deepcopy(chart)

    def fill(node: object) -> None:
        if isinstance(node, dict):
            values = node.get("values")
            if isinstance(values, dict) and _PLACEHOLDER in values:
                node["values"] = _topology(values[_PLACEHOLDER])
                return
            for value in node.values():
                fill(value)
        elif isinstance(node, list):
            for value in node:
                fill(value)

    fill(spec)
    return spec


def comuni_map(
    md: MapData,
    provinces: tuple[str, ...] | None = None,
    width: int = 520,
    height: int = 420,
    *,
    legend_columns: int = 3,
    names: bool = True,
) -> alt.LayerChart:
    """Every comune of the chosen provinces (default: those of the list) coloured by status.

    Comuni of those provinces that do not take part are drawn pale; answered comuni without an
    Amministrazione Trasparente editor carry a dark dot. ``names=False`` (the picture) leaves
    every name out of the spec: no tooltips, boundaries without names.
    """
    chosen = set(provinces or md.provinces)
    regions = sorted({province_regions()[p] for p in chosen if p in province_regions()})
    table = md.comuni.loc[md.comuni["provincia"].isin(chosen)]
    fields = ["comune", "stato", "prima_risposta", "editor", "senza_at"] if names else ["stato", "senza_at"]
    records = table[["istat", *fields]].to_dict("records")
    color = alt.Color(
        "stato_mappa:N",
        title=None,
        scale=alt.Scale(domain=_STATUS_DOMAIN, range=_STATUS_RANGE),
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=legend_columns, labelLimit=0),
    )
    tooltip: list[alt.Tooltip] | None = [
        alt.Tooltip("nome:N", title="Comune"),
        alt.Tooltip("stato_mappa:N", title="Stato"),
        alt.Tooltip("prima_risposta:N", title="Prima risposta"),
        alt.Tooltip("editor:Q", title="Editor"),
    ]
    if not names:
        tooltip = None
    layers: list[alt.Chart] = []
    dots: list[alt.Chart] = []
    for region in regions:
        here = ",".join(sorted(p for p in chosen if province_regions().get(p) == region))
        base = (
            alt.Chart(_topo(f"comuni:{region}:{here}" + ("" if names else ":bare"), "comuni"))
            .transform_lookup(
                lookup="properties.com_istat_code",
                from_=alt.LookupData(alt.InlineData(values=records), key="istat", fields=fields),
            )
            .transform_calculate(stato_mappa=f"datum.stato ? datum.stato : '{OUTSIDE}'")
        )
        if names:
            base = base.transform_calculate(nome="datum.comune ? datum.comune : datum.properties.name")
        shape = base.mark_geoshape(stroke="white", strokeWidth=0.4).encode(color=color)
        layers.append(shape.encode(tooltip=tooltip) if tooltip else shape)
        dots.append(
            base.transform_filter("datum.senza_at")
            .transform_calculate(centre="geoCentroid(null, datum)")
            .transform_calculate(lon="datum.centre[0]", lat="datum.centre[1]")
            .mark_circle(size=30, color="#263238", opacity=0.9, stroke="white", strokeWidth=0.8, aria=False)
            .encode(longitude="lon:Q", latitude="lat:Q", **({"tooltip": tooltip} if tooltip else {}))
        )
    return alt.layer(*layers, *dots).project(_PROJECTION).properties(width=width, height=height)


def provinces_map(progress: pd.DataFrame, width: int = 520, height: int = 560) -> alt.LayerChart:
    """Italy's provinces coloured by the share of listed comuni that answered (pale: none listed).

    The colours span the shares observed (``observed_range``), stated in the legend's title: on a
    scale from 0 to 100 % provinces between 60 and 75 % would all look alike.
    """
    return _provinces_chart(_province_records(progress), width, height, observed_range(progress))


def observed_range(progress: pd.DataFrame, step: float = 0.05) -> tuple[float, float]:
    """The lowest and highest share answered among the provinces with listed comuni, widened to
    whole multiples of ``step`` (5 %), at least one step apart; (0, 1) when there is none."""
    shares = progress.loc[progress["comuni"] > 0, "quota"]
    if shares.empty:
        return 0.0, 1.0
    steps = round(1 / step)
    lo = math.floor(round(float(shares.min()) * steps, 6)) / steps
    hi = math.ceil(round(float(shares.max()) * steps, 6)) / steps
    if hi - lo < step:
        lo, hi = (max(0.0, hi - step), hi) if hi >= step else (lo, lo + step)
    return lo, hi


def _provinces_chart(records: list[dict], width: int, height: int, span: tuple[float, float]) -> alt.LayerChart:
    lo, hi = span
    base = alt.Chart(_topo("provinces", "provinces")).transform_lookup(
        lookup="properties.prov_acr",
        from_=alt.LookupData(alt.InlineData(values=records), key="provincia",
                             fields=["comuni", "risposto", "da_fare", "quota", "missing", "pending"]),
    )  # fmt: skip
    # aria=False: decorative (an empty layer would be an unnamed graphic to a screen reader).
    empty = base.transform_filter("!datum.comuni").mark_geoshape(
        fill=OUTSIDE_COLOR, stroke="white", strokeWidth=0.5, aria=False
    )
    filled = (
        base.transform_filter("datum.comuni > 0")
        .mark_geoshape(stroke="white", strokeWidth=0.5)
        .encode(
            color=alt.Color(
                "quota:Q",
                title=["Quota di comuni che hanno risposto", f"(scala dei colori: da {percent(lo)} a {percent(hi)})"],
                scale=alt.Scale(domain=[lo, hi], scheme="yellowgreen", clamp=True),
                legend=alt.Legend(
                    orient="bottom",
                    format="%",
                    gradientLength=220,
                    titleLimit=0,
                    direction="horizontal",
                    titleFontSize=13,
                ),
            ),
            tooltip=[
                alt.Tooltip("properties.prov_name:N", title="Provincia"),
                alt.Tooltip("comuni:Q", title="Comuni"),
                alt.Tooltip("risposto:Q", title="Hanno risposto"),
                alt.Tooltip("quota:Q", title="Quota", format=".0%"),
                alt.Tooltip("pending:Q", title="In attesa"),
                alt.Tooltip("missing:Q", title="Mancanti"),
            ],
        )
    )
    return alt.layer(empty, filled).project(_PROJECTION).properties(width=width, height=height)


_RECORDS = "rollout_records"


def provinces_map_spec(progress: pd.DataFrame, width: int = 520, height: int = 560) -> dict:
    """``to_spec(provinces_map(...))`` for the dashboard: the spec is built once per size and range
    of colours, only the figures change."""
    spec = _provinces_template(width, height, observed_range(progress))
    records = _province_records(progress)
    datasets = {k: records if v and _RECORDS in v[0] else v for k, v in spec.get("datasets", {}).items()}
    return {**spec, "datasets": datasets}  # the boundaries are shared with the template, never changed


@lru_cache(maxsize=16)
def _provinces_template(width: int, height: int, span: tuple[float, float]) -> dict:
    return to_spec(_provinces_chart([{_RECORDS: True}], width, height, span))


def _province_records(progress: pd.DataFrame) -> list[dict]:
    return progress[["provincia", "comuni", "risposto", "da_fare", "quota", "missing", "pending"]].to_dict("records")


ROW = 20  # pixels per territory: every name has room for its label (11 px text)


def _territory_axis(order: list[str]) -> alt.Y:
    """The territories down the y axis, every one named (Vega-Lite would drop every other label
    where they look crowded), names of up to ~40 characters whole."""
    return alt.Y("nome:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=240, labelFontSize=12))


def province_status_chart(progress: pd.DataFrame, label: str = "provincia", row: int = ROW) -> alt.Chart:
    """Comuni by status stacked per province (or region), the most left to do first."""
    long = progress.melt(
        id_vars=["nome", "comuni", "da_fare", "quota"], value_vars=list(STATUS_LABELS), var_name="s", value_name="n"
    )
    long["stato"] = long["s"].map(STATUS_LABELS)
    long["ordine"] = long["s"].map({s: i for i, s in enumerate(STATUS_LABELS)})
    order = progress["nome"].tolist()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=_territory_axis(order),
            x=alt.X("n:Q", stack="zero", title="Comuni", axis=alt.Axis(format=",d", tickMinStep=1)),
            order="ordine:Q",
            color=alt.Color(
                "stato:N",
                title=None,
                scale=alt.Scale(domain=list(STATUS_LABELS.values()), range=list(STATUS_COLORS.values())),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("nome:N", title=label.capitalize()),
                alt.Tooltip("stato:N", title="Stato"),
                alt.Tooltip("n:Q", title="Comuni"),
                alt.Tooltip("da_fare:Q", title="Ancora da fare"),
                alt.Tooltip("quota:Q", title="Quota con risposta", format=".0%"),
            ],
        )
        .properties(height=alt.Step(row))
    )


def coverage_heatmap(coverage: pd.DataFrame, label: str = "provincia", row: int = ROW) -> alt.LayerChart:
    """Province (or region) × permission: share of its comuni with at least one editor."""
    order = coverage.drop_duplicates("nome")["nome"].tolist()
    perms = [p.short for p in PERMISSIONS]
    base = alt.Chart(coverage).encode(
        y=_territory_axis(order),
        x=alt.X(
            "permesso:N",
            sort=perms,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=-35, labelAlign="left", labelLimit=130, labelOverlap=False),
        ),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "quota:Q",
            title="Comuni con almeno un editor",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            legend=alt.Legend(format="%", orient="bottom", direction="horizontal", titleLimit=0),
        ),
        tooltip=[
            alt.Tooltip("nome:N", title=label.capitalize()),
            alt.Tooltip("permesso:N", title="Permesso"),
            alt.Tooltip("coperti:Q", title="Comuni con editor"),
            alt.Tooltip("comuni:Q", title="Comuni"),
            alt.Tooltip("quota:Q", title="Quota", format=".0%"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("quota:Q", format=".0%"),
        color=alt.condition("datum.quota > 0.6", alt.value("white"), alt.value("#263238")),
    )
    return alt.layer(cells, text).properties(height=alt.Step(row), width=alt.Step(46))
