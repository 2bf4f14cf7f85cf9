"""Cut or shrunken data never replace good data (issue 18, section 3).

The demo campaign's sheets are served over HTTP on 127.0.0.1 (testkit/local_http.py), as a public
Google Sheet link would serve them, and changed between loads: responses cut step by step, rows
reordered, a comuni list that loses rows, bodies cut in the middle of a line. Sending runs against
a real SMTP server (aiosmtpd) on 127.0.0.1.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from data_sources import http
from data_sources.last_good import SnapshotStore
from rollout import cli
from rollout.access import fingerprint
from rollout.config import load_config
from rollout.pipeline import load, settings_for
from rollout.reminders import send
from testkit.local_http import serve_routes
from testkit.smtp_server import Mailbox, Server
from ui.auth import PASSWORD_OK

DEMO = ROOT / "data" / "demo"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
PASSWORD = "una-password-lunga-per-il-gruppo"
FULL = {"comuni": 130, "on_time": 76, "late": 26, "pending": 0, "missing": 28, "without_at_editor": 45}


def lines(name: str) -> list[str]:
    """The demo file's lines, line ends kept (CRLF, as Google Sheets and Excel write them)."""
    return (DEMO / name).read_text(encoding="utf-8").splitlines(keepends=True)


RESPONSES, COMUNI = lines("risposte.csv"), lines("comuni.csv")  # a header and 303 responses; 130 comuni


@pytest.fixture
def sheets(monkeypatch):
    monkeypatch.setattr(http, "sleep", lambda seconds: None)  # the retries' waits are tested elsewhere
    with serve_routes() as served:
        serve(served, "comuni.csv", COMUNI)
        serve(served, "risposte.csv", RESPONSES)
        yield served


def serve(served, name: str, rows: list[str]) -> None:
    served.routes[f"/{name}"] = (200, CSV, "".join(rows).encode("utf-8"))


@pytest.fixture
def campaign(sheets, tmp_path):
    """rollout.toml in tmp_path: both sources served over HTTP; the moment after the deadline."""
    path = tmp_path / "rollout.toml"
    path.write_text(
        'campaign = "Demo"\ndeadline = 2023-09-13\nas_of = 2023-09-29T18:00:00\nform_url = "https://forms.gle/x"\n'
        f'comuni = "{sheets.base}/comuni.csv"\nsubmissions = "{sheets.base}/risposte.csv"\n'
        '[reminders]\ndatabase = "promemoria.sqlite3"\nsender = "Ufficio PNRR <pnrr@azienda.it>"\n'
        "max_per_minute = 100000\n",
        encoding="utf-8",
    )
    return path


def copy_on_disk(campaign, sheets, name: str) -> bytes:
    return SnapshotStore(campaign.parent / ".rollout-cache").path_for(f"{sheets.base}/{name}|").read_bytes()


def totals(result, config) -> dict[str, int]:
    return result.prepared.at(settings_for(config)).totals


# --- responses only grow ---------------------------------------------------------------------------


def test_responses_cut_step_by_step_never_replace_the_last_good_copy(sheets, campaign):
    """Before: 303 → 182 → 109 → 65 → 39 rows, each over half the one before, each accepted as fresh:
    «Mancanti» went from 28 to 68, 91, 105 and 112, and the copy on disk followed."""
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    first = load(config, cache_dir=cache)
    assert first.stale == () and totals(first, config) == FULL
    good = copy_on_disk(campaign, sheets, "risposte.csv")
    for rows in (182, 109, 65, 39):
        serve(sheets, "risposte.csv", RESPONSES[: rows + 1])
        result = load(config, cache_dir=cache)
        [stale] = result.stale
        assert (stale.role, stale.stale_reason) == (
            "risposte",
            f"il foglio appena letto ha {rows} righe, l'ultima copia buona ne ha 303",
        )
        assert (stale.change.before, stale.change.now) == (303, rows) and stale.suspect
        assert totals(result, config) == FULL
        assert copy_on_disk(campaign, sheets, "risposte.csv") == good


