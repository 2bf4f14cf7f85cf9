"""The dashboard's side of issue 14: each comune's pre-filled link, its note, all notes as a ZIP."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import docx
import pytest

import conftest
from conftest import ROOT
from ui.format import md_escape

DEMO = ROOT / "data" / "demo"
FORM = "https://docs.google.com/forms/d/e/prova/viewform"


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    def configure(extra: str = "") -> None:
        (tmp_path / "rollout.toml").write_text(
            'campaign = "Demo"\ndeadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\n'
            f'form_url = "{FORM}"\nform_prefill_field = "entry.1234567"\n'
            f'comuni = "{DEMO / "comuni.csv"}"\nsubmissions = "{DEMO / "risposte.csv"}"\n'
            '[reminders]\ndatabase = "promemoria.sqlite3"\n' + extra,
            encoding="utf-8",
        )

    configure()
    monkeypatch.setenv("ROLLOUT_CONFIG", str(tmp_path / "rollout.toml"))
    return configure


def detail(name: str, **state):
    at = conftest.run_app("pages/comuni.py", **state)
    box = at.selectbox(key="detail_comune")
    box.select(next(o for o in box.options if o.startswith(name))).run()
    assert not at.exception
    return at


def test_a_comune_with_editors_gets_its_link_and_its_note(campaign):
    at = detail("Nocera Inferiore")
    link = at.code[0].value
    assert parse_qs(urlsplit(link).query) == {"usp": ["pp_url"], "entry.1234567": ["Nocera Inferiore"]}
    assert "Scarica la nota degli account (Word)" in [b.label for b in at.get("download_button")]
    text = at.code[1].value
    assert text.startswith("Prot. n. ____________ del ____________\n8 settembre 2023\n\nSpettabile Comune di Nocera")
    assert "Avallone Angela" in text
    links = at.dataframe[0].value["Modulo"]
    assert all(parse_qs(urlsplit(u).query)["entry.1234567"] for u in links)


def test_a_comune_without_editors_gets_no_note(campaign):
    at = conftest.run_app("pages/comuni.py")
    comuni = at.dataframe[0].value
    name = comuni.loc[comuni["Editor"] == 0, "Comune"].iloc[0]
    at = detail(name)
    assert "Scarica la nota degli account (Word)" not in [b.label for b in at.get("download_button")]
    assert "Nota degli account: disponibile quando il comune avrà almeno un editor." in [c.value for c in at.caption]


def test_a_broken_template_is_one_message_on_the_pages(campaign, tmp_path):
    (tmp_path / "nota.docx").write_bytes(b"non un docx")
    campaign('[accounts]\nnote_template = "nota.docx"\n')
    at = detail("Nocera Inferiore")
    assert [e.value for e in at.error] == [
        "Note degli account non disponibili. "
        + md_escape("Il modello della nota nota.docx non è un documento Word (.docx) leggibile.")
    ]
    promemoria = conftest.run_app("pages/promemoria.py")
    assert not promemoria.exception
    button = next(b for b in promemoria.get("download_button") if b.label == "Scarica le note (ZIP)")
    assert button.proto.disabled


def test_quality_page_counts_the_exact_names(campaign):
    at = conftest.run_app("pages/qualita.py")
    line = next(m.value for m in at.markdown if m.value.startswith("**Nome del comune esatto**"))
    assert line.endswith(
        "riportano il nome esattamente come nell'elenco, come lo scrive il link precompilato del modulo."
    )


def test_the_note_of_the_page_is_the_note_of_the_command_line(campaign, tmp_path):
    from rollout.config import load_config
    from rollout.outputs.notes import NoteTemplate, note_contexts, note_text
    from rollout.pipeline import run

    config = load_config(tmp_path / "rollout.toml")
    context = next(c for c in note_contexts(run(config), config) if c["comune"] == "Nocera Inferiore")
    document = docx.Document(io.BytesIO(NoteTemplate.from_config(config).render(context)))
    lines = [p.text for p in document.paragraphs]
    names = [d["nome"] for d in context["dipendenti"]]
    assert "Avallone Angela" in names and all(
        any(line.startswith(f"{n}. {name}") for line in lines) for n, name in enumerate(names, start=1)
    )
    at = detail("Nocera Inferiore")
    assert at.code[1].value == note_text(context).rstrip("\n")
