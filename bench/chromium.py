"""The dashboard at national scale in chromium (part of ``python3 -m bench.benchmark``).

A real ``streamlit run`` on 127.0.0.1 over the generated data, driven by Debian's chromium through
Playwright: Panoramica's first full render on a fresh server, then every page switch and a filter
change (the sidebar's search), from the click until the page is drawn and the script run has
finished (``data-test-script-state``), on a first visit and again. Targets: Panoramica first
render <= 2 s, page switch or filter <= 0.5 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.pipeline import ROOT, write_bench_config
from testkit.streamlit_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server

DASHBOARD_TARGETS = (
    ("Panoramica first full render <= 2 s", "first", 2.0),
    ("switching page / filter, slowest <= 0.5 s", "slowest", 0.5),
)
# Counts finished script runs: the stApp element's data-test-script-state goes back to notRunning.
_WATCH = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__runs === undefined) {
    window.__runs = 0;
    new MutationObserver(() => {
      if (app.getAttribute('data-test-script-state') === 'notRunning') window.__runs += 1;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  }
  return window.__runs;
}"""
_DONE = """([before, text]) => window.__runs > before
  && document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'
  && document.querySelector('[data-testid="stMain"]').innerText.includes(text)"""


DASHBOARD_ENTRY = "server.py"  # the README's command; dashboard.py is the same app without the warm start


def dashboard_timings(directory: Path, entry: str = DASHBOARD_ENTRY) -> dict[str, float]:
    """A real ``streamlit run`` on 127.0.0.1 over this data, driven by chromium (Playwright)."""
    from playwright.sync_api import sync_playwright

    config = write_bench_config(directory)
    env = {**os.environ, "ROLLOUT_CONFIG": str(config)}
    with streamlit_server(entry, cwd=ROOT, env=env, start_seconds=120) as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return _drive(browser.new_page(viewport={"width": 1440, "height": 900}), base)
        finally:
            browser.close()


def _drive(page, base: str) -> dict[str, float]:
    def until(before: int, text: str) -> None:
        page.wait_for_function(_DONE, arg=[before, text], polling="raf", timeout=120_000)

    start = time.perf_counter()
    page.goto(base, wait_until="commit")
    page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
    page.evaluate(_WATCH)
    until(0, "Da fare")
    figures = {"first": time.perf_counter() - start}
    page.wait_for_timeout(1000)

    visit = ["first visit"]

    def step(label: str, action, text: str) -> None:
        before = page.evaluate(_WATCH)
        start = time.perf_counter()
        action()
        try:
            until(before, text)
        except Exception as err:  # a timeout: say which step, and what never appeared
            raise RuntimeError(f"{label}, {visit[0]}: «{text}» never shown") from err
        figures[f"{label}, {visit[0]}"] = time.perf_counter() - start
        page.wait_for_timeout(300)

    def nav(name: str):
        return lambda: page.get_by_role("link", name=name).first.click()

    def search(text: str):
        def act() -> None:
            box = page.get_by_label("Cerca comune")
            box.fill(text)
            box.press("Enter")

        return act

    for visit[0] in ("first visit", "again"):  # again: every page already seen in this session
        step("page Comuni", nav("Comuni"), "Dettaglio comune")
        step("filter on Comuni (search)", search("San"), "comuni su 6.600")
        step("filter cleared on Comuni", search(""), "6.600 comuni su 6.600")
        step("page Copertura", nav("Copertura"), "Comuni × permessi")
        step("page Promemoria", nav("Promemoria"), "Scarica CSV")
        step("page Qualità dati", nav("Qualità dati"), "righe di risposte lette")
        step("page Panoramica", nav("Panoramica"), "Da fare")
        step("filter on Panoramica (search)", search("San"), "filtro attivo")
        step("filter cleared on Panoramica", search(""), "Da fare")
    figures["slowest"] = max(v for k, v in figures.items() if k != "first")
    return figures


def report_dashboard(directory: Path, entry: str = DASHBOARD_ENTRY) -> bool:
    """Run ``dashboard_timings`` in a child process and print its figures."""
    cmd = [sys.executable, "-m", "bench.benchmark", "--dashboard-only", "--data-dir", str(directory),
           "--dashboard-entry", entry]  # fmt: skip
    out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    print(f"dashboard (streamlit run {entry} on 127.0.0.1, chromium): Panoramica first full render "
          f"{figures['first']:.2f} s (fresh server: data loaded, every element drawn)")  # fmt: skip
    print("  switching page / changing a filter (from the click to the page drawn and the run finished):")
    for key, value in figures.items():
        if key not in ("first", "slowest"):
            print(f"    {key:<44} {value:.2f} s")
    ok = True
    for label, key, target in DASHBOARD_TARGETS:
        passed = figures[key] <= target
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<44} {figures[key]:.2f} s")
    return ok
