"""The dashboard's side of the reminders kit: marking sent reminders, the screenshot mode, the PNG button."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest

import conftest
from conftest import ROOT
from rollout.reminders.drafts import PLACEHOLDERS
from ui.format import md_escape
from ui.navigation import MENU

DEMO = ROOT / "data" / "demo"
PAGES = [f"pages/{page.file}" for page in MENU]  # as AppTest's switch_page takes them


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    """The demo campaign under a configuration of its own, so the reminders log lives in tmp_path."""
    config = tmp_path / "rollout.toml"
    config.write_text(
        'campaign = "Demo"\ndeadline = 2023-09-13\nas_of = 2023-09-08T18:00:00\n'
        f'form_url = "https://forms.gle/x"\ncomuni = "{DEMO / "comuni.csv"}"\nsubmissions = "{DEMO / "risposte.csv"}"\n'
        '[reminders]\ndatabase = "log/promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    return tmp_path


def run_app(page=None, **state):
    at = conftest.run_app(page, **state)
    assert not at.exception
    return at


def submit(at, label="Registra come inviati"):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    return at


def test_marking_the_whole_list_shows_on_both_pages_and_can_be_undone(campaign):
    at = run_app("pages/promemoria.py")
    assert len(at.dataframe[0].value) == 79
    at.checkbox(key="mark_all").check()
    at.date_input(key="mark_date").set_value(dt.date(2023, 9, 8))
    at.selectbox(key="mark_channel").set_value("pec")
    submit(at)
    assert [s.value for s in at.success] == ["Registrati 79 promemoria (PEC, 08/09/2023)."]
    table = at.dataframe[0].value
    assert set(table["reminders_sent"]) == {1}
    assert set(table["last_reminder"]) == {"08/09/2023"}
    assert (campaign / "log" / "promemoria.sqlite3").exists()

    comuni = run_app("pages/comuni.py")  # another session, after a restart of the page
    listed = comuni.dataframe[0].value
    assert int((listed["Promemoria"] == 1).sum()) == 79
    assert int((listed["Promemoria"] == 0).sum()) == 51

    submit(at, "Annulla questa registrazione")
    assert set(at.dataframe[0].value["reminders_sent"]) == {0}
    assert not at.success


def test_two_sessions_marking_different_comuni_keep_both(campaign):
    first, second = run_app("pages/promemoria.py"), run_app("pages/promemoria.py")
    options = first.multiselect(key="mark_comuni").options
    first.multiselect(key="mark_comuni").set_value([first.dataframe[0].value["key"].iloc[0]])
    second.multiselect(key="mark_comuni").set_value(list(second.dataframe[0].value["key"].iloc[1:3]))
    submit(first)
    submit(second)
    assert [s.value for s in second.success] == [
        "Registrati 2 promemoria (email, " + f"{dt.date.today():%d/%m/%Y}" + ")."
    ]
    at = run_app("pages/promemoria.py")
    assert at.dataframe[0].value["reminders_sent"].tolist()[:4] == [1, 1, 1, 0]
    assert len(options) == 79


def test_nothing_chosen_is_a_warning_not_a_registration(campaign):
    at = submit(run_app("pages/promemoria.py"))
    assert [w.value for w in at.warning][-1] == "Scegli i comuni oppure spunta «Tutti i comuni dell'elenco»."
    assert not (campaign / "log" / "promemoria.sqlite3").exists()


def test_a_corrupt_log_is_a_message_and_the_list_still_shows(campaign):
    (campaign / "log").mkdir()
    (campaign / "log" / "promemoria.sqlite3").write_bytes(b"non sono un database" * 100)
    for page in ("pages/promemoria.py", "pages/comuni.py"):
        at = run_app(page)
        assert any(
            w.value.startswith("Promemoria inviati non disponibili. Il registro dei promemoria") for w in at.warning
        )
    at = run_app("pages/promemoria.py")
    shown = at.dataframe[0].value
    assert len(shown) == 79
    # Unknown, not 0: the reminders already sent cannot be read (as in the report's reminders.csv).
    assert shown["reminders_sent"].isna().all() and set(shown["last_reminder"]) == {""}


def test_a_bad_template_is_one_message_naming_it_when_the_configuration_is_read(campaign):
    """The templates are checked with the rest of the configuration, once, when it is read: a bad one
    stops the dashboard with one line naming it, as it stops ``rollout report``."""
    config = campaign / "rollout.toml"
    config.write_text(config.read_text() + '[reminders.missing]\nbody = "Ciao {nome}"\n', encoding="utf-8")
    at = run_app()
    message = "[reminders.missing] body: segnaposto sconosciuto {nome}. Segnaposto ammessi: "
    message += ", ".join(f"{{{p}}}" for p in PLACEHOLDERS) + "."
    assert [e.value for e in at.error] == ["Configurazione non valida. " + md_escape(message)]
    assert not at.dataframe
    assert not at.switch_page("pages/promemoria.py").run().dataframe


def test_the_drafts_show_on_the_promemoria_page(campaign):
    at = run_app("pages/promemoria.py")
    first = at.dataframe[0].value.iloc[0]
    assert at.selectbox(key="draft_comune").value == first["key"]
    assert at.code[0].value.startswith(f"Gentile {first['contact_name']},\n\nvi ricordiamo che")
    assert "https://forms.gle/x" in at.code[0].value
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Scarica CSV", "Scarica Excel", "Scarica bozze (.eml)"]
    assert at.button(key="prepare_notes").label == "Prepara le note (ZIP)"  # then «Scarica le note (ZIP)»


def test_the_overview_offers_the_weekly_picture(campaign):
    at = run_app()
    assert "Scarica l'immagine per la riunione (PNG)" in [b.label for b in at.get("download_button")]


def personal_strings() -> set[str]:
    """Every employee's name, email and fiscal code, and every contact person and address, from the demo files."""
    out: set[str] = set()
    with (DEMO / "risposte.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            surname, name = r["Cognome del dipendente"].strip(), r["Nome del dipendente"].strip()
            if surname and name:
                out |= {f"{surname} {name}".casefold(), f"{name} {surname}".casefold()}
            out |= {r["Indirizzo email del dipendente"].strip().casefold(), r["Codice fiscale del dipendente"].strip()}
            out.add(r["Indirizzo email"].strip().casefold())
    with (DEMO / "comuni.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out |= {r["Referente"].strip().casefold(), r["Email referente"].strip().casefold(), r["PEC"].strip()}
    return {s for s in out if len(s) > 3}


def shown_text(at) -> str:
    """All the text a screen capture of the page could show."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "code", "header", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [" ".join(map(str, e.options)) for e in (*at.selectbox, *at.multiselect)]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts)).casefold()  # markdown escapes undone


@pytest.mark.parametrize("page", PAGES)
def test_screenshot_mode_hides_personal_data_on_every_page(demo_only, page):
    at = run_app(page, screenshot_mode=True)
    if page == "pages/comuni.py":
        box = at.selectbox(key="detail_comune")
        box.select(next(o for o in box.options if o.startswith("Nocera Inferiore"))).run()
        assert len(at.dataframe) == 3  # the drill-down is there, without the people
    text = shown_text(at)
    leaks = sorted(s for s in personal_strings() if s.casefold() in text)
    assert leaks == []
    assert "modalità screenshot" in text or page in ("pages/panoramica.py", "pages/copertura.py")


def test_without_screenshot_mode_the_drill_down_shows_the_people(demo_only):
    at = run_app("pages/comuni.py")
    box = at.selectbox(key="detail_comune")
    box.select(next(o for o in box.options if o.startswith("Nocera Inferiore"))).run()
    assert "avallone angela" in shown_text(at)  # the check above would catch a leak


@pytest.fixture
def demo_only(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")
