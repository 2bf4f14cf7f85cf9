"""The comuni list: the PM's own sheet or the PA digitale 2026 open-data file, read as it comes."""

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from conftest import grid
from data_sources import read_source
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
    expected = pd.DataFrame(
        [
            [2, "Cefalù", "082027", "PA"],
            [3, "Melito di Napoli", "063045", "NA"],  # empty provincia: taken from cod_provincia 063
        ],
        columns=["row", "name", "code", "province"],
    )
    assert_frame_equal(comuni.frame[expected.columns], expected)
    expected = pd.DataFrame(
        [
            [4, "Caivano", "candidatura ritirata (stato_candidatura R)"],
            [5, "Aosta", "non è un comune (tipologia_ente: Altri Enti)"],
            [6, "Cefalù", "duplicato della riga 2"],
        ],
        columns=["row", "name", "reason"],
    )
    assert_frame_equal(comuni.excluded, expected)


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
    expected = pd.DataFrame(
        [
            [3, "Comune di Aosta", "007003", "AO", "m.rossi@comune.aosta.it", "m.rossi@comune.aosta.it"],
            [4, "Melito di Napoli", "063045", "NA", "", "non ho email"],
        ],
        columns=["row", "name", "code", "province", "contact_email", "contact_raw"],
    )
    assert_frame_equal(comuni.frame[expected.columns], expected)
    expected = pd.DataFrame(
        [
            [5, "", "riga vuota"],
            [6, "", "nome del comune mancante"],
            [7, "Aosta", "duplicato della riga 3"],
        ],
        columns=["row", "name", "reason"],
    )
    assert_frame_equal(comuni.excluded, expected)
    assert "1 codice ISTAT aveva perso gli zeri iniziali: completato a 6 cifre." in comuni.notes


def test_province_from_the_cadastral_code():
    comuni = load_comuni(grid("Comune,Codice catastale\nBaronissi,a674\n"))
    expected = pd.DataFrame([["A674", "SA"]], columns=["code", "province"])
    assert_frame_equal(comuni.frame[expected.columns], expected)


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


ACCEPTED = ",A,2022-08-19,1.4.1 Esperienza del cittadino nei servizi pubblici"


