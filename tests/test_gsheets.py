"""Google Sheets: gspread against a local Sheets API, the public CSV export, the secrets, every failure.

Nothing here leaves 127.0.0.1: gspread's calls to sheets.googleapis.com are sent to the fake by a
transport adapter, the service account's token_uri points at the fake, and the public export
root is the fake too (see ``offline`` below).
"""

from __future__ import annotations

import json

import pytest
from fake_google import EDIT_URL, EMAIL, KEY, FakeGoogle, csv_rows, golden_spreadsheet, route_to, secrets_table

from conftest import DATA
from data_sources import SourceError, gsheets, read_source
from data_sources.gsecrets import SheetsAccess, find_secrets, from_table, read_secrets_file
from data_sources.gsheets import SheetRef, _rows
from rollout.config import parse_config
from rollout.outputs.tables import status_dict
from rollout.pipeline import load, settings_for
from rollout.reminders.reading import reminders_section

SHEET = DATA / "golden_sheet"
RESPONSES = csv_rows((SHEET / "risposte.csv").read_text(encoding="utf-8"))
COMUNI = csv_rows((SHEET / "comuni.csv").read_text(encoding="utf-8"))


@pytest.fixture
def google():
    fake = FakeGoogle()
    fake.spreadsheets[KEY] = golden_spreadsheet()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def offline(monkeypatch, google):
    route_to(google, monkeypatch)


@pytest.fixture
def access(google) -> SheetsAccess:
    result = from_table(secrets_table(google))
    assert result.error == ""
    return result


def rows_of(grid) -> list[list[str]]:
    return grid.cells.values.tolist()


def padded(rows: list[list[str]]) -> list[list[str]]:
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) for r in rows]


# --- the same sheet, three ways ------------------------------------------------------------------


def test_gspread_csv_export_and_the_downloaded_file_give_the_same_grid(google, access):
    by_gspread = read_source(f"{EDIT_URL}#gid=0", access=access)
    by_export = read_source(f"{EDIT_URL}#gid=0")  # no service account: the public CSV export
    from_file = read_source(SHEET / "risposte.csv")
    assert rows_of(by_gspread) == rows_of(by_export) == rows_of(from_file) == padded(RESPONSES)
    assert list(by_gspread.cells.index) == list(by_export.cells.index) == list(range(1, 31))
    assert rows_of(by_gspread)[1][0] == "28/8/2023 9.12.44"  # the text the sheet shows, not serial 45166.38
    assert by_gspread.origin == "foglio Google 'Raccolta account editor (risposte)' (scheda 'Risposte del modulo 1')"
    assert by_gspread.loaded_at is not None and not by_gspread.stale
    values = [path for kind, path in google.hits if kind == "values"]
    assert values == [
        f"/v4/spreadsheets/{KEY}/values/%27Risposte%20del%20modulo%201%27"
        "?valueRenderOption=FORMATTED_VALUE&majorDimension=ROWS"
    ]
    assert google.scopes == ["https://www.googleapis.com/auth/spreadsheets.readonly"]
    assert [k for k, _ in google.hits if k in ("export", "file")] == ["export", "file"]  # the 307 was followed


def test_comuni_in_another_tab_same_status_as_the_files(google, access, tmp_path):
    """The golden scenario read from one spreadsheet: responses tab + comuni tab, through gspread
    and through the CSV export, gives the hand-computed status.json of the downloaded files."""
    expected = json.loads((SHEET / "expected_status.json").read_text(encoding="utf-8"))
    for used in (access, None):
        config = parse_config(
            {
                "deadline": "2023-09-13",
                "as_of": "2023-09-29T12:00:00",
                "comuni": {"source": f"{EDIT_URL}#gid=1234"},
                "submissions": {"source": EDIT_URL, "worksheet": "0" if used is None else "Risposte del modulo 1"},
            },
            tmp_path,
        )
        result = load(config, access=used, cache_dir=tmp_path / "cache")
        snap = result.prepared.at(settings_for(config))
        no_log = reminders_section(snap.comuni, None, frozenset())  # as the report writes it without a log
        assert json.loads(json.dumps(status_dict(snap, no_log))) == expected
        assert result.stale == ()


