"""Issue 18 §6: one file per comune, all or nothing, any template (attacks and faults reproduced)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile

import docx
import pytest

from conftest import responses, snapshot
from rollout import cli
from rollout.errors import InputError
from rollout.outputs.notes import INDEX_CSV, NoteTemplate, note_contexts, note_names, notes_zip, write_notes

# Names that meet once made safe for a file name: exactly (a code suffix that is another comune's
# name) or only where case does not count (Windows, macOS).
HOSTILE = """Comune,Provincia,Codice ISTAT
Bar/Baz,PR,999001
Bar?Baz,PR,999002
Bar_Baz (PR),,999003
Bar_Baz (PR) - 999001,,999004
Foo,PR,999006
FOO (PR),,999007
"""
NAMES = ["Bar/Baz", "Bar?Baz", "Bar_Baz (PR)", "Bar_Baz (PR) - 999001", "Foo", "FOO (PR)"]
CAMPAIGN = responses(
    *[f"1/9/2023 10.00.00,x@y.it,{n},Rossi,Anna{i},a{i}@x.it,1) Editor Sito Web" for i, n in enumerate(NAMES)]
)


def file_key(name: str) -> str:
    """Two names that are one file on some file system (case-insensitive, Unicode-normalising)."""
    return unicodedata.normalize("NFC", name).casefold()


def comune_of(document: docx.document.Document) -> str:
    line = next(p.text for p in document.paragraphs if p.text.startswith("Spettabile Comune di "))
    return line.removeprefix("Spettabile Comune di ")


@pytest.fixture
def campaign(tmp_path):
    (tmp_path / "comuni.csv").write_text(HOSTILE, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        'deadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    return tmp_path


def notes_cli(campaign, *extra: str) -> int:
    return cli.main(["accounts", "notes", "--config", str(campaign / "rollout.toml"), "--out", str(campaign / "note"),
                     *extra])  # fmt: skip


def test_every_comune_gets_its_own_file_from_the_command_line(campaign, capsys):
    assert notes_cli(campaign) == 0
    assert capsys.readouterr().out.startswith(f"Scritte 6 note (una per comune con editor) in {campaign / 'note'}")
    files = sorted(p.name for p in (campaign / "note").iterdir())
    assert len(files) == 7 and INDEX_CSV in files
    assert len({file_key(f) for f in files}) == 7  # unique even where case does not count
    with (campaign / "note" / INDEX_CSV).open(encoding="utf-8-sig") as fh:
        index = list(csv.DictReader(fh))
    # each file holds the note of the comune the index says
    assert sorted(r["comune"] for r in index) == sorted(NAMES)
    for row in index:
        document = docx.Document(str(campaign / "note" / row["file"]))
        assert comune_of(document).startswith(row["comune"])


def test_the_zip_never_holds_a_duplicate(campaign):
    snap = snapshot(CAMPAIGN, HOSTILE)
    contexts = note_contexts(snap)
    data = notes_zip(NoteTemplate(), contexts, dt.datetime(2023, 9, 29, 12))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len({file_key(n) for n in names}) == len(names) == len(NAMES) + 1
        shown = {comune_of(docx.Document(io.BytesIO(archive.read(n)))) for n in names if n.endswith(".docx")}
    assert shown == {"Bar/Baz (PR)", "Bar?Baz (PR)", "Bar_Baz (PR)", "Bar_Baz (PR) - 999001", "Foo (PR)", "FOO (PR)"}


def test_file_names_are_unique_on_every_file_system():
    hostile = [
        ("Bar/Baz", "PR", ""), ("Bar?Baz", "PR", ""), ("Bar_Baz", "PR", ""), ("bar_baz", "pr", ""),
        ("Bar_Baz (PR) - 2", "", ""), ("Bar_Baz (PR) - 1", "", ""),
        ("Paternò", "CT", ""), ("Paterno\u0300", "CT", ""),  # the same name, NFC and NFD (macOS)
        ("", "", ""), ("...", "", ""), ("CON", "", ""), ("nul.", "", ""), ("x" * 300, "", ""),
        ("Calliano", "TN", "022035"), ("Calliano", "TN", "022035"),  # even a repeated code
    ]  # fmt: skip
    contexts = [{"comune": c, "provincia": p, "codice": k} for c, p, k in hostile]
    names = note_names(contexts)
    assert len(names) == len(hostile)
    assert len({file_key(n) for n in names}) == len(names)
    for name in names:
        assert name.startswith("Nota account - ") and name.endswith(".docx")
        assert not set(name) & set('/\\?*:"<>|\x00') and len(name) <= 130
        assert name == unicodedata.normalize("NFC", name)
    # a name only one comune has stays as it is; the others get a number no other note has
    assert names[:8] == [
        "Nota account - Bar_Baz (PR) - 3.docx", "Nota account - Bar_Baz (PR) - 4.docx",
        "Nota account - Bar_Baz (PR) - 5.docx", "Nota account - bar_baz (pr) - 6.docx",
        "Nota account - Bar_Baz (PR) - 2.docx", "Nota account - Bar_Baz (PR) - 1.docx",
        "Nota account - Paternò (CT) - 1.docx", "Nota account - Paternò (CT) - 2.docx",
    ]  # fmt: skip
    assert names[8:10] == ["Nota account - comune - 1.docx", "Nota account - comune - 2.docx"]
    assert names[-2:] == ["Nota account - Calliano (TN) - 022035.docx", "Nota account - Calliano (TN) - 1.docx"]
    assert note_names(contexts) == names  # the same list, the same names
    assert note_names(contexts[6:7]) == ["Nota account - Paternò (CT).docx"]


def test_a_failure_half_way_leaves_nothing_behind(campaign, capsys):
    out = campaign / "note"
    (out / "Nota account - Bar_Baz (PR) - 999002.docx").mkdir(parents=True)  # one note cannot be put in place
    assert notes_cli(campaign) == cli.EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("errore: impossibile scrivere in ")
    assert [p.name for p in out.iterdir()] == ["Nota account - Bar_Baz (PR) - 999002.docx"]  # nothing else written
    assert sorted(p.name for p in campaign.iterdir()) == ["comuni.csv", "note", "risposte.csv", "rollout.toml"]


# -- any template --------------------------------------------------------------------------------------------


def docx_with(path, *paragraphs: str):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


PROBLEM = "Il modello della nota modello.docx non è utilizzabile: "
TEMPLATES = [
    ("{% include 'altro.docx' %}", PROBLEM + "{% include %} non è ammesso (un modello della nota è un solo documento"),
    ("{% extends 'altro.docx' %}", PROBLEM + "{% extends %} non è ammesso"),
    ("{% import 'altro.docx' as a %}", PROBLEM + "{% import %} non è ammesso"),
    ("{% from 'altro.docx' import a %}", PROBLEM + "{% from … import %} non è ammesso"),
    ("{{ 1/0 }}", PROBLEM + "contiene una divisione per zero."),
    ("{{ range(1000000) }}", PROBLEM + "range() darebbe 1.000.000 numeri (al massimo 100.000)."),
    ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", PROBLEM + "una macro o un ciclo richiama se stesso più di"),
    ("{{ comune|truncate(-5) }}", PROBLEM + "il filtro «truncate» non si può applicare a questo valore"),
    ("{{ comune|round }}", PROBLEM + "il filtro «round» non si può applicare a questo valore"),
    ("{{ '%d %d'|format(comune) }}", PROBLEM + "il filtro «format» non si può applicare a questo valore"),
    ("{{ 'x'*4000000000 }}", PROBLEM + "«*» produrrebbe un testo o un elenco di 4.000.000.000 elementi"),
    ("{{ 2**100000 }}", PROBLEM + "«**» produrrebbe un numero oltre"),
    ("{{ comune|center(4000000000) }}", PROBLEM + "il filtro «center» produrrebbe un testo"),
    ("{{ '%0999999999d'|format(1) }}", PROBLEM + "un formato «%» chiede una larghezza oltre 10.000 caratteri."),
    ("{{ '{:>999999999}'.format(1) }}", "usa un'espressione non permessa: «…format»."),
    ("{% for i in range(100000) %}{{ 'x'*1000 }}{% endfor %}", PROBLEM + "il testo prodotto supera 10.000.000"),
    ("{% set ns = namespace(t='ab') %}{% for i in range(40) %}{% set ns.t = ns.t ~ ns.t %}{% endfor %}",
     PROBLEM + "«~» produrrebbe un testo"),
    ("{% for x in [1, 2] recursive %}{{ loop([1, 2]) }}{% endfor %}", PROBLEM + "una macro o un ciclo richiama"),
]  # fmt: skip


@pytest.fixture(scope="module")
def contexts():
    return note_contexts(snapshot(CAMPAIGN, HOSTILE))


@pytest.mark.parametrize(("tag", "message"), TEMPLATES, ids=[t for t, _ in TEMPLATES])
def test_every_template_error_is_one_italian_line(contexts, tmp_path, tag, message):
    template = NoteTemplate(docx_with(tmp_path / "modello.docx", "Comune di {{ comune }}", tag))
    with pytest.raises(InputError) as err:
        template.check(contexts)
    assert message in str(err.value)
    assert "\n" not in str(err.value) and str(err.value).endswith(".")


@pytest.mark.parametrize(("tag", "message"), TEMPLATES[::3], ids=[t for t, _ in TEMPLATES[::3]])
def test_the_command_line_says_it_in_one_line_and_writes_nothing(campaign, capsys, tag, message):
    docx_with(campaign / "modello.docx", tag)
    assert notes_cli(campaign, "--template", str(campaign / "modello.docx")) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("errore: ") and message in err[0]
    assert not (campaign / "note").exists()


def test_a_template_that_loops_for_ever_is_stopped_by_the_time_budget(contexts, tmp_path):
    ticks = iter(range(10**9))  # a clock that advances one second at every look
    slow = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    template = NoteTemplate(docx_with(tmp_path / "modello.docx", slow), seconds=50, clock=lambda: next(ticks))
    with pytest.raises(InputError, match=r"non è utilizzabile: una nota richiede più di 50 secondi"):
        template.check(contexts)
    assert next(ticks) < 100  # stopped at the budget, not after 10 billion steps


def test_a_problem_in_one_comune_only_is_found_before_anything_is_written(campaign, tmp_path):
    from rollout.config import load_config
    from rollout.pipeline import run

    config = load_config(campaign / "rollout.toml")
    bad = docx_with(tmp_path / "modello.docx", "{% if codice == '999007' %}{{ 1/0 }}{% endif %}{{ comune }}")
    with pytest.raises(InputError, match="divisione per zero"):
        write_notes(run(config), config, campaign / "note", str(bad))
    assert sorted(p.name for p in campaign.iterdir()) == ["comuni.csv", "modello.docx", "risposte.csv", "rollout.toml"]


def test_a_legitimate_template_still_computes(contexts, tmp_path):
    tags = (
        "{{ comune|upper }} {{ (numero_dipendenti * 2) }} {{ '%03d'|format(numero_dipendenti) }} "
        "{{ dipendenti|map(attribute='nome')|join(', ') }} {{ 'ab' * 2 }} {{ comune ~ '!' }} "
        "{% for p in permessi %}{{ loop.index }}{% endfor %} {{ (3.14159)|round(2) }} {{ comune|truncate(12) }}"
    )
    template = NoteTemplate(docx_with(tmp_path / "modello.docx", tags))
    context = next(c for c in contexts if c["comune"] == "Foo")
    text = docx.Document(io.BytesIO(template.render(context))).paragraphs[0].text
    assert text == "FOO 2 001 Rossi Anna4 abab Foo! 1234567 3.14 Foo"


def test_a_template_that_is_a_zip_bomb_is_refused_before_it_is_read(tmp_path):
    bomb = docx_with(tmp_path / "modello.docx", "{{ comune }}")
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/vuoto.bin", b"\0" * 60_000_000)  # 60 MB that weigh 60 KB
    assert bomb.stat().st_size < 200_000
    with pytest.raises(InputError, match=r"^Il modello della nota modello.docx è troppo grande: 60 MB una volta "
                                         r"decompresso \(al massimo 50 MB\)\.$"):  # fmt: skip
        NoteTemplate(bomb)
