"""End to end: `streamlit run dashboard.py` on 127.0.0.1, every page opened in Debian's chromium.

Screenshots of every page land in tests/screenshots/ (git-ignored) for a human look.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import struct
import zipfile
from pathlib import Path

import docx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import CHROMIUM, SHOTS, launch_chromium, open_page, serve_dashboard
from conftest import ROOT
from rollout.synthetic.national import generate
from ui.navigation import MENU

# What each page of the menu shows on the demo: its heading and some texts.
SHOWN = {
    "panoramica.py": (
        "Account editor nuovi siti web comunali - PNRR 1.4.1",
        [
            "Situazione al 08/09/2023 18:00",
            "In attesa",
            "Da fare",
            "Mappa dei comuni per stato",
            "Confini: ISTAT, elaborazione openpolis (CC BY 4.0)",
        ],
    ),
    "comuni.py": ("Comuni", ["Dettaglio comune", "130 comuni su 130"]),
    "copertura.py": ("Copertura dei permessi", ["Tutti e sette i permessi", "Comuni × permessi"]),
    "promemoria.py": ("Promemoria", ["79 comuni da sollecitare", "Scarica CSV"]),
    "qualita.py": ("Qualità dati", ["303 righe di risposte lette", "Comuni non riconosciuti (2)"]),
}
# Every page of ui.navigation, by its URL ("" for the default page); a deep link comes first: a
# fresh server's first request must work on any page.
PAGES = [
    ("" if page is MENU[0] else Path(page.file).stem, *SHOWN[page.file]) for page in (*MENU[1:2], MENU[0], *MENU[2:])
]
MENU_TITLES = [page.title for page in MENU]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.skipif((ROOT / "rollout.toml").exists(), reason="a local rollout.toml replaces the demo"),
]


@pytest.fixture(scope="module")
def server():
    yield from serve_dashboard(None)


@pytest.fixture(scope="module")
def national_server(tmp_path_factory):
    """A national-scale campaign (6,600 comuni in every region), from the benchmark's generator."""
    folder = tmp_path_factory.mktemp("national")
    generate(folder, 7, n_comuni=6600, n_responses=8000)
    config = folder / "rollout.toml"
    config.write_text(
        'campaign = "Campagna nazionale PNRR 1.4.1"\ndeadline = 2023-09-13\nas_of = "2023-09-30T12:00:00"\n'
        'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    yield from serve_dashboard(config)


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium()


@pytest.mark.parametrize(("path", "title", "texts"), PAGES, ids=[p[0] or "panoramica" for p in PAGES])
def test_every_page_renders(server, browser, path, title, texts):
    # The Panoramica must read as one 1440×900 screen; the other pages are shot taller.
    page = open_page(browser, f"{server}/{path}", 900 if not path else 1600)
    try:
        assert page.locator("h2").first.inner_text().strip() == title
        # A deep link's first load runs the page twice (alone, then under the entry point): wait
        # until the second run has drawn every expected text, not just until the spinner is gone.
        expected = json.dumps(texts)
        script = (
            f"() => {expected}.every(t => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(t))"
        )
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(script, timeout=20_000)
        body = page.locator('[data-testid="stMain"]').inner_text()
        for text in texts:
            assert text in body
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        # The menu is dashboard.py's: a run that skipped the entry point would list the files.
        assert _menu(page) == MENU_TITLES
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{path or 'panoramica'}.png"), full_page=True)
    finally:
        page.close()


def _menu(page) -> list[str]:
    return [t.strip().splitlines()[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def test_a_rerun_after_a_deep_link_goes_through_the_entry_point(server, browser):
    page = open_page(browser, f"{server}/copertura")
    try:
        assert _menu(page) == MENU_TITLES
        # A rerun: the sidebar's screenshot toggle belongs to dashboard.py; the page stays the same.
        page.get_by_text("Modalità screenshot").click()
        page.wait_for_timeout(300)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        assert page.locator("h2").first.inner_text().strip() == "Copertura dei permessi"
        assert _menu(page) == MENU_TITLES
        assert page.url == f"{server}/copertura"
    finally:
        page.close()


def test_reminders_csv_download(server, browser):
    page = open_page(browser, f"{server}/promemoria")
    try:
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica CSV").click()
        download = info.value
        assert download.suggested_filename == "promemoria_20230908.csv"
        data = Path(download.path()).read_bytes()
    finally:
        page.close()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 79
    assert list(rows[0]) == [
        "comune", "province", "code", "status_label", "reasons", "missing_permissions", "days_late",
        "contact_name", "contact", "contact_source", "wave", "reminders_sent", "last_reminder", "last_channel", "link_modulo",
    ]  # fmt: skip
    assert sum(r["status_label"] == "in attesa" for r in rows) == 70
    assert sum(r["reasons"] == "nessun editor Amministrazione Trasparente" for r in rows) == 9
    assert all(r["contact"] or r["contact_source"] == "nessun contatto disponibile" for r in rows)


def test_weekly_picture_and_drafts_download(server, browser):
    page = open_page(browser, f"{server}/")
    try:
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica l'immagine per la riunione (PNG)").click()
        assert info.value.suggested_filename == "situazione_20230908.png"
        png = Path(info.value.path()).read_bytes()
        page.goto(f"{server}/promemoria", wait_until="domcontentloaded")
        page.get_by_role("button", name="Scarica bozze (.eml)").wait_for(timeout=60_000)
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica bozze (.eml)").click()
        assert info.value.suggested_filename == "bozze_promemoria_20230908.zip"
        drafts = Path(info.value.path()).read_bytes()
    finally:
        page.close()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1600, 900)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "status.png").write_bytes(png)
    with zipfile.ZipFile(io.BytesIO(drafts)) as archive:
        names = archive.namelist()
    assert len([n for n in names if n.endswith(".eml")]) == 79
    assert names[-2:] == ["elenco.csv", "LEGGIMI.txt"]


def test_accounts_notes_download(server, browser):
    page = open_page(browser, f"{server}/promemoria")
    try:
        page.get_by_role("button", name="Scarica le note (ZIP)").wait_for(timeout=60_000)
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica le note (ZIP)").click()
        assert info.value.suggested_filename == "note_account_20230908.zip"
        notes = Path(info.value.path()).read_bytes()
    finally:
        page.close()
    with zipfile.ZipFile(io.BytesIO(notes)) as archive:
        names = archive.namelist()
        avella = docx.Document(io.BytesIO(archive.read("Nota account - Avella (AV).docx")))
    assert len([n for n in names if n.endswith(".docx")]) == 60  # the demo's comuni with editors
    assert names[-1] == "elenco-note.csv"
    lines = [p.text for p in avella.paragraphs]
    start = lines.index("1. Carpentieri Massimo (massimo.carpentieri@comune.avella.av.it)")
    assert lines[start : start + 4] == [
        "1. Carpentieri Massimo (massimo.carpentieri@comune.avella.av.it)",
        "Permessi: Editor Newsletter",
        "2. Della Monica Giovanni (giovanni.dellamonica@comune.avella.av.it)",
        "Permessi: Editor Sito Web; Editor Amministrazione Trasparente",
    ]
    assert lines[start + 4] == "Restiamo a disposizione per ogni chiarimento."


def _download_png(page) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name="Scarica l'immagine per la riunione (PNG)").click()
    return Path(info.value.path()).read_bytes()


