"""The formal note of the accounts: one DOCX per comune with its current editors and permissions."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
import runpy
import subprocess
import sys
import zipfile
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import docx
import pytest

from conftest import ROOT, responses, snapshot
from rollout import cli
from rollout.config import AccountsSettings, Config, parse_config
from rollout.errors import InputError
from rollout.outputs.notes import (
    DEFAULT_TEMPLATE,
    NoteTemplate,
    note_address,
    note_contexts,
    note_names,
    note_subject,
    note_text,
    notes_zip,
    write_notes,
)

COMUNI = """Comune,Provincia,Codice ISTAT,Referente,Email referente,PEC
Castel d'Azzano,VR,023021,Paolo Rossi,segreteria@comune.casteldazzano.vr.it,protocollo@pec.comune.casteldazzano.vr.it
Paternò,CT,087033,,,protocollo@pec.comune.paterno.ct.it
Melito di Napoli,NA,063045,Ciro Esposito,urp@comune.melito.na.it,
"""
FIELD = '<w:fldSimple w:instr="HYPERLINK http://evil.example"/>'
CAMPAIGN = responses(
    '1/9/2023 10.15.32,x@y.it,Castel d\'Azzano,Bianchi,Luca,luca.bianchi@x.it,"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
    "3/9/2023 10.15.32,x@y.it,Castel d'Azzano,Bianchi,Luca,luca.bianchi@x.it,2) Editor Newsletter",
    '2/9/2023 09.00.00,x@y.it,Castel d\'Azzano,"<w:fldSimple w:instr=""HYPERLINK http://evil.example""/>",{{ comune }} {% raw %},evil@x.it,7) Editor Servizi - Ufficio Tributi',
    '4/9/2023 11.00.00,,Paternò,=1+1,"HYPERLINK ""http://evil.example""",p@x.it,"6) Editor Servizi - Ufficio Tecnico, 3) Editor Amministrazione Trasparente"',
    '4/9/2023 12.00.00,,Paternò,{ Verdi,http://evil.example/a?b=1&c=2,v@x.it,"Editor Sito Web, Editor Servizi - Ufficio Demografico"',
    '5/9/2023 12.00.00,,Paternò,Zeta,Anna,,"7) Editor Servizi - Ufficio Tributi, 2) Editor Newsletter, 5) Editor Servizi - Ufficio '
    "Segreteria, 1) Editor Sito Web, 4) Editor Servizi - Ufficio Demografico, 3) Editor Amministrazione Trasparente, "
    '6) Editor Servizi - Ufficio Tecnico"',
)
AZZANO_EDITORS = [
    (f"1. {FIELD} {{{{ comune }}}} {{% raw %}} (evil@x.it)", "Permessi: Editor Servizi - Ufficio Tributi"),
    ("2. Bianchi Luca (luca.bianchi@x.it)", "Permessi: Editor Newsletter"),
]
SEVEN = (
    "Editor Sito Web; Editor Newsletter; Editor Amministrazione Trasparente; Editor Servizi - Ufficio Demografico; "
    "Editor Servizi - Ufficio Segreteria; Editor Servizi - Ufficio Tecnico; Editor Servizi - Ufficio Tributi"
)
PATERNO_EDITORS = [
    ('1. =1+1 HYPERLINK "http://evil.example" (p@x.it)',
     "Permessi: Editor Amministrazione Trasparente; Editor Servizi - Ufficio Tecnico"),
    ("2. Zeta Anna", f"Permessi: {SEVEN}"),
    ("3. { Verdi http://evil.example/a?b=1&c=2 (v@x.it)", "Permessi: Editor Sito Web; Editor Servizi - Ufficio Demografico"),
]  # fmt: skip
FORM = "https://docs.google.com/forms/d/e/prova/viewform"
CONFIG = Config(
    campaign="Account editor nuovi siti web comunali",
    form_url=FORM,
    form_prefill_field="entry.1234567",
    accounts=AccountsSettings(signature="Il gruppo di progetto PNRR 1.4.1"),
)


@pytest.fixture(scope="module")
def snap():
    return snapshot(CAMPAIGN, COMUNI)