def test_open_data_placeholder_codes_are_no_code_and_duplicates_name_their_rows():
    """Rows as PA digitale 2026 publishes them: merged comuni with `N/D`, the Caines/Rifiano pair,
    an empty `comune` whose `ente` and code are there, `0`, `-`, `n.d.` and `#N/D` codes."""
    text = open_data(
        f"c_m431,Comune di Setteville,Comune,Setteville,N/D,RM,058,Lazio,12{TAIL}{ACCEPTED}",
        f"c_m432,Comune di Santa Caterina d'Este,Comune,Santa Caterina d'Este,N/D,PD,028,Veneto,05{TAIL}{ACCEPTED}",
        f"c_h284,Comune di Caines,Comune,Rifiano,021073,BZ,021,Trentino-Alto Adige,04{TAIL}{ACCEPTED}",
        f"c_h284,Comune di Rifiano,Comune,Rifiano,021073,BZ,021,Trentino-Alto Adige,04{TAIL}{ACCEPTED}",
        f"c_b180,Comune di Brisighella,Comune,,039004,RA,039,Emilia-Romagna,08{TAIL}{ACCEPTED}",
        f"c_m433,Comune di Valbrenta,Comune,Valbrenta,0,VI,024,Veneto,05{TAIL}{ACCEPTED}",
        f"c_m434,Comune di Val di Zoldo,Comune,Val di Zoldo,-,BL,025,Veneto,05{TAIL}{ACCEPTED}",
        f"c_m435,Comune di Borgo Virgilio,Comune,Borgo Virgilio,n.d.,MN,020,Lombardia,03{TAIL}{ACCEPTED}",
        f"c_m436,Comune di Alpago,Comune,Alpago,#N/D,BL,025,Veneto,05{TAIL}{ACCEPTED}",
        f"c_m437,Comune di Setteville,Comune,Setteville,ND,RM,058,Lazio,12{TAIL}{ACCEPTED}",
        f"c_l219,Comune di None,Comune,None,001168,TO,001,Piemonte,01{TAIL}{ACCEPTED}",
        f"c_d969,Comune di Genova,,Genova,010025,GE,010,Liguria,07{TAIL}{ACCEPTED}",
        f"istsc_geic81000a,Istituto Comprensivo Genova Centro,,Genova,010025,GE,010,Liguria,07{TAIL}{ACCEPTED}",
    )
    comuni = load_comuni(grid(text))
    expected = pd.DataFrame(
        [
            [2, "Setteville", "", "RM"],
            [3, "Santa Caterina d'Este", "", "PD"],  # same placeholder code, another comune
            [4, "Rifiano", "021073", "BZ"],
            [6, "Brisighella", "039004", "RA"],  # empty `comune`: named by `ente`
            [7, "Valbrenta", "", "VI"],
            [8, "Val di Zoldo", "", "BL"],
            [9, "Borgo Virgilio", "", "MN"],
            [10, "Alpago", "", "BL"],
            [12, "None", "001168", "TO"],  # a real comune (TO), not a missing value
            [13, "Genova", "010025", "GE"],  # no tipologia_ente: `ente` says "Comune di"
        ],
        columns=["row", "name", "code", "province"],
    )
    assert_frame_equal(comuni.frame[expected.columns], expected)
    expected = pd.DataFrame(
        [
            [5, "Rifiano", "duplicato della riga 4"],
            [11, "Setteville", "duplicato della riga 2"],
            [14, "Genova", "non è un comune (tipologia_ente: vuota)"],
        ],
        columns=["row", "name", "reason"],
    )
    assert_frame_equal(comuni.excluded, expected)
    assert comuni.notes == (
        "2 righe duplicate nell'elenco dei comuni, conteggiate una volta sola: righe 5 (= riga 4), 11 (= riga 2).",
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('="007003"', "007003"),  # Excel's way of keeping the zeros in a CSV
        ("'007003", "007003"),  # a text marker pasted with the value
        ("7003.0", "007003"),  # a code that went through a float
        ("7003", "007003"),
        ("000000", ""),
        ("N/A", ""),
        ("", ""),
    ],
)
def test_codes_as_spreadsheets_mangle_them(code, expected):
    text = f'Comune,Provincia,Codice ISTAT\nAosta,AO,"{code.replace(chr(34), chr(34) * 2)}"\n'
    assert load_comuni(grid(text)).frame["code"].tolist() == [expected]


def test_a_row_without_code_is_the_same_comune_as_the_coded_row():
    comuni = load_comuni(grid("Comune,Provincia,Codice ISTAT\nNola,NA,063047\nAosta,AO,\nNola,NA,N/D\nNola,,\n"))
    expected = pd.DataFrame(
        [
            [2, "Nola", "063047", "NA"],  # province "NA" is Napoli, never a placeholder
            [3, "Aosta", "", "AO"],
            [5, "Nola", "", ""],  # no province, no code: cannot be told from a Nola elsewhere
        ],
        columns=["row", "name", "code", "province"],
    )
    assert_frame_equal(comuni.frame[expected.columns], expected)
    expected = pd.DataFrame([[4, "Nola", "duplicato della riga 2"]], columns=["row", "name", "reason"])
    assert_frame_equal(comuni.excluded, expected)


