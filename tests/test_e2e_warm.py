"""The warm start: `streamlit run server.py` reads the sources before its first visitor.

The sources are CSV files served over HTTP on 127.0.0.1 (as a public Google Sheet link would be),
and the server counts every read: the README's command reads each once as it starts, and the
first page uses that read; `streamlit run dashboard.py` (the same app, no warm start) reads
nothing until someone opens a page.
"""

from __future__ import annotations

import time

import pytest

from browser import IN_CHROMIUM, open_page, serve_dashboard
from conftest import ROOT
from testkit.local_http import serve_routes

pytestmark = IN_CHROMIUM

DEMO = ROOT / "data" / "demo"
TTL = 3600  # seconds: no scheduled re-read while a test runs (see the bucket check)


CSV = {"Content-Type": "text/csv; charset=utf-8"}


@pytest.fixture(scope="module")
def sources():
    with serve_routes({f"/{n}": (200, CSV, (DEMO / n).read_bytes()) for n in ("comuni.csv", "risposte.csv")}) as s:
        yield s


@pytest.fixture(scope="module")
def config(sources, tmp_path_factory):
    base = sources.base
    path = tmp_path_factory.mktemp("warm") / "rollout.toml"
    path.write_text(
        'campaign = "Campagna servita in rete"\ndeadline = 2023-09-13\nas_of = "2023-09-08T18:00:00"\n'
        f'comuni = "{base}/comuni.csv"\nsubmissions = "{base}/risposte.csv"\n'
        f"[cache]\nttl_seconds = {TTL}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("entry", "before_visit"), [("server.py", 1), ("dashboard.py", 0)])
def test_the_readme_command_reads_the_sources_before_the_first_visitor(sources, config, browser, entry, before_visit):
    sources.requests.clear()
    bucket = int(time.time() // TTL)
    server = serve_dashboard(config, entry)
    base = next(server)  # the server answers its health check: it has started
    try:
        assert dict(sources.requests) == ({"/comuni.csv": 1, "/risposte.csv": 1} if before_visit else {})
        page = open_page(browser, f"{base}/")
        try:
            main = page.locator('[data-testid="stMain"]').inner_text()
        finally:
            page.close()
    finally:
        next(server, None)  # stops it
    assert "Campagna servita in rete" in main and "Situazione al 08/09/2023 18:00" in main and "Da fare" in main
    if int(time.time() // TTL) != bucket:  # an hour boundary passed: a scheduled re-read was due
        pytest.skip("the cache's hour changed during the test")
    assert dict(sources.requests) == {"/comuni.csv": 1, "/risposte.csv": 1}  # read once, whoever read it
