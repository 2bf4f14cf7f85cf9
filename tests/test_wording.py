"""One voice: the Italian wording of counts, numbers and percentages (rollout/italian.py), and the
files for people (Italian headers and sheets) beside the files for programs (machine names)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pandas as pd
import pytest

from conftest import COMUNI_CSV, ROOT, responses, run_app, run_cli
from rollout.italian import (
    agree,
    count_comuni,
    days,
    marked_reminders,
    not_on_map,
    number,
    outcome_counts,
    percent,
    recorded_reminders,
    share_of,
    signed,
    status_count,
    to_chase,
    without_at,
)
from rollout.outputs.columns import ACCOUNTS, REMINDERS
from rollout.reminders.log import comune_keys
from rollout.reminders.send import Outcome, summary_line
from ui.format import md_escape

# -- numbers and counts -------------------------------------------------------------------------


def test_numbers_are_written_the_italian_way():
    assert [number(n) for n in (0, 7, 999, 1000, 6583, 27142, 1234567)] == [
        "0", "7", "999", "1.000", "6.583", "27.142", "1.234.567",
    ]  # fmt: skip
    assert [signed(n) for n in (0, 1, -31, 1985, -1985)] == ["0", "+1", "-31", "+1.985", "-1.985"]
    assert share_of(3998, 6583) == "61\xa0% (3.998/6.583)"
    assert share_of(0, 0) == "0\xa0% (0/0)"


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.125, "12\xa0%"), (0.135, "14\xa0%"), (0.6049, "60\xa0%"), (2 / 3, "67\xa0%"), (1.0, "100\xa0%"), (0, "0\xa0%")],
)
def test_a_percentage_is_the_share_status_json_writes(share, shown):
    """status.json rounds coverage.share to two decimals (0.125 -> 0.12): the text says the same."""
    assert percent(share) == shown
    assert percent(share) == f"{round(round(share, 2) * 100)}\xa0%"


def test_every_count_agrees_with_its_number():
    assert [count_comuni(n) for n in (0, 1, 2, 6583)] == ["0 comuni", "1 comune", "2 comuni", "6.583 comuni"]
    assert [not_on_map(n) for n in (1, 5)] == ["1 comune non è sulla mappa", "5 comuni non sono sulla mappa"]
    assert [status_count(n, "missing") for n in (1, 1009)] == ["1 mancante", "1.009 mancanti"]
    assert status_count(4465, "on_time") == "4.465 in tempo"
    assert [days(n) for n in (1, 16)] == ["1 giorno", "16 giorni"]
    assert [marked_reminders(n) for n in (1, 79)] == ["Registrato 1 promemoria", "Registrati 79 promemoria"]
    assert recorded_reminders(1, "Annullato", "Annullati") == "Annullato 1 promemoria registrato"
    assert agree(0, "ha", "hanno") == "hanno"
    assert outcome_counts({"counted": 1, "replaced": 2, "invalid": 1}) == (
        "1 conteggiata, 2 sostituite da una risposta successiva, 0 successive alla data di riferimento, "
        "0 con comune non riconosciuto o non partecipante, 1 non valida"
    )


def test_a_typed_day_is_read_day_first_and_never_guessed():
    from rollout.italian import typed_day

    day = dt.date(2023, 9, 20)
    assert [typed_day(t) for t in ("20/09/2023", " 20/9/2023 ", "20.09.2023", "20-09-2023", "2023-09-20")] == [day] * 5
    assert [typed_day(t) for t in ("31/02/2023", "20/09/23", "09/20/2023", "oggi", "", "20/09/2023 12:00")] == [
        None
    ] * 6


def test_the_comuni_without_an_at_editor_are_said_one_way():
    assert without_at(3326, 1341) == (
        "3.326 comuni senza editor Amministrazione Trasparente, di cui 1.341 hanno risposto"
    )
    assert without_at(1, 1) == "1 comune senza editor Amministrazione Trasparente, di cui 1 ha risposto"
    assert without_at(2, 0) == "2 comuni senza editor Amministrazione Trasparente, di cui nessuno ha risposto"
    assert to_chase(1985, 1341) == (
        "**3.326 comuni da sollecitare**: 3.326 comuni senza editor Amministrazione Trasparente, di cui 1.341 "
        "hanno risposto; 1.985 non hanno ancora una risposta valida."
    )
    assert to_chase(0, 0) == "**Nessun comune da sollecitare.**"


def test_the_sending_summary_agrees_with_its_counts():
    def item(result: str) -> Outcome:
        return Outcome("k", "Avella", "AV", "", result)

    assert summary_line([item("sent")]) == "Promemoria: 1 comune, 1 inviato."
    assert summary_line([item("sent"), item("refused"), item("refused"), item("uncertain")]) == (
        "Promemoria: 4 comuni, 1 inviato, 2 rifiutati, 1 con esito incerto."
    )


# -- files for people, files for programs -------------------------------------------------------

CAMPAIGN = responses(
    "1/9/2023 10.15.32,x@y.it,Montecorvino Rovella,Greco,Anna,a@x.it,1) Editor Sito Web",
    '5/9/2023 11.00.00,,Paterno,Bianchi,Luca,l@x.it,"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
)
REMINDERS_CSV = ["comune", "province", "code", "status", "status_label", "reasons", "missing_permissions",
                 "days_late", "contact_name", "contact", "contact_source", "wave", "link_modulo", "reminders_sent",
                 "last_reminder", "last_channel", "outcome"]  # fmt: skip
ACCOUNTS_CSV = ["comune", "code", "province", "surname", "first_name", "full_name", "email", "fiscal_code",
                "sito_web", "newsletter", "amministrazione_trasparente", "servizi_demografico", "servizi_segreteria",
                "servizi_tecnico", "servizi_tributi", "response_time", "row"]  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    (folder / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (folder / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (folder / "rollout.toml").write_text(
        'deadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[reminders]\ndatabase = "stato/promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    config = str(folder / "rollout.toml")
    marked = run_cli("reminders", "mark", "--comune", "Melito di Napoli", "--date", "2023-09-20", "--config", config)
    assert marked.returncode == 0, marked.stderr
    done = run_cli("report", "--out", str(folder / "out"), "--config", config)
    assert done.returncode == 0, done.stderr
    return folder / "out"


def csv_header(path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_the_xlsx_files_speak_italian(report):
    """reminders.xlsx and accounts.xlsx: the dashboard's Italian headers and sheets, Italian dates."""
    book = openpyxl.load_workbook(report / "reminders.xlsx")
    assert book.sheetnames == ["Promemoria"]
    header, *rows = book.active.iter_rows(values_only=True)
    assert list(header) == [
        "Comune", "Provincia", "Codice", "Stato", "Motivo", "Permessi mancanti", "Giorni di ritardo", "Referente",
        "Contatto", "Fonte del contatto", "Ondata", "Promemoria inviati", "Ultimo promemoria", "Canale",
        "Esito dell'ultimo invio", "Link al modulo",
    ]  # fmt: skip
    melito = dict(zip(header, next(r for r in rows if r[0] == "Melito di Napoli"), strict=True))
    assert (melito["Stato"], melito["Promemoria inviati"], melito["Ultimo promemoria"]) == ("mancante", 1, "20/09/2023")
    assert melito["Motivo"] == "nessuna risposta: scadenza del 13/09/2023 superata da 16 giorni"

    book = openpyxl.load_workbook(report / "accounts.xlsx")
    assert book.sheetnames == ["Account"]
    header, *rows = book.active.iter_rows(values_only=True)
    assert list(header) == [
        "Comune", "Codice", "Provincia", "Cognome", "Nome", "Dipendente", "Email", "Codice fiscale",
        "Editor Sito Web", "Editor Newsletter", "Editor Amministrazione Trasparente",
        "Editor Servizi - Ufficio Demografico", "Editor Servizi - Ufficio Segreteria",
        "Editor Servizi - Ufficio Tecnico", "Editor Servizi - Ufficio Tributi", "Risposta del", "Riga",
    ]  # fmt: skip
    assert [(r[0], r[3], r[-2], r[-1]) for r in rows] == [
        ("Montecorvino Rovella", "Greco", "01/09/2023 10:15", 2),
        ("Paterno", "Bianchi", "05/09/2023 11:00", 3),
    ]


