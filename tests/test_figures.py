"""One snapshot, three faces: every figure the Panoramica shows (Streamlit's AppTest), every figure
the weekly picture draws (its spec and its SVG, drawn by vl-convert) and status.json agree, and
all of them are written the Italian way (6.583, 61 %).

The snapshot is a synthetic campaign of 2,500 comuni in every region (the benchmark's generator:
real comune names, Google Sheets' Italian CSV), large enough for thousands separators.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pyarrow as pa
import pytest
import vl_convert as vlc

from conftest import ROOT, run_app
from rollout.config import load_config
from rollout.italian import MONTHS, VEGA_LOCALE, number, percent, signed
from rollout.outputs import map_charts, picture
from rollout.outputs.tables import status_dict
from rollout.pipeline import run_report
from rollout.read.permissions import PERMISSION_KEYS
from rollout.views import KPIS, Overview

CAMPAIGN = "Campagna di prova"
NUMBER = r"\d{1,3}(?:\.\d{3})*"  # 6.583, 27.142, 61: never 6583 nor 6,583
PERCENT = r"\d{1,3}\xa0%"  # 61 %, with a space that never breaks
# A bare number of four digits or more (not a year in 13/09/2023, not the time 18:00), or a
# percentage sign without its space: what the Italian way never writes.
UNGROUPED = re.compile(r"(?<![\d.,/:])\d{4,}(?![\d/])")
LONG_DATE = re.compile(r"\d{1,2} (?:" + "|".join(MONTHS) + r") \d{4}")  # 13 settembre 2023: a year
BARE_PERCENT = re.compile(r"(?<!\xa0)%")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    folder = tmp_path_factory.mktemp("figures")
    cmd = [sys.executable, str(ROOT / "bench" / "benchmark.py"), "--generate-only", "--data-dir", str(folder),
           "--seed", "3", "--comuni", "2500", "--responses", "3200"]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=ROOT)
    config = folder / "rollout.toml"
    config.write_text(
        f'campaign = "{CAMPAIGN}"\ndeadline = 2023-09-13\nas_of = "2023-09-20T12:00:00"\n'
        'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def status(campaign):
    snap, _ = run_report(load_config(campaign))
    return snap, status_dict(snap)


@pytest.fixture(scope="module")
def panoramica(campaign):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROLLOUT_CONFIG", str(campaign))
        at = run_app()
    assert not at.exception and not at.error
    return at


@pytest.fixture(scope="module")
def drawn(status):
    """The picture: its Vega-Lite spec and the texts of its SVG drawing."""
    snap, _ = status
    spec = map_charts.to_spec(picture.overview_picture(Overview.of(snap), CAMPAIGN))
    svg = vlc.vegalite_to_svg(spec)
    texts = [_unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    return spec, texts


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&apos;", "'")


def _rows(spec: dict, field: str) -> list[dict]:
    (rows,) = [r for r in spec["datasets"].values() if r and field in r[0]]
    return rows


def _chart_rows(at, field: str) -> list[dict]:
    """The rows of the Panoramica's chart whose data have ``field``, as the browser receives them."""
    found = []
    for chart in at.get("vega_lite_chart"):
        for data in chart.proto.datasets:
            table = pa.ipc.open_stream(data.data.data).read_all()
            if field in table.column_names:
                found.append(table.to_pylist())
    (rows,) = found
    return rows


def _answered_without_at(status_json: dict) -> int:
    return sum(c["status"] in ("on_time", "late") and not c["has_at_editor"] for c in status_json["comuni"])


