"""The map: comuni joined to their boundaries by code or by name, never dropped; the picture's layout."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import vl_convert as vlc

from conftest import COMUNI_CSV, ROOT, responses, run_app, snapshot
from rollout.config import load_config
from rollout.outputs import map_charts, maps, picture
from rollout.pipeline import run
from rollout.read.reference import national_comuni

# Comuni born from mergers after June 2023. A code without a shape falls back to the name: Misiliscemi
# (2021) has a shape without cadastral code, Sovizzo (merged with Gambugliano in 2024, same name)
# is drawn with its 2023 shape.
SHOTS = ROOT / "tests" / "screenshots"
NOT_ON_MAP_BY_CODE = {"M433", "M434", "M435", "M437", "M438", "M439"}


@pytest.fixture(scope="module")
def demo():
    return run(load_config(ROOT / "data" / "demo" / "rollout.toml"))


def national_csv(with_code: bool) -> str:
    """Every active Italian comune (one name each), as a PM's list: with cadastral codes or names only."""
    names: dict[str, tuple[str, str]] = {}
    for m in national_comuni():
        names[m.cadastral] = min(names.get(m.cadastral, (m.name, m.province)), (m.name, m.province))
    rows = ["Comune,Provincia" + (",Codice catastale" if with_code else "")]
    for code, (name, prov) in sorted(names.items()):
        rows.append(f'"{name}",{prov}' + (f",{code}" if with_code else ""))
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def national():
    return snapshot(responses(), comuni_csv=national_csv(with_code=True))


def accounted(snap) -> maps.MapData:
    md = maps.map_data(snap.comuni)
    assert sorted([*md.comuni.index, *md.not_on_map.index]) == sorted(snap.comuni.index)
    assert not set(md.comuni.index) & set(md.not_on_map.index)
    return md


def test_every_demo_comune_is_on_the_map(demo):
    md = accounted(demo)
    assert (len(md.comuni), len(md.not_on_map)) == (130, 0)
    assert md.regions == ("15",) and md.provinces == ("AV", "SA") and not md.national
    avella = md.comuni.loc[demo.comuni["name"] == "Avella"].iloc[0]
    assert avella[["istat", "provincia", "stato", "prima_risposta", "editor"]].to_dict() == {
        "istat": "064007", "provincia": "AV", "stato": "in tempo", "prima_risposta": "05/09/2023 10:47", "editor": 2,
    }  # fmt: skip
    # Only what the tooltips need: no referents, no emails.
    assert list(md.comuni.columns) == [
        "istat", "comune", "provincia", "status", "stato", "prima_risposta", "editor", "senza_at",
    ]  # fmt: skip
    assert int(md.comuni["senza_at"].sum()) == 9


def test_national_list_by_code_places_all_but_the_comuni_born_after_june_2023(national):
    md = accounted(national)
    assert len(national.comuni) == 7894
    assert set(md.not_on_map["codice"]) == NOT_ON_MAP_BY_CODE
    assert len(md.comuni) == 7894 - 6 and md.national and len(md.regions) == 20
    assert md.comuni["istat"].is_unique


def test_national_list_by_name_and_province():
    snap = snapshot(responses(), comuni_csv=national_csv(with_code=False))
    md = accounted(snap)
    assert set(md.not_on_map["comune"]) == {
        "Bardello Con Malgesso E Bregano", "Castegnero Nanto", "Moransengo-Tonengo", "Santa Caterina D'Este",
        "Setteville", "Uggiate Con Ronago",
    }  # fmt: skip
    assert md.comuni["istat"].is_unique


def test_joins_by_istat_code_cadastral_code_and_name():
    by_istat = maps.istat_codes(snapshot(responses()).comuni)  # conftest's list carries ISTAT codes
    assert by_istat.tolist() == ["065074", "023021", "076100", "087033", "022035", "005013", "063045"]
    listed = pd.DataFrame({
        "name": ["Comune di Montecorvino Rovella", "PATERNÒ", "Bolzano", "Bozen", "Calliano", "Xyz", "Setteville", "Sala"],
        "province": ["SA", "CT", "BZ", "BZ", "AT", "SA", "BL", "SA"],
        "code": ["", "", "", "", "", "", "", "H703"],
    })  # fmt: skip
    assert maps.istat_codes(listed).tolist() == ["065073", "087033", "021008", "021008", "005014", "", "", "065116"]


