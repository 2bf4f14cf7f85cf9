"""Reminder drafts: wording per reason, mailto: links, .eml files any mail client opens, the ZIP."""

from __future__ import annotations

import datetime as dt
import email
import functools
import io
import zipfile
from email import policy
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from conftest import COMUNI_CSV, responses, snapshot
from rollout.config import parse_config
from rollout.errors import InputError
from rollout.reminders.drafts import (
    DEFAULT_TEMPLATES,
    Templates,
    drafts,
    drafts_zip,
    eml_bytes,
    eml_name,
    mailto,
    reminders_list,
    templates_from_config,
    usable_address,
)
from rollout.reminders.log import Mark, ReminderLog

FORM = "https://forms.gle/scgmbdbBty99G9gD9"
CAMPAIGN = responses(
    "1/9/2023 10.15.32,segreteria@comune.montecorvinorovella.sa.it,Montecorvino Rovella,Greco,Anna,"
    "anna.greco@comune.montecorvinorovella.sa.it,1) Editor Sito Web",
    "20/9/2023 09.00.00,,Castel d'Azzano,Rossi,Paolo,paolo.rossi@comune.casteldazzano.vr.it,"
    "3) Editor Amministrazione Trasparente",
    '5/9/2023 11.00.00,,Paterno,Bianchi,Luca,l.bianchi@comune.paterno.pz.it,"1) Editor Sito Web, '
    '3) Editor Amministrazione Trasparente"',
    "6/9/2023 12.00.00,ufficio@comune.paterno.ct.it,Paternò,Verdi,Giulia,g.verdi@comune.paterno.ct.it,"
    "2) Editor Newsletter",
)
TEMPLATES = Templates(sender="Gruppo PNRR <pnrr@example.it>", signature="Il gruppo di progetto PNRR 1.4.1")


@functools.cache
def campaign_snapshot():
    return snapshot(CAMPAIGN)  # deadline 13/09/2023, as_of 29/09/2023 12:00


@pytest.fixture
def snap():
    return campaign_snapshot()


@pytest.fixture
def letters(snap):
    return drafts(reminders_list(snap), snap.settings, TEMPLATES, "Campagna", FORM)


