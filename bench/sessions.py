"""First paint and the server's work per new session, beside Streamlit's floor (issue 19 §7).

``python3 -m bench.sessions --data-dir DIR``: a real ``streamlit run server.py`` on 127.0.0.1 over
the national campaign in DIR (``python3 -m bench.benchmark --generate-only --data-dir DIR`` writes
it), and the one-chart app (``FLOOR_SCRIPT``: one title, one metric, one Altair chart, Streamlit's
own floor, written to a temporary folder: the benchmarks never import Streamlit) served the same
way, driven by Debian's chromium through Playwright, alternated in one run (each round starts a
fresh server of each app, in a rotating order). For each:

- first paint: on a fresh server (``server.py`` has finished its warm start), a first visitor in a
  new browser context (empty cache), then N new visitors one after the other, then N returning
  visits (new pages of the first visitor's context: the front end's files in its cache); the time from the navigation's start (``performance.now()``
  in the page) to the first frame in which the page is painted: every KPI card (``stMetric``) and
  every chart (``stVegaLiteChart`` with its canvas or SVG) laid out with a non-zero size, and the
  page's last element (the Panoramica's links under «Da fare»; the floor's chart). Also the time
  until the script run has finished (``data-test-script-state`` back to ``notRunning``), and the
  CPU all chromium's processes used until the page was painted (what the load moves least);
- the server's CPU (``utime + stime`` of its process, ``/proc/<pid>/stat``) consumed by that first
  session, then by each of N new sessions opened one after the other (each in a new context,
  measured until the page is painted, its run finished and the server idle again), then by N new
  sessions opened at once (their total, and per session). That is the server's share: the wall
  time of N sessions at once is mostly chromium's, on the same processors, and is printed apart.

Targets: a new visitor's page (empty cache, running server) painted within 0.2 s of the floor's:
the median, over the rounds, of the difference between the two apps' medians in the same round
(the first visitor of a fresh server is printed too, but the floor has no warm start: its first
visitor waits for Streamlit to import Altair and pandas, which flatters the dashboard); server
CPU per new session <= 0.2 s, so N = 10 opened at once cost the server <= 2 s in all.
``--code DIR`` also measures the dashboard of another checkout (e.g. ``git worktree add`` of
main), alternated in the same rounds: before and after on the same machine state.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.pipeline import ROOT, write_bench_config
from testkit.streamlit_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server

# Streamlit's own floor: the smallest app a Streamlit dashboard can be, served and measured the same
# way as server.py. What its first page costs is what any Streamlit page costs on this machine.
FLOOR_SCRIPT = """import altair as alt
import pandas as pd
import streamlit as st

