"""Golden tests: the command line on small realistic campaigns, against values computed by hand.

Every expected value here (and in ``tests/data/golden_*/expected_status.json``) was worked out
from the rules in DESIGN.md, row by row, without running the code: see the README.md beside each
scenario for the reasoning. The command line runs in this process (its main function), with
no configuration file and no network.

Scenarios:
- ``golden_sheet``: the PM's comuni list (CSV) and the Google Sheet of responses, once as the CSV
  download and once as the XLSX download: both must give the very same status.json; and the same
  CSV seen at an earlier ``as_of`` (the week before the deadline), as the PM's time travel does.
- ``golden_open_data``: the PA digitale 2026 open-data list of measure 1.4.1 as the comuni list
  (withdrawn candidatures, a school, an empty province), before the deadline.
- ``golden_form_download``: the CSV downloaded from the form's own Responses tab (English-locale
  headers, ``2023/09/14 12:00:20 AM CEST`` timestamps, one Sì/No column per permission) against
  the PM's list kept as XLSX (ISTAT codes that lost their leading zeros).
"""

from __future__ import annotations

import csv
import json
import runpy
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conftest import CliResult, run_cli
from rollout import cli

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHEET = DATA / "golden_sheet"
OPEN_DATA = DATA / "golden_open_data"
FORM = DATA / "golden_form_download"
PERMISSION_KEYS = (
    "sito_web",
    "newsletter",
    "amministrazione_trasparente",
    "servizi_demografico",
    "servizi_segreteria",
    "servizi_tecnico",
    "servizi_tributi",
)

SCENARIOS = {
    "sheet_csv": (SHEET / "comuni.csv", SHEET / "risposte.csv", "2023-09-13", "2023-09-29T12:00:00"),
    "sheet_xlsx": (SHEET / "comuni.csv", SHEET / "risposte.xlsx", "2023-09-13", "2023-09-29T12:00:00"),
    "sheet_week_before": (SHEET / "comuni.csv", SHEET / "risposte.csv", "2023-09-13", "2023-09-08T18:00:00"),
    "open_data": (
        OPEN_DATA / "candidature_comuni_141.csv",
        OPEN_DATA / "risposte.csv",
        "2023-10-20",
        "2023-10-16T09:00:00Z",
    ),
    "form_download": (FORM / "comuni.xlsx", FORM / "risposte_modulo.csv", "2023-09-13", "2023-09-20T18:00:00+02:00"),
}

# What becomes of each response row (sheet row number -> outcome), worked out by hand.
SHEET_OUTCOMES = {
    2: "replaced",  # Ferrara, corrected by row 6 (same email, other case)
    3: "counted",
    4: "replaced",  # Pepe, corrected by row 23
    5: "counted",
    6: "counted",
    7: "counted",
    8: "counted",  # "Montecorvino  Rovella" (double space)
    9: "counted",  # "Paternò": exact, accents included -> Paternò (CT)
    10: "unmatched",  # "Comune di Montecorvino Pugliano ": a real comune that does not take part
    11: "counted",  # "Rocadaspide": one-letter typo of Roccadaspide
    12: "counted",  # "VALLO  DELLA LUCANIA"
    13: "replaced",  # Cobucci without email, corrected by row 17 (same name in capitals)
    14: "counted",  # "San Teodoro" + @comune.santeodoro.ss.it -> San Teodoro (SS)
    15: "unmatched",  # "San Teodoro" with gmail addresses only: ambiguous ME/SS (resent as row 27)
    16: "invalid",  # only an "Other" text ticked
    17: "counted",
    18: "unmatched",  # "Paternó" (acute accent): fits Paterno (PZ) and Paternò (CT) -> ambiguous
    19: "counted",
    20: "invalid",  # no employee (the filler's address is not the employee)
    21: "counted",  # 13/9 23.59.59: last on-time second
    22: "counted",  # 14/9 0.00.20: late
    23: "counted",
    24: "invalid",  # 31/9/2023: not a date
    25: "counted",
    26: "counted",
    27: "counted",  # "San Teodoro (ME)": the province in the text separates the homonyms; late
    28: "counted",  # exactly at as_of: counts
    29: "after_as_of",  # one second after as_of
    30: "after_as_of",  # a non-participating comune after as_of: not in "unmatched"
}
SHEET_REPLACED_BY = {2: "6", 4: "23", 13: "17"}