def test_responses_whose_first_rows_changed_are_suspect_even_when_more(sheets, campaign):
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    load(config, cache_dir=cache)
    good = copy_on_disk(campaign, sheets, "risposte.csv")
    new = "30/9/2023 9.00.00,ced@comune.cetara.sa.it,Cetara,Rossi,Anna,,,,1) Editor Sito Web\r\n"
    changes = {
        "the first response deleted, two added": [RESPONSES[0], *RESPONSES[2:], new, new.replace("Anna", "Lia")],
        "sorted by comune": [RESPONSES[0], *sorted(RESPONSES[1:], key=lambda line: line.split(",")[2])],
    }
    for rows in changes.values():
        serve(sheets, "risposte.csv", rows)
        [stale] = load(config, cache_dir=cache).stale
        assert stale.stale_reason == (
            f"il foglio appena letto ha {len(rows) - 1} righe, l'ultima copia buona ne ha 303, "
            "ma le prime righe non sono più le stesse"
        )
        assert copy_on_disk(campaign, sheets, "risposte.csv") == good


def test_responses_that_grow_replace_the_last_good_copy(sheets, campaign):
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    load(config, cache_dir=cache)
    late = "29/9/2023 17.30.00,protocollo@comune.avella.av.it,Avella,Rossi,Anna,,,,1) Editor Sito Web"
    serve(sheets, "risposte.csv", [*RESPONSES, late])  # no final newline, as Google Sheets writes
    result = load(config, cache_dir=cache)
    assert result.stale == () and all(s.change is None for s in result.sources)
    assert json.loads(copy_on_disk(campaign, sheets, "risposte.csv"))["rows"][-1][2] == "Avella"
    assert totals(result, config)["comuni"] == 130


# --- a comuni list may lose a few rows, not more ----------------------------------------------------


def test_a_comuni_list_may_lose_two_rows_not_three_nor_forty_percent(sheets, campaign):
    """Before: a list at 61 % of its rows was accepted. The rule: more than 2 rows and more than 1 % lost
    is suspect (one comune withdrawn, or a duplicate removed, is not)."""
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    load(config, cache_dir=cache)
    serve(sheets, "comuni.csv", COMUNI[:-2])  # 128 of 130
    result = load(config, cache_dir=cache)
    assert result.stale == () and totals(result, config)["comuni"] == 128
    for rows in (125, 78):  # 3 of 128 lost (2.3 %); 61 % of 128 left
        serve(sheets, "comuni.csv", COMUNI[: rows + 1])
        result = load(config, cache_dir=cache)
        [stale] = result.stale
        assert (stale.role, stale.stale_reason) == (
            "elenco dei comuni",
            f"il foglio appena letto ha {rows} righe, l'ultima copia buona ne ha 128",
        )
        assert totals(result, config)["comuni"] == 128


def test_a_comuni_list_may_be_reordered(sheets, campaign):
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    load(config, cache_dir=cache)
    serve(sheets, "comuni.csv", [COMUNI[0], *reversed(COMUNI[1:])])
    assert load(config, cache_dir=cache).stale == ()


# --- a body cut in the middle of a line is a failed read ---------------------------------------------


def test_a_comuni_list_cut_in_the_middle_of_a_line_keeps_the_last_good_copy(sheets, campaign):
    """Before: the cut list (128 rows, the last «Vallo della») was taken: a comune «Vallo della» invented,
    Vallo della Lucania and Vietri sul Mare gone."""
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    load(config, cache_dir=cache)
    body = "".join(COMUNI)
    serve(sheets, "comuni.csv", [body[: body.index("Vallo della") + len("Vallo della")]])
    result = load(config, cache_dir=cache)
    [stale] = result.stale
    assert stale.stale_reason == (
        f"Il file {sheets.base}/comuni.csv sembra troncato: l'ultima riga ha 1 campo invece degli 8 "
        "dell'intestazione e non finisce con un a capo. Scaricalo o esportalo di nuovo e riprova."
    )
    assert not stale.suspect  # a failed read: there is nothing new to accept
    names = set(result.prepared.comuni.frame["name"])
    assert "Vallo della" not in names and {"Vallo della Lucania", "Vietri sul Mare"} <= names