def test_totals_and_repeated_headers_are_never_comuni():
    text = (
        "Comune,Provincia,Codice ISTAT,Referente\n"
        "(nome),(sigla),(codice),(nome e cognome)\n"
        "Aosta,AO,007003,Mario Rossi\n"
        "Somma Lombardo,VA,012122,\n"
        "Comune,Provincia,Codice ISTAT,Referente\n"
        "Nola,NA,063047,\n"
        "Totale comuni: 130,,,\n"
        "TOTALE,,,\n"
        "Totale,2,,\n"
        "Tot.,3,,\n"
        "Comune di None,TO,001168,\n"
    )
    comuni = load_comuni(grid(text))
    assert comuni.frame["name"].tolist() == ["Aosta", "Somma Lombardo", "Nola", "Comune di None"]
    expected = pd.DataFrame(
        [
            [2, "(nome)", "intestazione ripetuta, non un comune"],
            [5, "Comune", "intestazione ripetuta, non un comune"],
            [7, "Totale comuni: 130", "riga dei totali, non un comune"],
            [8, "TOTALE", "riga dei totali, non un comune"],
            [9, "Totale", "riga dei totali, non un comune"],
            [10, "Tot.", "riga dei totali, non un comune"],
        ],
        columns=["row", "name", "reason"],
    )
    assert_frame_equal(comuni.excluded, expected)
    assert comuni.notes == (
        "4 righe dei totali nell'elenco dei comuni (righe 7, 8, 9, 10): non sono comuni.",
        "2 intestazioni ripetute nell'elenco dei comuni (righe 2, 5): non sono comuni.",
    )


TOTALS = ["Grand Total", "GRAND TOTAL:", "Total", "Totals", "Sum", "Sum: 12", "Subtotal", "Sub-total",
          "Totale generale", "Tot. generale", "Totale complessivo", "Somma", "Somma: 130", "Somma totale",
          "Subtotale:", "Risultato totale", "Total Result", "Somma di Dipendenti", "COUNTA of Comune",
          "Conteggio di Comune", "N° comuni", "In totale"]  # fmt: skip


def test_english_and_italian_totals_are_never_comuni():
    text = "Comune,Provincia,Codice ISTAT\nAosta,AO,007003\n" + "".join(f'"{t}",,\n' for t in TOTALS)
    text += "Somma Vesuviana,NA,063079\nSumirago,VA,012125\nTotalità,,\n"
    comuni = load_comuni(grid(text))
    assert comuni.frame["name"].tolist() == ["Aosta", "Somma Vesuviana", "Sumirago", "Totalità"]
    expected = pd.DataFrame(
        [[3 + i, t, "riga dei totali, non un comune"] for i, t in enumerate(TOTALS)],
        columns=["row", "name", "reason"],
    )
    assert_frame_equal(comuni.excluded, expected)
    assert comuni.notes == (
        "22 righe dei totali nell'elenco dei comuni (righe 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, … (+12)): non sono comuni.",
    )


def test_no_real_comune_is_a_totals_row():
    """Every name in python-codicefiscale's list (the 7,894 active comuni, the merged and renamed
    ones, the names in a second language: about 10,900) stays a comune."""
    import json

    from rollout.read.reference import _municipalities_file

    items = json.loads(_municipalities_file().read_text(encoding="utf-8"))
    names = sorted({n for item in items for n in (item["name"], item.get("name_alt")) if n})
    assert len(names) > 10_000 and sum(1 for item in items if item.get("active")) == 7894
    text = "Comune\n" + "".join(f'"{n}"\n' for n in names)
    comuni = load_comuni(grid(text))
    assert comuni.excluded.loc[comuni.excluded["reason"] == "riga dei totali, non un comune"].values.tolist() == []


def test_a_second_header_line_with_other_words_is_not_a_comune():
    text = "Denominazione,Prov.,Cod. ISTAT\nComune,Provincia,Codice\nAosta,AO,007003\n"
    comuni = load_comuni(grid(text))
    assert comuni.frame["name"].tolist() == ["Aosta"]
    expected = pd.DataFrame([[2, "Comune", "intestazione ripetuta, non un comune"]], columns=["row", "name", "reason"])
    assert_frame_equal(comuni.excluded, expected)


