"""Contacts from IndicePA (issue 21, section 1): the registry's PEC fills in where the comuni list has none.

The registry files are tests/data/indicepa/: ``enti.csv`` in the layout of IndicePA's open-data
«Enti» file and ``amministrazioni.txt`` in the older tab-separated layout, both with real comuni
codes and invented addresses (README.md there says row by row what each one tests). The official
1.4.1 file is tests/data/golden_open_data/. A remote registry is served on 127.0.0.1.
"""

from __future__ import annotations

import csv
import email
import io
import json
import shutil
import zipfile
from email import policy

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import DATA, grid, run_app, run_cli
from data_sources import http, read_source
from rollout.config import Config, load_config, parse_as_of, parse_deadline
from rollout.errors import InputError
from rollout.outputs.contacts import contact_for, contacts_of
from rollout.pipeline import load, prepare, run_report
from rollout.read.registry import load_registry
from rollout.reminders.drafts import reminders_list
from rollout.status import Settings
from testkit.local_http import serve_routes
from ui.format import md_escape

REGISTRY = DATA / "indicepa"
OPEN_DATA = DATA / "golden_open_data"
ENTI = REGISTRY / "enti.csv"
OLD = REGISTRY / "amministrazioni.txt"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
SETTINGS = Settings(parse_deadline("2023-10-20"), parse_as_of("2023-10-16T09:00:00Z"), "Europe/Rome")
ENNA_PEC = "protocollo@pec.comune.enna.example"


def registry(path=ENTI):
    return load_registry(read_source(path))


def comuni_with(comuni_csv: str, path=ENTI):
    """The snapshot's comuni of a list given as CSV text, with no responses, joined to ``path``."""
    prepared = prepare(Config(), grid(comuni_csv, "comuni.csv"), grid(RESPONSES_HEADER, "risposte.csv"), registry(path))
    return prepared.at(SETTINGS).comuni.set_index("name")


RESPONSES_HEADER = "Informazioni cronologiche,Indirizzo email,Comune,Cognome,Nome,Permessi\n"


