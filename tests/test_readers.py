"""Readers: every cell as text, whatever the encoding, delimiter or format; clear errors."""

import io
import zipfile

import openpyxl
import pytest
from pandas.testing import assert_frame_equal

from conftest import ROOT
from data_sources import SourceError, read_source
from data_sources import http as http_reader
from data_sources.gsheets import sheet_ref
from rollout.errors import InputError
from rollout.read.comuni import load_comuni
from testkit.local_http import serve_routes
from testkit.office_files import encrypted_xlsx, inline, ods, xlsx

HEADER = "Comune;Provincia;Codice ISTAT\r\n"
BODY = "Melito di Napoli;NA;063045\r\nCefalù;PA;082027\r\nAosta;AO;007003\r\n"


def cells(grid):
    return grid.cells.values.tolist()


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + BODY).encode("utf-8"),
        (HEADER + BODY).encode("utf-8-sig"),
        (HEADER + BODY).encode("cp1252"),
        (HEADER + BODY).replace(";", "\t").encode("utf-16"),
        (HEADER + BODY).replace(";", ",").encode("latin-1"),
    ],
    ids=["utf8", "utf8-bom", "cp1252-semicolon", "utf16-tab", "latin1-comma"],
)
def test_csv_encodings_and_delimiters(data):
    grid = read_source(io.BytesIO(data))
    assert cells(grid) == [
        ["Comune", "Provincia", "Codice ISTAT"],
        ["Melito di Napoli", "NA", "063045"],
        ["Cefalù", "PA", "082027"],
        ["Aosta", "AO", "007003"],
    ]
    assert list(grid.cells.index) == [1, 2, 3, 4]


def test_quoted_cells_with_commas_and_newlines_keep_row_numbers():
    text = 'a,b\n"x, y","riga\ndue"\n,\nz,w\n\n\n'
    grid = read_source(io.BytesIO(text.encode()))
    assert cells(grid) == [["a", "b"], ["x, y", "riga\ndue"], ["", ""], ["z", "w"]]
    assert list(grid.cells.index) == [1, 2, 3, 4]


def test_rows_longer_than_the_header_are_kept():
    grid = read_source(io.BytesIO(b"a,b\n1,2,3,4\n5,6\n"))
    assert cells(grid) == [["a", "b"], ["1", "2,3,4"], ["5", "6"]]
    assert grid.notes


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_read_as_text():
    import datetime as dt

    data = _xlsx({
        "Risposte": [
            ["Informazioni cronologiche", "Comune", "Codice", "Numero", "Flag"],
            [dt.datetime(2023, 9, 13, 10, 15, 32), "Melito di Napoli", "063045", 7.0, True],
            [dt.datetime(2023, 9, 13, 23, 59, 59, 500000), "NA", 23021, 0.25, None],
        ],
        "Comuni": [["Comune"], ["Aosta"]],
    })  # fmt: skip
    grid = read_source(io.BytesIO(data))
    assert cells(grid) == [
        ["Informazioni cronologiche", "Comune", "Codice", "Numero", "Flag"],
        ["2023-09-13 10:15:32", "Melito di Napoli", "063045", "7", "TRUE"],
        ["2023-09-13 23:59:59.500000", "NA", "23021", "0.25", ""],
    ]
    assert cells(read_source(io.BytesIO(data), sheet="Comuni")) == [["Comune"], ["Aosta"]]
    with pytest.raises(SourceError, match="Il foglio 'Foglio9' non esiste .*'Risposte', 'Comuni'"):
        read_source(io.BytesIO(data), sheet="Foglio9")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "è vuoto"),
        (b"  \n\n", "è vuoto"),
        (b"\x00\x01\x02binary\x00", "contenuto binario"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
        (b"PK\x03\x04garbage", "non è un file XLSX leggibile"),
        (b"<!DOCTYPE html><html><body>Accedi</body></html>", "pagina web"),
    ],
)
def test_unreadable_files_get_a_clear_message(data, message):
    with pytest.raises(SourceError, match=message):
        read_source(io.BytesIO(data))


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="File non trovato"):
        read_source(tmp_path / "nope.csv")


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "comuni.csv").write_text("Comune\nAosta\n", encoding="utf-8")
    assert cells(read_source("comuni.csv", base_dir=tmp_path)) == [["Comune"], ["Aosta"]]


