"""Permissions are recognised by meaning, whatever the numbering, dashes, case or description."""

import pytest

from rollout.read.permissions import PERMISSION_KEYS, header_permission, parse_choices, tick_value

SEED_OPTIONS = {
    "sito_web": "1) Editor Sito Web: con questa abilitazione il dipendente potrà aggiornare la piattaforma "
    "(es. inserimento/modifica avvisi, inserimento/modifica eventi, creazione nuovi dipendenti, "
    "inserimento/modifica documenti, inserimento/modifica amministratori, ecc.);",
    "newsletter": "2) Editor Newsletter: con questa abilitazione il dipendente potrà gestire il sistema di newsletter "
    "configurato nel portale e quindi creare una lista di iscritti a cui inviare comunicazioni, notizie ed eventi;",
    "amministrazione_trasparente": "3) Editor Amministrazione Trasparente: con questa abilitazione il dipendente "
    "potrà pubblicare e gestire le informazioni nella sezione Amministrazione Trasparente.",
    "servizi_demografico": "4) Editor Servizi - Ufficio Demografico: con questa abilitazione il dipendente potrà "
    "gestire tutti i servizi afferenti al proprio ambito di competenza, compresi i calendari di prenotazione "
    "appuntamenti dell'Ufficio;",
    "servizi_segreteria": "5) Editor Servizi - Ufficio Segreteria: come sopra;",
    "servizi_tecnico": "6) Editor Servizi - Ufficio Tecnico: come sopra;",
    "servizi_tributi": "7) Editor Servizi - Ufficio Tributi: come sopra.",
}


def test_seven_keys_are_stable():
    assert PERMISSION_KEYS == (
        "sito_web",
        "newsletter",
        "amministrazione_trasparente",
        "servizi_demografico",
        "servizi_segreteria",
        "servizi_tecnico",
        "servizi_tributi",
    )


@pytest.mark.parametrize("key", PERMISSION_KEYS)
def test_each_seed_option_with_its_description_is_one_permission(key):
    assert parse_choices(SEED_OPTIONS[key]) == (frozenset({key}), ())


def test_all_seed_options_joined_with_commas_inside_descriptions():
    cell = ", ".join(SEED_OPTIONS.values())
    assert parse_choices(cell) == (frozenset(PERMISSION_KEYS), ())


@pytest.mark.parametrize(
    "cell",
    [
        "Editor Servizi - Ufficio Tributi",
        "7) Editor Servizi – Ufficio Tributi",
        "7. EDITOR SERVIZI—UFFICIO TRIBUTI",
        "editor servizi ufficio tributi",
        "Editor Servizi - Ufficio Tributi (IMU, TARI)",
        "  7)Editor Servizi -Ufficio Tributi ",
    ],
)
def test_numbering_dashes_case_and_extra_text_do_not_matter(cell):
    assert parse_choices(cell) == (frozenset({"servizi_tributi"}), ())


def test_accents_do_not_matter():
    assert parse_choices("Èditor Sito Wéb, Editor Amministrazione Trasparènte")[0] == {
        "sito_web",
        "amministrazione_trasparente",
    }


def test_other_text_is_reported_not_counted():
    keys, unknown = parse_choices("1) Editor Sito Web, Responsabile privacy")
    assert keys == {"sito_web"}
    assert unknown == ("Responsabile privacy",)


def test_only_other_text_gives_no_permission():
    assert parse_choices("Albo pretorio") == (frozenset(), ("Albo pretorio",))


def test_formula_text_is_just_unknown_text():
    assert parse_choices('=HYPERLINK("http://x";"clic")') == (frozenset(), ('=HYPERLINK("http://x";"clic")',))


def test_empty_cell():
    assert parse_choices("") == (frozenset(), ())


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Editor Sito Web", "sito_web"),
        ("Permessi da assegnare [Editor Newsletter]", "newsletter"),
        ("3) Editor Amministrazione Trasparente", "amministrazione_trasparente"),
        ("Ufficio Demografico", "servizi_demografico"),
        ("Cognome", None),
        ("Permessi", None),
    ],
)
def test_header_of_one_column_per_permission(header, key):
    assert header_permission(header) == key


@pytest.mark.parametrize(
    ("value", "ticked"),
    [("Sì", True), ("SI", True), ("x", True), ("TRUE", True), ("VERO", True), ("1", True), ("Editor Sito Web", True),
     ("No", False), ("", False), ("FALSE", False), ("0", False), ("forse", None)],
)  # fmt: skip
def test_tick_values(value, ticked):
    assert tick_value(value) is ticked


def test_an_empty_piece_inside_other_text_is_kept_verbatim():
    # found by tests/test_fuzz_parsers.py: the reported text must be the cell's own text
    assert parse_choices("Altro: Ufficio Protocollo, , a") == (frozenset(), ("Altro: Ufficio Protocollo, , a",))