def test_province_progress_counts_every_comune(national):
    progress = maps.province_progress(national.comuni)
    assert int(progress["comuni"].sum()) == 7894  # those not on the map included
    assert progress.loc[0, "provincia"] == "TO" and int(progress.loc[0, "da_fare"]) == 312
    assert progress["da_fare"].is_monotonic_decreasing
    regions = maps.region_progress(national.comuni)
    assert len(regions) == 20 and int(regions["comuni"].sum()) == 7894
    coverage = maps.territory_coverage(national.comuni)
    assert len(coverage) == 107 * 7 and set(coverage["quota"]) == {0.0}


def test_map_specs_are_geoshapes_without_personal_data(demo):
    md = maps.map_data(demo.comuni)
    spec = map_charts.to_spec(map_charts.comuni_map(md))
    text = json.dumps(spec, ensure_ascii=False)
    assert '"geoshape"' in text and "Montecorvino Rovella" in text
    for personal in ("@", "Referente", "filler"):
        assert personal not in text
    bare = json.dumps(map_charts.to_spec(map_charts.comuni_map(md, names=False)), ensure_ascii=False)
    assert "Avella" not in bare and '"064007"' in bare
    progress = maps.province_progress(demo.comuni)
    provinces = map_charts.to_spec(map_charts.provinces_map(progress, height=400))
    assert '"geoshape"' in json.dumps(provinces) and '"prov_acr": "SA"' in json.dumps(provinces)
    # The dashboard's cached template gives the same spec (datasets are named by a hash of their rows).
    assert unnamed(map_charts.provinces_map_spec(progress, height=400)) == unnamed(provinces)
    (records,) = [rows for rows in provinces["datasets"].values() if "provincia" in rows[0]]
    assert [(r["provincia"], r["comuni"], r["risposto"], r["da_fare"]) for r in records] == [
        ("SA", 88, 38, 50), ("AV", 42, 22, 20),
    ]  # fmt: skip


def unnamed(spec: dict) -> str:
    text = json.dumps(spec, sort_keys=True)
    for i, name in enumerate(spec["datasets"]):
        text = text.replace(name, f"dataset-{i}")
    return text


def text_width(text: str, size: int, bold: bool) -> float:
    """The width Vega gives a line of text (the same renderer as the picture)."""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"t": text}]},
        "mark": {"type": "text", "align": "left", "fontSize": size, "fontWeight": "bold" if bold else "normal"},
        "encoding": {"text": {"field": "t"}, "x": {"value": 0}, "y": {"value": 0}},
        "config": {"view": {"stroke": None}},
    }
    vega = vlc.vegalite_to_vega(spec)
    vega.update(autosize={"type": "pad", "contains": "padding"}, padding=0, width=1, height=1)
    return vlc.vega_to_scenegraph(vega)["width"]


def test_kpi_tiles_leave_room_for_five_digit_figures():
    now = {"comuni": 99999, "on_time": 88888, "late": 77777, "pending": 0, "missing": 11111, "without_at_editor": 99999}
    before = {"comuni": 99999, "on_time": 0, "late": 0, "pending": 99999, "missing": 99999, "without_at_editor": 0}
    data = picture.kpi_data(now, before)
    assert data["testo_valore"].tolist() == ["99.999", "88.888", "77.777", "0", "11.111", "99.999"]
    assert data["testo_variazione"].tolist()[1:3] == ["+88.888 in 7 giorni", "+77.777 in 7 giorni"]
    room = picture.kpi_text_room()
    bottom = 0
    for field, middle, size in picture.KPI_LINES:
        bold = field != "quota"
        widest = max(text_width(str(t), size, bold) for t in data[field])
        assert widest <= room, (field, widest, room)
        assert middle - size / 2 >= bottom  # lines never overlap
        bottom = middle + size / 2
    assert bottom <= picture.KPI_HEIGHT
    SHOTS.mkdir(parents=True, exist_ok=True)  # for a human look, beside the e2e screenshots
    band = picture.kpi_band(data).properties(background="white").configure_view(stroke=None)
    (SHOTS / "kpi_five_digits.png").write_bytes(vlc.vegalite_to_png(band.to_dict(), format_locale="it-IT"))