def test_values_missing_trailing_cells_and_rows_are_padded(google, access):
    google.spreadsheets[KEY].tabs[1].rows = [["Comune", "Provincia", "Email"], ["Aosta", "AO"], [], ["Napoli"], [], []]
    grid = read_source(f"{EDIT_URL}#gid=1234", access=access)
    assert rows_of(grid) == [["Comune", "Provincia", "Email"], ["Aosta", "AO", ""], ["", "", ""], ["Napoli", "", ""]]
    assert list(grid.cells.index) == [1, 2, 3, 4]
    assert rows_of(read_source(f"{EDIT_URL}#gid=1234")) == rows_of(grid)


def test_values_that_do_not_start_at_a1_keep_their_sheet_positions():
    answer = {"range": "'Risposte'!B3:C4", "values": [["Comune", "Provincia"], ["Aosta"]]}
    assert _rows(answer) == [["", "", ""], ["", "", ""], ["", "Comune", "Provincia"], ["", "Aosta", ""]]
    assert _rows({"range": "'Risposte'!A1:Z1000", "values": [["x", True, 3, 0.5, None]]}) == [
        ["x", "TRUE", "3", "0.5", ""]
    ]


def test_a_sheet_with_only_headers(google, access):
    google.spreadsheets[KEY].tabs[0].rows = [RESPONSES[0], [""] * len(RESPONSES[0])]
    grid = read_source(f"{EDIT_URL}#gid=0", access=access)
    assert rows_of(grid) == [RESPONSES[0]]
    assert rows_of(read_source(f"{EDIT_URL}#gid=0")) == [RESPONSES[0]]


def test_an_empty_sheet(google, access):
    google.spreadsheets[KEY].tabs[0].rows = []
    with pytest.raises(SourceError, match="^La scheda 'Risposte del modulo 1' del foglio Google .* è vuota.$"):
        read_source(f"{EDIT_URL}#gid=0", access=access)
    with pytest.raises(SourceError, match="è vuoto"):
        read_source(f"{EDIT_URL}#gid=0")


# --- choosing the tab ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "worksheet", "first_cell"),
    [
        (EDIT_URL, None, "Informazioni cronologiche"),  # no tab given: the first one
        (f"{EDIT_URL}#gid=1234", None, "Comune"),
        (f"{EDIT_URL}?usp=sharing", "Comuni", "Comune"),
        (EDIT_URL, "1234", "Comune"),  # a gid given as worksheet
        (f"{EDIT_URL}#gid=1234", "Comuni", "Comune"),  # both, consistent
    ],
)
def test_the_tab_is_chosen_by_link_name_or_gid(access, url, worksheet, first_cell):
    assert rows_of(read_source(url, sheet=worksheet, access=access))[0][0] == first_cell


def test_tab_errors_name_the_tabs(access):
    with pytest.raises(SourceError) as err:
        read_source(EDIT_URL, sheet="Foglio1", access=access)
    assert str(err.value) == (
        "La scheda 'Foglio1' non esiste nel foglio Google; schede presenti: 'Risposte del modulo 1', 'Comuni'."
    )
    with pytest.raises(
        SourceError, match="Il link indica la scheda gid=0, ma la configurazione indica la scheda 'Comuni'"
    ):
        read_source(f"{EDIT_URL}#gid=0", sheet="Comuni", access=access)
    with pytest.raises(SourceError, match="Il link indica la scheda gid=77, che non esiste"):
        read_source(f"{EDIT_URL}#gid=77", access=access)


def test_public_links_become_csv_export_links(monkeypatch):
    monkeypatch.setattr(gsheets, "EXPORT_ROOT", "https://docs.google.com")  # only builds the links
    assert SheetRef(KEY).csv_url() == f"https://docs.google.com/spreadsheets/d/{KEY}/export?format=csv"
    assert SheetRef(KEY, "0").csv_url().endswith("/export?format=csv&gid=0")
    assert SheetRef(KEY, None, "1234").csv_url().endswith("/export?format=csv&gid=1234")
    assert SheetRef(KEY, "1234", "Comuni").csv_url().endswith("&gid=1234")
    with pytest.raises(SourceError, match="Senza account di servizio la scheda 'Comuni' si indica con il suo link"):
        SheetRef(KEY, None, "Comuni").csv_url()