def official_campaign(tmp_path, contacts: str = "enti.csv"):
    """rollout.toml in tmp_path: the official 1.4.1 file, its responses, and IndicePA's file."""
    shutil.copy(OPEN_DATA / "candidature_comuni_141.csv", tmp_path / "comuni.csv")
    shutil.copy(OPEN_DATA / "risposte.csv", tmp_path / "risposte.csv")
    shutil.copy(ENTI, tmp_path / "enti.csv")
    path = tmp_path / "rollout.toml"
    path.write_text(
        'deadline = 2023-10-20\nas_of = "2023-10-16T09:00:00Z"\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        f'contacts = "{contacts}"\n[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    return path


# --- the two layouts ------------------------------------------------------------------------------


def test_the_enti_file_is_read_by_meaning():
    rows = registry().rows.set_index("ipa")
    # The first PEC among Mail1..Mail5, wherever it is; the first other address apart.
    assert rows.loc["c_c342", ["pec", "email", "istat", "cadastral", "comune"]].to_dict() == {
        "pec": ENNA_PEC, "email": "urp@comune.enna.example", "istat": "086009", "cadastral": "C342", "comune": True,
    }  # fmt: skip
    assert rows.loc["c_g580", ["pec", "email"]].to_dict() == {
        "pec": "", "email": "segreteria@comune.piazzaarmerina.example",
    }  # fmt: skip
    # Codice_comune_ISTAT is the comune's code; Codice_ISTAT (18201 for Enna) is the administration's own.
    assert "18201" not in rows["istat"].tolist()
    # Not comuni: a union (category L18), a school (L33), a consortium (L6, but not a comune's row).
    assert rows.loc[["ucen_en", "istsc_enic81500d", "cons_nola"], "comune"].tolist() == [False, False, False]
    assert rows.loc["c_f924", ["pec", "invalid"]].to_dict() == {
        "pec": "protocollo@pec.comune.nola.example",
        "invalid": 1,
    }
    assert len(rows) == 15


def test_the_older_tab_separated_layout_is_read_by_meaning():
    rows = registry(OLD).rows.set_index("ipa")
    assert rows.index.tolist() == ["c_a676", "c_c342", "ucen_en", "c_g580", "c_f924", "istsc_enic81500d"]
    assert rows.loc["c_c342", ["pec", "email", "comune"]].to_dict() == {
        "pec": ENNA_PEC, "email": "urp@comune.enna.example", "comune": True,
    }  # fmt: skip
    # "null" is no address (the older export writes it in empty cells), not an invalid one.
    assert rows["invalid"].sum() == 0
    # tipologia_istat holds the category there: the union and the school are not comuni.
    assert rows.loc[["ucen_en", "istsc_enic81500d"], "comune"].tolist() == [False, False]


def test_a_file_without_a_recognisable_header_is_one_clear_message():
    with pytest.raises(InputError) as caught:
        load_registry(grid("Ente,Indirizzo,Telefono\nComune di Enna,Piazza,0935\n", "enti.csv"))
    assert str(caught.value) == (
        "Contatti IndicePA: manca la colonna codice IPA (Codice_IPA, cod_amm). Colonne trovate nella riga 1: "
        "'Ente', 'Indirizzo', 'Telefono'. Indica il nome esatto della colonna nella configurazione (sezione [columns])."
    )
    with pytest.raises(InputError, match=r"^Contatti IndicePA: nessuna colonna di indirizzi \(Mail1…Mail5"):
        load_registry(grid("Codice_IPA,Denominazione_ente\nc_c342,Comune di Enna\n", "enti.csv"))


def test_the_file_of_the_offices_is_not_taken_for_the_entities():
    offices = "Codice_IPA,Denominazione_ente,Codice_uni_uo,Descrizione_uo,Mail1,Tipo_Mail1\nc_c342,Comune di Enna,UF1,Ragioneria,r@x.it,Altro\n"
    with pytest.raises(InputError, match="sembra il file delle unità organizzative di IndicePA, non quello degli enti"):
        load_registry(grid(offices, "uo.csv"))


# --- finding the comune: codice IPA, ISTAT, catasto; never the name --------------------------------------


def test_the_official_file_finds_the_comuni_by_codice_ipa():
    prepared = prepare(
        Config(),
        read_source(OPEN_DATA / "candidature_comuni_141.csv"),
        read_source(OPEN_DATA / "risposte.csv"),
        registry(),
    )
    comuni = prepared.comuni.frame.set_index("name")
    expected = pd.DataFrame(
        {"ipa_code": ["c_c342", "c_m011"], "registry_match": ["ipa", ""], "registry_pec": [ENNA_PEC, ""]},
        index=pd.Index(["Enna", "Villarosa"], name="name"),
    )
    assert_frame_equal(comuni.loc[expected.index, expected.columns], expected)
    assert prepared.comuni.notes == (
        "Contatti IndicePA: 8 comuni su 9 trovati (8 per codice IPA), 7 con la PEC.",
        "Contatti IndicePA: 1 comune non trovato in IndicePA (per codice IPA, ISTAT o catastale): Villarosa (EN).",
        "Contatti IndicePA: 1 comune ha in IndicePA un indirizzo non valido, ignorato (riga 13).",
    )


def test_istat_codes_find_the_comune_not_a_union_or_a_consortium_sharing_them():
    comuni = comuni_with(
        "Comune,Provincia,Codice ISTAT\nEnna,EN,086009\nPomigliano d'Arco,NA,063057\nNola,NA,063050\nAgira,EN,086001\n"
    )
    expected = pd.DataFrame(
        [
            [ENNA_PEC, "c_c342", "istat"],  # not the union of comuni of Enna (ucen_en)
            ["protocollo@pec.comune.pomigliano.example", "c_g812", "istat"],  # c_<catasto> over the police's row
            ["protocollo@pec.comune.nola.example", "c_f924", "istat"],  # not the consortium (cons_nola)
            ["", "", ""],  # only a school of Agira is registered
        ],
        columns=["registry_pec", "registry_ipa", "registry_match"],
        index=pd.Index(["Enna", "Pomigliano d'Arco", "Nola", "Agira"], name="name"),
    )
    assert_frame_equal(comuni[expected.columns], expected)


def test_cadastral_codes_find_the_comune_also_in_the_older_layout():
    listed = "Comune,Provincia,Codice catastale\nEnna,EN,C342\nNola,NA,F924\nTroina,EN,L448\n"
    names = pd.Index(["Enna", "Nola", "Troina"], name="name")
    expected = pd.DataFrame({
        "registry_pec": [ENNA_PEC, "protocollo@pec.comune.nola.example", "protocollo@pec.comune.troina.example"],
        "registry_match": ["cadastral", "cadastral", "cadastral"],
    }, index=names)  # fmt: skip
    assert_frame_equal(comuni_with(listed)[expected.columns], expected)
    # amministrazioni.txt has no codes: a comune's own IPA code, c_<catasto>, says which row is it.
    expected = pd.DataFrame({
        "registry_pec": [ENNA_PEC, "protocollo@pec.comune.nola.example", ""],
        "registry_match": ["cadastral", "cadastral", ""],
    }, index=names)  # fmt: skip
    assert_frame_equal(comuni_with(listed, OLD)[expected.columns], expected)


def test_a_comune_is_never_found_by_its_name():
    comuni = comuni_with("Comune,Provincia\nEnna,EN\nComune di Leonforte,EN\n")
    expected = pd.DataFrame(
        {"registry_pec": ["", ""], "registry_match": ["", ""]},
        index=pd.Index(["Enna", "Comune di Leonforte"], name="name"),
    )
    assert_frame_equal(comuni[expected.columns], expected)
    assert contact_for(comuni.loc["Enna"]).source == "nessun contatto disponibile"


def test_a_codice_ipa_on_two_rows_gives_no_address_and_is_reported():
    twice = (
        ENTI.read_text(encoding="utf-8")
        + '"c_c342","Comune di Enna (vecchia scheda)","","Pubbliche Amministrazioni","L6"'
        + ",," * 14
        + '"old@pec.enna.example","Pec"\r\n'
    )
    reg = load_registry(grid(twice, "enti.csv"))
    assert reg.notes == (
        "Contatti IndicePA: il codice IPA c_c342 (righe 3, 17) è su più righe: da quelle righe non prendo nessun indirizzo.",
    )
    prepared = prepare(Config(), grid("Comune,Provincia,Codice ISTAT\nEnna,EN,086009\n"), grid(RESPONSES_HEADER), reg)
    enna = prepared.comuni.frame.iloc[0]
    assert (enna["registry_pec"], enna["registry_match"]) == ("", "")  # not the union either, by its ISTAT code


def test_two_comuni_rows_for_one_code_without_the_tie_break_give_no_address():
    header = ENTI.read_text(encoding="utf-8").splitlines()[0]
    rows = [
        '"comune_enna","Comune di Enna","","Pubbliche Amministrazioni","L6"' + ",," * 5 + '"086009","C342",,,"a@pec.enna.example","Pec"',
        '"comune_enna2","Comune di Enna - Servizi","","Pubbliche Amministrazioni","L6"' + ",," * 5 + '"086009","C342",,,"b@pec.enna.example","Pec"',
    ]  # fmt: skip
    reg = load_registry(grid("\n".join([header, *rows]) + "\n", "enti.csv"))
    prepared = prepare(Config(), grid("Comune,Provincia,Codice ISTAT\nEnna,EN,086009\n"), grid(RESPONSES_HEADER), reg)
    assert prepared.comuni.frame["registry_pec"].tolist() == [""]
    assert prepared.comuni.notes[1] == (
        "Contatti IndicePA: nessun indirizzo per 1 comune, l'ente non è univoco: Enna: 2 comuni di IndicePA con il "
        "codice ISTAT 086009 (righe 2, 3)."
    )


# --- which address: the list first, then IndicePA ------------------------------------------------------


def test_the_lists_own_contact_comes_first_then_indicepa_then_the_filler():
    comuni = comuni_with(
        "Comune,Provincia,Codice ISTAT,Email,PEC\n"
        "Enna,EN,086009,sindaco@comune.enna.example,\n"
        "Nola,NA,063050,,pec@nola.example\n"
        "Barrafranca,EN,086004,,\n"
        "Leonforte,EN,086011,protocollo at comune.leonforte,\n"
        "Villarosa,EN,086020,,\n"
    )
    address, source = contacts_of(comuni)
    assert list(zip(comuni.index, address, source, strict=True)) == [
        ("Enna", "sindaco@comune.enna.example", "elenco comuni"),
        ("Nola", "pec@nola.example", "elenco comuni (PEC)"),
        ("Barrafranca", "protocollo@pec.comune.barrafranca.example", "IndicePA (PEC)"),
        ("Leonforte", "protocollo@pec.comune.leonforte.example",
         "IndicePA (PEC); indirizzo nell'elenco non valido: protocollo at comune.leonforte"),
        ("Villarosa", "", "nessun contatto disponibile"),
    ]  # fmt: skip


def test_an_address_no_server_would_take_is_caught_when_the_list_is_read():
    """One rule for addresses (``rollout.read.text.normalise_email``): an address of the list that a mail
    server would refuse is invalid when the list is read, so IndicePA's PEC takes its place. Before, the
    looser reading rule kept it, and the comune ended with no address at all in the drafts."""
    comuni = comuni_with(
        "Comune,Provincia,Codice ISTAT,Email\n"
        "Enna,EN,086009,urp%sindaco@comune.enna.example\n"
        "Barrafranca,EN,086004,protocollo@-comune.barrafranca.example\n"
        "Leonforte,EN,086011,.protocollo@comune.leonforte.example\n"
    )
    assert comuni["contact_email"].tolist() == ["", "", ""]
    address, source = contacts_of(comuni)
    assert list(zip(comuni.index, address, source, strict=True)) == [
        ("Enna", ENNA_PEC, "IndicePA (PEC); indirizzo nell'elenco non valido: urp%sindaco@comune.enna.example"),
        ("Barrafranca", "protocollo@pec.comune.barrafranca.example",
         "IndicePA (PEC); indirizzo nell'elenco non valido: protocollo@-comune.barrafranca.example"),
        ("Leonforte", "protocollo@pec.comune.leonforte.example",
         "IndicePA (PEC); indirizzo nell'elenco non valido: .protocollo@comune.leonforte.example"),
    ]  # fmt: skip


def test_an_address_that_bounced_gives_way_to_the_next_one():
    enna = comuni_with("Comune,Provincia,Codice ISTAT,Email\nEnna,EN,086009,sindaco@comune.enna.example\n").loc["Enna"]
    assert contact_for(enna, {"SINDACO@comune.enna.example"}) == contact_for(enna, ["sindaco@comune.enna.example"])
    found = contact_for(enna, {"sindaco@comune.enna.example"})
    assert (found.address, found.source) == (ENNA_PEC, "IndicePA (PEC); respinto l'indirizzo di elenco comuni")
    gone = contact_for(enna, {"sindaco@comune.enna.example", ENNA_PEC})
    assert (gone.address, gone.source) == (
        "urp@comune.enna.example",
        "IndicePA (email, non PEC); respinto l'indirizzo di elenco comuni e di IndicePA (PEC)",
    )


def test_with_the_official_file_every_comune_indicepa_lists_has_an_address():
    """Done when: the reminders list has an address for every comune IndicePA lists, and says where it came from."""
    prepared = prepare(
        Config(),
        read_source(OPEN_DATA / "candidature_comuni_141.csv"),
        read_source(OPEN_DATA / "risposte.csv"),
        registry(),
    )
    snap = prepared.at(SETTINGS)
    listed = snap.comuni["registry_match"] != ""
    address, source = contacts_of(snap.comuni)
    assert listed.sum() == 8
    assert all(a for a, is_listed in zip(address, listed, strict=True) if is_listed)
    assert all(s.startswith("IndicePA") for s, is_listed in zip(source, listed, strict=True) if is_listed)
    # The official file has no address at all: without IndicePA only the forms' fillers are there.
    assert (
        prepare(
            Config(), read_source(OPEN_DATA / "candidature_comuni_141.csv"), read_source(OPEN_DATA / "risposte.csv")
        )
        .comuni.frame[["contact_email", "pec"]]
        .eq("")
        .all(axis=None)
    )
    table = reminders_list(snap)
    expected = pd.DataFrame(
        [
            ["Piazza Armerina", "segreteria@comune.piazzaarmerina.example", "IndicePA (email, non PEC)"],
            ["Villarosa", "", "nessun contatto disponibile"],
            ["Paterno", "comune.paterno@pec.paterno-pz.example", "IndicePA (PEC)"],
            # IndicePA's PEC before the address that filled Leonforte's form (protocollo@comune.leonforte.en.it)
            ["Leonforte", "protocollo@pec.comune.leonforte.example", "IndicePA (PEC)"],
        ],
        columns=["comune", "contact", "contact_source"],
    )
    assert_frame_equal(table[expected.columns], expected)


def test_reminders_files_and_drafts_say_where_each_address_came_from(tmp_path):
    config = official_campaign(tmp_path)
    result = run_cli("reminders", "export", "--config", config, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    rows = list(csv.DictReader(io.StringIO((out / "reminders.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["comune"], r["contact"], r["contact_source"]) for r in rows] == [
        ("Piazza Armerina", "segreteria@comune.piazzaarmerina.example", "IndicePA (email, non PEC)"),
        ("Villarosa", "", "nessun contatto disponibile"),
        ("Paterno", "comune.paterno@pec.paterno-pz.example", "IndicePA (PEC)"),
        ("Leonforte", "protocollo@pec.comune.leonforte.example", "IndicePA (PEC)"),
    ]
    sheet = openpyxl.load_workbook(out / "reminders.xlsx", read_only=True).active
    header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
    source = header.index("contact_source") if "contact_source" in header else header.index("Fonte del contatto")
    assert [r[source] for r in values] == [
        "IndicePA (email, non PEC)",
        "nessun contatto disponibile",
        "IndicePA (PEC)",
        "IndicePA (PEC)",
    ]
    with zipfile.ZipFile(out / "reminder-drafts.zip") as archive:
        paterno = email.message_from_bytes(archive.read("003 Paterno (PZ).eml"), policy=policy.default)
        index = list(csv.DictReader(io.StringIO(archive.read("elenco.csv").decode("utf-8-sig"))))
    assert paterno["To"].addresses[0].addr_spec == "comune.paterno@pec.paterno-pz.example"
    assert [(r["Comune"], r["Destinatario"], r["Fonte dell'indirizzo"]) for r in index] == [
        ("Piazza Armerina", "segreteria@comune.piazzaarmerina.example", "IndicePA (email, non PEC)"),
        ("Villarosa", "", "nessun indirizzo utilizzabile (nessun contatto disponibile)"),
        ("Paterno", "comune.paterno@pec.paterno-pz.example", "IndicePA (PEC)"),
        ("Leonforte", "protocollo@pec.comune.leonforte.example", "IndicePA (PEC)"),
    ]


# --- a contacts source that fails ------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch):
    monkeypatch.setattr(http, "sleep", lambda seconds: None)  # the retries' waits are tested elsewhere
    with serve_routes({"/enti.csv": (200, CSV, ENTI.read_bytes())}) as routes:
        yield routes


def test_a_registry_that_fails_to_load_is_one_warning_and_everything_else_works(tmp_path, served):
    served.routes["/enti.csv"] = (500, {}, b"errore interno")
    config = load_config(official_campaign(tmp_path, f"{served.base}/enti.csv"))
    result = load(config, cache_dir=tmp_path / ".rollout-cache")
    contacts = result.sources[-1]
    assert contacts.role == "contatti IndicePA" and contacts.optional and not contacts.stale_reason
    assert contacts.note == (
        f"contatti IndicePA non disponibili (Il server ha risposto con un errore (500) per {served.base}/enti.csv, "
        "anche dopo 4 tentativi: riprova più tardi). Sono facoltativi: i promemoria usano gli indirizzi dell'elenco "
        "dei comuni e di chi ha compilato il modulo."
    )
    assert result.send_refusal("Europe/Rome") == ""
    snap = result.prepared.at(SETTINGS)
    assert snap.totals["comuni"] == 9 and (snap.comuni["registry_pec"] == "").all()

    report = run_cli("report", "--config", tmp_path / "rollout.toml", "--out", tmp_path / "out", "--strict")
    assert report.returncode == 0
    assert report.stderr.splitlines()[0] == f"avviso: {contacts.note}"
    assert (tmp_path / "out" / "reminders.csv").exists() and (tmp_path / "out" / "status.json").exists()


def test_a_registry_that_fails_after_a_good_read_uses_its_last_good_copy_without_holding_back_sending(tmp_path, served):
    config = load_config(official_campaign(tmp_path, f"{served.base}/enti.csv"))
    cache = tmp_path / ".rollout-cache"
    first = load(config, cache_dir=cache)
    assert first.sources[-1].stale_reason == "" and first.sources[-1].note == ""
    [copy] = cache.iterdir()  # only the columns read: not the mayors' names, the street addresses, the links
    header = json.loads(copy.read_text(encoding="utf-8"))["rows"][0]
    assert header == [
        "Codice_IPA", "Denominazione_ente", "Tipologia", "Codice_Categoria", "Codice_comune_ISTAT",
        "Codice_catastale_comune", *[f"{kind}{i}" for i in range(1, 6) for kind in ("Mail", "Tipo_Mail")],
    ]  # fmt: skip
    assert "Rossi" not in copy.read_text(encoding="utf-8")
    served.routes["/enti.csv"] = (500, {}, b"errore interno")
    second = load(config, cache_dir=cache)
    [stale] = second.stale
    assert stale.role == "contatti IndicePA" and "(500)" in stale.stale_reason
    assert second.send_refusal("Europe/Rome") == ""  # a week-old PEC is still the comune's PEC
    enna = second.prepared.comuni.frame.set_index("name").loc["Enna"]
    assert enna["registry_pec"] == ENNA_PEC
    _, warnings = run_report(config, strict=True)
    assert (
        warnings[0].startswith("dati non aggiornati dal ")
        and "(contatti IndicePA, uso l'ultima copia letta)" in warnings[0]
    )


def test_a_registry_file_that_is_not_indicepa_keeps_the_dashboard_going(tmp_path):
    config = official_campaign(tmp_path)
    (tmp_path / "enti.csv").write_text("Ente,Indirizzo\nComune di Enna,Piazza\n", encoding="utf-8")
    result = load(load_config(config))
    assert result.prepared.at(SETTINGS).totals["comuni"] == 9
    assert result.sources[-1].note.startswith(
        "contatti IndicePA non disponibili (Contatti IndicePA: manca la colonna codice IPA (Codice_IPA, cod_amm)."
    )


# --- the dashboard -------------------------------------------------------------------------------------


def test_the_comuni_page_shows_each_contact_and_its_origin(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(official_campaign(tmp_path)))
    at = run_app()
    assert at.sidebar.caption[0].value == "Comuni: comuni\\.csv  \nRisposte: risposte\\.csv  \nContatti: enti\\.csv"
    at.switch_page("pages/comuni.py").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value.set_index("Comune")
    expected = pd.DataFrame(
        [
            [ENNA_PEC, "IndicePA (PEC)"],
            ["segreteria@comune.piazzaarmerina.example", "IndicePA (email, non PEC)"],
            ["", "nessun contatto disponibile"],
        ],
        columns=["Contatto", "Fonte del contatto"],
        index=pd.Index(["Enna", "Piazza Armerina", "Villarosa"], name="Comune"),
    )
    assert_frame_equal(table.loc[expected.index, expected.columns], expected)
    box = at.selectbox(key="detail_comune")
    box.select(next(o for o in box.options if o.startswith("Paterno (PZ)"))).run()
    detail = next(c.value for c in at.caption if c.value.startswith("Stato:"))
    assert "Contatto: " + md_escape("comune.paterno@pec.paterno-pz.example (IndicePA (PEC))") in detail
    at.session_state["screenshot_mode"] = True  # the sidebar's «Modalità screenshot»
    at.run()
    assert {"Contatto", "Fonte del contatto"}.isdisjoint(at.dataframe[0].value.columns)
    at.switch_page("pages/qualita.py").run()
    shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning])
    assert md_escape("Contatti IndicePA: 8 comuni su 9 trovati (8 per codice IPA), 7 con la PEC.") in shown


def test_the_dashboard_without_its_registry_says_so_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(official_campaign(tmp_path, "manca.csv")))
    at = run_app()
    assert not at.exception and not at.error
    notes = [c.value for c in at.sidebar.caption if "IndicePA" in c.value]
    assert notes == [
        ":material/warning: "
        + md_escape(
            f"contatti IndicePA non disponibili (File non trovato: {tmp_path / 'manca.csv'}). Sono facoltativi: i "
            "promemoria usano gli indirizzi dell'elenco dei comuni e di chi ha compilato il modulo."
        )
    ]
    assert not at.sidebar.warning or all("IndicePA" not in w.value for w in at.sidebar.warning)
    at.switch_page("pages/promemoria.py").run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 4


def test_a_registry_that_loses_many_rows_is_held_back_until_accepted(tmp_path, served):
    header, *rows = ENTI.read_text(encoding="utf-8").splitlines(keepends=True)
    filler = [f'"ente_{n}","Ente {n}","","Pubbliche Amministrazioni","L37"' + ",," * 14 + f'"e{n}@pec.example","Pec"\r\n' for n in range(200)]  # fmt: skip
    served.routes["/enti.csv"] = (200, CSV, "".join([header, *rows, *filler]).encode())
    config = load_config(official_campaign(tmp_path, f"{served.base}/enti.csv"))
    cache = tmp_path / ".rollout-cache"
    load(config, cache_dir=cache)
    served.routes["/enti.csv"] = (200, CSV, "".join([header, *rows, *filler[:140]]).encode())  # 60 rows fewer
    [stale] = load(config, cache_dir=cache).stale
    assert (stale.role, stale.suspect, stale.stale_reason) == (
        "contatti IndicePA", True, "il foglio appena letto ha 155 righe, l'ultima copia buona ne ha 215",
    )  # fmt: skip
    assert load(config, cache_dir=cache, accept=True).stale == ()
    served.routes["/enti.csv"] = (200, CSV, "".join([header, *rows, *filler[:100]]).encode())  # 40 fewer: merges
    assert load(config, cache_dir=cache).stale == ()