def test_the_national_picture_fits_its_frame(national):
    previous = national.week_before()
    chart = picture.status_picture(national, previous, "Campagna nazionale")
    padding = picture.to_vega(chart)["padding"]  # what the measured content leaves of 1600×900
    assert min(padding.values()) > 0 and padding["left"] + padding["right"] < 100
    spec = chart.to_dict()
    (footer,) = [d for d in spec["datasets"].values() if d and "t" in d[0] and d[0]["t"].startswith("Dati")]
    assert footer[0]["t"].endswith(maps.CREDIT + " · 6 comuni non sono sulla mappa (contati nei totali)")


def test_the_demo_picture_draws_the_comuni(demo):
    previous = demo.week_before()
    spec = map_charts.to_spec(picture.status_picture(demo, previous, "Demo"))
    text = json.dumps(spec, ensure_ascii=False)
    assert '"geoshape"' in text and '"feature": "comuni"' in text and "Avella" not in text


@pytest.fixture
def configured(tmp_path, monkeypatch):
    """A campaign spanning six regions (conftest's list), configured like a PM does."""
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(responses(), encoding="utf-8")
    config = tmp_path / "rollout.toml"
    config.write_text(
        'campaign = "Prova"\ndeadline = 2023-09-13\nas_of = "2023-09-20T12:00:00"\n'
        'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))


def geoshapes(at) -> list[dict]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    return [s for s in specs if '"geoshape"' in json.dumps(s)]


def test_panoramica_shows_the_map_on_the_demo(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")
    at = run_app()
    assert not at.exception
    (spec,) = geoshapes(at)
    assert "com_istat_code" in json.dumps(spec)
    assert maps.CREDIT in [c.value.split(" · ")[-1] for c in at.main.caption]


def test_panoramica_shows_provinces_then_one_region_for_a_configured_campaign(configured):
    at = run_app()
    assert not at.exception
    (spec,) = geoshapes(at)
    assert '"feature": "provinces"' in json.dumps(spec)
    territory = at.selectbox(key="map_territory")
    assert territory.options[:3] == [
        "Italia, per provincia", "Regione Piemonte", "Regione Trentino-Alto Adige/Südtirol",
    ]  # fmt: skip
    territory.select("Provincia Salerno (SA)").run()
    (spec,) = geoshapes(at)
    text = json.dumps(spec, ensure_ascii=False)
    assert '"feature": "comuni"' in text and "Montecorvino Rovella" in text
    assert maps.CREDIT in [c.value.split(" · ")[-1] for c in at.main.caption]


def test_filters_apply_to_the_map(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")
    at = run_app(filter_provinces=["AV"])
    (spec,) = geoshapes(at)
    # Streamlit sends the figures apart (Arrow); the boundaries stay in the spec: Avellino's only.
    (topology,) = [part["data"]["values"] for part in [spec, *spec["layer"]] if "data" in part]
    provinces = {g["properties"]["prov_acr"] for g in topology["objects"]["comuni"]["geometries"]}
    assert provinces == {"AV"} and len(topology["objects"]["comuni"]["geometries"]) == 118
    assert at.selectbox(key="map_territory").options == ["Tutti i comuni dell'elenco (AV)"]
    empty = run_app(filter_provinces=["AV"], filter_search="nessun comune con questo nome")
    assert not empty.exception and not geoshapes(empty)
    assert empty.metric[0].value == "0"
    assert empty.main.info[0].value == "Nessun comune da mostrare sulla mappa."


def test_the_comuni_not_on_the_map_are_listed_once_their_expander_is_opened(tmp_path, monkeypatch):
    """The list of the comuni without a boundary is in an expander whose table is sent only once it is
    opened: a first visit never loads Streamlit's table (the largest part of its front end)."""
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV + "Moransengo-Tonengo,AT,,,\n", encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(responses(), encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        'deadline = 2023-09-13\nas_of = "2023-09-20T12:00:00"\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLLOUT_CONFIG", str(tmp_path / "rollout.toml"))
    closed = run_app()
    assert not closed.exception
    (expander,) = [e for e in closed.main.expander if "mappa" in e.label]
    assert expander.label == "1 comune non è sulla mappa (contati in tutti i totali)"
    assert [len(expander.children), len(closed.dataframe)] == [0, 0]
    opened = run_app(map_not_on_map=True)
    assert not opened.exception
    (table,) = opened.dataframe
    assert table.value.to_dict("records") == [{"comune": "Moransengo-Tonengo", "provincia": "AT", "codice": ""}]
