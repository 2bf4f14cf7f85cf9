"""The dashboard's warm start on a hostile workbook (issue 18, §4), in Debian's chromium.

Before: ``streamlit run server.py`` on a comuni list with one cell at XFD1048576 died at its warm
start (calamine aborted the whole server), and again at every reload. Now the page shows the one
Italian line in place of the data, and «Ricarica ora» reads again and shows it again.
"""

from __future__ import annotations

from browser import IN_CHROMIUM, serve_dashboard, wait_idle
from conftest import responses
from testkit.hostile_workbooks import HEADER, far_cell_message
from testkit.office_files import inline, xlsx

pytestmark = IN_CHROMIUM


def test_the_warm_start_on_a_hostile_workbook_shows_one_line_and_keeps_serving(tmp_path, browser):
    (tmp_path / "comuni.xlsx").write_bytes(xlsx(HEADER + '<row r="1048576">' + inline("XFD1048576", "x") + "</row>"))
    (tmp_path / "risposte.csv").write_text(responses(), encoding="utf-8")
    config = tmp_path / "rollout.toml"
    config.write_text('deadline = 2023-09-13\ncomuni = "comuni.xlsx"\nsubmissions = "risposte.csv"\n', encoding="utf-8")
    expected = f"I dati non sono leggibili. {far_cell_message('comuni.xlsx')}"
    server = serve_dashboard(config, "server.py")
    base = next(server)  # the health check answers: the warm start did not kill the server
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        try:
            page.goto(f"{base}/", wait_until="domcontentloaded")
            error = page.locator('[data-testid="stAlert"] p', has_text="I dati non sono leggibili")
            error.wait_for(timeout=60_000)
            assert error.inner_text().replace("\u2060", "") == expected  # md_escape's word joiners before ":"
            page.get_by_role("button", name="Ricarica ora").click()  # a new read of the same file
            wait_idle(page)
            error.wait_for(timeout=60_000)
            assert error.inner_text().replace("\u2060", "") == expected  # md_escape's word joiners before ":"
        finally:
            page.close()
    finally:
        next(server, None)
