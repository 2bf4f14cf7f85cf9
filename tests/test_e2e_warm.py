"""The warm start: `streamlit run server.py` reads the sources before its first visitor.

The sources are CSV files served over HTTP on 127.0.0.1 (as a public Google Sheet link would be),
and the server counts every read: the README's command reads each once as it starts, and the
first page uses that read; `streamlit run dashboard.py` (the same app, no warm start) reads
nothing until someone opens a page.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from browser import CHROMIUM, launch_chromium, open_page, serve_dashboard
from conftest import ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]

DEMO = ROOT / "data" / "demo"
TTL = 3600  # seconds: no scheduled re-read while a test runs (see the bucket check)


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    reads: Counter = Counter()

    def do_GET(self):
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.reads[self.path] += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def sources():
    _Files.files = {f"/{name}": (DEMO / name).read_bytes() for name in ("comuni.csv", "risposte.csv")}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def config(sources, tmp_path_factory):
    path = tmp_path_factory.mktemp("warm") / "rollout.toml"
    path.write_text(
        'campaign = "Campagna servita in rete"\ndeadline = 2023-09-13\nas_of = "2023-09-08T18:00:00"\n'
        f'comuni = "{sources}/comuni.csv"\nsubmissions = "{sources}/risposte.csv"\n'
        f"[cache]\nttl_seconds = {TTL}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium()


@pytest.mark.parametrize(("entry", "before_visit"), [("server.py", 1), ("dashboard.py", 0)])
def test_the_readme_command_reads_the_sources_before_the_first_visitor(config, browser, entry, before_visit):
    _Files.reads.clear()
    bucket = int(time.time() // TTL)
    server = serve_dashboard(config, entry)
    base = next(server)  # the server answers its health check: it has started
    try:
        assert dict(_Files.reads) == ({"/comuni.csv": 1, "/risposte.csv": 1} if before_visit else {})
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
    assert dict(_Files.reads) == {"/comuni.csv": 1, "/risposte.csv": 1}  # read once, whoever read it