# The same sheet at as_of 8/9/2023 18:00: everything from row 17 (11/9) on has not happened yet,
# so Cobucci's correction (row 17) does not replace row 13; the bad date stays invalid.
SHEET_WEEK_BEFORE_OUTCOMES = {
    **dict.fromkeys(range(2, 17), "counted"),
    2: "replaced",
    10: "unmatched",
    15: "unmatched",
    16: "invalid",
    **dict.fromkeys(range(17, 31), "after_as_of"),
    24: "invalid",
}
SHEET_WEEK_BEFORE_REPLACED_BY = {2: "6"}

OPEN_DATA_OUTCOMES = {
    2: "counted",
    3: "counted",
    4: "counted",  # "COMUNE DI ENNA"
    5: "replaced",  # Esposito, corrected by row 12 (email in capitals there)
    6: "unmatched",  # Agira: only a school of Agira is in the open data
    7: "unmatched",  # Troina: candidature withdrawn (stato_candidatura R)
    8: "counted",
    9: "counted",  # Leonforte: its later candidature (A) takes part
    10: "invalid",  # only an "Other" text
    11: "counted",
    12: "counted",
    13: "counted",  # "Barafranca": one-letter typo
    14: "after_as_of",
    15: "after_as_of",  # Enna's correction (drops the newsletter) comes after as_of: not applied
}
OPEN_DATA_REPLACED_BY = {5: "12"}

FORM_OUTCOMES = {
    2: "replaced",  # Napolitano, corrected by row 7 (name and email in capitals there)
    3: "replaced",  # Di Buono without email, corrected by row 10 ("anna  di buono")
    4: "invalid",  # every permission answered "No"
    5: "counted",  # "CAVA DE' TIRRENI" against "Cava de’ Tirreni" in the list
    6: "unmatched",  # " Sant’Antonio  Abate ": a real comune that does not take part
    7: "counted",
    8: "counted",  # 11:59:59 PM of the deadline day: on time
    9: "counted",  # 12:00:20 AM of the next day: late
    10: "counted",
    11: "counted",
    12: "after_as_of",
}
FORM_REPLACED_BY = {2: "7", 3: "10"}


