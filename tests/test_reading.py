"""What the project manager reads: lists in an order that means something, statuses in words,
every territory named, and a picture whose panels line up (issue 19, §1, §3, §4 and the small things).

The browser's side (one screen, nothing cut, WCAG 2.1 AA) is in test_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pandas as pd
import pytest
import vl_convert as vlc
from test_snapshot import HEADER, LINES

import conftest
from conftest import COMUNI_CSV, ROOT, by_name, responses, snapshot
from rollout.config import load_config
from rollout.outputs import map_charts, maps
from rollout.outputs.picture import status_picture, to_vega
from rollout.pipeline import run
from rollout.reminders.log import Mark, ReminderLog, comune_keys
from rollout.status import STATUS_LABELS
from rollout.views import BY_PROVINCE, LEAST_REMINDED_FIRST, by_status, to_do
from ui.comuni import missing_words, short_permissions
from ui.format import md_escape

R = "segreteria@comune.montecorvinorovella.sa.it"
DEMO = ROOT / "data" / "demo"


def test_missing_comuni_come_by_province_then_name_when_none_was_reminded():
    # Every missing comune is equally late (one deadline): the order is the province's, then the name's.
    snap = snapshot(responses(f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web"))
    (missing,) = [t for t in to_do(snap.comuni) if t.kind == "missing"]
    assert missing.names == (
        "Calliano (AT)", "Paternò (CT)", "Melito di Napoli (NA)", "Paterno (PZ)", "Calliano (TN)", "Castel d'Azzano (VR)",
    )  # fmt: skip
    assert missing.order == BY_PROVINCE == "per provincia"


def test_missing_comuni_never_reminded_come_first_then_the_longest_without_one():
    snap = snapshot(responses(f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web"))
    last = pd.Series("", index=snap.comuni.index)
    last[by_name(snap, "Calliano", "AT").name] = "2023-09-20"
    last[by_name(snap, "Paternò").name] = "2023-09-15"
    last[by_name(snap, "Castel d'Azzano").name] = "2023-09-20"
    (missing,) = [t for t in to_do(snap.comuni, last_reminder=last) if t.kind == "missing"]
    assert missing.names == (
        "Melito di Napoli (NA)", "Paterno (PZ)", "Calliano (TN)",  # never reminded, by province
        "Paternò (CT)",  # reminded on 15/09
        "Calliano (AT)", "Castel d'Azzano (VR)",  # reminded on 20/09, by province
    )  # fmt: skip
    assert missing.order == LEAST_REMINDED_FIRST


@pytest.fixture
def late_campaign(tmp_path, monkeypatch):
    """The demo campaign at 29/09/2023 (28 comuni missing), its reminders log in tmp_path."""
    config = tmp_path / "rollout.toml"
    config.write_text(
        'campaign = "Demo"\ndeadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\n'
        f'comuni = "{DEMO / "comuni.csv"}"\nsubmissions = "{DEMO / "risposte.csv"}"\n'
        '[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    return tmp_path


def missing_line(at) -> str:
    """The Panoramica's «Da fare» line about the missing comuni."""
    todo = next(m.value for m in at.markdown if "comuni mancanti da sollecitare" in m.value)
    return next(line for line in todo.splitlines() if "comuni mancanti da sollecitare" in line)


def test_the_panoramica_names_first_the_missing_comuni_reminded_least(late_campaign):
    at = conftest.run_app()
    first = missing_line(at)
    shown = "Capriglia Irpina (AV), Castelfranci (AV), Castelvetere sul Calore (AV), …"
    assert first.endswith(f"**28 comuni mancanti da sollecitare** (per provincia: {md_escape(shown)})")
    # Reminders recorded for every missing comune but Mercogliano and Aquara; Capriglia's first.
    snap = run(load_config())
    chased = snap.comuni.loc[snap.comuni["status"] == "missing"]
    keys = dict(zip(chased["name"], comune_keys(chased["code"], chased["name"], chased["province"]), strict=True))
    log = ReminderLog(late_campaign / "promemoria.sqlite3")
    log.record([Mark(keys["Capriglia Irpina"], "Capriglia Irpina")], dt.date(2023, 9, 15), "pec")
    others = [Mark(k, n) for n, k in keys.items() if n not in ("Mercogliano", "Aquara", "Capriglia Irpina")]
    log.record(others, dt.date(2023, 9, 20), "pec")
    at = conftest.run_app()
    first = missing_line(at)
    shown = "Mercogliano (AV), Aquara (SA), Capriglia Irpina (AV), …"
    assert first.endswith(
        "**28 comuni mancanti da sollecitare** (prima chi non ha avuto promemoria, poi chi l'ha avuto da più tempo: "
        f"{md_escape(shown)})"
    )


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")


def test_the_comuni_table_lists_by_status_then_name_in_words(demo):
    at = conftest.run_app("pages/comuni.py", as_of_date=dt.date(2023, 9, 29))
    table = at.dataframe[0].value
    assert table["Stato"].tolist() == ["mancante"] * 28 + ["in ritardo"] * 26 + ["in tempo"] * 76
    assert table["Comune"].head(5).tolist() == ["Acerno", "Albanella", "Aquara", "Bellizzi", "Capriglia Irpina"]
    for status in STATUS_LABELS.values():  # within a status, by name, case and accents aside
        names = table.loc[table["Stato"] == status, "Comune"]
        assert names.tolist() == sorted(names, key=lambda n: n.casefold().replace("'", " "))
    # The status is a word (no emoji, which a browser without an emoji font draws as a box), shown
    # on a pill of its colour.
    (column,) = [c for c in json.loads(at.dataframe[0].proto.columns).values() if c.get("label") == "Stato"]
    assert column["type_config"] == {
        "type": "multiselect",
        "options": [
            {"value": "in tempo", "color": "#2e7d32"},
            {"value": "in ritardo", "color": "#b45309"},
            {"value": "in attesa", "color": "#546e7a"},
            {"value": "mancante", "color": "#c62828"},
        ],
    }