def by_comune(frame: pd.DataFrame, name: str, province: str) -> pd.Series:
    rows = frame.loc[(frame["comune"] == name) & (frame["province"] == province)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_the_list_says_why_and_how_to_reach_each_comune(snap, tmp_path):
    log = ReminderLog(tmp_path / "promemoria.sqlite3")
    log.record([Mark("063045", "Melito di Napoli")], dt.date(2023, 9, 15), "email")
    log.record([Mark("063045", "Melito di Napoli")], dt.date(2023, 9, 22), "pec")
    table = reminders_list(snap, marks=log.summary())
    expected = pd.DataFrame(
        [
            ["Calliano", "AT", "005013", "missing", 16, "", "nessun contatto disponibile"],
            ["Melito di Napoli", "NA", "063045", "missing", 16, "urp@comune.melito.na.it", "elenco comuni"],
            ["Calliano", "TN", "022035", "missing", 16, "", "nessun contatto disponibile"],
            ["Paternò", "CT", "087033", "no_at_editor", 0, "ufficio@comune.paterno.ct.it",
             "indirizzo di chi ha compilato il modulo"],
            ["Montecorvino Rovella", "SA", "065074", "no_at_editor", 0, "segreteria@comune.montecorvinorovella.sa.it",
             "elenco comuni"],
        ],
        columns=["comune", "province", "code", "reason", "days_late", "contact", "contact_source"],
    )  # fmt: skip
    assert_frame_equal(table[expected.columns], expected)
    melito = by_comune(table, "Melito di Napoli", "NA")
    assert melito[["reminders_sent", "last_reminder", "last_channel"]].to_dict() == {
        "reminders_sent": 2, "last_reminder": "2023-09-22", "last_channel": "PEC",
    }  # fmt: skip
    assert by_comune(table, "Paternò", "CT")[["reminders_sent", "last_reminder", "last_channel"]].to_dict() == {
        "reminders_sent": 0, "last_reminder": "", "last_channel": "",
    }  # fmt: skip


def test_a_missing_comune_gets_the_reminder_past_the_deadline(letters):
    melito = by_comune(letters, "Melito di Napoli", "NA")
    assert melito["to"] == "urp@comune.melito.na.it"
    assert melito["subject"] == "Sollecito: nominativi degli editor del nuovo sito web - Comune di Melito di Napoli"
    assert melito["body"] == (
        "Gentile Ciro Esposito,\n\n"
        "la scadenza di mercoledì 13 settembre 2023 per l'invio dei nominativi dei dipendenti a cui rilasciare "
        "i permessi di editor del nuovo sito web comunale e dei servizi digitali per il cittadino (Misura 1.4.1 "
        "del PNRR) è stata superata da 16 giorni, e non abbiamo ancora ricevuto nessuna risposta dal Comune di "
        "Melito di Napoli.\n\n"
        "Senza questi dati non possiamo configurare gli account: vi preghiamo di compilare il modulo on-line "
        "al più presto.\n\n"
        "Il modulo va compilato e inviato una volta per ciascun dipendente, barrando uno o più permessi di editor:\n"
        "https://forms.gle/scgmbdbBty99G9gD9\n\n"
        "Ricordiamo di indicare almeno un dipendente con il permesso Editor Amministrazione Trasparente.\n\n"
        "Grazie per la collaborazione.\nCordiali saluti\nIl gruppo di progetto PNRR 1.4.1\n"
    )


def test_an_answer_without_at_editor_gets_its_own_wording(letters):
    paterno = by_comune(letters, "Paternò", "CT")
    assert paterno["subject"] == "Manca l'editor Amministrazione Trasparente - Comune di Paternò"
    assert paterno["to"] == "ufficio@comune.paterno.ct.it"
    assert paterno["address"] == "indirizzo di chi ha compilato il modulo"
    body = paterno["body"]
    assert body.startswith("Spettabile Comune di Paternò,\n\ngrazie per averci inviato i nominativi")
    assert "non risulta però nessun Editor Amministrazione Trasparente" in body
    assert (
        "\nPermessi ancora senza editor: Sito Web, Amministrazione Trasparente, Servizi - Ufficio Demografico, "
        "Servizi - Ufficio Segreteria, Servizi - Ufficio Tecnico, Servizi - Ufficio Tributi.\n"
    ) in body
    assert "vale l'ultima risposta inviata" in body


def test_before_the_deadline_the_reminder_counts_the_days_left():
    snap = snapshot(CAMPAIGN, as_of="2023-09-08T18:00:00")
    letters = drafts(reminders_list(snap), snap.settings, Templates(), "", "")
    melito = by_comune(letters, "Melito di Napoli", "NA")
    assert melito["reason"] == "pending"
    assert melito["subject"] == "Promemoria: nominativi degli editor del nuovo sito web - Comune di Melito di Napoli"
    assert "entro mercoledì 13 settembre 2023 (mancano 5 giorni alla scadenza)." in melito["body"]
    # Without form_url the body points to the request already received, never to an empty link.
    assert "(il link del modulo è nella richiesta che avete ricevuto)" in melito["body"]
    assert melito["body"].endswith("Cordiali saluti\n")


def test_a_comune_without_a_usable_address_is_kept_and_said_so(letters):
    calliano = letters.loc[letters["comune"] == "Calliano"]
    expected = pd.DataFrame(
        [
            ["AT", "", "nessun indirizzo utilizzabile (nessun contatto disponibile)"],
            ["TN", "", "nessun indirizzo utilizzabile (nessun contatto disponibile)"],
        ],
        columns=["province", "to", "address"],
    )
    assert_frame_equal(calliano[expected.columns].reset_index(drop=True), expected)
    assert calliano["mailto"].str.startswith("mailto:?subject=Sollecito").all()


def test_an_invalid_address_in_the_list_is_not_used():
    comuni = COMUNI_CSV.replace("urp@comune.melito.na.it", "urp(at)comune.melito.na.it")
    snap = snapshot(CAMPAIGN, comuni_csv=comuni)
    melito = by_comune(drafts(reminders_list(snap), snap.settings, Templates()), "Melito di Napoli", "NA")
    assert melito["to"] == ""
    assert melito["address"] == (
        "nessun indirizzo utilizzabile (indirizzo nell'elenco non valido: urp(at)comune.melito.na.it)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("URP@Comune.Melito.NA.it", "urp@comune.melito.na.it"),
        ("mailto:urp@comune.melito.na.it", "urp@comune.melito.na.it"),
        ("urp(at)comune.melito.na.it", ""),
        ("urp@comune", ""),
        ("mario rossi@comune.it", ""),
        ("a@b.it\r\nBcc: spia@example.com", ""),
        ("", ""),
    ],
)
def test_addresses_are_validated(text, expected):
    assert usable_address(text) == expected