@pytest.fixture(scope="module")
def notes(snap):
    """Each comune's context and its note opened with python-docx."""
    template = NoteTemplate()
    return {c["comune"]: (c, docx.Document(io.BytesIO(template.render(c)))) for c in note_contexts(snap, CONFIG)}


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def employees(document) -> list[tuple[str, str]]:
    """The employees' lines: ``N. Name (email)`` and ``Permessi: …`` below it."""
    lines = texts(document)
    return [(a, b) for a, b in itertools.pairwise(lines) if re.match(r"\d+\. ", a) and b.startswith("Permessi: ")]


def test_one_note_per_comune_with_editors(notes):
    assert list(notes) == ["Castel d'Azzano", "Paternò"]  # Melito di Napoli has no editor: no note


def test_the_note_lists_exactly_the_current_editors_and_their_latest_permissions(notes):
    document = notes["Castel d'Azzano"][1]
    # Bianchi Luca corrected his response: only the latest permissions (Newsletter) are granted.
    assert employees(document) == AZZANO_EDITORS
    assert employees(notes["Paternò"][1]) == PATERNO_EDITORS  # in the request's order, whatever the form's
    assert not document.tables


def test_the_note_is_addressed_to_the_comune_with_campaign_date_and_protocol(notes):
    lines = texts(notes["Castel d'Azzano"][1])
    assert lines[:6] == [
        "Prot. n. ____________ del ____________",
        "29 settembre 2023",
        "Spettabile Comune di Castel d'Azzano (VR)",
        "Alla cortese attenzione di Paolo Rossi",
        "PEC: protocollo@pec.comune.casteldazzano.vr.it",
        "Email: segreteria@comune.casteldazzano.vr.it",
    ]
    assert (
        "Oggetto: Misura 1.4.1 del PNRR “Esperienza del Cittadino nei servizi pubblici” - Account editor nuovi "
        "siti web comunali: comunicazione degli account e dei permessi rilasciati ai dipendenti del Comune di "
        "Castel d'Azzano" in lines
    )
    assert "Gentile Paolo Rossi," in lines
    assert lines[-3:] == [
        "Restiamo a disposizione per ogni chiarimento.",
        "Cordiali saluti",
        "Il gruppo di progetto PNRR 1.4.1",
    ]
    paterno = texts(notes["Paternò"][1])
    assert paterno[2:5] == ["Spettabile Comune di Paternò (CT)", "PEC: protocollo@pec.comune.paterno.ct.it", ""]
    assert "Spettabile Comune di Paternò," in paterno


def test_the_seven_permissions_in_the_requests_wording_and_order():
    request = ROOT.parent / "shared" / "seed" / "richiesta-dati-account.txt"
    if not request.exists():
        pytest.skip("the request's text is not beside the project")
    seed = " ".join(request.read_text(encoding="utf-8").split())  # the request has a no-break space after "1)"
    found = [seed.index(f"{n}) {label}:") for n, label in enumerate(SEVEN.split("; "), start=1)]
    assert found == sorted(found)


def test_only_a_comune_without_an_at_editor_is_asked_for_one(notes):
    azzano = texts(notes["Castel d'Azzano"][1])
    ask = [line for line in azzano if line.startswith("Tra i dipendenti indicati non risulta nessun Editor Amm")]
    assert len(ask) == 1
    link = FORM + "?usp=pp_url&entry.1234567=Castel%20d%27Azzano"
    assert f"compilando il modulo on-line ({link}); se il permesso" in ask[0]
    assert not [line for line in texts(notes["Paternò"][1]) if "non risulta nessun Editor" in line]


def test_form_texts_never_become_fields_hyperlinks_or_markup(notes):
    for _, document in notes.values():
        tags = {element.tag.split("}")[-1] for element in document.element.iter()}
        assert not tags & {"fldSimple", "instrText", "fldChar", "hyperlink", "sdt", "object"}
        assert not document.part.rels or all("hyperlink" not in r.reltype for r in document.part.rels.values())
    # the texts are there, verbatim, as plain text
    assert employees(notes["Castel d'Azzano"][1])[0][0] == f"1. {FIELD} {{{{ comune }}}} {{% raw %}} (evil@x.it)"