def test_the_csv_files_keep_their_machine_names(report):
    assert csv_header(report / "reminders.csv") == REMINDERS_CSV
    assert csv_header(report / "accounts.csv") == ACCOUNTS_CSV
    melito = next(r for r in csv.DictReader(io.StringIO((report / "reminders.csv").read_text("utf-8-sig")))
                  if r["comune"] == "Melito di Napoli")  # fmt: skip
    assert (melito["status"], melito["last_reminder"]) == ("missing", "2023-09-20")
    accounts = list(csv.DictReader(io.StringIO((report / "accounts.csv").read_text("utf-8-sig"))))
    assert accounts[0]["response_time"] == "2023-09-01T10:15:32+02:00"
    # Every column for people comes from a documented machine column.
    assert set(REMINDERS.headers) <= set(REMINDERS_CSV) and set(ACCOUNTS.headers) == set(ACCOUNTS_CSV)


def doc_pairs(page: str) -> set[tuple[str, str]]:
    """The (machine name, Italian header) rows of a page's tables: one cell a code span, one plain."""
    pairs = set()
    for line in (ROOT / "docs" / page).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 2:
            continue
        code = [c[1:-1] for c in cells if re.fullmatch(r"`[^`]+`", c)]
        text = [c for c in cells if "`" not in c and c and not set(c) <= set("-")]
        if code and text:
            pairs.add((code[0], text[0]))
    return pairs


