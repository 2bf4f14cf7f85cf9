"""The last good data: kept on disk after each good load, shown with a banner when a load fails.

The remote sources are the local fake Google (tests/fake_google.py): a CSV URL and a Google Sheet
read with gspread. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import stat

import pandas as pd
import pytest
from fake_google import EDIT_URL, EMAIL, KEY, FakeGoogle, golden_spreadsheet, route_to, secrets_table
from pandas.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from conftest import DATA, ROOT
from data_sources import Grid, SourceError
from data_sources.gsecrets import from_table
from data_sources.last_good import SnapshotStore
from rollout import cli
from rollout.config import load_config
from rollout.errors import InputError
from rollout.pipeline import cache_folder, load, settings_for

SHOWN_KEY = f"{KEY[:4]}…{KEY[-4:]}"  # messages shorten the key: a shared-by-link sheet's only secret
SHEET = DATA / "golden_sheet"


@pytest.fixture
def google(monkeypatch):
    fake = FakeGoogle()
    fake.spreadsheets[KEY] = golden_spreadsheet()
    route_to(fake, monkeypatch)
    yield fake
    fake.close()


def campaign(tmp_path, submissions: str) -> object:
    """A rollout.toml in tmp_path: the comuni list as a local file, the responses remote."""
    shutil.copy(SHEET / "comuni.csv", tmp_path / "comuni.csv")
    path = tmp_path / "rollout.toml"
    path.write_text(
        f'deadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\ncomuni = "comuni.csv"\nsubmissions = "{submissions}"\n',
        encoding="utf-8",
    )
    return path


def export_url(google: FakeGoogle) -> str:
    return f"{google.base}/spreadsheets/d/{KEY}/export?format=csv&gid=0"


# --- the store ------------------------------------------------------------------------------------


def test_a_snapshot_keeps_every_cell_exactly(tmp_path):
    cells = pd.DataFrame(
        [["Comune", "Provincia", "Codice"], ["Napoli", "NA", "063049"], ["", "", ""], ['riga\n"due"', "", "007"]],
        dtype=str,
    )
    cells.index = pd.RangeIndex(1, 5)
    moment = dt.datetime(2023, 9, 29, 10, 0, 5, tzinfo=dt.UTC)
    store = SnapshotStore(tmp_path / "cache")
    assert store.save("https://example.test/x.csv|", Grid(cells, "x.csv", ("nota",), loaded_at=moment)) == ""
    back = store.load("https://example.test/x.csv|")
    assert_frame_equal(back.cells, cells)
    assert list(back.cells.index) == [1, 2, 3, 4] and list(back.cells.columns) == [0, 1, 2]
    assert (back.origin, back.notes, back.loaded_at, back.stale) == ("x.csv", ("nota",), moment, False)
    files = list((tmp_path / "cache").iterdir())
    assert [f.name for f in files] == [store.path_for("https://example.test/x.csv|").name]  # no temporary left
    assert "example.test" not in files[0].name  # links may carry keys: only a hash names the file
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700


def test_a_damaged_snapshot_is_no_snapshot(tmp_path):
    store = SnapshotStore(tmp_path)
    store.path_for("a").write_text('{"format": 1, "rows": [["x"]], "index": [1, 2]', encoding="utf-8")
    assert store.load("a") is None
    store.path_for("b").write_text('{"format": 1, "rows": [["x"]], "index": [1, 2]}', encoding="utf-8")
    assert store.load("b") is None
    assert store.load("never saved") is None


def test_an_unwritable_cache_folder_is_a_warning(tmp_path):
    (tmp_path / "file").write_text("", encoding="utf-8")
    grid = Grid(pd.DataFrame([["a"]], dtype=str), "x.csv")
    assert (
        SnapshotStore(tmp_path / "file" / "cache")
        .save("k", grid)
        .startswith("Impossibile salvare la copia locale di x.csv in ")
    )


def test_the_cache_folder_is_beside_the_configuration(tmp_path):
    path = campaign(tmp_path, "https://example.test/r.csv")
    assert cache_folder(load_config(path)) == tmp_path / ".rollout-cache"
    with path.open("a", encoding="utf-8") as handle:
        handle.write('[cache]\nfolder = "copie"\n')
    assert cache_folder(load_config(path)) == tmp_path / "copie"


# --- load: a good read, then a failing one ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["csv_url", "gspread"])
def test_a_failed_read_gives_the_last_good_data(google, tmp_path, mode):
    url = export_url(google) if mode == "csv_url" else f"{EDIT_URL}#gid=0"
    access = from_table(secrets_table(google)) if mode == "gspread" else None
    config = load_config(campaign(tmp_path, url))
    cache = tmp_path / ".rollout-cache"
    first = load(config, access=access, cache_dir=cache)
    assert first.stale == ()
    [saved] = list(cache.iterdir())  # only the remote source is copied, not the local comuni.csv
    before = saved.read_bytes()
    assert json.loads(before)["rows"][1][0] == "28/8/2023 9.12.44"

    google.fail("export" if mode == "csv_url" else "values", *[503] * 5)
    second = load(config, access=access, cache_dir=cache)
    [stale] = second.stale
    assert stale.role == "risposte"
    assert stale.loaded_at == first.sources[1].loaded_at
    assert second.last_success == first.sources[1].loaded_at
    assert "503" in stale.stale_reason
    assert second.sources[0].stale_reason == ""  # the local comuni list was read afresh
    settings = settings_for(config)
    assert second.prepared.at(settings).totals == first.prepared.at(settings).totals == {
        "comuni": 12, "on_time": 9, "late": 2, "pending": 0, "missing": 1, "without_at_editor": 2,
    }  # fmt: skip
    assert saved.read_bytes() == before  # nothing lost on disk
    assert [p.name for p in cache.iterdir()] == [saved.name]


def test_a_sheet_the_core_cannot_use_keeps_the_last_good_data(google, tmp_path):
    config = load_config(campaign(tmp_path, export_url(google)))
    cache = tmp_path / ".rollout-cache"
    load(config, cache_dir=cache)
    [saved] = list(cache.iterdir())
    before = saved.read_bytes()
    google.spreadsheets[KEY].tabs[0].rows[0] = ["Colonna A", "Colonna B"]  # headers renamed by mistake
    result = load(config, cache_dir=cache)
    [stale] = result.stale
    assert stale.stale_reason.startswith("i dati appena letti non sono utilizzabili: ")
    assert saved.read_bytes() == before


def test_without_a_last_good_copy_the_failure_is_an_error(google, tmp_path):
    config = load_config(campaign(tmp_path, export_url(google)))
    google.fail("export", *[500] * 4)
    with pytest.raises(SourceError, match="errore \\(500\\)"):
        load(config, cache_dir=tmp_path / ".rollout-cache")
    google.spreadsheets[KEY].tabs[0].rows[0] = ["Colonna A", "Colonna B"]
    with pytest.raises(InputError):
        load(config, cache_dir=tmp_path / ".rollout-cache")
    assert not (tmp_path / ".rollout-cache").exists()  # nothing unusable was kept


# --- the dashboard -----------------------------------------------------------------------------------


def run_app(reloads: int = 0, secrets: dict | None = None) -> AppTest:
    """A fresh session of the dashboard, as after ``reloads`` presses of «Ricarica ora» (the load token).

    A new AppTest per load: AppTest 1.67 re-runs only the page, not dashboard.py's sidebar, after
    the first run of an st.navigation app, so the button cannot be pressed twice in one AppTest.
    """
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["load_token"] = reloads
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def saved_at(tmp_path) -> str:
    [saved] = list((tmp_path / ".rollout-cache").iterdir())
    moment = pd.Timestamp(json.loads(saved.read_text(encoding="utf-8"))["saved_at"])
    return moment.tz_convert("Europe/Rome").strftime("%d/%m/%Y %H:%M")


def banners(at) -> list[str]:
    """The stale-data banners of the sidebar (other warnings, e.g. about access, are not ours)."""
    return [unescape(w.value) for w in at.sidebar.warning if "Dati non aggiornati" in w.value]


def unescape(text: str) -> str:
    """What the reader sees: no backslash escapes, no invisible word joiners (ui.format.md_escape)."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


