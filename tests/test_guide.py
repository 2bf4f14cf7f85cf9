"""The «Guida» page: docs/guida.md inside the dashboard, behind the same access gate (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import COMUNI_CSV, ROOT, responses, run_app, submit_button
from ui.format import md_escape
from ui.guide import demoted

GUIDE = ROOT / "docs" / "guida.md"
TITLE = "Guida per il project manager"
PASSWORD = "corretta-cavallo-batteria-graffetta"


def guide_page(config: Path, secrets: dict | None = None) -> AppTest:
    """The guide's page file run alone (a deep link), with its own secrets only."""
    at = AppTest.from_file(str(ROOT / "pages" / "guida.py"), default_timeout=60)
    at.secrets["unrelated"] = "x"  # a developer's own .streamlit/secrets.toml never leaks in
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    return at.run()


def campaign(folder: Path, submissions: str = "risposte.csv") -> Path:
    (folder / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (folder / "risposte.csv").write_text(
        responses("1/9/2023 10.15.32,x@comune.it,Paterno,Rossi,Anna,,Editor Sito Web"), encoding="utf-8"
    )
    config = folder / "rollout.toml"
    config.write_text(
        f'deadline = 2023-09-13\nas_of = 2023-09-29\ncomuni = "comuni.csv"\nsubmissions = "{submissions}"\n',
        encoding="utf-8",
    )
    return config


def test_the_guide_page_shows_docs_guida(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")
    at = run_app("pages/guida.py")
    assert not at.exception and not at.error
    title, _, body = GUIDE.read_text(encoding="utf-8").partition("\n")
    assert title == f"# {TITLE}"
    assert [h.value for h in at.header] == [TITLE]
    assert [m.value for m in at.markdown] == [demoted(body).strip()]
    shown = at.markdown[0].value
    assert "\n### La routine della settimana\n" in shown and "\n## " not in shown
    assert "\n#### Panoramica\n" in shown


def test_headings_go_one_level_down_but_not_in_code_blocks():
    assert demoted("## Uno\ntesto ## no\n```toml\n# commento\n```\n### Due") == (
        "### Uno\ntesto ## no\n```toml\n# commento\n```\n#### Due"
    )


def test_the_guide_is_behind_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign(tmp_path)))
    at = guide_page(tmp_path, {"access": {"password": PASSWORD}})
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Password"]
    assert TITLE not in [h.value for h in at.header]
    assert not any("routine" in m.value for m in at.markdown)
    at.text_input(key="_auth_password").input(PASSWORD)
    at = submit_button(at, "Entra").click().run()
    assert not at.exception
    assert [h.value for h in at.header] == [TITLE]


def test_the_guide_is_shown_when_the_data_cannot_be_read(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign(tmp_path, submissions="manca.csv")))
    at = guide_page(tmp_path)
    assert not at.exception
    missing = md_escape(f"File non trovato: {tmp_path / 'manca.csv'}.")
    assert [e.value for e in at.error] == [f"I dati non sono leggibili. {missing}"]
    assert at.info[0].value == (
        "Correggi il file o la configurazione e premi «Ricarica ora» nella barra laterale "
        "(vedi la guida, «Quando un caricamento non riesce»)."
    )
    assert [h.value for h in at.header] == [TITLE]
