"""What the browser tests share: `streamlit run dashboard.py` on 127.0.0.1 and Debian's chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.streamlit_server import CHROMIUM, CHROMIUM_ARGS, NotStarted, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "tests" / "screenshots"
# axe-core, the accessibility engine of the browsers' own audits: `npm ci --prefix tests` (.ci/run does it).
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Every browser test module: the marker, and a skip where Debian's chromium is missing.
IN_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]
# A module that serves the embedded demo: a local rollout.toml would replace it.
ON_THE_DEMO = pytest.mark.skipif((ROOT / "rollout.toml").exists(), reason="a local rollout.toml replaces the demo")
ENTRY = "server.py"  # the README's command (the warm start); dashboard.py is the same app without it


def serve_dashboard(config: Path | None, entry: str = ENTRY, **env: str) -> Iterator[str]:
    """Start the dashboard on ``config`` (None: the demo), yield its base URL, stop it afterwards."""
    environ = {k: v for k, v in os.environ.items() if k != "ROLLOUT_CONFIG"}
    environ.update(env)
    if config:
        environ["ROLLOUT_CONFIG"] = str(config)
    try:
        with streamlit_server(entry, cwd=ROOT, env=environ) as (base, _):
            yield base
    except NotStarted as err:
        pytest.fail(str(err))


def launch_chromium() -> Iterator:
    """Debian's chromium driven by Playwright (no browser download), for a module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str, height: int = 900):
    """A 1440-wide page at ``url``, once Streamlit has drawn its first heading and finished running."""
    page = browser.new_page(viewport={"width": 1440, "height": height}, accept_downloads=True)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h2', timeout=120_000)
    wait_idle(page)
    return page


# The app is idle: its script run has ended (Streamlit's own attribute on the app's root, set as
# the server's messages arrive; its "Running…" widget appears only after a delay, so its absence
# alone says nothing on a loaded machine), nothing waits to be drawn, every Vega-Lite chart has
# its canvas or SVG; and all of that has held for ``quiet`` milliseconds, so that a run that the
# previous one requested (a deep link runs its page twice) has had the time to start.
SETTLED = """(quiet) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app !== null && app.dataset.testScriptState === "notRunning"
        && app.dataset.testConnectionState === "CONNECTED"
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid^="stSkeleton"]')
        && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('canvas, svg'));
    if (!idle) {
        window.__rolloutIdleSince = undefined;
        return false;
    }
    window.__rolloutIdleSince ??= performance.now();
    return performance.now() - window.__rolloutIdleSince >= quiet;
}"""


def wait_idle(page, timeout: int = 120_000, quiet: int = 300) -> None:
    """Wait until Streamlit has finished the run a page load, a click or a choice started, and drawn
    its charts (``SETTLED``)."""
    page.evaluate("() => { window.__rolloutIdleSince = undefined; }")
    page.wait_for_function(SETTLED, arg=quiet, timeout=timeout, polling=50)


def axe_violations(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is: one line per rule broken,
    with the number of elements and the first few of them."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.length} × `
                + v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.failureSummary.split("\\n")[1]).join(" | "));
        }""",
        WCAG_21_AA,
    )
    return list(found)


def page_height(page) -> int:
    """The height of the page's content in pixels (the main area scrolls, not the document)."""
    return page.evaluate("""() => document.querySelector('[data-testid="stMain"]').scrollHeight""")


def cut_texts(page) -> list[str]:
    """Texts in the main area that the browser shortens with an ellipsis («in 7 gio…»), or that
    end beyond the window's right edge."""
    return page.evaluate(
        """() => {
            const out = [];
            for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
                const text = el.textContent.trim();
                if (!text || !el.getClientRects().length) continue;
                const ellipsed = getComputedStyle(el).textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1;
                const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                const outside = own && el.getBoundingClientRect().right > window.innerWidth + 1;
                if (ellipsed || outside) out.push(text);
            }
            return out;
        }"""
    )