GOLDEN_METRICS = {
    "Comuni": "12",
    "In tempo": "9",
    "In ritardo": "2",
    "In attesa": "0",
    "Mancanti": "1",
    "Senza editor AT": "2",
}


def test_dashboard_shows_the_last_good_data_with_a_banner(google, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign(tmp_path, export_url(google))))
    at = run_app()
    assert not at.exception and not at.error
    assert metrics(at) == GOLDEN_METRICS
    assert banners(at) == []
    when = saved_at(tmp_path)
    assert f"Ultimo caricamento riuscito: {when}" in [c.value for c in at.sidebar.caption]
    [saved] = list((tmp_path / ".rollout-cache").iterdir())
    before = saved.read_bytes()

    google.fail("export", *[503] * 5)
    at = run_app(reloads=1)
    assert not at.exception and not at.error
    assert metrics(at) == GOLDEN_METRICS  # the last good data, not a blank page
    assert banners(at) == [
        (
            f"**Dati non aggiornati dal {when}** (risposte): mostro l'ultima copia letta. Motivo: Il server ha "
            f"risposto con un errore (503) per {google.base}/spreadsheets/d/{SHOWN_KEY}/export, anche dopo 4 tentativi: riprova più tardi."
        )
    ]
    assert f"Ultimo caricamento riuscito: {when}" in [c.value for c in at.sidebar.caption]
    assert saved.read_bytes() == before

    google.faults.clear()
    at = run_app(reloads=2)
    assert banners(at) == []  # read again: the banner goes away