def test_the_kpis_agree_and_are_italian(status, panoramica, drawn):
    snap, status_json = status
    totals = status_json["totals"]
    before = snap.week_before().totals
    spec, texts = drawn
    tiles = {t["key"]: t for t in _rows(spec, "kpi")}
    cards = {m.label: m for m in panoramica.metric}
    assert list(cards) == [k.label for k in KPIS]
    assert totals["comuni"] == 2500 and totals["on_time"] > 1000  # thousands are written
    for kpi in KPIS:
        value, change = totals[kpi.key], totals[kpi.key] - before[kpi.key]
        card, tile = cards[kpi.label], tiles[kpi.key]
        assert card.value == tile["testo_valore"] == number(value), kpi.label
        assert re.fullmatch(NUMBER, card.value)
        assert card.delta == signed(change)
        assert tile["testo_variazione"] == (f"{signed(change)} in 7 giorni" if change else "invariato in 7 giorni")
        assert tile["testo_valore"] in texts and tile["testo_variazione"] in texts  # drawn as written
        if kpi.key not in ("comuni", "without_at_editor"):
            assert tile["quota"] == f"{percent(value / totals['comuni'])} dei comuni"
            assert re.fullmatch(PERCENT + " dei comuni", tile["quota"])
    # «Senza editor AT»: status.json's figure, and beside it, in the same words, those that answered
    part = f"di cui {number(_answered_without_at(status_json))} hanno risposto"
    assert tiles["without_at_editor"]["quota"] == part and part in texts
    at_card = next(cards[k.label] for k in KPIS if k.key == "without_at_editor")
    assert at_card.proto.delta_description == part  # on its card, beside its change


def test_the_to_do_agrees_and_is_italian(status, panoramica, drawn):
    _, status_json = status
    totals = status_json["totals"]
    spec, texts = drawn
    (line,) = [r[0]["t"] for r in spec["datasets"].values() if r and "t" in r[0] and r[0]["t"].startswith("Da fare")]
    (todo,) = [m.value for m in panoramica.markdown if m.value.startswith("- :")]
    on_screen = re.findall(r"\*\*(.+?)\*\*", todo)
    unmatched = sum(1 for _ in status_json["unmatched"])
    assert on_screen[:2] == [
        f"{number(totals['missing'])} comuni mancanti da sollecitare",
        f"{number(totals['without_at_editor'])} comuni senza editor Amministrazione Trasparente, di cui "
        f"{number(_answered_without_at(status_json))} hanno risposto",
    ]
    assert re.fullmatch(rf"({NUMBER}) righe di risposte da verificare", on_screen[2])
    assert int(on_screen[2].split()[0].replace(".", "")) >= unmatched  # unmatched and invalid rows
    assert line == "Da fare: " + " · ".join(on_screen)
    assert line in texts


def test_the_coverage_agrees_and_is_italian(status, panoramica, drawn):
    _, status_json = status
    total = status_json["totals"]["comuni"]
    spec, texts = drawn
    expected = [
        f"{percent(status_json['coverage'][k]['share'])} ({number(status_json['coverage'][k]['comuni'])}/{number(total)})"
        for k in PERMISSION_KEYS
    ]
    assert [r["etichetta"] for r in _rows(spec, "permesso")] == expected
    assert [r["etichetta"] for r in _chart_rows(panoramica, "permesso")] == expected
    assert all(re.fullmatch(rf"{PERCENT} \({NUMBER}/{NUMBER}\)", e) for e in expected)
    assert set(expected) <= set(texts)
    status_bar = {r["stato"]: r["comuni"] for r in _chart_rows(panoramica, "stato")}
    assert status_bar == {
        "in tempo": status_json["totals"]["on_time"],
        "in ritardo": status_json["totals"]["late"],
        "in attesa": status_json["totals"]["pending"],
        "mancante": status_json["totals"]["missing"],
    }


def test_every_text_is_written_the_italian_way(panoramica, drawn):
    """No figure anywhere is 6583 or 61%: the picture's drawing, the Panoramica's texts, and the
    charts the browser draws, which carry the Italian locale (the browser's own is not asked)."""
    _, texts = drawn
    shown = [*texts, *(m.value for m in panoramica.markdown), *(c.value for c in panoramica.caption)]
    shown += [v for m in panoramica.metric for v in (m.value, m.delta)]
    assert [t for t in shown if UNGROUPED.search(LONG_DATE.sub("", t))] == []
    assert [t for t in shown if BARE_PERCENT.search(t)] == []
    # The axes, written by Vega with the Italian locale: 1.000 comuni, 20 %.
    assert "1.000" in texts and any(re.fullmatch(PERCENT, t) for t in texts)
    for chart in panoramica.get("vega_lite_chart"):
        config = json.loads(chart.proto.spec)["config"]
        assert config["locale"] == VEGA_LOCALE