def test_rows_that_only_look_like_labels_stay_comuni():
    text = (
        "Denominazione,Prov.,Cod. ISTAT,Gruppo\nComune di Nola,NA,063047,Gruppo A\nComune di Comune,Provincia,,Gruppo\n"
    )
    assert load_comuni(grid(text)).frame["name"].tolist() == ["Comune di Nola", "Comune di Comune"]


ISTAT_HEADER = (
    "Codice Regione;Codice dell'Unità territoriale sovracomunale (valida a fini statistici);"
    "Codice Provincia (Storico)(1);Progressivo del Comune (2);Codice Comune formato alfanumerico;"
    "Denominazione (Italiana e straniera);Denominazione in italiano;Denominazione in altra lingua;"
    "Codice Ripartizione Geografica;Ripartizione geografica;Denominazione Regione;"
    "Denominazione dell'Unità territoriale sovracomunale (valida a fini statistici);"
    "Tipologia di Unità territoriale sovracomunale;"
    "Flag Comune capoluogo di provincia/città metropolitana/libero consorzio;Sigla automobilistica;"
    "Codice Comune formato numerico;Codice Catastale del comune"
)


def test_istat_list_as_published_keeps_every_comune():
    """ISTAT's Elenco-comuni-italiani.csv (semicolons, cp1252): "Progressivo del Comune" is not the
    name, the bilingual "Rifiano/Riffian" is not the Italian name, Sud Sardegna is SU."""
    rows = [
        "04;021;021;073;021073;Rifiano/Riffian;Rifiano;Riffian;2;Nord-est;Trentino-Alto Adige/Südtirol;"
        "Bolzano/Bozen;2;0;BZ;21073;H284",
        "01;001;001;168;001168;None;None;;1;Nord-ovest;Piemonte;Torino;3;0;TO;1168;F931",
        "20;111;111;105;111105;Villa San Pietro;Villa San Pietro;;5;Isole;Sardegna;Sud Sardegna;2;0;SU;111105;M025",
    ]
    data = ("\r\n".join([ISTAT_HEADER, *rows]) + "\r\n").encode("cp1252")
    comuni = load_comuni(read_source(io.BytesIO(data)))
    expected = pd.DataFrame(
        [
            [2, "Rifiano", "021073", "BZ", "Trentino-Alto Adige/Südtirol"],
            [3, "None", "001168", "TO", "Piemonte"],
            [4, "Villa San Pietro", "111105", "SU", "Sardegna"],
        ],
        columns=["row", "name", "code", "province", "region"],
    )
    assert_frame_equal(comuni.frame[expected.columns], expected)
    assert comuni.excluded.empty


HEADER_WORDS = ["Comune", "Nome comune", "COMUNE DI", "Provincia", "Prov.", "Codice", "Email", "Referente",
                "PEC", "Ondata", "Denominazione", "cod. catastale", "Regione"]  # fmt: skip
HEADERISH = st.lists(
    st.one_of(
        st.sampled_from(HEADER_WORDS),
        st.text(alphabet="abcèéAZ 0123456789²٣½-_./'\t", max_size=12),
    ),
    min_size=1,
    max_size=3,
).map(" ".join)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.lists(HEADERISH, min_size=1, max_size=30))
def test_header_labels_on_a_column_equal_the_cell_by_cell_rule(cells):
    """The column form (length and digits checked on the whole column) says exactly what the cell
    by cell rule says: a short text, up to three words, without digits, that reads as a header."""
    from rollout.read.columns import COMUNI_RULES
    from rollout.read.comuni import _labels
    from rollout.read.text import words_series

    folded = words_series(pd.Series(cells, dtype=str))
    for rule in (*COMUNI_RULES, None):
        expected = [
            bool(w) and rule is not None and len(w.split()) <= 3 and not any(c.isdigit() for c in w)
            and bool(rule.matches(w))
            for w in folded
        ]  # fmt: skip
        assert _labels(rule, folded).tolist() == expected
