"""Name normalisation: properties that must hold for any comune name and any messy typing."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.read.names import official_keys, typed_variants
from rollout.read.reference import national_comuni, province_code
from rollout.read.text import normalise_email, person_key

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
    loose = keys_frame(pd.Series([name], dtype=str), typed=True)["loose"].iloc[0]  # the dedupe key
    assert keys_frame(pd.Series([loose], dtype=str), typed=True)["loose"].iloc[0] == loose


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


# -- the vectorised forms agree with the scalar functions they stand in for ------------------------
import pandas as pd  # noqa: E402

from rollout.read.names import keys_frame  # noqa: E402
from rollout.read.text import APOSTROPHES, DASHES, clean, clean_series, email_series, squeeze_series  # noqa: E402


def _typings(name: str) -> list[str]:
    return [name, "Comune di " + name, name.upper(), " comune di  " + name.lower() + " ", name.replace("'", "’"),
            "COMUNE DI " + name + " (SA)", name.replace("à", "a'").replace("ò", "o'"), "Spett.le Comune di " + name]  # fmt: skip


def test_vectorised_keys_equal_the_scalar_keys_on_every_real_name():
    names = pd.Series(NAMES, dtype=str)
    frame = keys_frame(names, typed=False)
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        (k.exact, k.loose, k.compact) for k in (official_keys(n)[0] for n in NAMES)
    ]
    typed = pd.Series([t for n in NAMES[::7] for t in _typings(n)], dtype=str)
    frame = keys_frame(typed, typed=True)
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        (k.exact, k.loose, k.compact) for k in (typed_variants(t)[0] for t in typed)
    ]


# Every character a rule treats specially (apostrophes, dashes, white space of any kind) is drawn.
ITALIAN_TEXT = st.text(
    alphabet=st.sampled_from([*"abcdeiouàèéìòùABCÈÒß '-.,@_0123", *APOSTROPHES, *DASHES, "\t", "\n", "\u00a0",
                              "\u2009", "\u3000", "ﬁ", "²"]),
    max_size=30,
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(ITALIAN_TEXT, min_size=1, max_size=20))
def test_vectorised_text_helpers_equal_the_scalar_ones(texts):
    series = pd.Series(texts, dtype=str)
    assert clean_series(series).tolist() == [clean(t) for t in texts]
    assert squeeze_series(series).tolist() == [" ".join(t.split()) for t in texts]
    emails = pd.Series([t.replace(" ", "") + "@comune.x.it" for t in texts] + texts, dtype=str)
    assert email_series(emails).tolist() == [normalise_email(e) for e in emails]


# The pieces an address rule decides on: "%", "=?", a label starting or ending with "-", dots in a
# row, an IDN top-level domain, and parts as long as the limits (64 before the "@", 253 after it).
ADDRESS_PIECES = st.lists(
    st.sampled_from(["a", "0", "-", ".", "_", "%", "+", "'", "=?", "@", "@", ".it", ".i", "xn--p1ai", "A",
                     "a" * 30, "b" * 61, "c" * 63, "mailto:", "<", ">", " "]),
    max_size=14,
).map("".join)  # fmt: skip


@settings(max_examples=400)
@given(st.lists(ADDRESS_PIECES, min_size=1, max_size=20))
def test_the_vectorised_address_rule_equals_the_scalar_one(texts):
    series = pd.Series(texts, dtype=str)
    assert email_series(series).tolist() == [normalise_email(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a" * 64 + "@comune.it", "a" * 64 + "@comune.it"), ("a" * 65 + "@comune.it", ""),
     ("m@" + "b" * 61 + "." + "b" * 64 + ".it", ""), ("m@" + ("b" * 61 + ".") * 4 + "cccc", "m@" + ("b" * 61 + ".") * 4 + "cccc"),
     ("m@" + ("b" * 61 + ".") * 4 + "ccccc", ""),
     ("urp%sindaco@comune.it", ""), ("urp@-comune.it", ""), ("info@xn--comune-mxa.it", "info@xn--comune-mxa.it")],
)  # fmt: skip
def test_the_address_rule_keeps_to_the_limits_in_both_forms(text, expected):
    assert normalise_email(text) == expected
    assert email_series(pd.Series([text], dtype=str)).tolist() == [expected]


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(names, st.sampled_from(["", "Comune di ", "comune  di ", "Spett.le Comune di ", "Il Comune di "]),
                  ITALIAN_TEXT, st.sampled_from([str, str.upper, str.lower])),
        min_size=1, max_size=10,
    )
)  # fmt: skip
def test_vectorised_name_keys_equal_the_scalar_ones_on_messy_typing(items):
    typed = [case(prefix + name + noise) for name, prefix, noise, case in items]
    frame = keys_frame(pd.Series(typed, dtype=str), typed=True)
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        (k.exact, k.loose, k.compact) for k in (typed_variants(t)[0] for t in typed)
    ]