def test_shown_urls_hide_tokens_and_sheet_keys():
    from data_sources.http import redact

    key = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    assert redact(f"https://docs.google.com/spreadsheets/d/{key}/export?format=csv&gid=0") == (
        "https://docs.google.com/spreadsheets/d/1AbC…6789/export"
    )
    assert redact(f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=3") == (
        "https://docs.google.com/spreadsheets/d/1AbC…6789/edit"
    )
    assert redact("https://example.org/data.csv?token=secret") == "https://example.org/data.csv"


def google_sheet_csv_url(url: str) -> str:
    return sheet_ref(url, None, None).csv_url()


def test_google_sheet_links_become_csv_exports():
    key = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    assert (
        google_sheet_csv_url(f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=42")
        == f"https://docs.google.com/spreadsheets/d/{key}/export?format=csv&gid=42"
    )
    assert (
        google_sheet_csv_url(f"https://docs.google.com/spreadsheets/d/{key}/edit?usp=sharing")
        == f"https://docs.google.com/spreadsheets/d/{key}/export?format=csv"
    )
    export = f"https://docs.google.com/spreadsheets/d/{key}/export?format=csv&gid=0"
    assert google_sheet_csv_url(export) == export


@pytest.fixture(scope="module")
def server():
    with serve_routes() as served:
        base = served.base
        csv = b"Comune,Provincia\r\nMelito di Napoli,NA\r\n"
        served.routes.update({
            "/export?format=csv": (200, {"Content-Type": "text/csv"}, csv),
            "/redirect": (307, {"Location": f"{base}/export?format=csv"}, b""),
            "/private": (403, {}, b"forbidden"),
            "/login": (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html>Accedi a Google</html>"),
            "/busy": (503, {}, b"busy"),
        })  # fmt: skip
        yield base


def test_http_csv_follows_redirects(server):
    assert cells(read_source(f"{server}/redirect")) == [["Comune", "Provincia"], ["Melito di Napoli", "NA"]]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/private", "Accesso negato \\(403\\)"),
        ("/missing", "Non trovato \\(404\\)"),
        ("/login", "pagina web"),
        ("/busy", "errore \\(503\\)"),
    ],
)
def test_http_failures_get_a_clear_message(server, path, message, monkeypatch):
    monkeypatch.setattr(http_reader, "sleep", lambda seconds: None)  # the retries' waits are tested elsewhere
    with pytest.raises(SourceError, match=message):
        read_source(f"{server}{path}")


def test_unreachable_host_gets_a_clear_message():
    with pytest.raises(SourceError, match="Impossibile raggiungere http://127.0.0.1:9/x"):
        read_source("http://127.0.0.1:9/x")


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "tests" / "data").rglob("*.csv")), ROOT / "data" / "demo" / "risposte.csv"],
    ids=lambda p: p.name,
)
def test_fast_and_tolerant_csv_readers_agree(path):
    from data_sources.files import decode_text, read_bytes, read_csv_text

    data = path.read_bytes()
    fast = read_bytes(data, path.name).cells
    tolerant = read_csv_text(decode_text(data, path.name), path.name).cells
    assert_frame_equal(fast, tolerant)
    assert list(fast.index) == list(tolerant.index)


# --- workbooks as they come: ODS, password, formulas, cover pages; CSV as Excel writes it --------


def test_ods_is_read_like_xlsx():
    data = ods({"Risposte": [
        ["Informazioni cronologiche", "Comune", "Codice"],
        ["date:2023-09-13T10:15:32", "Melito di Napoli", "063045"],
        ["", "Aosta", 7003],
    ]})  # fmt: skip
    assert cells(read_source(io.BytesIO(data))) == [
        ["Informazioni cronologiche", "Comune", "Codice"],
        ["2023-09-13 10:15:32", "Melito di Napoli", "063045"],
        ["", "Aosta", "7003"],
    ]