def test_mailto_links_are_percent_encoded():
    subject = "Sollecito & promemoria: Comune di Sant'Agata? #1 = 100%"
    body = "Gentile Anna,\nriga due con àccènti + più\n\nfine"
    link = mailto("ufficio+pnrr@comune.it", subject, body)
    assert " " not in link and "\n" not in link and "#" not in link
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    assert unquote(parts.path) == "ufficio+pnrr@comune.it"
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["subject"] == [subject]
    assert query["body"] == ["Gentile Anna,\r\nriga due con àccènti + più\r\n\r\nfine"]  # RFC 6068: CRLF
    assert link.startswith("mailto:ufficio%2Bpnrr@comune.it?subject=Sollecito%20%26%20promemoria%3A%20Comune")


def test_every_draft_link_decodes_to_its_draft(letters):
    for row in letters.itertuples():
        parts = urlsplit(row.mailto)
        query = parse_qs(parts.query)
        assert unquote(parts.path) == row.to
        assert query["subject"] == [row.subject]
        assert query["body"][0].replace("\r\n", "\n") == row.body


def parse_eml(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def test_eml_files_parse_with_the_standard_library(letters):
    paterno = by_comune(letters, "Paternò", "CT")
    data = eml_bytes(paterno["to"], paterno["subject"], paterno["body"], "Paternò", TEMPLATES.sender)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends, as mail wants
    message = parse_eml(data)
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Comune di Paternò", "ufficio@comune.paterno.ct.it")
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Gruppo PNRR", "pnrr@example.it")
    assert message["Subject"] == "Manca l'editor Amministrazione Trasparente - Comune di Paternò"
    assert message["X-Unsent"] == "1"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == paterno["body"]


def test_a_name_with_a_line_break_cannot_inject_headers(snap):
    table = reminders_list(snap)
    table.loc[table["comune"] == "Paternò", "comune"] = "Paternò\r\nBcc: spia@example.com"
    paterno = drafts(table, snap.settings, TEMPLATES).iloc[3]
    message = parse_eml(eml_bytes(paterno["to"], paterno["subject"], paterno["body"], "", ""))
    assert message["Bcc"] is None
    assert message["Subject"] == "Manca l'editor Amministrazione Trasparente - Comune di Paternò Bcc: spia@example.com"


def test_the_zip_holds_one_eml_per_comune_and_an_index(snap, letters):
    data = drafts_zip(letters, TEMPLATES, snap.settings.as_of_local)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [
        "001 Calliano (AT).eml",
        "002 Melito di Napoli (NA).eml",
        "003 Calliano (TN).eml",
        "004 Paternò (CT).eml",
        "005 Montecorvino Rovella (SA).eml",
        "elenco.csv",
        "LEGGIMI.txt",
    ]
    melito = parse_eml(archive.read("002 Melito di Napoli (NA).eml"))
    assert melito["To"].addresses[0].addr_spec == "urp@comune.melito.na.it"
    assert melito["Subject"] == "Sollecito: nominativi degli editor del nuovo sito web - Comune di Melito di Napoli"
    assert "è stata superata da 16 giorni" in melito.get_content()
    calliano = parse_eml(archive.read("001 Calliano (AT).eml"))
    assert calliano["To"] is None  # no usable address: the draft is there, the PM fills the recipient in
    index = pd.read_csv(io.BytesIO(archive.read("elenco.csv")), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    expected = pd.DataFrame(
        [
            ["001 Calliano (AT).eml", "", "nessun indirizzo utilizzabile (nessun contatto disponibile)"],
            ["002 Melito di Napoli (NA).eml", "urp@comune.melito.na.it", "elenco comuni"],
        ],
        columns=["File", "Destinatario", "Fonte dell'indirizzo"],
    )
    assert_frame_equal(index[expected.columns].head(2), expected)
    readme = archive.read("LEGGIMI.txt").decode("utf-8")
    assert "2 comuni senza un indirizzo utilizzabile: la bozza non ha destinatario." in readme
    assert "- Calliano (TN): nessun indirizzo utilizzabile (nessun contatto disponibile)" in readme
    assert archive.getinfo("elenco.csv").date_time == (2023, 9, 29, 12, 0, 0)


def test_file_names_are_safe():
    assert eml_name(7, "../../etc/passwd", "") == "007 etc_passwd.eml"
    assert eml_name(12, "Sant'Egidio del Monte Albino", "SA") == "012 Sant'Egidio del Monte Albino (SA).eml"
    assert eml_name(1, 'a:b*c?"<>|', "NA") == "001 a_b_c (NA).eml"


def test_templates_come_from_the_configuration(snap, tmp_path):
    config = parse_config(
        {
            "form_url": FORM,
            "reminders": {
                "signature": "Ufficio PNRR",
                "missing": {"subject": "[{provincia}] {comune}: {ritardo} di ritardo",
                            "body": "{saluto}, manca tutto dal {scadenza} ({giorni_ritardo}). {{graffe}} {firma}"},
            },
        },
        tmp_path,
    )  # fmt: skip
    templates = templates_from_config(config)
    assert templates.texts["pending"] == DEFAULT_TEMPLATES["pending"]
    melito = by_comune(drafts(reminders_list(snap), snap.settings, templates), "Melito di Napoli", "NA")
    assert melito["subject"] == "[NA] Melito di Napoli: 16 giorni di ritardo"
    assert melito["body"] == "Gentile Ciro Esposito, manca tutto dal 13/09/2023 (16). {graffe} Ufficio PNRR\n"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"missing": {"body": "Ciao {nome}"}}, "[reminders.missing] body: segnaposto sconosciuto {nome}."),
        ({"pending": {"subject": "{comune.__class__}"}}, "[reminders.pending] subject: segnaposto sconosciuto"),
        ({"pending": {"subject": "{comune!r}"}}, "[reminders.pending] subject: segnaposto sconosciuto {comune}"),
        ({"no_at_editor": {"body": "graffa { aperta"}}, "[reminders.no_at_editor] body: parentesi graffe"),
        ({"pending": {"oggetto": "x"}}, "[reminders.pending] deve contenere solo subject e body"),
        ({"firma": "x"}, "Chiave sconosciuta in [reminders]: firma."),
        ({"sender": "non un indirizzo"}, "[reminders] sender non è un indirizzo email valido"),
    ],
)
def test_bad_templates_are_explained(tmp_path, section, message):
    with pytest.raises(InputError) as info:
        templates_from_config(parse_config({"reminders": section}, tmp_path))
    assert str(info.value).startswith(message)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80)