def test_a_public_link_to_a_private_sheet_gets_a_login_page(google):
    google.spreadsheets[KEY].public = False
    with pytest.raises(SourceError, match="contiene una pagina web \\(HTML\\), non un CSV"):
        read_source(f"{EDIT_URL}#gid=0")


# --- failures through gspread ----------------------------------------------------------------------


def read_with(access, **kwargs):
    return read_source(f"{EDIT_URL}#gid=0", access=access, **kwargs)


def test_403_names_the_address_to_share_with(google, access):
    google.spreadsheets[KEY].shared_with = set()
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == (
        "Accesso negato (403): il foglio Google non è condiviso con l'account di servizio. Aprilo, premi "
        f"«Condividi» e aggiungi {EMAIL} come Visualizzatore."
    )


def test_403_for_a_disabled_api_says_so(google, access):
    google.fail("meta", (403, "Google Sheets API has not been used in project 123 before or it is disabled."))
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == (
        "L'API Google Sheets non è attiva nel progetto dell'account di servizio: attivala in Google Cloud "
        "Console (API e servizi → Libreria → Google Sheets API) e riprova tra qualche minuto."
    )


def test_404(google, access):
    del google.spreadsheets[KEY]
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == (
        "Foglio Google non trovato (404): controlla il link o la chiave del foglio nella configurazione."
    )


def test_429_is_retried_then_succeeds(google, access):
    google.fail("values", 429, 429)
    assert rows_of(read_with(access)) == padded(RESPONSES)
    assert google.count("values") == 3


def test_429_retries_are_bounded(google, access):
    google.fail("meta", *[429] * 10)
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == (
        "Troppe richieste a Google Sheets (429), anche dopo 4 tentativi: riprova tra qualche minuto."
    )
    assert google.count("meta") == 4


def test_500_after_the_retries(google, access):
    google.fail("values", *[500] * 10)
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == "Google Sheets ha risposto con un errore (500) anche dopo 4 tentativi: riprova più tardi."
    assert google.count("values") == 4


def test_a_timeout(google, access, monkeypatch):
    monkeypatch.setattr(gsheets, "TIMEOUT_SECONDS", 0.3)
    google.fail("values", ("sleep", 1.5))
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == "Tempo scaduto: Google Sheets non ha risposto entro 0.3 secondi."


@pytest.mark.parametrize("kind", ["meta", "values"])
def test_garbage_instead_of_json(google, access, kind):
    google.fail(kind, "garbage")
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == "Risposta non valida da Google Sheets (non è il formato atteso): riprova più tardi."


def test_network_down(google, access):
    google.close()
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value) == (
        "Impossibile raggiungere Google Sheets (TransportError): controlla la connessione a Internet."
    )


def test_a_refused_key(google, access):
    google.fail("token", 400)
    with pytest.raises(SourceError) as err:
        read_with(access)
    assert str(err.value).startswith(f"Google ha rifiutato la chiave dell'account di servizio {EMAIL}: ")
    assert "BEGIN PRIVATE KEY" not in str(err.value)


# --- secrets -------------------------------------------------------------------------------------