def test_a_password_protected_workbook_is_named_as_such():
    with pytest.raises(SourceError) as err:
        read_source(io.BytesIO(encrypted_xlsx()))
    assert str(err.value).startswith("file caricato è protetto da password (cifrato): non si può leggere.")
    assert "97-2003" not in str(err.value)


def test_formulas_without_values_are_read_as_their_text_and_named_by_cell():
    """A file written by a script (openpyxl) and never recalculated: before, the whole file was
    refused; now each such cell reads as its formula and the note names sheet and cell."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Comuni"
    ws.append(["Comune", "Provincia"])
    for i in range(2, 6):
        ws.append([f'=PROPER("comune {i}")', "NA"])  # a script wrote formulas; nothing computed them
    ws["C3"] = '=A3&" (NA)"'
    buffer = io.BytesIO()
    book.save(buffer)
    grid = read_source(io.BytesIO(buffer.getvalue()))
    assert cells(grid) == [
        ["Comune", "Provincia", ""],
        ['=PROPER("comune 2")', "NA", ""],
        ['=PROPER("comune 3")', "NA", '=A3&" (NA)"'],
        ['=PROPER("comune 4")', "NA", ""],
        ['=PROPER("comune 5")', "NA", ""],
    ]
    assert grid.notes == (
        "file caricato: il foglio 'Comuni' ha 5 celle con formule senza valore calcolato (il file è stato scritto "
        "da un programma e mai ricalcolato): sono lette come il testo della formula. Celle: Comuni!A2, Comuni!A3, "
        "Comuni!C3, Comuni!A4, Comuni!A5. Per avere i valori, apri il file con Excel o LibreOffice, salvalo e "
        "caricalo di nuovo.",
    )


def test_one_formula_without_value_is_named_alone_and_a_sheet_name_with_spaces_is_quoted():
    data = xlsx(
        '<row r="1">' + inline("A1", "Comune") + "</row>"
        '<row r="7"><c r="C7"><f>UPPER(B7)</f></c><c r="D7"><f>1+1</f><v>2</v></c></row>',
        name="Risposte del modulo 1",
    )
    grid = read_source(io.BytesIO(data))
    assert cells(grid)[-1] == ["", "", "=UPPER(B7)", "2"]
    assert list(grid.cells.index) == [1, 2, 3, 4, 5, 6, 7]
    assert grid.notes == (
        "file caricato: il foglio 'Risposte del modulo 1' ha 1 cella con una formula senza valore calcolato (il "
        "file è stato scritto da un programma e mai ricalcolato): è letta come il testo della formula. Cella: "
        "'Risposte del modulo 1'!C7. Per avere il valore, apri il file con Excel o LibreOffice, salvalo e "
        "caricalo di nuovo.",
    )


def test_formulas_with_their_values_are_read():
    data = _xlsx({"Comuni": [["Comune", "Codice"], ["Aosta", "007003"]]})
    with zipfile.ZipFile(io.BytesIO(data)) as src:  # as Excel saves it: the formula and its value
        parts = {n: src.read(n) for n in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(
        b'<c r="A2" t="inlineStr"><is><t>Aosta</t></is></c>',
        b'<c r="A2" t="str"><f>PROPER("aosta")</f><v>Aosta</v></c>',
    )
    assert b"<f>" in parts[sheet]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, body in parts.items():
            dst.writestr(name, body)
    assert cells(read_source(io.BytesIO(out.getvalue()))) == [["Comune", "Codice"], ["Aosta", "007003"]]


def test_a_cover_page_names_the_sheet_with_the_columns():
    data = _xlsx({
        "Copertina": [["Progetto PNRR 1.4.1 - elenco enti"], [], ["Aggiornato al 1/9/2023"]],
        "Note": [["Appunti"]],
        "Elenco": [["Comune", "Provincia"], ["Aosta", "AO"]],
    })  # fmt: skip
    with pytest.raises(InputError) as err:
        load_comuni(read_source(io.BytesIO(data)))
    assert str(err.value) == (
        "Elenco comuni: il primo foglio del file non ha la colonna nome del comune (forse è una copertina); "
        "il foglio 'Elenco' la ha. Indica il foglio da leggere nella configurazione (sheet = \"Elenco\")."
    )
    assert load_comuni(read_source(io.BytesIO(data), sheet="Elenco")).frame["name"].tolist() == ["Aosta"]


@pytest.mark.parametrize(
    "data",
    [
        b"sep=;\r\nComune;Provincia\r\nAosta;AO\r\n",
        b'"sep=;"\nComune;Provincia\nAosta;AO\n',
        b"\xef\xbb\xbfsep=;\nComune;Provincia\nAosta;AO\n",
        "sep=;\r\nComune;Provincia\r\nAosta;AO\r\n".encode("utf-16"),
    ],
)
def test_excel_sep_line_is_honoured_not_a_header(data):
    assert cells(read_source(io.BytesIO(data))) == [["Comune", "Provincia"], ["Aosta", "AO"]]


@pytest.mark.parametrize(
    "page",
    [
        b"<head><title>Accedi</title></head><body>Accedi - Account Google</body>",
        b"<body><p>Service temporarily unavailable</p></body>",
        b"<script>window.location='https://accounts.google.com/'</script>",
        b"\n\n  <HEAD><meta charset=utf-8></HEAD>",
    ],
)
def test_web_pages_however_they_start_are_recognised(page):
    with pytest.raises(SourceError, match="contiene una pagina web \\(HTML\\), non un CSV"):
        read_source(io.BytesIO(page))


# --- a body cut short: a failed read, never rows invented or emptied (issue 18) -------------------

GOLDEN = ROOT / "tests" / "data" / "golden_sheet"
CUT = "sembra troncato"


def cut_after(path, text: str) -> bytes:
    """The file's bytes up to and including the first ``text``: a download stopped there."""
    data = path.read_bytes()
    end = data.index(text.encode("utf-8")) + len(text.encode("utf-8"))
    return data[:end]