def test_responses_cut_inside_a_quoted_cell_keep_the_last_good_copy(sheets, campaign):
    """Before: the last response kept only «1) Editor Sito Web, 4) Edi», and lost two permissions."""
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    first = load(config, cache_dir=cache)
    late = '29/9/2023 17.30.00,protocollo@comune.avella.av.it,Avella,Rossi,Anna,,,,"1) Editor Sito Web, 4) Editor Servizi - Ufficio Demografico, 7) Editor Servizi - Ufficio Tributi"'
    cut = late[: late.index("4) Edi") + len("4) Edi")]
    serve(sheets, "risposte.csv", [*RESPONSES, cut])
    result = load(config, cache_dir=cache)
    [stale] = result.stale
    assert stale.stale_reason.endswith(
        "sembra troncato: finisce dentro un valore tra virgolette mai chiuso. Scaricalo o esportalo di nuovo e riprova."
    )
    assert totals(result, config) == totals(first, config)


# --- accepting the new data ----------------------------------------------------------------------------


def test_accepting_takes_the_data_that_were_shown_and_no_others(sheets, campaign):
    config = load_config(campaign)
    cache = campaign.parent / ".rollout-cache"
    load(config, cache_dir=cache)
    serve(sheets, "risposte.csv", RESPONSES[:183])
    [shown] = load(config, cache_dir=cache).stale
    serve(sheets, "risposte.csv", RESPONSES[:110])  # the sheet changed again before the click
    [stale] = load(config, cache_dir=cache, accept=frozenset({shown.change.fingerprint})).stale
    assert stale.change.now == 109  # not what was accepted: still held back
    serve(sheets, "risposte.csv", RESPONSES[:183])
    result = load(config, cache_dir=cache, accept=frozenset({shown.change.fingerprint}))
    assert result.stale == ()
    [accepted] = [s for s in result.sources if s.change is not None]
    assert (accepted.role, accepted.change.before, accepted.change.now) == ("risposte", 303, 182)
    assert accepted.accepted and not accepted.suspect
    assert totals(result, config)["missing"] == 68
    assert len(json.loads(copy_on_disk(campaign, sheets, "risposte.csv"))["rows"]) == 183
    assert load(config, cache_dir=cache).stale == ()  # the accepted data are now the last good copy


# --- the command line ------------------------------------------------------------------------------