def _run_cli(comuni: Path, submissions: Path, deadline: str, as_of: str, out: Path) -> CliResult:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ROLLOUT_CONFIG", raising=False)
        return run_cli("report", "--comuni", comuni, "--submissions", submissions, "--deadline", deadline,
                       "--as-of", as_of, "--out", out)  # fmt: skip


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run the command line once per scenario; map scenario name -> output directory."""
    result = {}
    for name, (comuni, submissions, deadline, as_of) in SCENARIOS.items():
        out = tmp_path_factory.mktemp(name)
        proc = _run_cli(comuni, submissions, deadline, as_of, out)
        assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        result[name] = out
    return result


def _status(out: Path) -> dict:
    return json.loads((out / "status.json").read_text(encoding="utf-8"))


def _expected(directory: Path) -> dict:
    return json.loads((directory / "expected_status.json").read_text(encoding="utf-8"))


def _table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _by(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, f"expected one row with {match}, found {len(found)}"
    return found[0]


# -- status.json: whole-dict equality ---------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["sheet_csv", "sheet_xlsx"])
def test_sheet_status_json_is_the_hand_computed_one(outputs: dict[str, Path], scenario: str) -> None:
    assert _status(outputs[scenario]) == _expected(SHEET)


def test_sheet_status_json_a_week_before_the_deadline(outputs: dict[str, Path]) -> None:
    expected = json.loads((SHEET / "expected_status_2023-09-08.json").read_text(encoding="utf-8"))
    assert _status(outputs["sheet_week_before"]) == expected


def test_csv_and_xlsx_downloads_give_the_same_status(outputs: dict[str, Path]) -> None:
    assert _status(outputs["sheet_csv"]) == _status(outputs["sheet_xlsx"])


def test_open_data_status_json_is_the_hand_computed_one(outputs: dict[str, Path]) -> None:
    assert _status(outputs["open_data"]) == _expected(OPEN_DATA)


def test_form_download_status_json_is_the_hand_computed_one(outputs: dict[str, Path]) -> None:
    assert _status(outputs["form_download"]) == _expected(FORM)


def test_expected_files_respect_the_contract() -> None:
    """The hand-written expectations themselves: all keys, seven permissions, consistent totals."""
    files = [SHEET / "expected_status.json", SHEET / "expected_status_2023-09-08.json"]
    files += [OPEN_DATA / "expected_status.json", FORM / "expected_status.json"]
    for path in files:
        expected = json.loads(path.read_text(encoding="utf-8"))
        assert list(expected) == ["as_of", "deadline", "totals", "coverage", "comuni", "unmatched", "reminders"]
        comuni = expected["comuni"]
        assert expected["totals"]["comuni"] == len(comuni)
        counts = Counter(c["status"] for c in comuni)
        for status in ("on_time", "late", "pending", "missing"):
            assert expected["totals"][status] == counts[status]
        assert expected["totals"]["without_at_editor"] == sum(not c["has_at_editor"] for c in comuni)
        assert list(expected["coverage"]) == list(PERMISSION_KEYS)
        for key in PERMISSION_KEYS:
            with_key = sum(c["permissions"][key] > 0 for c in comuni)
            assert expected["coverage"][key] == {"comuni": with_key, "share": round(with_key / len(comuni), 2)}
        for c in comuni:
            assert list(c["permissions"]) == list(PERMISSION_KEYS)
            assert c["has_at_editor"] == (c["permissions"]["amministrazione_trasparente"] > 0)
            assert (c["first_response"] is None) == (c["status"] in ("pending", "missing"))
            assert max(c["permissions"].values(), default=0) <= c["editors"]


# -- rows.csv: every input row exactly once, with its fate ------------------------------------------


@pytest.mark.parametrize("scenario", ["sheet_csv", "sheet_xlsx"])
def test_sheet_rows_csv_accounts_for_every_row_once(outputs: dict[str, Path], scenario: str) -> None:
    rows = _table(outputs[scenario] / "rows.csv")
    numbers = [int(r["row"]) for r in rows]
    assert sorted(numbers) == list(range(2, 31))
    assert len(numbers) == len(set(numbers))
    assert {int(r["row"]): r["outcome"] for r in rows} == SHEET_OUTCOMES
    assert {int(r["row"]): r["replaced_by"] for r in rows if r["replaced_by"]} == SHEET_REPLACED_BY


def test_sheet_rows_csv_a_week_before_the_deadline(outputs: dict[str, Path]) -> None:
    rows = _table(outputs["sheet_week_before"] / "rows.csv")
    assert sorted(int(r["row"]) for r in rows) == list(range(2, 31))
    assert {int(r["row"]): r["outcome"] for r in rows} == SHEET_WEEK_BEFORE_OUTCOMES
    assert {int(r["row"]): r["replaced_by"] for r in rows if r["replaced_by"]} == SHEET_WEEK_BEFORE_REPLACED_BY


def test_sheet_reminders_a_week_before_the_deadline(outputs: dict[str, Path]) -> None:
    reminders = _table(outputs["sheet_week_before"] / "reminders.csv")
    assert sorted((r["comune"], r["code"], r["status"], r["days_late"]) for r in reminders) == [
        ("Castel San Giorgio", "065034", "pending", "0"),  # only an "Other" answer so far
        ("Ottaviano", "063051", "pending", "0"),
        ("Paterno", "076100", "on_time", "0"),
        ("Pomigliano d'Arco", "063057", "on_time", "0"),  # its AT editor answers on 20/9
        ("San Teodoro", "083090", "pending", "0"),
        ("Sassano", "065136", "pending", "0"),
    ]


def test_open_data_rows_csv_accounts_for_every_row_once(outputs: dict[str, Path]) -> None:
    rows = _table(outputs["open_data"] / "rows.csv")
    numbers = [int(r["row"]) for r in rows]
    assert sorted(numbers) == list(range(2, 16))
    assert len(numbers) == len(set(numbers))
    assert {int(r["row"]): r["outcome"] for r in rows} == OPEN_DATA_OUTCOMES
    assert {int(r["row"]): r["replaced_by"] for r in rows if r["replaced_by"]} == OPEN_DATA_REPLACED_BY


def test_form_download_rows_csv_accounts_for_every_row_once(outputs: dict[str, Path]) -> None:
    rows = _table(outputs["form_download"] / "rows.csv")
    numbers = [int(r["row"]) for r in rows]
    assert sorted(numbers) == list(range(2, 13))
    assert len(numbers) == len(set(numbers))
    assert {int(r["row"]): r["outcome"] for r in rows} == FORM_OUTCOMES
    assert {int(r["row"]): r["replaced_by"] for r in rows if r["replaced_by"]} == FORM_REPLACED_BY
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[4]["timestamp"] == "2023-09-07T12:30:00+02:00"  # 12:30 PM is half past noon
    assert by_row[9]["timestamp"] == "2023-09-14T00:00:20+02:00"  # 12:00:20 AM is just after midnight


def test_rows_csv_keeps_the_typed_comune_and_the_matched_one(outputs: dict[str, Path]) -> None:
    rows = {int(r["row"]): r for r in _table(outputs["sheet_csv"] / "rows.csv")}
    assert rows[11]["comune"] == "Roccadaspide"  # the typo, read as the listed comune
    assert rows[4]["comune"] == "Sant'Arsenio"
    assert rows[9]["comune"] == "Paternò"
    assert rows[7]["comune"] == "Paterno"
    assert rows[21]["timestamp"] == "2023-09-13T23:59:59+02:00"
    assert rows[22]["timestamp"] == "2023-09-14T00:00:20+02:00"
    assert rows[24]["timestamp"] == ""  # unreadable: no moment at all


# -- accounts.csv: one row per current employee ------------------------------------------------------


@pytest.mark.parametrize("scenario", ["sheet_csv", "sheet_xlsx"])
def test_sheet_accounts_are_the_current_editors(outputs: dict[str, Path], scenario: str) -> None:
    accounts = _table(outputs[scenario] / "accounts.csv")
    assert len(accounts) == 18
    per_comune = Counter((a["comune"], a["code"]) for a in accounts)
    assert per_comune == {
        ("Montecorvino Rovella", "065073"): 3,
        ("Sant'Arsenio", "065129"): 2,
        ("Pomigliano d'Arco", "063057"): 2,
        ("Paterno", "076100"): 1,
        ("Paternò", "087033"): 2,
        ("Roccadaspide", "065106"): 2,
        ("Vallo della Lucania", "065154"): 2,
        ("Castel San Giorgio", "065034"): 1,
        ("San Teodoro", "083090"): 1,
        ("San Teodoro", "090092"): 1,
        ("Sassano", "065136"): 1,
    }
    surnames = {a["surname"].casefold() for a in accounts}
    # Replaced, invalid, unmatched and after-as_of rows give no account.
    for absent in ("vitale", "lauricella", "lauria", "ambrosio", "noschese"):
        assert absent not in surnames

    ferrara = _by(accounts, surname="Ferrara")  # the correction of row 6 removed the newsletter
    assert ferrara["email"].casefold() == "a.ferrara@comune.montecorvinorovella.sa.it"
    assert ferrara["fiscal_code"] == "FRRNTN75C12F481D"
    assert [ferrara[k] for k in PERMISSION_KEYS] == ["1", "0", "1", "0", "0", "0", "0"]
    assert ferrara["response_time"] == "2023-08-31T09:30:00+02:00"

    cobucci = [a for a in accounts if a["surname"].casefold() == "cobucci"]
    assert len(cobucci) == 1  # identified by name, no email: rows 13 and 17 are one employee
    assert cobucci[0]["email"] == ""
    assert cobucci[0]["fiscal_code"] == "CBCPQL66D27L628H"
    assert [cobucci[0][k] for k in PERMISSION_KEYS] == ["0", "0", "0", "0", "0", "1", "1"]
    assert cobucci[0]["response_time"] == "2023-09-11T09:47:31+02:00"

    pepe = _by(accounts, surname="Pepe")
    assert [pepe[k] for k in PERMISSION_KEYS] == ["1", "0", "1", "0", "0", "1", "1"]
    assert pepe["response_time"] == "2023-09-15T10:30:00+02:00"

    pierri = _by(accounts, surname="Pierri")  # the "Other" text is dropped, the rest kept
    assert [pierri[k] for k in PERMISSION_KEYS] == ["1", "0", "1", "0", "0", "0", "0"]
    assert pierri["response_time"] == "2023-09-13T23:59:59+02:00"

    mura = _by(accounts, surname="Mura")
    assert (mura["comune"], mura["code"], mura["province"]) == ("San Teodoro", "090092", "SS")
    calabro = _by(accounts, surname="Calabrò")  # row 27 only: row 15 was ambiguous
    assert (calabro["comune"], calabro["code"], calabro["province"]) == ("San Teodoro", "083090", "ME")
    assert calabro["response_time"] == "2023-09-25T10:05:00+02:00"


def test_open_data_accounts_are_the_current_editors(outputs: dict[str, Path]) -> None:
    accounts = _table(outputs["open_data"] / "accounts.csv")
    assert Counter(a["comune"] for a in accounts) == {
        "Barrafranca": 3,
        "Enna": 1,
        "Pomigliano d'Arco": 1,
        "Paternò": 1,
        "Nola": 1,
        "Leonforte": 1,
    }
    esposito = _by(accounts, surname="Esposito")
    assert (esposito["code"], esposito["province"]) == ("063057", "NA")
    assert esposito["email"].casefold() == "c.esposito@comune.pomiglianodarco.na.it"
    assert [esposito[k] for k in PERMISSION_KEYS] == ["1", "0", "1", "0", "0", "1", "0"]
    assert esposito["response_time"] == "2023-10-12T09:30:00+02:00"
    ingala = _by(accounts, surname="Ingala")
    assert (ingala["comune"], ingala["code"], ingala["province"]) == ("Barrafranca", "086004", "EN")


def test_form_download_accounts_are_the_current_editors(outputs: dict[str, Path]) -> None:
    accounts = _table(outputs["form_download"] / "accounts.csv")
    assert sorted((a["comune"], a["code"]) for a in accounts) == [
        ("Acerra", "063001"),
        ("Cava de’ Tirreni", "065037"),
        ("Nola", "063050"),
        ("Pagani", "065088"),
        ("Sant'Egidio del Monte Albino", "065130"),
        ("Sarno", "065135"),
    ]
    nola = _by(accounts, comune="Nola")
    assert nola["email"].casefold() == "f.napolitano@comune.nola.na.it"
    assert [nola[k] for k in PERMISSION_KEYS] == ["1", "1", "1", "0", "0", "0", "0"]
    assert nola["response_time"] == "2023-09-12T16:55:30+02:00"
    acerra = _by(accounts, comune="Acerra")
    assert " ".join(acerra["full_name"].split()).casefold() == "anna di buono"
    assert acerra["email"] == ""
    assert [acerra[k] for k in PERMISSION_KEYS] == ["0", "0", "1", "1", "1", "0", "0"]
    assert acerra["response_time"] == "2023-09-15T09:00:00+02:00"
    pagani = _by(accounts, comune="Pagani")
    assert [pagani[k] for k in PERMISSION_KEYS] == ["1", "0", "0", "0", "0", "0", "0"]
    assert pagani["response_time"] == "2023-09-14T00:00:20+02:00"


# -- reminders.csv: who to chase -----------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["sheet_csv", "sheet_xlsx"])
def test_sheet_reminders(outputs: dict[str, Path], scenario: str) -> None:
    reminders = _table(outputs[scenario] / "reminders.csv")
    assert sorted((r["comune"], r["code"], r["province"], r["status"]) for r in reminders) == [
        ("Ottaviano", "063051", "NA", "missing"),
        ("Paterno", "076100", "PZ", "on_time"),  # answered, but no Amministrazione Trasparente editor
    ]
    ottaviano = _by(reminders, comune="Ottaviano")
    assert ottaviano["days_late"] == "16"  # 13/9 -> 29/9
    assert ottaviano["contact"] == "protocollo@comune.ottaviano.na.it"  # from the comuni list
    paterno = _by(reminders, comune="Paterno")
    assert paterno["days_late"] == "0"
    # No email in the comuni list: the address that filled the form, marked as such.
    assert paterno["contact"] == "anagrafe@comune.paterno.pz.it"
    assert paterno["contact_source"] != ottaviano["contact_source"]
    assert "Amministrazione Trasparente" in paterno["missing_permissions"]
    assert "Demografico" not in paterno["missing_permissions"]


def test_open_data_reminders(outputs: dict[str, Path]) -> None:
    reminders = _table(outputs["open_data"] / "reminders.csv")
    assert sorted((r["comune"], r["code"], r["province"], r["status"]) for r in reminders) == [
        ("Leonforte", "086011", "EN", "on_time"),
        ("Paterno", "076100", "PZ", "pending"),
        ("Piazza Armerina", "086014", "EN", "pending"),
        ("Villarosa", "086020", "EN", "pending"),
    ]
    assert {r["days_late"] for r in reminders} == {"0"}
    # The open data has no contacts: Leonforte is reached through the address that filled the form.
    assert _by(reminders, comune="Leonforte")["contact"] == "protocollo@comune.leonforte.en.it"
    assert _by(reminders, comune="Villarosa")["contact"] == ""


def test_form_download_reminders(outputs: dict[str, Path]) -> None:
    reminders = _table(outputs["form_download"] / "reminders.csv")
    assert sorted((r["comune"], r["code"], r["province"], r["status"], r["days_late"]) for r in reminders) == [
        ("Ottaviano", "063051", "NA", "missing", "7"),  # 13/9 -> as_of 20/9
        ("Pagani", "065088", "SA", "late", "1"),  # first response 14/9
        ("Sant'Egidio del Monte Albino", "065130", "SA", "late", "5"),  # first response 18/9, no AT editor
    ]
    assert _by(reminders, comune="Ottaviano")["contact"] == "protocollo@pec.comune.ottaviano.na.it"
    assert _by(reminders, comune="Pagani")["contact"] == "protocollo@pec.comune.pagani.sa.it"
    # No PEC in the list: the address that filled the form.
    egidio = _by(reminders, comune="Sant'Egidio del Monte Albino")
    assert egidio["contact"] == "segreteria@comune.santegidiodelmontealbino.sa.it"


# -- comuni.csv: provinces and codes read as text --------------------------------------------------------


def test_open_data_provinces_and_codes(outputs: dict[str, Path]) -> None:
    comuni = _table(outputs["open_data"] / "comuni.csv")
    assert [(c["name"], c["code"], c["province"]) for c in comuni] == [
        ("Barrafranca", "086004", "EN"),
        ("Enna", "086009", "EN"),
        ("Pomigliano d'Arco", "063057", "NA"),  # empty provincia: from cod_provincia 063
        ("Piazza Armerina", "086014", "EN"),
        ("Paternò", "087033", "CT"),
        ("Paterno", "076100", "PZ"),
        ("Nola", "063050", "NA"),  # "NA" is Napoli, not a missing value
        ("Villarosa", "086020", "EN"),
        ("Leonforte", "086011", "EN"),
    ]


def test_sheet_provinces_and_codes(outputs: dict[str, Path]) -> None:
    comuni = _table(outputs["sheet_csv"] / "comuni.csv")
    assert [(c["name"], c["code"], c["province"]) for c in comuni] == [
        ("Montecorvino Rovella", "065073", "SA"),
        ("Sant'Arsenio", "065129", "SA"),
        ("Pomigliano d'Arco", "063057", "NA"),
        ("Paterno", "076100", "PZ"),
        ("Paternò", "087033", "CT"),
        ("Roccadaspide", "065106", "SA"),
        ("Vallo della Lucania", "065154", "SA"),
        ("Castel San Giorgio", "065034", "SA"),
        ("San Teodoro", "083090", "ME"),
        ("San Teodoro", "090092", "SS"),
        ("Ottaviano", "063051", "NA"),
        ("Sassano", "065136", "SA"),
    ]
    assert _by(comuni, name="Sassano")["days_late"] == "1"  # first response 14/9 0.00.20
    assert _by(comuni, code="083090")["days_late"] == "12"  # first response 25/9
    assert _by(comuni, name="Ottaviano")["days_late"] == "16"  # none by as_of 29/9


def test_form_download_codes_get_back_their_leading_zeros(outputs: dict[str, Path]) -> None:
    comuni = _table(outputs["form_download"] / "comuni.csv")
    assert [(c["name"], c["code"], c["province"]) for c in comuni] == [
        ("Nola", "063050", "NA"),
        ("Ottaviano", "063051", "NA"),
        ("Acerra", "063001", "NA"),
        ("Sant'Egidio del Monte Albino", "065130", "SA"),
        ("Cava de’ Tirreni", "065037", "SA"),
        ("Pagani", "065088", "SA"),
        ("Sarno", "065135", "SA"),
    ]


def test_comuni_xlsx_is_generated_by_its_script() -> None:
    from openpyxl import load_workbook

    script = runpy.run_path(str(ROOT / "tools" / "make_golden_xlsx.py"))
    cells = list(load_workbook(FORM / "comuni.xlsx").active.iter_rows(values_only=True))
    assert cells == [script["HEADER"], *script["COMUNI"]]


def test_xlsx_is_generated_from_the_csv() -> None:
    """The committed XLSX is what tools/make_golden_xlsx.py builds from the committed CSV."""
    from openpyxl import load_workbook

    committed = load_workbook(SHEET / "risposte.xlsx").active
    with (SHEET / "risposte.csv").open(encoding="utf-8", newline="") as handle:
        source = list(csv.reader(handle))
    values = [list(r) for r in committed.iter_rows(values_only=True)]
    assert len(values) == len(source)
    assert values[0] == source[0]
    for typed, cells in zip(source[1:], values[1:], strict=True):
        assert [c or "" for c in cells[1:]] == typed[1:]
        stamp = cells[0]
        if isinstance(stamp, str):
            assert stamp == typed[0] == "31/9/2023 10.00.00"
        else:
            assert f"{stamp.day}/{stamp.month}/{stamp.year} {stamp.hour}.{stamp:%M.%S}" == typed[0]


@pytest.mark.parametrize("locale", ["it", "en"])
def test_form_download_with_italian_headers_and_gmt_offsets(tmp_path: Path, locale: str) -> None:
    """The same download from an Italian-locale account (its own system headers) or with the zone
    written as an offset (``GMT+2``) gives the same status."""
    text = (FORM / "risposte_modulo.csv").read_text(encoding="utf-8").replace(" CEST", " GMT+2")
    if locale == "it":
        text = text.replace('"Timestamp","Email Address"', '"Informazioni cronologiche","Indirizzo email"', 1)
    (tmp_path / "risposte_modulo.csv").write_text(text, encoding="utf-8")
    shutil.copy(FORM / "comuni.xlsx", tmp_path / "comuni.xlsx")
    out = tmp_path / "out"
    args = ["report", "--comuni", str(tmp_path / "comuni.xlsx"), "--submissions", str(tmp_path / "risposte_modulo.csv")]
    assert cli.main([*args, "--deadline", "2023-09-13", "--as-of", "2023-09-20T18:00:00+02:00", "--out", str(out)]) == 0
    assert _status(out) == _expected(FORM)
