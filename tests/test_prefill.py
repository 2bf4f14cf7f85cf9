"""Pre-filled form links: each comune receives the form with its own name exactly as listed."""

from __future__ import annotations

import csv
import email
import io
import zipfile
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import openpyxl
import pytest

from conftest import COMUNI_CSV, responses, snapshot
from rollout import cli
from rollout.config import Config, parse_config
from rollout.errors import InputError
from rollout.outputs.links import FormLink, prefilled_link
from rollout.outputs.quality import exact_names
from rollout.read.reference import national_comuni

FORM = "https://docs.google.com/forms/d/e/1FAIpQLSe_prova/viewform"


def answers(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query, keep_blank_values=True, strict_parsing=True)


def test_every_comune_of_italy_round_trips_to_its_exact_name():
    form = FormLink(FORM, "entry.1234567", "entry.7654321")
    comuni = national_comuni()
    assert len(comuni) > 7800
    for m in comuni:
        link = form.for_comune(m.name, m.province)
        assert link.startswith(FORM + "?usp=pp_url&entry.1234567=")
        assert answers(link) == {"usp": ["pp_url"], "entry.1234567": [m.name], "entry.7654321": [m.province]}, m
        query = urlsplit(link).query
        assert not set(" '’àèéìòù") & set(query), link  # every reserved or non-ASCII character encoded


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("Avella", "Avella"),
        ("Castel d'Azzano", "Castel%20d%27Azzano"),
        ("Sant’Agata de’ Goti", "Sant%E2%80%99Agata%20de%E2%80%99%20Goti"),
        ("Paternò", "Patern%C3%B2"),
        ("Forlì & Cesena", "Forl%C3%AC%20%26%20Cesena"),
        ("Bolzano/Bozen", "Bolzano%2FBozen"),
        ("A=B+C#?", "A%3DB%2BC%23%3F"),
    ],
)
def test_reserved_characters_are_percent_encoded(name, encoded):
    assert prefilled_link(FORM, [("entry.11", name)]) == f"{FORM}?usp=pp_url&entry.11={encoded}"
    assert answers(prefilled_link(FORM, [("entry.11", name)]))["entry.11"] == [name]


def test_the_links_own_parameters_are_kept_and_usp_replaced():
    link = prefilled_link(FORM + "?usp=sf_link&hl=it#top", [("entry.5", "Paternò"), ("entry.6", "")])
    assert link == FORM + "?hl=it&usp=pp_url&entry.5=Patern%C3%B2#top"
    again = prefilled_link(link, [("entry.5", "Avella")])  # a link already pre-filled is filled anew
    assert parse_qsl(urlsplit(again).query) == [("hl", "it"), ("usp", "pp_url"), ("entry.5", "Avella")]


def test_without_a_field_every_comune_gets_the_plain_link():
    assert FormLink(FORM).for_comune("Avella", "AV") == FORM
    assert FormLink().for_comune("Avella") == ""
    assert FormLink(FORM, "entry.1").prefills and not FormLink(FORM).prefills


def test_configuration_of_the_fields(tmp_path):
    config = parse_config(
        {"form_url": FORM, "form_prefill_field": " 1234567 ", "form_prefill_code_field": "entry.99"}, tmp_path
    )
    assert (config.form_prefill_field, config.form_prefill_province_field, config.form_prefill_code_field) == (
        "entry.1234567",
        "",
        "entry.99",
    )
    assert FormLink.from_config(config).for_comune("Avella", "AV", "A508") == (
        FORM + "?usp=pp_url&entry.1234567=Avella&entry.99=A508"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"form_url": FORM, "form_prefill_field": "Comune"}, "form_prefill_field non valido: 'Comune'."),
        ({"form_url": FORM, "form_prefill_field": "entry.12&x=1"}, "form_prefill_field non valido"),
        ({"form_prefill_field": "entry.1234567"}, "form_prefill_field richiede form_url"),
        ({"form_url": FORM, "form_prefill_province_field": "entry.1"}, "richiedono anche form_prefill_field"),
    ],
)
def test_bad_fields_are_reported_in_italian(data, message, tmp_path):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_config(data, tmp_path)