def test_control_characters_cannot_break_the_document(snap):
    from rollout.outputs.notes import plain

    assert plain("Rossi\x00\x0b\n Mario\u2028\x07") == "Rossi Mario"
    context = note_contexts(snap, CONFIG)[0]
    context["dipendenti"][0]["nome"] = "Rossi\x00\x0b\x07\x0c Mario"  # as another caller might pass it
    document = docx.Document(io.BytesIO(NoteTemplate().render(context)))
    assert employees(document)[0][0] == "1. Rossi Mario (evil@x.it)"


def test_the_plain_text_has_the_same_content(notes):
    context, _ = notes["Castel d'Azzano"]
    text = note_text(context)
    assert note_subject(context).startswith("Misura 1.4.1 del PNRR")
    assert note_address(context) == "protocollo@pec.comune.casteldazzano.vr.it"
    assert note_address({"pec": "", "email": "urp@comune.melito.na.it"}) == "urp@comune.melito.na.it"
    assert "1. Bianchi Luca" not in text
    assert (
        f"1. {FIELD} {{{{ comune }}}} {{% raw %}} (evil@x.it)\n   Permessi: Editor Servizi - Ufficio Tributi\n" in text
    )
    assert "2. Bianchi Luca (luca.bianchi@x.it)\n   Permessi: Editor Newsletter\n" in text
    assert text.startswith(
        "Prot. n. ____________ del ____________\n29 settembre 2023\n\nSpettabile Comune di Castel d'Azzano (VR)\n"
        "Alla cortese attenzione di Paolo Rossi\nPEC: protocollo@pec.comune.casteldazzano.vr.it\n"
    )
    assert "non risulta nessun Editor Amministrazione Trasparente" in text
    assert text.endswith("Cordiali saluti\nIl gruppo di progetto PNRR 1.4.1\n")
    assert "non risulta nessun Editor" not in note_text(notes["Paternò"][0])
    for context, document in notes.values():  # line for line the paragraphs of the default DOCX
        assert [line.strip() for line in note_text(context).splitlines() if line.strip()] == [
            p for p in texts(document) if p.strip()
        ]


def docx_with(tmp_path, *paragraphs: str):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "modello.docx"
    document.save(str(path))
    return path


@pytest.mark.parametrize(
    ("paragraphs", "message"),
    [
        (("Ciao {{ sindaco }}",), "Nel modello della nota modello.docx c'è un segnaposto sconosciuto: «sindaco»."),
        (("{% for d in dipendenti %}{{ d.telefono }}{% endfor %}",), "segnaposto sconosciuto: «.telefono»."),
        (("{% if not editor_at %}{{ richiesta }}{% endif %}",), "segnaposto sconosciuto: «richiesta»."),
        (("Comune di {{ comune }",), "contiene un tag non valido (unexpected '}') vicino a «Comune di {{ comune }»."),
        (("{% if comune %}senza fine",), "contiene un tag non valido (Unexpected end of template."),
        (("{{ comune.__class__.__mro__ }}",), "usa un'espressione non permessa: «…__class__»."),
    ],
)
def test_template_errors_are_one_italian_line(snap, tmp_path, paragraphs, message):
    template = NoteTemplate(docx_with(tmp_path, *paragraphs))
    with pytest.raises(InputError) as err:
        template.check(note_contexts(snap, CONFIG))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_a_docx_or_is_missing(tmp_path):
    (tmp_path / "nota.docx").write_text("non sono un documento", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"^Il modello della nota nota.docx non è un documento Word \(.docx\) leggibile\.$"
    ):
        NoteTemplate(tmp_path / "nota.docx")
    with pytest.raises(InputError, match="Il modello della nota manca.docx non esiste"):
        NoteTemplate(tmp_path / "manca.docx")


