"""The dashboard on the demo and on bad configurations (Streamlit AppTest, no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

APP = str(ROOT / "dashboard.py")


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")


def run_app(**state):
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def metrics(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_overview_on_the_demo(demo):
    at = run_app()
    assert not at.exception
    assert metrics(at) == {
        "Comuni": ("130", "0"),
        "In tempo": ("60", "31"),
        "In ritardo": ("0", "0"),
        "In attesa": ("70", "-31"),
        "Mancanti": ("0", "0"),
        "Senza editor AT": ("79", "-26"),
    }
    assert "Dati dimostrativi" in at.warning[0].value
    assert at.markdown[0].value.startswith(
        "**Situazione al 08/09/2023 18:00** · scadenza 13/09/2023 · mancano 5 giorni"
    )


def test_a_broken_configuration_shows_a_message_not_a_traceback(tmp_path, monkeypatch):
    config = tmp_path / "rollout.toml"
    config.write_text('deadline = 2023-09-13\ncomuni = "nope.csv"\nsubmissions = "nope.csv"\n', encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = run_app()
    assert not at.exception
    assert at.error[0].value == f"I dati non sono leggibili. File non trovato: {tmp_path / 'nope.csv'}."


def test_invalid_toml_shows_a_message(tmp_path, monkeypatch):
    config = tmp_path / "rollout.toml"
    config.write_text("deadline = = 2023\n", encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = run_app()
    assert not at.exception
    assert at.error[0].value.startswith(
        "Configurazione non valida. Il file di configurazione rollout.toml non è TOML valido"
    )