def named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_a_comuni_list_cut_in_the_middle_of_a_line_is_a_failed_read(encoding):
    data = cut_after(GOLDEN / "comuni.csv", "Vallo della").decode("utf-8").encode(encoding)
    with pytest.raises(SourceError) as err:
        read_source(named(data, "comuni.csv"))
    assert str(err.value) == (
        "Il file comuni.csv sembra troncato: l'ultima riga ha 1 campo invece dei 5 dell'intestazione e non finisce "
        "con un a capo. Scaricalo o esportalo di nuovo e riprova."
    )  # before: the comune «Vallo della» was invented


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        ("c.ambrosio@comune.ottaviano.na.it,\"1) Editor Sito Web, 3) Editor Ammin",
         "finisce dentro un valore tra virgolette mai chiuso"),
        ("c.ambrosio@comune.ottaviano.na.it,\"1) Editor Sito Web, 3) Editor Amministrazione Trasparente\"\r\n"
         "2/10/2023 9.00.00,affarigenerali@comune.montecorvinopugliano.sa.it,Montecorvino Pugliano,Nosch",
         "l'ultima riga ha 4 campi invece degli 8 dell'intestazione"),
    ],
    ids=["inside-the-permissions", "before-the-permissions"],
)  # fmt: skip
def test_responses_cut_in_the_middle_of_a_row_are_a_failed_read(cut, message):
    data = cut_after(GOLDEN / "risposte.csv", cut)
    with pytest.raises(SourceError, match=f"^Il file risposte.csv {CUT}: {message}"):
        read_source(named(data, "risposte.csv"))  # before: the last employee's permissions were dropped
    with pytest.raises(SourceError, match=CUT):
        read_source(named(data.decode("utf-8").encode("utf-16"), "risposte.csv"))  # the tolerant reader too


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # Google Sheets: no final newline, every field written, trailing empty columns included
        ("Comune,Provincia,,\r\nNola,NA,,\r\nAosta,AO,,", [["Comune", "Provincia", "", ""], ["Nola", "NA", "", ""],
                                                         ["Aosta", "AO", "", ""]]),
        # a hand-made file: a short last line that ends with a newline was written so
        ("Comune,Provincia,Note\nNola,NA,ok\nAosta,AO\n", [["Comune", "Provincia", "Note"], ["Nola", "NA", "ok"],
                                                           ["Aosta", "AO", ""]]),
        # trailing empty header cells do not count: nothing is lost without them
        ("Comune,Provincia,,\nNola,NA,,\nAosta,AO", [["Comune", "Provincia", "", ""], ["Nola", "NA", "", ""],
                                                 ["Aosta", "AO", "", ""]]),
        # a title row above the header; the header is what the last line is measured against
        ("Elenco comuni,\nComune,Provincia\nNola,NA", [["Elenco comuni", ""], ["Comune", "Provincia"], ["Nola", "NA"]]),
        # a stray quote inside an unquoted cell (odd number of quotes) is text, not an open quote
        ('Comune,Nota\nNola,schermo 5" nuovo\nAosta,"a capo\nqui"', [["Comune", "Nota"], ["Nola", 'schermo 5" nuovo'],
                                                                    ["Aosta", "a capo\nqui"]]),
        # a quoted last cell closed at the very end, and blank lines after the last row
        ('Comune,Permessi\nNola,"1) Editor Sito Web, 2) Editor Newsletter"\n\n\n',
         [["Comune", "Permessi"], ["Nola", "1) Editor Sito Web, 2) Editor Newsletter"]]),
    ],
    ids=["google-sheets", "short-line-with-newline", "trailing-empty-columns", "title-row", "stray-quote",
         "quoted-last-cell"],
)  # fmt: skip
def test_complete_files_are_not_taken_for_cut_ones(text, rows):
    for data in (text.encode("utf-8"), text.encode("utf-16")):
        assert cells(read_source(named(data, "comuni.csv"))) == rows