def test_dashboard_reads_the_sheet_with_gspread_and_names_the_address_to_share_with(google, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign(tmp_path, f"{EDIT_URL}#gid=0")))
    secrets = {"connections": {"gsheets": secrets_table(google)}}
    at = run_app(secrets=secrets)
    assert not at.exception and not at.error
    assert metrics(at) == GOLDEN_METRICS
    assert google.count("values") == 1

    google.spreadsheets[KEY].shared_with = set()  # someone removed the service account
    at = run_app(reloads=1, secrets=secrets)
    assert metrics(at) == GOLDEN_METRICS
    [banner] = banners(at)
    assert banner.endswith(f"aggiungi {EMAIL} come Visualizzatore.")


def test_dashboard_without_any_good_load_shows_the_reason(google, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(campaign(tmp_path, f"{EDIT_URL}#gid=0")))
    google.spreadsheets[KEY].shared_with = set()
    at = run_app(secrets={"connections": {"gsheets": secrets_table(google)}})
    assert not at.exception
    assert unescape(at.error[0].value) == (
        "I dati non sono leggibili. Accesso negato (403): il foglio Google non è condiviso con l'account di "
        f"servizio. Aprilo, premi «Condividi» e aggiungi {EMAIL} come Visualizzatore."
    )


# --- the command line --------------------------------------------------------------------------------