def test_a_custom_template_from_the_configuration(snap, tmp_path):
    docx_with(tmp_path, "{{ comune }} ({{ provincia }}): {% for d in dipendenti %}{{ d.cognome }} {% endfor %}")
    config = parse_config({"accounts": {"note_template": "modello.docx", "signature": "Ufficio"}}, tmp_path)
    assert config.accounts == AccountsSettings(str(tmp_path / "modello.docx"), "Ufficio")
    template = NoteTemplate.from_config(config)
    context = note_contexts(snap, config)[1]
    assert texts(docx.Document(io.BytesIO(template.render(context)))) == ["Paternò (CT): =1+1 Zeta { Verdi "]
    with pytest.raises(InputError, match=r"Chiave sconosciuta in \[accounts\]: modello\."):
        parse_config({"accounts": {"modello": "x"}}, tmp_path)


def test_the_committed_template_is_what_the_script_makes(tmp_path):
    build = runpy.run_path(str(ROOT / "tools" / "make_note_template.py"))["build"]
    build(tmp_path / "nuovo.docx")
    assert (tmp_path / "nuovo.docx").read_bytes() == DEFAULT_TEMPLATE.read_bytes()
    with zipfile.ZipFile(DEFAULT_TEMPLATE) as package:  # lean: what a letter needs, nothing more
        assert package.namelist() == [
            "[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "word/document.xml",
            "word/_rels/document.xml.rels", "word/styles.xml", "word/settings.xml",
        ]  # fmt: skip
    shipped = docx.Document(str(DEFAULT_TEMPLATE))
    normal = shipped.styles["Normal"]
    assert (normal.font.name, normal.font.size.pt, round(shipped.sections[0].left_margin.cm, 2)) == ("Calibri", 11, 2.2)


def test_file_names_are_safe_and_unique():
    contexts = [
        {"comune": "Sant'Egidio del Monte Albino", "provincia": "SA", "codice": "065118"},
        {"comune": "../../etc/passwd", "provincia": "", "codice": ""},
        {"comune": "Calliano", "provincia": "TN", "codice": "022035"},
        {"comune": "Calliano", "provincia": "TN", "codice": "005013"},
    ]
    assert note_names(contexts) == [
        "Nota account - Sant'Egidio del Monte Albino (SA).docx",
        "Nota account - etc_passwd.docx",
        "Nota account - Calliano (TN) - 022035.docx",
        "Nota account - Calliano (TN) - 005013.docx",
    ]


def test_the_zip_has_one_note_per_comune_and_an_index(snap):
    import datetime as dt

    data = notes_zip(NoteTemplate(), note_contexts(snap, CONFIG), dt.datetime(2023, 9, 29, 12))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "Nota account - Castel d'Azzano (VR).docx", "Nota account - Paternò (CT).docx", "elenco-note.csv",
        ]  # fmt: skip
        index = list(csv.DictReader(io.StringIO(archive.read("elenco-note.csv").decode("utf-8-sig"))))
        note = docx.Document(io.BytesIO(archive.read("Nota account - Paternò (CT).docx")))
    assert [(r["comune"], r["editors"], r["has_at_editor"]) for r in index] == [
        ("Castel d'Azzano", "2", "False"), ("Paternò", "3", "True"),
    ]  # fmt: skip
    assert employees(note) == PATERNO_EDITORS


def test_a_template_error_writes_no_file(snap, tmp_path):
    bad = docx_with(tmp_path, "{% if not editor_at %}{{ x }}{% endif %}")
    with pytest.raises(InputError):
        write_notes(snap, CONFIG, tmp_path / "out", str(bad))
    assert not (tmp_path / "out").exists()
    bad = docx_with(tmp_path, "{% if codice == '087033' %}{{ x }}{% endif %}")  # only for one comune
    with pytest.raises(InputError):
        write_notes(snap, CONFIG, tmp_path / "out", str(bad))
    assert not (tmp_path / "out").exists()


