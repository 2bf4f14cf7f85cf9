"""The dashboard on the demo and on bad configurations (Streamlit AppTest, no browser)."""

import datetime as dt
import gc
import json
import weakref

import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

from conftest import ROOT, run_app
from ui.data import _long_lived
from ui.format import compact, md_escape
from ui.navigation import MENU

PAGES = [
    f"pages/{page.file}" for page in MENU if page.data
]  # as AppTest's switch_page takes them (the guide: test_guide.py)


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")


def metrics(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo(demo, page):
    at = run_app(page)
    assert not at.exception
    assert not at.error
    assert "Situazione al 08/09/2023 18:00" in at.markdown[0].value
    assert "Dati dimostrativi" in at.markdown[0].value


def test_overview_on_the_demo(demo):
    at = run_app()
    assert metrics(at) == {
        "Comuni": ("130", "0"),
        "In tempo": ("60", "+31"),
        "In ritardo": ("0", "0"),
        "In attesa": ("70", "-31"),
        "Mancanti": ("0", "0"),
        "Senza editor AT": ("79", "-26"),
    }
    assert at.markdown[0].value == (
        "**Situazione al 08/09/2023 18:00** · scadenza 13/09/2023 · mancano 5 giorni alla scadenza"
        " · :orange-badge[:material/science: Dati dimostrativi: nessuna configurazione trovata]"
    )


def test_province_filter_changes_every_count(demo):
    at = run_app(filter_provinces=["AV"])
    assert metrics(at) == {
        "Comuni": ("42", "0"),
        "In tempo": ("22", "+14"),
        "In ritardo": ("0", "0"),
        "In attesa": ("20", "-14"),
        "Mancanti": ("0", "0"),
        "Senza editor AT": ("22", "-13"),
    }
    assert "filtro attivo: 42 comuni su 130" in at.markdown[0].value


def test_status_and_search_filters(demo):
    at = run_app(filter_statuses=["pending"], filter_search="san")
    assert metrics(at)["Comuni"] == ("16", "0")
    assert metrics(at)["In attesa"] == ("16", "0")


def coverage_labels(at) -> list[str]:
    """The labels of the Panoramica's coverage chart, as the browser receives them."""
    chart = at.get("vega_lite_chart")[1].proto
    assert json.loads(chart.spec)["layer"][1]["mark"]["type"] == "text"
    (data,) = chart.datasets
    return pa.ipc.open_stream(data.data.data).read_all().column("etichetta").to_pylist()


def test_cached_charts_follow_the_filters(demo):
    """The charts are built once per snapshot and filters (for every session): each filter shows its own."""
    # Amministrazione trasparente (third): the comuni with an AT editor, 130 - 79 and 42 - 22 (the metrics)
    everyone = ["46\xa0% (60/130)", "32\xa0% (42/130)", "39\xa0% (51/130)", "26\xa0% (34/130)", "23\xa0% (30/130)",
                "24\xa0% (31/130)", "19\xa0% (25/130)"]  # fmt: skip
    assert coverage_labels(run_app()) == everyone
    assert coverage_labels(run_app(filter_provinces=["AV"])) == [
        "52\xa0% (22/42)", "36\xa0% (15/42)", "48\xa0% (20/42)", "33\xa0% (14/42)", "19\xa0% (8/42)", "24\xa0% (10/42)",
        "17\xa0% (7/42)",
    ]  # fmt: skip
    assert coverage_labels(run_app()) == everyone  # from the cache


def test_tables_travel_compact_with_the_same_cells():
    frame = pd.DataFrame(
        {
            "comune": [f"Comune {i}" for i in range(60)],
            "stato": ["in tempo", "mancante", "in attesa"] * 20,
            "ultimo": ["", "01/09/2023"] * 30,  # an empty category would show as «None»: left as text
            "editor": list(range(60)),
            "tutti": [True, False] * 30,
        },
        index=range(100, 160),
    )
    small = compact(frame)
    assert small.astype(object).to_dict("list") == frame.reset_index(drop=True).astype(object).to_dict("list")
    assert [str(t) for t in small.dtypes] == ["str", "category", "str", "int8", "bool"]
    assert small.index.equals(pd.RangeIndex(60))


class Node:
    pass


def test_loaded_data_stay_out_of_the_collector_until_the_next_load():
    """The data kept by a load skip the garbage collector's passes; a later load hands them back."""
    with _long_lived():
        assert not gc.isenabled()
        node = Node()
        node.self = node  # a reference cycle: only the collector can free it
        gone = weakref.ref(node)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert gone() is not None  # frozen: left alone
    with _long_lived():
        assert gone() is None  # the next load hands it back to the collector, which frees it


def test_moving_as_of_changes_the_statuses(demo):
    at = run_app(as_of_date=dt.date(2023, 9, 29))
    assert metrics(at) == {
        "Comuni": ("130", "0"),
        "In tempo": ("76", "0"),
        "In ritardo": ("26", "+9"),
        "In attesa": ("0", "0"),
        "Mancanti": ("28", "-9"),
        "Senza editor AT": ("45", "-7"),
    }
    assert "scadenza superata da 16 giorni" in at.markdown[0].value


def test_comuni_page_filters_by_missing_permission(demo):
    at = run_app("pages/comuni.py")
    order = ", per stato (prima i mancanti e quelli in attesa), poi per nome"
    assert any(c.value == "130 comuni su 130" + order for c in at.caption)
    at.selectbox(key="filter_missing_permission").set_value("amministrazione_trasparente").run()
    assert any(c.value == "79 comuni su 130" + order for c in at.caption)
    assert len(at.dataframe[0].value) == 79


def test_drill_down_shows_the_latest_response(demo):
    at = run_app("pages/comuni.py")
    box = at.selectbox(key="detail_comune")
    nocera = next(o for o in box.options if o.startswith("Nocera Inferiore"))
    box.select(nocera).run()
    assert not at.exception
    current = at.dataframe[1].value
    replaced = at.dataframe[2].value
    avallone = current.loc[current["Dipendente"] == "Avallone Angela"].iloc[0]
    assert avallone["Riga"] == 52
    assert avallone["Risposta del"] == "01/09/2023 08:58"
    assert avallone["Permessi"] == "Sito web, Newsletter, Amm. trasparente, Tecnico"
    expected = pd.DataFrame([[17, 52]], columns=["Riga", "Sostituita dalla riga"])
    assert_frame_equal(replaced[expected.columns], expected)


def test_reminders_page_lists_who_to_chase(demo):
    at = run_app("pages/promemoria.py")
    assert at.markdown[1].value == (
        "**79 comuni da sollecitare**: 79 comuni senza editor Amministrazione Trasparente, di cui 9 hanno "
        "risposto; 70 non hanno ancora una risposta valida."
    )
    assert len(at.dataframe[0].value) == 79


def test_quality_page_accounts_for_every_row(demo):
    at = run_app("pages/qualita.py")
    assert at.markdown[1].value == (
        "**303 righe di risposte lette**: 155 conteggiate, 13 sostituite da una risposta successiva, "
        "126 successive alla data di riferimento, 2 con comune non riconosciuto o non partecipante, "
        "7 non valide. Totale: 303."
    )
    unmatched = at.dataframe[0].value
    expected = pd.DataFrame(
        {"row": [93, 107], "comune_typed": ["Comune di Montecorvino Pugliano", "Provincia di Salerno"]}
    )
    assert_frame_equal(unmatched[expected.columns], expected)


def test_a_broken_configuration_shows_a_message_not_a_traceback(tmp_path, monkeypatch):
    config = tmp_path / "rollout.toml"
    config.write_text('deadline = 2023-09-13\ncomuni = "nope.csv"\nsubmissions = "nope.csv"\n', encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = run_app()
    assert not at.exception
    # Messages quote file names and headers: they are shown escaped, never as live markdown.
    assert at.error[0].value == "I dati non sono leggibili. " + md_escape(f"File non trovato: {tmp_path / 'nope.csv'}.")


def test_an_unreadable_sheet_shows_a_message(tmp_path, monkeypatch):
    (tmp_path / "comuni.csv").write_text("Comune\nAosta\n", encoding="utf-8")
    (tmp_path / "risposte.csv").write_bytes(b"\x00\x01garbage\x00")
    config = tmp_path / "rollout.toml"
    config.write_text('deadline = 2023-09-13\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n', encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = run_app()
    assert not at.exception
    assert at.error[0].value == "I dati non sono leggibili. " + md_escape(
        "risposte.csv non è un file di testo CSV né un file XLSX (contenuto binario)."
    )
    at.switch_page("pages/comuni.py").run()
    assert not at.exception


def test_invalid_toml_shows_a_message(tmp_path, monkeypatch):
    config = tmp_path / "rollout.toml"
    config.write_text("deadline = = 2023\n", encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = run_app()
    assert not at.exception
    assert at.error[0].value.startswith(
        "Configurazione non valida. " + md_escape("Il file di configurazione rollout.toml non è TOML valido")
    )