@pytest.mark.parametrize(
    "text",
    [
        'Comune,Nota\r\nNola,schermo 5" nuovo\r\nAosta,"a capo\r\nqui',  # a stray quote above: the quotes are even
        'Comune,Nota\r\nNola,ok,in più\r\nAosta,"va a capo',  # a row longer than the header: the tolerant reader
        'Comune,Nota\r\nNola,"detto ""sì"""\r\nAosta,"detto ""',  # doubled quotes inside the open cell
    ],
    ids=["stray-quote-above", "ragged-rows", "doubled-quotes"],
)
def test_a_body_ending_inside_a_quoted_cell_is_cut_whatever_came_before(text):
    for data in (text.encode("utf-8"), text.encode("utf-16")):
        with pytest.raises(SourceError, match=f"{CUT}: finisce dentro un valore tra virgolette mai chiuso"):
            read_source(named(data, "comuni.csv"))


def test_a_cut_below_a_title_row_is_measured_against_the_header():
    data = b"Elenco dei comuni aderenti,,\r\nComune,Provincia,Codice\r\nNola,NA,063047\r\nAos"
    with pytest.raises(SourceError, match=f"{CUT}: l'ultima riga ha 1 campo invece dei 3 dell'intestazione"):
        read_source(named(data, "comuni.csv"))


def test_a_body_cut_at_a_line_end_reads_its_whole_rows():
    """Cut right after a line end, the rows read are whole: what is missing is for the shrink rules
    (tests/test_suspect_data.py) to notice."""
    data = cut_after(GOLDEN / "comuni.csv", "segreteria@comune.vallodellalucania.sa.it\r\n")
    grid = read_source(named(data, "comuni.csv"))
    assert grid.rows == 8 and cells(grid)[-1][0] == "Vallo della Lucania"
