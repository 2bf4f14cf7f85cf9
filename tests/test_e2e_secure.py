"""In chromium: input text never becomes a link, and downloads leave the media endpoint at once.

A real campaign whose comuni list, configuration and file name hold web addresses and e-mail
addresses, served by `streamlit run dashboard.py` on 127.0.0.1 with a 1-second
``server.disconnectedSessionTTL``.
"""

from __future__ import annotations

import csv
import io
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser import IN_CHROMIUM, SHOTS, open_page, serve_dashboard, wait_idle
from ui.downloads import KEEP_SECONDS, SWEEP_RUNS, SWEEP_SECONDS

TTL = 1
FILE_NAME = "elenco www.evil.example a@evil.example.csv"
CAMPAIGN = "Campagna www.evil.example https://evil.example/c c@evil.example"
REFERENTI = {  # comune shown in the drill-down -> (referente, contatto) as the list has them
    "Montecorvino Rovella (SA)": ("www.evil.example", "a@evil.example"),
    "Castel d'Azzano (VR)": ("https://evil.example/x", "pec@pec.evil.example"),
    "Paterno (PZ)": ("mailto:b@evil.example", "protocollo@comune.paterno.pz.it"),
}
JOINER = "\u2060"

pytestmark = IN_CHROMIUM


def write_campaign(folder: Path) -> Path:
    (folder / FILE_NAME).write_text(
        "Comune,Provincia,Codice ISTAT,Referente,Email referente,PEC\n"
        "Montecorvino Rovella,SA,065074,www.evil.example,a@evil.example,\n"
        "Castel d'Azzano,VR,023021,https://evil.example/x,,pec@pec.evil.example\n"
        "Paterno,PZ,076100,mailto:b@evil.example,protocollo@comune.paterno.pz.it,\n",
        encoding="utf-8",
    )
    (folder / "risposte.csv").write_text(
        "Informazioni cronologiche,Indirizzo email,Comune,Cognome del dipendente,Nome del dipendente,"
        "Indirizzo email del dipendente,Permessi da assegnare\n"
        "1/9/2023 10.15.32,x@comune.it,Paterno,Rossi,Anna,x@comune.it,Editor Sito Web\n",
        encoding="utf-8",
    )
    config = folder / "rollout.toml"
    config.write_text(
        f'campaign = "{CAMPAIGN}"\ndeadline = 2023-09-13\nas_of = 2023-09-29\n'
        f'comuni = "{FILE_NAME}"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = write_campaign(tmp_path_factory.mktemp("hostile"))
    yield from serve_dashboard(config, STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(TTL))


def status(url: str) -> int:
    """The HTTP status an anonymous client (no cookie, no session) gets for ``url``."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def links(page, where: str) -> list[str]:
    return page.eval_on_selector_all(f'[data-testid="{where}"] a', "els => els.map(e => e.href)")


def shown(page, where: str) -> str:
    return page.locator(f'[data-testid="{where}"]').inner_text().replace(JOINER, "")


# --- item 10: no links from the inputs --------------------------------------------------------


def test_addresses_in_the_inputs_show_as_text_not_links(server, browser):
    page = open_page(browser, f"{server}/comuni", 1400)
    try:
        sidebar = shown(page, "stSidebar")
        assert CAMPAIGN in sidebar and f"Comuni: {FILE_NAME}" in sidebar
        box = page.get_by_role("combobox", name="Comune", exact=True)
        for comune, (referente, contatto) in REFERENTI.items():
            box.click()
            page.get_by_role("option", name=comune, exact=True).click()
            line = f"Referente: {referente} · Contatto: {contatto}"
            page.wait_for_function(
                f"() => document.querySelector('[data-testid=\"stMain\"]').innerText.replaceAll('{JOINER}', '')"
                f".includes({line!r})",
                timeout=30_000,
            )
            assert [h for h in links(page, "stMain") if "evil" in h or h.startswith("mailto:")] == []
        assert [h for h in links(page, "stSidebar") if not h.startswith(server)] == []
        assert page.locator('[data-testid="stException"]').count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "addresses_as_text.png"), full_page=True)
    finally:
        page.close()


# --- item 9: downloads exist only at the click and for seconds after ----------------------------


def click_download(browser, server, frames: list[bytes], sent: list[bytes] | None = None):
    """Open Promemoria, record what the server sends (and the browser), click «Scarica CSV»; (page, url, bytes)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1200}, accept_downloads=True)

    def record(ws) -> None:
        ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode()))
        if sent is not None:
            ws.on("framesent", lambda f: sent.append(f if isinstance(f, bytes) else f.encode()))

    page.on("websocket", record)
    page.goto(f"{server}/promemoria", wait_until="domcontentloaded")
    button = page.get_by_role("button", name="Scarica CSV")
    button.wait_for(timeout=60_000)
    # A deep link's first load runs the page twice (alone, then under the entry point), and each
    # run gives the button a new deferred id: click once the page has settled (no run for 1.5 s).
    wait_idle(page, quiet=1500)
    before = [f for f in frames if b"/media/" in f]
    assert before == []  # nothing to download exists before the click: no URL was ever sent
    if sent is not None:
        sent.clear()  # from the click on
    with page.expect_download(timeout=30_000) as info:
        button.click()
    return page, info.value.url, Path(info.value.path()).read_bytes()