def chased(folder) -> int:
    """The comuni in reminders.csv (``reminders export``): those without an answer or without an AT editor."""
    return len((folder / "reminders.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_command_line_says_what_changed_and_accept_smaller_takes_it(sheets, campaign, capsys):
    args = ["reminders", "export", "--config", str(campaign), "--out"]
    out = campaign.parent
    assert cli.main([*args, str(out / "out1")]) == 0
    assert chased(out / "out1") == FULL["without_at_editor"] == 45
    capsys.readouterr()
    serve(sheets, "risposte.csv", RESPONSES[:183])
    assert cli.main([*args, str(out / "out2")]) == 0
    [warning] = [line for line in capsys.readouterr().err.splitlines() if "righe" in line]
    assert warning.startswith("avviso: dati non aggiornati dal ")
    assert warning.endswith(
        "(risposte, uso l'ultima copia letta): il foglio appena letto ha 182 righe, l'ultima copia buona ne ha 303. "
        "Se i nuovi dati sono giusti, rilancia con --accept-smaller."
    )
    assert chased(out / "out2") == 45  # from the last good copy

    assert cli.main([*args, str(out / "out3"), "--strict"]) == 2
    assert not (out / "out3").exists()
    capsys.readouterr()

    assert cli.main([*args, str(out / "out4"), "--strict", "--accept-smaller"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "avviso: accettati i nuovi dati (risposte): il foglio appena letto ha 182 righe, l'ultima copia buona ne ha 303."
    )
    assert chased(out / "out4") == 78  # the 121 responses taken away leave 33 more comuni to chase
    assert cli.main([*args, str(out / "out5"), "--strict"]) == 0  # the accepted copy is the last good one


def smtp_secrets(folder, port: int):
    path = folder / "secrets.toml"
    path.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n', encoding="utf-8")
    return path


@pytest.fixture
def no_waiting(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(send, "CLOCK", lambda: now[0])
    monkeypatch.setattr(send, "SLEEP", lambda seconds: now.__setitem__(0, now[0] + seconds))


@pytest.mark.parametrize("fault", ["suspect", "failed read"])
def test_reminders_are_never_sent_from_data_that_are_not_up_to_date(sheets, campaign, capsys, no_waiting, fault):
    """Before: `reminders send --yes` chased the comuni whose answers the cut sheet had lost."""
    box = Mailbox()
    with Server(box) as server:
        secrets = smtp_secrets(campaign.parent, server.port)
        args = ["reminders", "send", "--config", str(campaign), "--secrets", str(secrets)]
        assert cli.main([*args, "--dry-run"]) == 0  # a good load: its copy is kept
        capsys.readouterr()
        if fault == "suspect":
            serve(sheets, "risposte.csv", RESPONSES[:183])
        else:
            sheets.routes["/risposte.csv"] = (503, {}, b"busy")
        assert cli.main([*args, "--yes"]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and err.startswith("errore: nessun promemoria inviato: ")
        assert "(risposte" in err
        assert box.received == []
        assert cli.main([*args, "--dry-run"]) == 0  # a dry run sends nothing: it may look
        if fault == "suspect":
            assert cli.main([*args, "--yes", "--limit", "2", "--accept-smaller"]) == 0
            assert len(box.received) == 2


# --- the dashboard -------------------------------------------------------------------------------------


def dashboard(reloads: int, *, protected: bool, accept: frozenset = frozenset(), page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["unrelated"] = "x"  # never the developer's own secrets
    if protected:
        at.secrets["access"] = {"password": PASSWORD}
        at.session_state[PASSWORD_OK] = fingerprint(PASSWORD)
    at.session_state["load_token"] = reloads
    if accept:
        at.session_state["accept_data"] = accept
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


def missing(at) -> str:
    return next(m.value for m in at.metric if m.label == "Mancanti")


def test_the_protected_dashboard_offers_to_accept_the_new_data(sheets, campaign, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign))
    assert missing(dashboard(0, protected=True)) == "28"
    serve(sheets, "risposte.csv", RESPONSES[:183])
    at = dashboard(1, protected=True)
    assert missing(at) == "28"
    [banner] = [w.value for w in at.sidebar.warning if "Dati non aggiornati" in w.value]
    assert banner.endswith("Motivo: il foglio appena letto ha 182 righe, l'ultima copia buona ne ha 303\\.")
    button = at.sidebar.button(key="accept_1")
    assert button.label == "Accetta i nuovi dati (risposte)"
    button.click().run()
    accepted = at.session_state["accept_data"]
    assert at.session_state["load_token"] == 2 and len(accepted) == 1

    at = dashboard(2, protected=True, accept=accepted)  # the rerun after the click (see test_fallback.run_app)
    assert missing(at) == "68"
    assert not [w for w in at.sidebar.warning if "Dati non aggiornati" in w.value]


def test_the_open_dashboard_says_how_to_accept_without_a_button(sheets, campaign, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign))
    dashboard(0, protected=False)
    serve(sheets, "risposte.csv", RESPONSES[:183])
    at = dashboard(1, protected=False)
    assert missing(at) == "28"
    assert not [b for b in at.sidebar.button if b.key.startswith("accept_")]
    assert (
        "Per accettare i nuovi dati serve un cruscotto protetto (password o login), oppure dalla riga di comando "
        "`--accept-smaller`."
    ) in [c.value for c in at.sidebar.caption]


def test_sending_from_the_dashboard_waits_for_up_to_date_data(sheets, campaign, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign))
    box = Mailbox()
    with Server(box) as server:
        dashboard(0, protected=True)
        serve(sheets, "risposte.csv", RESPONSES[:183])
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.secrets["access"] = {"password": PASSWORD}
        at.secrets["smtp"] = {"host": "127.0.0.1", "port": server.port, "security": "none"}
        at.session_state[PASSWORD_OK] = fingerprint(PASSWORD)
        at.session_state["load_token"] = 1
        at.run()
        at.switch_page("pages/promemoria.py").run()
        assert not at.exception
        button = at.button(key="send_go")
        assert button.disabled
        [reason] = [w.value for w in at.main.warning if "Invio sospeso" in w.value]
        assert "il foglio appena letto ha 182 righe, l'ultima copia buona ne ha 303" in reason.replace("\\", "")
    assert box.received == []
