"""The comuni list: the PM's own sheet or the PA digitale 2026 open-data file, read as it comes."""

import pytest

from conftest import grid
from rollout.errors import InputError
from rollout.read.comuni import load_comuni

OPEN_DATA_HEADER = (
    "codice_ipa,ente,tipologia_ente,comune,cod_comune,provincia,cod_provincia,regione,cod_regione,"
    "importo_finanziamento,avviso,data_invio_candidatura,data_finanziamento,codice_cup,"
    "numero_finestra_temporale,numero_di_protocollo,decreto_finanziamento,stato_candidatura,"
    "data_stato_candidatura,misura"
)
TAIL = ",155234.0,1.4.1 Esperienza del Cittadino - Comuni - Aprile 2022,2022-05-13T07:55:03.000+0000,2022-08-19,I81F22000360006,1,32,Decreto n.32 - 1 / 2022 - PNRR"


def open_data(*rows: str) -> str:
    return "\n".join([OPEN_DATA_HEADER, *rows]) + "\n"


def test_open_data_file():
    text = open_data(
        f"c_c421,Comune di Cefalu',Comune,Cefalù,082027,PA,082,Sicilia,19{TAIL},A,2022-08-19,1.4.1 Esperienza del cittadino nei servizi pubblici",
        f"c_f111,Comune di Melito di Napoli,Comune,Melito di Napoli,063045,,063,Campania,15{TAIL},A,2022-08-19,1.4.1 Esperienza del cittadino nei servizi pubblici",
        f"c_b371,Comune di Caivano,Comune,Caivano,063011,NA,063,Campania,15{TAIL},R,2023-02-01,1.4.1 Esperienza del cittadino nei servizi pubblici",
        f"c_a000,Unione dei Comuni X,Altri Enti,Aosta,007003,AO,007,Valle d'Aosta,02{TAIL},A,2022-08-19,1.4.1 Esperienza del cittadino nei servizi pubblici",
        f"c_c421,Comune di Cefalu',Comune,Cefalù,082027,PA,082,Sicilia,19{TAIL},A,2022-08-19,1.4.1 Esperienza del cittadino nei servizi pubblici",
    )
    comuni = load_comuni(grid(text))
    assert comuni.kind == "open_data"
    assert comuni.frame[["row", "name", "code", "province"]].values.tolist() == [
        [2, "Cefalù", "082027", "PA"],
        [3, "Melito di Napoli", "063045", "NA"],  # empty provincia: taken from cod_provincia 063
    ]
    assert comuni.excluded.values.tolist() == [
        [4, "Caivano", "candidatura ritirata (stato_candidatura R)"],
        [5, "Aosta", "non è un comune (tipologia_ente: Altri Enti)"],
        [6, "Cefalù", "duplicato della riga 2"],
    ]


def test_pm_sheet_with_its_own_headers():
    text = (
        "Elenco comuni lotto 3,,,,\n"
        "Denominazione,Prov.,Cod. ISTAT,Referente,E-mail referente\n"
        "Comune di Aosta,AO,7003,Mario Rossi,m.rossi@comune.aosta.it\n"
        "Melito di Napoli,Napoli,063045,,non ho email\n"
        ",,,,\n"
        ",,,Carla,\n"
        "Aosta,AO,007003,,\n"
    )
    comuni = load_comuni(grid(text))
    assert comuni.frame[["row", "name", "code", "province", "contact_email", "contact_raw"]].values.tolist() == [
        [3, "Comune di Aosta", "007003", "AO", "m.rossi@comune.aosta.it", "m.rossi@comune.aosta.it"],
        [4, "Melito di Napoli", "063045", "NA", "", "non ho email"],
    ]
    assert comuni.excluded.values.tolist() == [
        [5, "", "riga vuota"],
        [6, "", "nome del comune mancante"],
        [7, "Aosta", "duplicato della riga 3"],
    ]
    assert "1 codici ISTAT avevano perso gli zeri iniziali: completati a 6 cifre." in comuni.notes


def test_province_from_the_cadastral_code():
    comuni = load_comuni(grid("Comune,Codice catastale\nBaronissi,a674\n"))
    assert comuni.frame[["code", "province"]].values.tolist() == [["A674", "SA"]]


def test_homonyms_in_two_provinces_are_two_comuni():
    comuni = load_comuni(grid("Comune,Provincia\nCalliano,TN\nCalliano,AT\n"))
    assert len(comuni) == 2


def test_a_list_without_a_name_column_is_rejected_clearly():
    with pytest.raises(
        InputError,
        match="Elenco comuni: manca la colonna nome del comune. Colonne trovate nella riga 1: 'Codice', 'Provincia'",
    ):
        load_comuni(grid("Codice,Provincia\n001,TO\n"))


def test_explicit_column_override():
    comuni = load_comuni(grid("Località,Codice\nAosta,007003\n"), {"name": "Località"})
    assert comuni.frame["name"].tolist() == ["Aosta"]
    with pytest.raises(InputError, match="la colonna 'Città' indicata per 'name'"):
        load_comuni(grid("Località,Codice\nAosta,007003\n"), {"name": "Città"})