@settings(max_examples=150, deadline=None)
@given(subject=_TEXT, body=_TEXT)
def test_any_text_survives_a_mailto_link(subject, body):
    link = mailto("urp@comune.melito.na.it", subject, body)
    assert link.isascii() and not any(c in link for c in ' \r\n\t#<>"')
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    assert query["subject"] == [subject]
    assert query["body"] == [body.replace("\r\n", "\n").replace("\n", "\r\n")]


@settings(max_examples=100, deadline=None)
@given(comune=_TEXT.filter(lambda t: t.strip()), province=st.sampled_from(["", "NA", "TN"]))
def test_any_comune_name_gives_a_safe_file_and_a_one_line_subject(comune, province):
    snap = campaign_snapshot()
    name = eml_name(1, comune, province)
    assert "/" not in name and "\\" not in name and not name.startswith(".") and len(name) <= 100
    table = reminders_list(snap).iloc[[1]].assign(comune=comune, province=province)
    letter = drafts(table, snap.settings, TEMPLATES).iloc[0]
    message = parse_eml(eml_bytes(letter["to"], letter["subject"], letter["body"], comune, TEMPLATES.sender))
    assert set(message.keys()) == {"From", "To", "Subject", "X-Unsent", "Content-Type", "Content-Transfer-Encoding",
                                   "MIME-Version"}  # fmt: skip
    assert message["Subject"] == " ".join(letter["subject"].split())
    assert message["To"].addresses[0].addr_spec == "urp@comune.melito.na.it"