@pytest.mark.parametrize("page", ["guida.md", "command-line.md"])
def test_the_docs_map_every_column_as_the_code_does(page):
    """The guide (Italian) and the developer doc map the CSV names to the XLSX headers, from one mapping."""
    mapped = {*REMINDERS.headers.items(), *ACCOUNTS.headers.items()}
    found = doc_pairs(page)
    assert mapped <= found
    assert {(m, h) for m, h in found if m in REMINDERS.headers or m in ACCOUNTS.headers} == mapped


# -- the signature, and the Promemoria page without one ------------------------------------------


def test_one_rule_says_who_signs():
    from rollout.config import AccountsSettings, Config, ReminderSettings, missing_signature

    drafts_only = Config(reminders=ReminderSettings(signature="Ufficio PNRR"))
    assert (drafts_only.signature(), drafts_only.signature(notes=True)) == ("Ufficio PNRR", "Ufficio PNRR")
    both = Config(
        reminders=ReminderSettings(signature="Ufficio PNRR"), accounts=AccountsSettings(signature="Il dirigente")
    )
    assert (both.signature(), both.signature(notes=True)) == ("Ufficio PNRR", "Il dirigente")
    assert missing_signature(both) == ""
    notes_only = Config(accounts=AccountsSettings(signature="Il dirigente"))
    assert notes_only.signature() == ""
    assert missing_signature(notes_only) == (
        "Firma non impostata: bozze e promemoria finiscono con «Cordiali saluti» e nessuna firma. Aggiungi "
        'signature = "…" nella sezione [reminders] di rollout.toml (vedi docs/configuration.md, «[reminders]»).'
    )
    assert missing_signature(Config()).startswith("Firma non impostata: bozze, promemoria e note degli account")


@pytest.fixture
def unsigned(tmp_path, monkeypatch):
    """A campaign whose rollout.toml sets no signature (Calliano TN has no contact at all)."""
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        'deadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLLOUT_CONFIG", str(tmp_path / "rollout.toml"))
    return tmp_path


def test_the_promemoria_page_says_the_signature_is_missing(unsigned):
    from rollout.config import load_config, missing_signature
    from rollout.pipeline import run_report
    from rollout.reminders.drafts import drafts, reminders_list, templates_from_config

    at = run_app("pages/promemoria.py")
    assert not at.exception
    assert [w.value for w in at.warning] == [md_escape(missing_signature(load_config()))]
    # The drafts end with the greeting and nothing after it: what the warning is about.
    snap, _ = run_report(load_config())
    letters = drafts(reminders_list(snap), snap.settings, templates_from_config(load_config()))
    assert {body.rstrip().rsplit("\n", 1)[-1] for body in letters["body"]} == {"Cordiali saluti"}


def test_the_draft_of_a_comune_without_address_says_so_once(unsigned):
    at = run_app("pages/promemoria.py")
    box = at.selectbox(key="draft_comune")
    (calliano,) = comune_keys(pd.Series(["022035"]), pd.Series(["Calliano"]), pd.Series(["TN"]))
    box.select(calliano).run()  # by its key; the box shows «Calliano (TN)»
    (header,) = [m.value for m in at.markdown if m.value.startswith("**A:**")]
    assert header.split("  \n")[0] == "**A:** — nessun indirizzo utilizzabile \\(nessun contatto disponibile\\)"


def test_the_demo_signs_and_the_page_says_nothing(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")
    at = run_app("pages/promemoria.py")
    assert not any("Firma" in w.value for w in at.warning)


def test_the_answered_part_fits_the_pictures_tile():
    """«di cui 99.999 hanno risposto» under a five-digit «Senza editor AT» stays inside its tile."""
    from test_maps import text_width

    from rollout.outputs import picture

    now = {"comuni": 99999, "on_time": 0, "late": 99999, "pending": 0, "missing": 0, "without_at_editor": 99999}
    data = picture.kpi_data(now, now, answered=99999)
    (part,) = data.loc[data["key"] == "without_at_editor", "quota"]
    assert part == "di cui 99.999 hanno risposto"
    (size,) = [size for field, _, size in picture.KPI_LINES if field == "quota"]
    assert text_width(part, size, bold=False) <= picture.kpi_text_room()