st.title("Rollout tracker")
st.metric("Comuni", "6.600", delta="+120", border=True)
days = pd.DataFrame({"giorno": pd.date_range("2023-08-01", periods=45, freq="D"), "comuni": range(0, 6600, 147)})
st.altair_chart(alt.Chart(days).mark_line().encode(x="giorno:T", y="comuni:Q"), width="stretch")
"""
PAINT_MARGIN = 0.2  # first paint within this many seconds of the floor's
SESSION_CPU = 0.2  # server CPU per new session, seconds
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class App:
    """An app to serve and what its first page shows once painted."""

    label: str
    entry: Path
    cwd: Path
    metrics: int  # KPI cards
    charts: int  # Vega-Lite charts
    last: str  # a CSS selector, in the main area, of the page's last element
    last_count: int = 1


def dashboard(code: Path, label: str) -> App:
    return App(label, code / "server.py", code, metrics=6, charts=4, last='[data-testid="stPageLink"]', last_count=3)


def floor(folder: Path) -> App:
    """The one-chart app, written into ``folder``."""
    entry = folder / "one_chart.py"
    entry.write_text(FLOOR_SCRIPT, encoding="utf-8")
    return App(FLOOR_LABEL, entry, ROOT, metrics=1, charts=1, last='[data-testid="stVegaLiteChart"]')


FLOOR_LABEL = "one-chart app"

# Installed in every document of a context before its scripts: records, on the first animation
# frame in which the page is painted, performance.now() (milliseconds from the navigation's start).
_PAINT_WATCH = """(() => {
  const want = %s;
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  function painted() {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return false;
    const metrics = [...main.querySelectorAll('[data-testid="stMetric"]')].filter(shown);
    if (metrics.length < want.metrics) return false;
    const charts = [...main.querySelectorAll('[data-testid="stVegaLiteChart"]')];
    if (charts.length < want.charts) return false;
    if (!charts.every((c) => { const g = c.querySelector('canvas, svg'); return g && shown(g); })) return false;
    return [...main.querySelectorAll(want.last)].filter(shown).length >= want.lastCount;
  }
  function tick() {
    if (window.__painted === undefined && painted()) window.__painted = performance.now();
    const app = document.querySelector('[data-testid="stApp"]');
    if (window.__painted !== undefined && app && app.getAttribute('data-test-script-state') === 'notRunning') {
      window.__done = performance.now();
      return;
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();"""
_FINISHED = "() => window.__done !== undefined"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (``/proc/<pid>/stat``, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def browser_cpu() -> float:
    """User + system CPU so far of every chromium process this one started (through Playwright's driver)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        with contextlib.suppress(OSError):
            if b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += cpu_seconds(pid)
    return total


def wait_quiet(pid: int, still: float = 0.5, limit: float = 15.0) -> float:
    """Wait until process ``pid`` has used no CPU for ``still`` seconds (at most ``limit``); its CPU then."""
    end = time.monotonic() + limit
    last, since = cpu_seconds(pid), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = cpu_seconds(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            break
    return last


@contextlib.contextmanager
def served(app: App, config: Path) -> Iterator[tuple[str, int]]:
    """``streamlit run`` of ``app`` on 127.0.0.1 over ``config``: its base URL and process id, once it answers."""
    env = {**os.environ, "ROLLOUT_CONFIG": str(config), "PYTHONPATH": str(app.cwd)}
    with streamlit_server(app.entry, cwd=app.cwd, env=env, start_seconds=120) as (base, server):
        yield base, server.pid


def _open(browser, app: App, base: str, context=None):
    """A new session of ``app``: a page in ``context``, or in a new context (an empty cache)."""
    if context is None:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        want = {"metrics": app.metrics, "charts": app.charts, "last": app.last, "lastCount": app.last_count}
        context.add_init_script(_PAINT_WATCH % json.dumps(want))
    page = context.new_page()
    page.goto(base, wait_until="commit")
    return context, page


def _finished(page) -> tuple[float, float]:
    """Seconds from the navigation's start to the page painted, and to its run finished."""
    page.wait_for_function(_FINISHED, polling=50, timeout=120_000)
    painted, done = page.evaluate("() => [window.__painted, window.__done]")
    return painted / 1000, done / 1000


def _one_by_one(browser, app: App, base: str, pid: int, sessions: int, context=None) -> tuple[list, list, list, list]:
    """``sessions`` new sessions, each once the server is idle again: server CPU, paint and chromium's
    CPU until then (all its processes) of each."""
    cpu, paints, client, pages = [], [], [], []
    before = wait_quiet(pid)
    for _ in range(sessions):
        started = browser_cpu()
        opened, page = _open(browser, app, base, context)
        paints.append(_finished(page)[0])
        client.append(browser_cpu() - started)
        after = wait_quiet(pid)
        cpu.append(after - before)
        before = after
        pages.append(page if context is not None else opened)
    return cpu, paints, client, pages


def _at_once(browser, app: App, base: str, pid: int, sessions: int, context=None) -> tuple[float, float, list]:
    """``sessions`` new sessions opened together: the server's CPU for all, and the wall time."""
    before = wait_quiet(pid)
    start = time.perf_counter()
    opened = [_open(browser, app, base, context) for _ in range(sessions)]
    for _, page in opened:
        _finished(page)
    wall = time.perf_counter() - start
    return wait_quiet(pid) - before, wall, [page if context is not None else c for c, page in opened]


def measure(browser, app: App, config: Path, sessions: int) -> dict[str, object]:
    """One fresh server of ``app``: its first visitor, then ``sessions`` first visits one by one and
    at once (new contexts: empty caches), then ``sessions`` returning visits one by one and at once
    (new pages of a context that has the front end's files in its cache)."""
    out: dict[str, object] = {}
    with served(app, config) as (base, pid):
        out["start_cpu"] = before = wait_quiet(pid, still=1.0, limit=60)
        returning, page = _open(browser, app, base)
        out["paint"], out["done"] = _finished(page)
        out["first_cpu"] = wait_quiet(pid) - before
        out["first_visit_cpu"], out["first_visit_paint"], out["first_visit_chromium"], opened = _one_by_one(
            browser, app, base, pid, sessions
        )
        for context in opened:
            context.close()
        out["first_visits_together_cpu"], out["first_visits_together_wall"], opened = _at_once(
            browser, app, base, pid, sessions
        )
        for context in opened:
            context.close()
        out["returning_cpu"], out["returning_paint"], out["returning_chromium"], opened = _one_by_one(
            browser, app, base, pid, sessions, returning
        )
        for page in opened:
            page.close()
        out["returning_together_cpu"], out["returning_together_wall"], _ = _at_once(
            browser, app, base, pid, sessions, returning
        )
        returning.close()
    return out


def run(directory: Path, rounds: int, sessions: int, code: Path | None) -> dict[str, list[dict]]:
    """``rounds`` rounds over the floor, this checkout's dashboard and ``code``'s, in a rotating order."""
    from playwright.sync_api import sync_playwright

    config = write_bench_config(directory)
    with tempfile.TemporaryDirectory(prefix="rollout-floor-") as folder, sync_playwright() as p:
        apps = [floor(Path(folder)), dashboard(ROOT, "server.py")]
        if code is not None:
            apps.append(dashboard(code.resolve(), f"server.py of {code}"))
        results: dict[str, list[dict]] = {app.label: [] for app in apps}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for r in range(rounds):
                for app in apps[r % len(apps) :] + apps[: r % len(apps)]:
                    results[app.label].append(measure(browser, app, config, sessions))
        finally:
            browser.close()
    return results


def _span(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def _all(runs: list[dict], key: str) -> list[float]:
    return [v for r in runs for v in (r[key] if isinstance(r[key], list) else [r[key]])]


def _gaps(runs: list[dict], floor: list[dict], key: str) -> list[float]:
    """Per round, the median of ``key`` in ``runs`` minus the floor's."""
    return [
        statistics.median(_all([r], key)) - statistics.median(_all([f], key)) for r, f in zip(runs, floor, strict=True)
    ]


_ROWS = (
    ("first page painted, first visitor of a fresh server", "paint"),
    ("  its run finished", "done"),
    ("page painted, later first visits (empty cache)", "first_visit_paint"),
    ("page painted, returning visits (files cached)", "returning_paint"),
    ("chromium CPU per later first visit, until painted", "first_visit_chromium"),
    ("chromium CPU per returning visit, until painted", "returning_chromium"),
    ("server CPU of the warm start (until idle)", "start_cpu"),
    ("server CPU, first visitor", "first_cpu"),
    ("server CPU per first visit, one after another", "first_visit_cpu"),
    ("server CPU per returning visit, one after another", "returning_cpu"),
)


def report(results: dict[str, list[dict]], sessions: int) -> bool:
    """Print the figures and the targets (against this checkout's server.py); whether they are met."""
    floor = results[FLOOR_LABEL]
    print(f"first visit and new sessions: chromium at 1440×900, a fresh server per app and round, {len(floor)} "
          f"rounds alternated, median (min–max); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    for label, runs in results.items():
        print(f"  {label}")
        for text, key in _ROWS:
            print(f"    {text:<52} {_span(_all(runs, key))}")
        for kind in ("first_visits", "returning"):
            together = _all(runs, f"{kind}_together_cpu")
            print(f"    server CPU, {sessions} {kind.replace('_', ' ')} at once{'':<{29 - len(kind)}} {_span(together)} in all, "
                  f"{statistics.median(together) / sessions:.2f} s each; wall {_span(_all(runs, f'{kind}_together_wall'))}")  # fmt: skip
        if label != FLOOR_LABEL:
            print(f"    {'first visitor minus the floor´s, same round':<52} {_span(_gaps(runs, floor, 'paint'))}")
            print(
                f"    {'new visitor minus the floor´s, same round':<52} {_span(_gaps(runs, floor, 'first_visit_paint'))}"
            )
    mine = results["server.py"]
    gap = statistics.median(_gaps(mine, floor, "first_visit_paint"))
    per_session = statistics.median(_all(mine, "first_visit_cpu"))
    together = statistics.median(_all(mine, "first_visits_together_cpu"))
    checks = (
        (f"new visitor's page within {PAINT_MARGIN} s of the floor", gap, PAINT_MARGIN),
        (f"server CPU per new session <= {SESSION_CPU} s", per_session, SESSION_CPU),
        (
            f"{sessions} sessions at once <= {SESSION_CPU * sessions:.1f} s of server CPU",
            together,
            SESSION_CPU * sessions,
        ),
    )
    ok = True
    for text, value, target in checks:
        ok &= value <= target
        print(f"  {'PASS' if value <= target else 'FAIL'}  {text:<52} {value:.2f} s")
    return ok


def report_sessions(directory: Path, rounds: int = 3, sessions: int = 10, code: Path | None = None) -> bool:
    """Run the measurement in a child process (Playwright's and chromium's own) and print its figures."""
    cmd = [sys.executable, "-m", "bench.sessions", "--data-dir", str(directory), "--rounds", str(rounds), "--sessions", str(sessions),
           "--json"] + (["--code", str(code)] if code else [])  # fmt: skip
    out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    return report(json.loads(out.strip().splitlines()[-1]), sessions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="the national campaign (benchmark.py --generate-only)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=10, help="new sessions after the first (default: %(default)s)")
    parser.add_argument("--code", type=Path, help="also measure the dashboard of this checkout (e.g. main's)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    results = run(args.data_dir.resolve(), args.rounds, args.sessions, args.code)
    if args.json:
        print(json.dumps(results))
        return 0
    ok = report(results, args.sessions)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
