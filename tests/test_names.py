"""Name normalisation: properties that must hold for any comune name and any messy typing."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.italy import national_comuni, province_code
from rollout.names import canonical, official_keys, typed_variants
from rollout.text import normalise_email, person_key

NAMES = sorted({m.name for m in national_comuni()})
names = st.sampled_from(NAMES)


@settings(max_examples=400)
@given(
    name=names,
    prefix=st.sampled_from(["", "Comune di ", "COMUNE DI ", "comune di  "]),
    case=st.sampled_from([str, str.upper, str.lower, str.title]),
)
def test_typing_variations_keep_the_loose_key(name, prefix, case):
    typed = prefix + case(name).replace("'", "’").replace(" ", "  ") + " "
    assert {k.loose for k in official_keys(name)} & {v.loose for v in typed_variants(typed)}


@settings(max_examples=400)
@given(name=names)
def test_typing_the_official_name_always_matches_it(name):
    official = {k.exact for k in official_keys(name)}
    assert official & {v.exact for v in typed_variants(name)}
    assert canonical(canonical(name)) == canonical(name)


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_any_text_gives_keys_without_error(text):
    for keys in typed_variants(text):
        assert keys.compact == keys.loose.replace(" ", "")
        assert keys.loose == keys.loose.strip()


def test_there_are_7894_active_comuni_in_the_reference_list():
    # Bilingual names count once per language.
    assert len({m.cadastral for m in national_comuni()}) == 7894


@given(st.sampled_from(["Mario Rossi", "ROSSI MARIO", "rossi  mario", "Rossì Mario"]))
def test_person_key_ignores_order_case_and_accents(name):
    assert person_key(name) == "mario rossi"


def test_email_normalisation():
    assert normalise_email(" Mario.Rossi@Comune.Baronissi.SA.it ") == "mario.rossi@comune.baronissi.sa.it"
    assert normalise_email("mailto:a@b.it") == "a@b.it"
    assert normalise_email("n.d.") == ""
    assert normalise_email("-") == ""


def test_province_names_and_abbreviations():
    assert province_code("NA") == "NA"
    assert province_code("na") == "NA"
    assert province_code("Napoli") == "NA"
    assert province_code("Provincia di Forlì-Cesena") == "FC"
    assert province_code("Città metropolitana di Roma Capitale") == ""
    assert province_code("Reggio nell'Emilia") == "RE"
