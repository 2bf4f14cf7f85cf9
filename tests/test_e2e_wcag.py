"""End to end, accessibility: every page of the demo and its chosen controls meet WCAG 2.1 AA (axe-core in
chromium; a file of its own, so that it runs on another test worker than test_e2e).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import AXE, IN_CHROMIUM, ON_THE_DEMO, axe_violations, open_page, serve_dashboard, wait_idle
from ui.navigation import MENU

# Every page of ui.navigation, by its URL ("" for the default page).
PATHS = ["" if page is MENU[0] else Path(page.file).stem for page in MENU]

pytestmark = [*IN_CHROMIUM, ON_THE_DEMO]


@pytest.fixture(scope="module")
def server():
    yield from serve_dashboard(None)


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: npm ci --prefix tests (.ci/run does it)")
@pytest.mark.parametrize("path", PATHS, ids=[p or "panoramica" for p in PATHS])
def test_every_page_meets_wcag_2_1_aa(server, browser, path):
    """axe-core finds nothing against WCAG 2.1 A and AA: contrast, names, labels, images' text."""
    page = open_page(browser, f"{server}/{path}")
    try:
        assert axe_violations(page) == []
    finally:
        page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: npm ci --prefix tests (.ci/run does it)")
def test_chosen_controls_and_a_comunes_detail_meet_wcag_2_1_aa(server, browser):
    """A chosen, focused segmented button and the drill-down's status badge keep their contrast."""
    page = open_page(browser, f"{server}/comuni")
    try:
        page.get_by_role("radio", name="Permessi").click()
        wait_idle(page)
        page.get_by_role("combobox", name="Comune").click()
        page.keyboard.type("Avella")
        page.get_by_role("option").filter(has_text="Avella").first.click()
        page.get_by_text("Editor attuali").wait_for(timeout=60_000)
        wait_idle(page)
        page.get_by_role("radio", name="Permessi").focus()
        assert axe_violations(page) == []
    finally:
        page.close()