def test_secrets_file_in_the_st_gsheets_connection_layout(google, tmp_path):
    table = secrets_table(google)
    lines = ["[connections.gsheets]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    path = tmp_path / "secrets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    access = find_secrets(None, {"ROLLOUT_SECRETS": str(path)})
    assert (access.client_email, access.spreadsheet, access.worksheet, access.error) == (
        EMAIL,
        EDIT_URL,
        "Risposte del modulo 1",
        "",
    )
    # the "gsheets" source: the spreadsheet and worksheet named in the secrets
    assert rows_of(read_source("gsheets", access=access)) == padded(RESPONSES)
    assert rows_of(read_source("gsheets", sheet="Comuni", access=access)) == padded(COMUNI)


def test_a_service_account_json_key_file(google, tmp_path):
    key = {k: v for k, v in secrets_table(google).items() if k not in ("spreadsheet", "worksheet")}
    (tmp_path / "chiave.json").write_text(json.dumps(key), encoding="utf-8")
    direct = find_secrets(str(tmp_path / "chiave.json"), {})
    assert direct.client_email == EMAIL and direct.error == ""
    (tmp_path / "secrets.toml").write_text(
        f'[connections.gsheets]\nspreadsheet = "{EDIT_URL}"\nservice_account_file = "chiave.json"\n', encoding="utf-8"
    )
    via_toml = read_secrets_file(tmp_path / "secrets.toml")
    assert (via_toml.client_email, via_toml.spreadsheet) == (EMAIL, EDIT_URL)
    assert rows_of(read_source("gsheets", sheet="Comuni", access=via_toml)) == padded(COMUNI)


def test_the_committed_example_means_no_account(root):
    access = read_secrets_file(root / ".streamlit" / "secrets.toml.example")
    assert (access.has_account, access.error) == (False, "")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"type": "service_account", "client_email": EMAIL},
            "In secrets.toml [connections.gsheets] mancano i campi dell'account di servizio: private_key, "
            "token_uri (vedi docs/google-sheets.md, «Connect the form's sheet with a service account»).",
        ),
        (
            {"type": "authorized_user", "client_email": EMAIL},
            'In secrets.toml [connections.gsheets] type = "authorized_user" non è supportato: serve un account di '
            'servizio (type = "service_account").',
        ),
        (
            {"client_email": EMAIL, "private_key": "abc", "token_uri": "https://oauth2.googleapis.com/token"},
            "In secrets.toml [connections.gsheets] private_key non è una chiave privata PEM: copiala intera dal "
            "file JSON, con gli \\n.",
        ),
    ],
)
def test_incomplete_secrets_are_reported_when_a_sheet_is_read(table, message):
    access = from_table(table)
    assert access.error == message
    with pytest.raises(SourceError) as err:
        read_source(EDIT_URL, access=access)
    assert str(err.value) == message


def test_a_broken_secrets_file_does_not_stop_local_files(tmp_path):
    (tmp_path / "secrets.toml").write_text("[connections.gsheets\n", encoding="utf-8")
    access = find_secrets(str(tmp_path / "secrets.toml"), {})
    assert access.error.startswith("Il file dei segreti secrets.toml non è TOML valido")
    assert rows_of(read_source(SHEET / "comuni.csv", access=access))[0][0] == "Comune"
    with pytest.raises(SourceError, match="non è TOML valido"):
        read_source(EDIT_URL, access=access)


def test_an_unparsable_private_key(google):
    access = from_table(
        {"client_email": EMAIL, "private_key": "-----BEGIN PRIVATE KEY-----\nxyz\n-----END PRIVATE KEY-----\n",
         "token_uri": f"{google.base}/token"}
    )  # fmt: skip
    with pytest.raises(SourceError) as err:
        read_source(EDIT_URL, access=access)
    assert str(err.value) == (
        "La chiave privata dell'account di servizio non è leggibile: copia private_key intera dal file JSON."
    )


def test_the_sheets_locale_reads_us_dates_no_day_over_12(google, access):
    """A US-locale sheet (en_US) answering in no particular order: the locale decides."""
    book = golden_spreadsheet()
    book.locale = "en_US"
    tab = book.tabs[0]
    tab.rows = [tab.rows[0], *(r.copy() for r in tab.rows[1:4])]
    for row, stamp in zip(tab.rows[1:], ("9/5/2023 10:15:32", "9/1/2023 9:00:00", "9/3/2023 18:30:00"), strict=True):
        row[0] = stamp
    google.spreadsheets[KEY] = book
    grid = read_source(f"{EDIT_URL}#gid=0", access=access)
    assert grid.locale == "en_US"
    config = parse_config({"deadline": "2023-09-13", "comuni": str(DATA / "golden_sheet" / "comuni.csv"),
                           "submissions": f"{EDIT_URL}#gid=0"}, DATA)  # fmt: skip
    result = load(config, access=access)
    rows = result.prepared.responses.rows
    assert [t.tz_convert("Europe/Rome").strftime("%d/%m") for t in rows["ts"]] == ["05/09", "01/09", "03/09"]
    assert result.prepared.responses.alerts == ()