def test_national_panoramica_map_and_picture(national_server, browser):
    """Nationally the map draws provinces; one choice away, the comuni of a region; the PNG stays clean."""
    page = open_page(browser, f"{national_server}/", 900)
    try:
        main = page.locator('[data-testid="stMain"]')
        main.get_by_text("Confini: ISTAT, elaborazione openpolis (CC BY 4.0)").wait_for(timeout=30_000)
        territory = main.get_by_role("combobox", name="Territorio")
        assert "Italia: quota di comuni con risposta per provincia" in territory.input_value()
        assert "comuni non sul mappa (contati in tutti i totali)" in main.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        with contextlib.suppress(PlaywrightTimeout):  # the page draws its charts one after another
            page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 4", timeout=20_000
            )
        assert charts.count() == 4  # curve, coverage, map, status bar
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "panoramica_national.png"), full_page=True)
        png = _download_png(page)
        assert struct.unpack(">II", png[16:24]) == (1600, 900)
        (SHOTS / "status_national.png").write_bytes(png)
        # One click away: the comuni of a region.
        territory.click()
        page.keyboard.type("Regione Campania")
        page.get_by_role("option").filter(has_text="Regione Campania").first.click()
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        page.wait_for_timeout(2500)
        assert territory.input_value() == "Regione Campania"
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(SHOTS / "panoramica_national_campania.png"), full_page=True)
    finally:
        page.close()