def reruns(sent: list[bytes]) -> list[str]:
    """The fragment each rerun request names ("" for the whole app), from the browser's frames."""
    from streamlit.proto.BackMsg_pb2 import BackMsg  # the wire format the browser speaks

    messages = [BackMsg.FromString(f) for f in sent]
    return [m.rerun_script.fragment_id for m in messages if m.WhichOneof("type") == "rerun_script"]


def test_a_click_reruns_only_the_buttons_fragment(server, browser):
    """A full run started by the click cleared the queue holding the file's URL: the button spun
    and nothing came (1 click in 15 on a loaded machine). The click reruns the button's fragment."""
    sent: list[bytes] = []
    page, _, data = click_download(browser, server, [], sent)
    try:
        assert data.startswith(b"\xef\xbb\xbf")
        clicked = reruns(sent)
        assert clicked and all(clicked)  # the click's rerun, and the sweep's runs: fragments only
    finally:
        page.close()


def test_the_file_exists_only_for_seconds_after_the_click(server, browser):
    frames: list[bytes] = []
    page, url, data = click_download(browser, server, frames)
    try:
        assert url.startswith(f"{server}/media/") and url.endswith(".csv")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert sorted((r["Comune"], r["Contatto"]) for r in rows) == [  # for people: Italian headers
            ("Castel d'Azzano", "pec@pec.evil.example"),
            ("Montecorvino Rovella", "a@evil.example"),
            ("Paterno", "protocollo@comune.paterno.pz.it"),  # answered, but without an AT editor
        ]
        clicked = time.monotonic()
        assert status(url) == 200  # the window that remains: unguessable, but not authenticated
        while status(url) == 200 and time.monotonic() - clicked < 20:
            time.sleep(0.2)
        gone_after = time.monotonic() - clicked
        assert status(url) == 404
        assert gone_after < KEEP_SECONDS + SWEEP_SECONDS * SWEEP_RUNS + 1
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
    time.sleep(TTL + 1)
    assert status(url) == 404  # the session ended: still gone


def test_a_tab_closed_at_once_leaves_the_file_at_most_until_the_next_visit(server, browser):
    """What remains (docs/deploying.md, «On the server»): a tab closed before the sweep ran may leave the
    file until the next script runs on the server (whether it does depends on timing: 1 of 6
    tries in a row); the session's TTL runs nothing in Streamlit 1.67."""
    page, url, _ = click_download(browser, server, [])
    page.close()
    time.sleep(TTL + 0.5)
    visit = browser.new_page()
    visit.goto(f"{server}/", wait_until="domcontentloaded")  # anyone opening the dashboard (the login too)
    try:
        deadline = time.monotonic() + 60  # a bound, not a wait: on a loaded machine the visit's run takes longer
        while status(url) == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status(url) == 404
    finally:
        visit.close()
