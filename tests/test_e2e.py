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
import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import (
    IN_CHROMIUM,
    ON_THE_DEMO,
    SHOTS,
    cut_texts,
    open_page,
    page_height,
    serve_dashboard,
    wait_idle,
)
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
    "guida.py": ("Guida per il project manager", ["La routine della settimana", "Quando un caricamento non riesce"]),
}
# Every page of ui.navigation, by its URL ("" for the default page); a deep link comes first: a
# fresh server's first request must work on any page.
PAGES = [
    ("" if page is MENU[0] else Path(page.file).stem, *SHOWN[page.file]) for page in (*MENU[1:2], MENU[0], *MENU[2:])
]
MENU_TITLES = [page.title for page in MENU]

pytestmark = [*IN_CHROMIUM, ON_THE_DEMO]


@pytest.fixture(scope="module")
def server():
    yield from serve_dashboard(None)


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
        assert cut_texts(page) == []  # no text shortened with «…» nor running off the window
        # No emoji: a browser without an emoji font (headless chromium, many Linux desktops) draws boxes.
        assert page.evaluate("() => document.body.innerText.match(/\\p{Extended_Pictographic}/gu)") is None
        if not path:
            assert page_height(page) <= 900  # the Panoramica is one screen
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{path or 'panoramica'}.png"), full_page=True)
    finally:
        page.close()


def test_tables_are_as_tall_as_their_rows(server, browser):
    """A search that leaves a few comuni shows a table of that many rows, not a box of blank lines."""
    page = open_page(browser, f"{server}/comuni")
    try:
        page.locator('[data-testid="stSidebar"]').get_by_placeholder("nome del comune").fill("castel")
        page.keyboard.press("Enter")
        page.get_by_text("5 comuni su 130, per stato").wait_for(timeout=60_000)
        wait_idle(page)
        height = page.locator('[data-testid="stDataFrame"]').first.bounding_box()["height"]
        assert height == pytest.approx((5 + 1) * 35 + 3, abs=2)  # the header and five rows of 35 px
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
        wait_idle(page)
        assert page.locator("h2").first.inner_text().strip() == "Copertura dei permessi"
        assert _menu(page) == MENU_TITLES
        assert page.url == f"{server}/copertura"
    finally:
        page.close()


def test_reminders_csv_download(server, browser):
    """The Promemoria downloads are for people: the dashboard's Italian headers, in the CSV and the Excel."""
    page = open_page(browser, f"{server}/promemoria")
    try:
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica CSV").click()
        download = info.value
        assert download.suggested_filename == "promemoria_20230908.csv"
        data = Path(download.path()).read_bytes()
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica Excel").click()
        assert info.value.suggested_filename == "promemoria_20230908.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    finally:
        page.close()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 79
    headers = [
        "Comune", "Provincia", "Codice", "Stato", "Motivo", "Permessi mancanti", "Giorni di ritardo", "Referente",
        "Contatto", "Fonte del contatto", "Ondata", "Promemoria inviati", "Ultimo promemoria", "Canale",
        "Esito dell'ultimo invio", "Link al modulo",
    ]  # fmt: skip
    assert list(rows[0]) == headers
    assert sum(r["Stato"] == "in attesa" for r in rows) == 70
    assert sum(r["Motivo"] == "nessun editor Amministrazione Trasparente" for r in rows) == 9
    assert all(r["Contatto"] or r["Fonte del contatto"] == "nessun contatto disponibile" for r in rows)
    assert book.sheetnames == ["Promemoria"]
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[0]) == headers
    assert [["" if c is None else str(c) for c in r] for r in sheet[1:]] == [list(r.values()) for r in rows]


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
        page.get_by_role("button", name="Prepara le note (ZIP)").click(timeout=60_000)
        page.get_by_text("Note preparate: 60 di 60").wait_for(timeout=60_000)  # the progress bar, full
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


def _type_day(page, text: str) -> None:
    """Type a day into «Situazione al» as a person does (click, select, type) and press Enter."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    field = sidebar.get_by_role("textbox", name="Data").or_(sidebar.get_by_role("spinbutton", name="day, Data"))
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_typed_day_applies_on_enter(server, browser):
    """«Situazione al»: a day typed and Enter is the moment looked at, without leaving the field; a
    day that is not one says so and leaves the moment as it was."""
    page = open_page(browser, f"{server}/")
    try:
        main = page.locator('[data-testid="stMain"]')
        sidebar = page.locator('[data-testid="stSidebar"]')
        _type_day(page, "20/09/2023")
        main.get_by_text("Situazione al 20/09/2023 18:00").wait_for(timeout=30_000)
        assert page.evaluate("() => document.activeElement.closest('[data-testid=stSidebar]') !== null")
        assert "scadenza superata da 7 giorni" in main.locator("p").first.inner_text()
        _type_day(page, "31/02/2023")
        sidebar.get_by_text("Data non valida: «31/02/2023»").wait_for(timeout=30_000)
        assert "Situazione al 20/09/2023 18:00" in main.locator("p").first.inner_text()
        _type_day(page, "1/9/2023")
        main.get_by_text("Situazione al 01/09/2023 18:00").wait_for(timeout=30_000)
        wait_idle(page)
        assert sidebar.get_by_role("textbox", name="Data").input_value() == "01/09/2023"
        assert sidebar.get_by_text("Data non valida").count() == 0
    finally:
        page.close()