@pytest.fixture
def campaign(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        f'campaign = "Prova"\ndeadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\nform_url = "{FORM}"\n'
        'form_prefill_field = "entry.1234567"\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[accounts]\nsignature = "Ufficio PNRR"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_cli_writes_one_note_per_comune(campaign, capsys):
    out = campaign / "note"
    assert cli.main(["accounts", "notes", "--config", str(campaign / "rollout.toml"), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        f"Scritte 2 note (una per comune con editor) in {out}; elenco in elenco-note.csv.",
        "1 comune ha risposto senza editor Amministrazione Trasparente: la sua nota chiede di indicarne uno.",
        "1 comune senza editor: nessuna nota.",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "Nota account - Castel d'Azzano (VR).docx", "Nota account - Paternò (CT).docx", "elenco-note.csv",
    ]  # fmt: skip
    azzano = docx.Document(str(out / "Nota account - Castel d'Azzano (VR).docx"))
    assert employees(azzano) == AZZANO_EDITORS
    assert texts(azzano)[-1] == "Ufficio PNRR"
    ask = next(line for line in texts(azzano) if "non risulta nessun Editor" in line)
    link = ask.split("(")[1].split(")")[0]
    assert parse_qs(urlsplit(link).query)["entry.1234567"] == ["Castel d'Azzano"]


def test_cli_template_error_is_one_line(campaign, capsys):
    bad = docx_with(campaign, "{{ nome_sindaco }}")
    code = cli.main(["accounts", "notes", "--config", str(campaign / "rollout.toml"), "--template", str(bad),
                     "--out", str(campaign / "note")])  # fmt: skip
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("errore: Nel modello della nota modello.docx c'è un segnaposto sconosciuto: «nome_sindaco».")
    assert len(err.splitlines()) == 1


def test_cli_smoke_in_a_new_process(campaign):
    done = subprocess.run(
        [sys.executable, "-m", "rollout", "accounts", "notes", "--config", str(campaign / "rollout.toml"),
         "--out", str(campaign / "note")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Scritte 2 note")
    note = docx.Document(str(campaign / "note" / "Nota account - Paternò (CT).docx"))
    assert employees(note) == PATERNO_EDITORS


def test_demo_campaign_notes_match_the_accounts_table():
    from rollout.config import DEMO_CONFIG, load_config
    from rollout.outputs.tables import accounts_table
    from rollout.pipeline import run

    config = replace(load_config(DEMO_CONFIG))
    demo = run(config)
    contexts = note_contexts(demo, config)
    accounts = accounts_table(demo)
    assert len(contexts) == int((demo.comuni["editors"] > 0).sum())
    assert sum(c["numero_dipendenti"] for c in contexts) == len(accounts)
    for c in contexts:
        mine = accounts.loc[(accounts["comune"] == c["comune"]) & (accounts["province"] == c["provincia"])]
        assert [d["nome"] for d in c["dipendenti"]] == mine["full_name"].tolist()
        assert c["editor_at"] == bool(mine["amministrazione_trasparente"].any())


def test_kinds_hold_one_comune_per_combination_of_what_a_template_tests(snap):
    from rollout.config import DEMO_CONFIG, load_config
    from rollout.outputs.notes import kinds
    from rollout.pipeline import run

    assert list(kinds(snap.comuni)["name"]) == ["Castel d'Azzano", "Paternò"]
    comuni = run(load_config(DEMO_CONFIG)).comuni

    def flags(frame):
        return {
            (
                bool(r.has_at_editor),
                *(getattr(r, k) != "" for k in ("contact_name", "pec", "contact_email", "province", "code")),
            )
            for r in frame.itertuples()
        }

    chosen = kinds(comuni)
    assert flags(chosen) == flags(comuni.loc[comuni["editors"] > 0]) and len(chosen) == len(flags(chosen))


def test_a_terminal_sees_the_progress_and_a_log_does_not(campaign, capsys, monkeypatch):
    import os

    config = ["accounts", "notes", "--config", str(campaign / "rollout.toml"), "--out", str(campaign / "note")]
    assert cli.main(config) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal here: not a byte of progress
    leader, follower = os.openpty()  # a real terminal
    with os.fdopen(follower, "w", encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        assert cli.main(config) == 0
    shown = b""
    with contextlib.suppress(OSError):  # EIO once everything written is read (the terminal is closed)
        while chunk := os.read(leader, 4096):
            shown += chunk
    os.close(leader)
    line = "Note scritte: 2 di 2 (100 %)"
    assert shown.decode() == f"\r{line}\r{' ' * len(line)}\r"  # the last count, then the line cleared


SPREAD = """
import json, sys
from pathlib import Path
from rollout.config import DEMO_CONFIG, load_config
from rollout.outputs import notes, staging
from rollout.pipeline import run

notes.BATCH = 4  # the demo's 60 notes: enough to be shared
spread, told, real = [], [], staging.run_jobs
staging.run_jobs = lambda here, side=None: spread.append(len(side or {})) or real(here, side)
config = load_config(DEMO_CONFIG)
notes.write_notes(run(config), config, Path(sys.argv[1]), progress=lambda done, total: told.append((done, total)))
print(json.dumps({"workers": staging.workers(), "spread": spread, "told": told}))
"""


def test_notes_spread_over_the_processors_are_the_notes_written_here(tmp_path, monkeypatch):
    import json

    from rollout.config import DEMO_CONFIG, load_config
    from rollout.outputs import staging
    from rollout.pipeline import run

    # In a fresh process: this one may have loaded a library that forbids forking (vl-convert).
    done = subprocess.run([sys.executable, "-c", SPREAD, str(tmp_path / "insieme")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    shared = json.loads(done.stdout)
    if not shared["workers"]:
        pytest.skip("one processor: nothing runs beside the process")
    assert shared["spread"] == [shared["workers"]]  # side jobs in forked workers
    told = [tuple(t) for t in shared["told"]]
    assert told[-1] == (60, 60) and [d for d, _ in told] == sorted(d for d, _ in told)
    monkeypatch.setattr(staging, "workers", lambda: 0)
    config = load_config(DEMO_CONFIG)
    write_notes(run(config), config, tmp_path / "qui")
    together = sorted(p.name for p in (tmp_path / "insieme").iterdir())
    assert together == sorted(p.name for p in (tmp_path / "qui").iterdir()) and len(together) == 61
    for name in together:  # the same bytes, whoever wrote them
        assert (tmp_path / "insieme" / name).read_bytes() == (tmp_path / "qui" / name).read_bytes()


def test_each_note_is_what_docxtpl_renders_from_the_template():
    """Rendering only the parts with tags gives docxtpl's own document, byte for byte."""
    from docxtpl import DocxTemplate

    from rollout.config import DEMO_CONFIG, load_config
    from rollout.outputs.note_sandbox import NoteSandbox
    from rollout.pipeline import run

    config = load_config(DEMO_CONFIG)
    contexts = note_contexts(run(config), config)
    template = NoteTemplate()
    for context in contexts:
        whole = DocxTemplate(str(DEFAULT_TEMPLATE))
        whole.render(context, NoteSandbox(), autoescape=True)
        buffer = io.BytesIO()
        whole.save(buffer)
        with zipfile.ZipFile(buffer) as theirs, zipfile.ZipFile(io.BytesIO(template.render(context))) as ours:
            assert ours.read("word/document.xml") == theirs.read("word/document.xml")
            assert ours.namelist() == zipfile.ZipFile(DEFAULT_TEMPLATE).namelist()  # the other parts as they are
            for name in ours.namelist():
                if name != "word/document.xml":
                    assert ours.read(name) == zipfile.ZipFile(DEFAULT_TEMPLATE).read(name)


@pytest.mark.parametrize("title", ["Nota account", "Nota account {{ comune }}"])
def test_tags_in_headers_footers_and_properties(snap, tmp_path, title):
    document = docx.Document()
    document.add_paragraph("Corpo: {{ comune }}")
    section = document.sections[0]
    section.header.paragraphs[0].text = "Intestazione: {{ comune }} ({{ provincia }})"
    section.footer.paragraphs[0].text = "Piè di pagina: {{ data_breve }}"
    document.core_properties.title = title
    document.save(str(tmp_path / "modello.docx"))
    context = note_contexts(snap, CONFIG)[1]
    note = docx.Document(io.BytesIO(NoteTemplate(tmp_path / "modello.docx").render(context)))
    assert texts(note) == ["Corpo: Paternò"]
    assert [p.text for p in note.sections[0].header.paragraphs] == ["Intestazione: Paternò (CT)"]
    assert [p.text for p in note.sections[0].footer.paragraphs] == ["Piè di pagina: 29/09/2023"]
    assert note.core_properties.title == title.replace("{{ comune }}", "Paternò")