def test_by_status_puts_those_to_act_on_first():
    comuni = pd.DataFrame({
        "name": ["Zola", "àgliè", "Acqui", "Bra", "Alba"],
        "province": ["BO", "TO", "AL", "CN", "CN"],
        "status": ["on_time", "missing", "late", "missing", "pending"],
    })  # fmt: skip
    assert comuni.loc[by_status(comuni), "name"].tolist() == ["àgliè", "Bra", "Alba", "Acqui", "Zola"]


def test_missing_permissions_in_few_words():
    assert missing_words(()) == ""
    assert missing_words(("newsletter", "servizi_tecnico")) == "Newsletter, Tecnico"
    assert missing_words(("newsletter", "amministrazione_trasparente", "servizi_demografico", "servizi_tributi")) == (
        "tutti tranne Sito web, Segreteria, Tecnico"
    )
    assert missing_words(("sito_web", "newsletter", "amministrazione_trasparente", "servizi_demografico",
                          "servizi_segreteria", "servizi_tecnico", "servizi_tributi")) == "tutti"  # fmt: skip
    # The reminders list's text (full labels), said the same way.
    assert short_permissions("Newsletter, Servizi - Ufficio Tecnico") == "Newsletter, Tecnico"
    assert short_permissions("") == ""


def test_every_territory_is_named_on_its_own_row():
    comuni = snapshot(responses(), COMUNI_CSV).comuni  # nobody answered: one comune to do in each province
    progress = maps.province_progress(comuni)
    assert progress["nome"].tolist() == [
        "Asti (AT)", "Catania (CT)", "Napoli (NA)", "Potenza (PZ)", "Salerno (SA)", "Trento (TN)", "Verona (VR)",
    ]  # fmt: skip
    for chart in (
        map_charts.province_status_chart(progress),
        map_charts.coverage_heatmap(maps.territory_coverage(comuni)),
    ):
        spec = chart.to_dict()
        encoding = (spec.get("layer") or [spec])[0].get("encoding") or spec["encoding"]
        assert encoding["y"]["field"] == "nome"
        assert encoding["y"]["axis"]["labelOverlap"] is False  # no label dropped where rows look crowded
        assert spec["height"] == {"step": map_charts.ROW} and map_charts.ROW >= 20


def test_territory_names():
    assert maps.territory_names(pd.Series(["SA", "?", "BT"]), "provincia").tolist() == [
        "Salerno (SA)", "provincia non indicata", "Barletta-Andria-Trani (BT)",
    ]  # fmt: skip
    assert maps.territory_names(pd.Series(["Campania", ""]), "regione").tolist() == ["Campania", "regione non nota"]


@pytest.mark.parametrize(
    ("shares", "span"),
    [([0.62, 0.71, 0.98], (0.6, 1.0)), ([0.0, 0.0], (0.0, 0.05)), ([1.0], (0.95, 1.0)), ([0.35, 0.4], (0.35, 0.4))],
)
def test_the_map_colours_span_the_shares_observed(shares, span):
    progress = pd.DataFrame({"comuni": [10] * len(shares), "quota": shares})
    assert map_charts.observed_range(progress) == pytest.approx(span)


def scene_texts(chart) -> list[tuple[str, str, float, float]]:
    """Every text the picture draws: (role, text, x, y), positions in pixels from the top left."""
    graph = vlc.vega_to_scenegraph(to_vega(chart))

    def walk(node: dict, x: float, y: float):
        if node.get("marktype") == "text":
            for item in node.get("items", []):
                text = item.get("text")
                for line in text if isinstance(text, list) else [text]:  # a title of several lines
                    yield node.get("role"), str(line), x + item.get("x", 0), y + item.get("y", 0)
        for item in node.get("items", []):
            if isinstance(item, dict) and "items" in item:
                yield from walk(item, x + item.get("x", 0), y + item.get("y", 0))

    return list(walk(graph["scenegraph"], 0, 0))


@pytest.fixture(scope="module")
def drawn():
    snap = snapshot(responses(*LINES, header=HEADER))  # seven comuni in seven provinces: the provinces' map
    return scene_texts(status_picture(snap, snap.week_before(), "Account editor - PNRR 1.4.1"))


def test_the_pictures_panel_titles_line_up(drawn):
    titles = {t: y for role, t, _, y in drawn if role == "title-text"}
    panels = [
        titles["Comuni che hanno risposto, giorno per giorno"],
        titles["Quota di comuni con risposta per provincia"],
        titles["Copertura dei permessi"],
    ]
    assert max(panels) - min(panels) <= 3


def test_the_coverage_axis_labels_have_room(drawn):
    labels = [(t, x) for role, t, x, _ in drawn if role == "axis-label" and t.endswith("%") and x > 900]
    assert [t for t, _ in labels] == ["0\u00a0%", "25\u00a0%", "50\u00a0%", "75\u00a0%", "100\u00a0%"]
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(labels)]
    assert min(gaps) >= 60  # «100 %» at 14 px is about 40 px wide


def test_the_total_line_is_labelled_and_the_map_legend_states_its_range(drawn):
    texts = [t for _, t, _, _ in drawn]
    assert "Totale: 7 comuni" in texts
    # Shares answered per province here: 0 % (four provinces), 100 % (three): the whole range.
    assert "(scala dei colori: da 0\u00a0% a 100\u00a0%)" in texts