def test_command_line_warns_or_fails_with_strict(google, tmp_path, capsys):
    config = campaign(tmp_path, export_url(google))
    args = ["report", "--config", str(config), "--out"]
    assert cli.main([*args, str(tmp_path / "out1")]) == 0
    good = json.loads((tmp_path / "out1" / "status.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    when = saved_at(tmp_path)

    google.fail("export", *[503] * 10)
    assert cli.main([*args, str(tmp_path / "out2")]) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"avviso: dati non aggiornati dal {when} (risposte, uso l'ultima copia letta): Il server ha risposto con "
        f"un errore (503) per {google.base}/spreadsheets/d/{SHOWN_KEY}/export, anche dopo 4 tentativi: riprova più tardi."
    )
    assert json.loads((tmp_path / "out2" / "status.json").read_text(encoding="utf-8")) == good

    assert cli.main([*args, str(tmp_path / "out3"), "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"errore: dati non aggiornati dal {when} (risposte, ")
    assert err.endswith("(--strict: nessun file scritto)\n") and len(err.splitlines()) == 1
    assert not (tmp_path / "out3").exists()


def test_command_line_reads_the_sheet_with_the_secrets_flag(google, tmp_path, capsys):
    table = secrets_table(google)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[connections.gsheets]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items()), encoding="utf-8"
    )
    config = campaign(tmp_path, "gsheets")  # the spreadsheet and worksheet named in the secrets
    out = tmp_path / "out"
    assert cli.main(["report", "--config", str(config), "--secrets", str(secrets), "--out", str(out)]) == 0
    expected = json.loads((SHEET / "expected_status.json").read_text(encoding="utf-8"))
    assert json.loads((out / "status.json").read_text(encoding="utf-8")) == expected
    assert google.count("values") == 1 and google.count("export") == 0
    assert "BEGIN PRIVATE KEY" not in capsys.readouterr().err


# --- a sheet emptied or cut short never replaces the last good copy ------------------------------


def test_an_emptied_sheet_keeps_the_last_good_copy_and_strict_fails(google, tmp_path, capsys):
    config = campaign(tmp_path, export_url(google))
    args = ["report", "--config", str(config), "--out"]
    assert cli.main([*args, str(tmp_path / "out1")]) == 0
    good = json.loads((tmp_path / "out1" / "status.json").read_text(encoding="utf-8"))
    [saved] = list((tmp_path / ".rollout-cache").iterdir())
    before = saved.read_bytes()
    capsys.readouterr()
    tab = google.spreadsheets[KEY].tabs[0]
    tab.rows = tab.rows[:1]  # header only: every response deleted by mistake
    assert cli.main([*args, str(tmp_path / "out2")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        f"avviso: dati non aggiornati dal {saved_at(tmp_path)} (risposte, uso l'ultima copia letta): "
    )
    assert err[0].endswith(
        "il foglio appena letto ha solo l'intestazione, nessuna riga; l'ultima copia buona ne ha 29. "
        "Se i nuovi dati sono giusti, rilancia con --accept-smaller."
    )
    assert json.loads((tmp_path / "out2" / "status.json").read_text(encoding="utf-8")) == good
    assert saved.read_bytes() == before  # the empty answer was not kept
    assert cli.main([*args, str(tmp_path / "out3"), "--strict"]) == 2
    assert capsys.readouterr().err.startswith("errore: dati non aggiornati dal ")
    assert not (tmp_path / "out3").exists()


@pytest.mark.parametrize("mode", ["csv_url", "gspread"])
def test_responses_with_one_row_fewer_are_suspect_until_accepted(google, tmp_path, mode):
    """A form's responses only grow: before, any read over half the rows of the last copy was taken."""
    url = export_url(google) if mode == "csv_url" else f"{EDIT_URL}#gid=0"
    access = from_table(secrets_table(google)) if mode == "gspread" else None
    config = load_config(campaign(tmp_path, url))
    cache = tmp_path / ".rollout-cache"
    load(config, access=access, cache_dir=cache)
    tab = google.spreadsheets[KEY].tabs[0]
    full = list(tab.rows)
    tab.rows = full[:-1]  # 28 of 29 rows
    [stale] = load(config, access=access, cache_dir=cache).stale
    assert stale.stale_reason == "il foglio appena letto ha 28 righe, l'ultima copia buona ne ha 29"
    assert load(config, access=access, cache_dir=cache, accept=True).stale == ()
    assert load(config, access=access, cache_dir=cache).stale == ()  # 28 rows are the last good copy now
    tab.rows = full  # and growing back is fresh data
    assert load(config, access=access, cache_dir=cache).stale == ()


def test_a_body_cut_short_is_retried_then_a_failed_read(google, tmp_path):
    config = load_config(campaign(tmp_path, export_url(google)))
    cache = tmp_path / ".rollout-cache"
    first = load(config, cache_dir=cache)
    google.fail("file", ("truncate", 0.5))  # once: the second attempt gets the whole body
    assert load(config, cache_dir=cache).stale == ()
    hits = google.count("file")
    google.fail("file", *[("truncate", 0.5)] * 4)
    [stale] = load(config, cache_dir=cache).stale
    assert google.count("file") - hits == 4
    assert stale.stale_reason == (
        f"Risposta interrotta da {google.base}/spreadsheets/d/{SHOWN_KEY}/export: ricevuti 3093 byte su 6186, i "
        "dati sono incompleti, anche dopo 4 tentativi: riprova più tardi."
    )
    settings = settings_for(config)
    assert load(config, cache_dir=cache).prepared.at(settings).totals == first.prepared.at(settings).totals


def test_export_urls_are_tried_four_times_honouring_retry_after(google):
    from data_sources import http

    waits: list[float] = []
    url = export_url(google)
    google.fail("export", 503, ("retry-after", 429, "3"), 502)
    assert http.fetch(url, backoff=1.0, wait=waits.append).startswith(b"Informazioni cronologiche")
    assert google.count("export") == 4
    assert waits == [1.0, 3.0, 4.0]  # 1 s, then what Retry-After asked, then 4 s
    google.fail("export", *[("retry-after", 429, "120")] * 4)
    with pytest.raises(SourceError) as err:
        http.fetch(url, wait=waits.append)
    assert google.count("export") == 8
    assert waits[3:] == [10.0, 10.0, 10.0]  # a long Retry-After is capped at 10 s
    assert str(err.value) == (
        f"Troppe richieste (429) a {google.base}/spreadsheets/d/{SHOWN_KEY}/export, anche dopo 4 tentativi: "
        "riprova tra qualche minuto."
    )
    google.fail("export", 404)
    with pytest.raises(SourceError, match=r"^Non trovato \(404\)"):
        http.fetch(url, wait=waits.append)
    assert google.count("export") == 9  # a 404 is not tried again