CAMPAIGN = responses(
    "1/9/2023 10.15.32,x@y.it,Montecorvino Rovella,Greco,Anna,a@x.it,1) Editor Sito Web",
    '5/9/2023 11.00.00,,Paterno,Bianchi,Luca,l@x.it,"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
    "6/9/2023 11.00.00,,castel d azzano,Neri,Ugo,u@x.it,2) Editor Newsletter",
    "7/9/2023 11.00.00,,Castel d'Azzano,Neri,Ugo,u@x.it,2) Editor Newsletter",
    "8/9/2023 11.00.00,,Comune di Calliano (TN),Sala,Eva,e@x.it,2) Editor Newsletter",
    "9/9/2023 11.00.00,,Roma,Sala,Eva,e@x.it,2) Editor Newsletter",
)


def test_quality_counts_responses_with_the_exact_listed_name():
    snap = snapshot(CAMPAIGN)
    # Montecorvino Rovella, Paterno and the second Castel d'Azzano are exact; the typed variants and
    # the unmatched Roma are not; the replaced response still counts as a response that came in.
    assert exact_names(snap) == (3, 5)
    assert exact_names(snapshot(CAMPAIGN, as_of="2023-09-06T12:00:00")) == (2, 3)


@pytest.fixture
def campaign(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        f'deadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\nform_url = "{FORM}"\n'
        'form_prefill_field = "entry.1234567"\nform_prefill_province_field = "entry.42"\n'
        'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_reminders_export_and_drafts_carry_each_comunes_own_link(campaign, capsys):
    out = campaign / "out"
    code = cli.main(["reminders", "export", "--config", str(campaign / "rollout.toml"), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO((out / "reminders.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["comune"], r["province"]) for r in rows] == [
        ("Calliano", "AT"), ("Paternò", "CT"), ("Melito di Napoli", "NA"), ("Montecorvino Rovella", "SA"),
        ("Calliano", "TN"), ("Castel d'Azzano", "VR"),
    ]  # fmt: skip
    for r in rows:
        assert answers(r["link_modulo"]) == {
            "usp": ["pp_url"], "entry.1234567": [r["comune"]], "entry.42": [r["province"]]
        }  # fmt: skip
    links = {(r["comune"], r["province"]): r["link_modulo"] for r in rows}
    sheet = openpyxl.load_workbook(out / "reminders.xlsx").active
    header = [c.value for c in sheet[1]]
    in_xlsx = [row[header.index("Link al modulo")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert in_xlsx == [r["link_modulo"] for r in rows]
    with zipfile.ZipFile(out / "reminder-drafts.zip") as archive:
        bodies = {
            n: email.message_from_bytes(archive.read(n), policy=policy.default).get_content()
            for n in archive.namelist()
            if n.endswith(".eml")
        }
    assert len(bodies) == 6
    azzano = next(b for n, b in bodies.items() if "Castel d'Azzano" in n)
    assert links["Castel d'Azzano", "VR"] in azzano.splitlines()
    assert links["Castel d'Azzano", "VR"] == FORM + "?usp=pp_url&entry.1234567=Castel%20d%27Azzano&entry.42=VR"
    paterno = next(b for n, b in bodies.items() if "Patern" in n)
    assert FORM + "?usp=pp_url&entry.1234567=Patern%C3%B2&entry.42=CT" in paterno.splitlines()


def test_reminders_table_without_a_form_has_an_empty_link_column():
    from rollout.reminders.drafts import EXPORT_COLUMNS, export_frame, reminders_list

    table = reminders_list(snapshot(CAMPAIGN))
    assert list(export_frame(table).columns) == list(EXPORT_COLUMNS)
    assert set(table["link_modulo"]) == {""}
    plain = reminders_list(snapshot(CAMPAIGN), form=FormLink.from_config(Config(form_url=FORM)))
    assert set(plain["link_modulo"]) == {FORM}


def test_the_demo_configuration_still_loads():
    from rollout.config import DEMO_CONFIG, load_config

    config = load_config(DEMO_CONFIG)
    assert config.form_prefill_field == "" and FormLink.from_config(config).for_comune("Avella") == config.form_url
    assert Path(config.form_url).name == "scgmbdbBty99G9gD9"


# -- every link the tracker writes is a form's link (issue 18) ------------------------------------------

ADVICE = (
    ". Usa il link del modulo Google (https://docs.google.com/forms/… o https://forms.gle/…), oppure indica il "
    "sito del modulo in form_hosts (vedi docs/configuration.md, «Top-level keys»)."
)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://docs.google.com/forms/d/e/x/viewform", "non è un link https://"),
        ("javascript:alert(1)", "non è un link https://"),
        ("https://evil.example/forms/x", "porta al sito evil.example, che non è Google Moduli né uno dei siti di "
         "form_hosts"),
        ("https://docs.google.com.evil.example/forms/x", "porta al sito docs.google.com.evil.example, che non è "
         "Google Moduli né uno dei siti di form_hosts"),
        ("https://docs.google.com@evil.example/forms/x", "ha un nome utente prima del sito (@)"),
        ("https://docs.google.com\\@evil.example/forms/x", "contiene spazi o caratteri che un link non può avere"),
        ("https://docs.google.com/forms/x\nBcc: a@b.it", "contiene spazi o caratteri che un link non può avere"),
        ("https://docs.google.com/spreadsheets/d/x", "non è il link di un modulo (su docs.google.com inizia con "
         "/forms/)"),
        ("https://forms.gle/", "non è il link di un modulo"),
        ("https://docs.google.com:8443/forms/d/x", "indica una porta di rete"),
    ],
)  # fmt: skip
def test_a_form_url_that_is_not_a_forms_link_is_a_configuration_error(url, why, tmp_path):
    """Before: any text was accepted and written as the link of every draft, note, CSV/XLSX and mail."""
    shown = url.replace("\n", "?")
    with pytest.raises(InputError) as info:
        parse_config({"form_url": url}, tmp_path)
    assert str(info.value) == f"form_url non valido: '{shown}' {why}{ADVICE}"
    with pytest.raises(InputError):  # whatever builds the configuration
        Config(form_url=url)


def test_a_form_on_a_host_of_the_configuration_is_accepted(tmp_path):
    config = parse_config({"form_url": "https://moduli.azienda.it/pnrr?x=1", "form_hosts": ["Moduli.Azienda.it"]},
                          tmp_path)  # fmt: skip
    assert config.form_hosts == ("moduli.azienda.it",)
    assert FormLink.from_config(config).for_comune("Avella") == "https://moduli.azienda.it/pnrr?x=1"
    for url in (FORM, "https://forms.gle/scgmbdbBty99G9gD9", "HTTPS://DOCS.GOOGLE.COM/forms/d/e/x/viewform"):
        assert parse_config({"form_url": url}, tmp_path).form_url == url
    with pytest.raises(InputError) as info:
        parse_config({"form_hosts": ["https://moduli.azienda.it/x"]}, tmp_path)
    assert str(info.value) == (
        "form_hosts: 'https://moduli.azienda.it/x' non è il nome di un sito (solo il nome, come "
        "moduli.azienda.it, senza https:// né percorso)."
    )


def test_the_command_line_says_it_in_one_line(campaign, capsys):
    text = (campaign / "rollout.toml").read_text(encoding="utf-8").replace(FORM, "https://evil.example/modulo")
    (campaign / "rollout.toml").write_text(text, encoding="utf-8")
    code = cli.main(["reminders", "export", "--config", str(campaign / "rollout.toml"), "--out", str(campaign / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err == (
        "errore: form_url non valido: 'https://evil.example/modulo' porta al sito evil.example, che non è Google "
        f"Moduli né uno dei siti di form_hosts{ADVICE}\n"
    )
    assert not (campaign / "o").exists()
