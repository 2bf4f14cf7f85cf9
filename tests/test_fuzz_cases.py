"""The bad inputs of docs/bad-input.md, one by one, with exactly what each gets."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from conftest import COMUNI_CSV, responses
from data_sources import SourceError, read_source
from rollout.cli import main
from rollout.config import Config, parse_as_of, parse_config, parse_deadline
from rollout.errors import InputError
from rollout.pipeline import prepare
from rollout.status import Settings

SETTINGS = Settings(parse_deadline("2023-09-13"), parse_as_of("2023-09-29T12:00:00"), "Europe/Rome")
OK_LINE = "1/9/2023 10.00.00,a@b.it,Paterno,Rossi,Mario,,Editor Sito Web"
COMUNI = COMUNI_CSV.encode()
MISSING_TIME_AND_COMUNE = (
    'Risposte al modulo: manca la colonna data/ora della risposta ("Informazioni cronologiche"), comune.'
)
HINT = "Indica il nome esatto della colonna nella configurazione (sezione [columns])."


def form(*lines: str) -> bytes:
    return responses(*lines).encode("utf-8")


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def source(data: bytes, name: str):
    buffer = io.BytesIO(data)
    buffer.name = name
    return read_source(buffer)


def outcome(comuni: bytes, answers: bytes, settings: Settings = SETTINGS) -> str | dict:
    """The error message, or the outcome counts, reasons and notes of the snapshot."""
    try:
        prepared = prepare(Config(), source(comuni, "comuni.csv"), source(answers, "risposte.csv"))
    except (InputError, SourceError) as err:
        return str(err)
    snap = prepared.at(settings)
    return {
        "outcomes": {k: v for k, v in snap.outcome_counts.items() if v},
        "reasons": [r for r in snap.rows["reason"] if r],
        "notes": [*prepared.comuni.notes, *prepared.responses.notes],
        "excluded": prepared.comuni.excluded.values.tolist(),
    }


def counted(n: int = 1, **extra) -> dict:
    return {"outcomes": {"counted": n}, "reasons": [], "notes": [], "excluded": []} | extra


CASES = {
    "empty file": (COMUNI, b"", "Il file risposte.csv è vuoto."),
    "blank lines only": (COMUNI, b"\n \n\t\n", "Il file risposte.csv è vuoto."),
    "a BOM and nothing else": (COMUNI, b"\xef\xbb\xbf", "Il file risposte.csv è vuoto."),
    "quotes and delimiters only": (COMUNI, b'"",""\n,\n\n', "Il file risposte.csv è vuoto."),
    "binary content": (
        COMUNI,
        bytes(range(256)),
        "risposte.csv non è un file di testo CSV né un file XLSX (contenuto binario).",
    ),
    "a web page": (
        COMUNI,
        b"<!DOCTYPE html><html><body>Accedi</body></html>",
        "risposte.csv contiene una pagina web (HTML), non un CSV: se è un link a un foglio Google, verifica che "
        "sia condiviso e che il link sia quello di esportazione CSV.",
    ),
    "an Excel 97-2003 file": (
        COMUNI,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
        "risposte.csv è un file Excel 97-2003 (.xls), non supportato: salvalo come .xlsx o .csv e riprova.",
    ),
    "a damaged XLSX": (
        COMUNI,
        b"PK\x03\x04garbage",
        "risposte.csv non è un file XLSX leggibile: è danneggiato o incompleto. Scaricalo o salvalo di nuovo "
        "(o come CSV) e riprova.",
    ),
    "an empty XLSX sheet": (COMUNI, xlsx([]), "Il foglio di risposte.csv è vuoto."),
    "header only": (COMUNI, form(), {"outcomes": {}, "reasons": [], "notes": [], "excluded": []}),
    "no header row": (
        COMUNI,
        (OK_LINE + "\n").encode(),
        f"{MISSING_TIME_AND_COMUNE} Colonne trovate nella riga 1: (la riga contiene dati, non intestazioni: "
        f"manca la riga delle intestazioni?). {HINT}",
    ),
    "a needed column missing": (
        COMUNI,
        b"Data,Nome\n1/9/2023,Mario\n",
        f"Risposte al modulo: manca la colonna comune. Colonne trovate nella riga 1: 'Data', 'Nome'. {HINT}",
    ),
    "duplicate headers": (
        COMUNI,
        b"Informazioni cronologiche,Comune,Comune,Nome e cognome,Permessi\n"
        b"1/9/2023 10.00.00,Paterno,Aosta,Rossi Mario,Editor Sito Web\n",
        counted(),
    ),
    "empty headers": (
        COMUNI,
        b"Informazioni cronologiche,,Comune,Nome e cognome,Permessi,\n"
        b"1/9/2023 10.00.00,x,Paterno,Rossi Mario,Editor Sito Web,y\n",
        counted(),
    ),
    "UTF-16 (Excel's Unicode text)": (COMUNI, responses(OK_LINE).encode("utf-16"), counted()),
    "cp1252 (Excel's CSV)": (COMUNI, responses(OK_LINE.replace("Paterno", "Paternò")).encode("cp1252"), counted()),
    "UTF-8 and cp1252 lines in one file": (
        COMUNI,
        form(OK_LINE.replace("Paterno", "Paternò"))
        + OK_LINE.replace("Paterno", "Paternò").replace("Mario", "Ugo").encode("cp1252"),
        counted(2),
    ),
    "old Mac line endings (CR)": (COMUNI, form(OK_LINE).replace(b"\n", b"\r"), counted()),
    "rows longer than the header": (
        COMUNI,
        form(OK_LINE + ",in più,ancora"),
        counted(
            notes=[
                "1 righe hanno più celle dell'intestazione: le celle in eccesso sono state unite nell'ultima colonna."
            ]
        ),
    ),
    "formulas in cells": (
        COMUNI,
        form(
            '1/9/2023 10.00.00,a@b.it,"=HYPERLINK(""http://x"",""Paterno"")",Rossi,Mario,,Editor Sito Web',
            "1/9/2023 10.00.00,a@b.it,Paterno,=1+1,@SUM(A1),,Editor Sito Web",
        ),
        {
            "outcomes": {"counted": 1, "unmatched": 1},
            "notes": [],
            "excluded": [],
            "reasons": [
                'comune non riconosciuto: \'=HYPERLINK("http://x","Paterno")\' non corrisponde a nessun comune dell\'elenco'
            ],
        },
    ),
    "dates out of range": (
        COMUNI,
        form(
            "31/02/2023 10.00.00,a@b.it,Paterno,Rossi,Mario,,Editor Sito Web",
            "1/1/1800 10:00,a@b.it,Paterno,Rossi,Luca,,Editor Sito Web",
            "0001-01-01,a@b.it,Paterno,Rossi,Ugo,,Editor Sito Web",
            "1/9/2023 25.00.00,a@b.it,Paterno,Rossi,Ada,,Editor Sito Web",
        ),
        {
            "outcomes": {"invalid": 4},
            "notes": [],
            "excluded": [],
            "reasons": [
                f"data/ora della risposta illeggibile: '{t}'"
                for t in ("31/02/2023 10.00.00", "1/1/1800 10:00", "0001-01-01", "1/9/2023 25.00.00")
            ],
        },
    ),
    "comuni list: duplicates and empty names": (
        b"Comune,Provincia\nPaterno,PZ\n,PZ\nPaterno,PZ\n-,\nAosta,AO\n",
        form(OK_LINE),
        counted(
            notes=["1 riga duplicata nell'elenco dei comuni, conteggiata una volta sola: riga 4 (= riga 2)."],
            excluded=[
                [3, "", "nome del comune mancante"],
                [4, "Paterno", "duplicato della riga 2"],
                [5, "-", "nome del comune mancante"],
            ],
        ),
    ),
    "comuni list: no name at all": (
        b"Comune,Provincia\n,PZ\n",
        form(OK_LINE),
        "L'elenco dei comuni (comuni.csv) non contiene nessun comune partecipante.",
    ),
    "comuni list: header only": (
        b"Comune,Provincia\n",
        form(OK_LINE),
        "L'elenco dei comuni (comuni.csv) non contiene nessun comune partecipante.",
    ),
    "comuni list: no name column": (
        b"Codice,Provincia\n076100,PZ\n",
        form(OK_LINE),
        f"Elenco comuni: manca la colonna nome del comune. Colonne trovate nella riga 1: 'Codice', 'Provincia'. {HINT}",
    ),
    "open data: other bodies and withdrawn candidatures": (
        b"codice_ipa,ente,tipologia_ente,comune,cod_comune,provincia,stato_candidatura\n"
        b"c_g386,Comune di Paterno,Comuni,Paterno,076100,PZ,F\n"
        b"c_x,Unione dei comuni,Unioni di comuni,Paterno,,PZ,F\n"
        b"c_y,Comune di Aosta,Comuni,Aosta,007003,AO,R\n",
        form(OK_LINE),
        counted(
            excluded=[
                [3, "Paterno", "non è un comune (tipologia_ente: Unioni di comuni)"],
                [4, "Aosta", "candidatura ritirata (stato_candidatura R)"],
            ]
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case):
    comuni, answers, expected = CASES[case]
    assert outcome(comuni, answers) == expected


CONFIG_CASES = {
    "unknown key": ({"deadlne": "2023-09-13"}, "Chiave sconosciuta nella configurazione: deadlne."),
    "bad deadline": ({"deadline": "13 settembre"}, "Scadenza non valida: '13 settembre'."),
    "unknown time zone": ({"timezone": "Europe/Roma"}, "Fuso orario sconosciuto nella configurazione: 'Europe/Roma'."),
    "password in rollout.toml": ({"access": {"password": "x"}}, "La password non va in rollout.toml"),
    "bad allowlist entry": ({"access": {"allowed": ["comune.it"]}}, "In [access] \"allowed\" la voce 'comune.it'"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_configuration(case):
    data, start = CONFIG_CASES[case]
    with pytest.raises(InputError) as err:
        parse_config(data, Path("/progetto"))
    assert str(err.value).startswith(start)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("deadline = = 2023\n", "errore: Il file di configurazione rollout.toml non è TOML valido: Invalid value (at line 1, column 12).\n"),
        (b"\xff\xfe\x00garbage", "errore: Il file di configurazione rollout.toml non è TOML valido: "),
        ('deadline = 2023-09-13\ncomuni = "comuni.csv"\n', "errore: Configurazione incompleta: manca submissions (vedi docs/configuration.md, «Top-level keys»).\n"),
    ],
)  # fmt: skip
def test_the_command_line_says_one_line(tmp_path, capsys, config, message):
    path = tmp_path / "rollout.toml"
    path.write_bytes(config if isinstance(config, bytes) else config.encode())
    assert main(["report", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(message) and err.count("\n") == 1
