"""Comune names typed by people match the participating list with high precision."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from rollout.errors import InputError
from rollout.read.matching import ComuneMatcher, Match, alias_line

LISTED = [
    ("Montecorvino Rovella", "SA", "065074"),
    ("Castel d'Azzano", "VR", "023021"),
    ("Paterno", "PZ", "076100"),
    ("Paternò", "CT", "087033"),
    ("Calliano", "TN", "022035"),
    ("Calliano", "AT", "005013"),
    ("Samone", "TN", "022165"),
    ("Baronissi", "SA", "065013"),
    ("Cava de' Tirreni", "SA", "065037"),
    ("Sant'Arsenio", "SA", "065119"),
    ("La Spezia", "SP", "011015"),
    ("San Benedetto Po", "MN", "020055"),
    ("Vo'", "PD", "028105"),
    ("Bolzano/Bozen", "BZ", "021008"),
]


ALIASES = {"Montecorvino R.": "Montecorvino Rovella", "Castello d Azzano": "023021"}


def matcher_frame() -> pd.DataFrame:
    frame = pd.DataFrame(LISTED, columns=["name", "province", "code"])
    frame["domains"] = [()] * len(frame)
    frame.loc[frame["name"].eq("Calliano") & frame["province"].eq("TN"), "domains"] = [("comune.calliano.tn.it",)]
    return frame


@pytest.fixture(scope="module")
def matcher():
    return ComuneMatcher(matcher_frame(), ALIASES)


def name_of(matcher, *args, **kwargs):
    m = matcher.match(*args, **kwargs)
    return matcher.label(m.cid) if m.matched else m.problem


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Montecorvino Rovella", "Montecorvino Rovella (SA)"),
        ("Comune di Montecorvino Rovella", "Montecorvino Rovella (SA)"),
        ("COMUNE DI MONTECORVINO ROVELLA", "Montecorvino Rovella (SA)"),
        ("  montecorvino   rovella ", "Montecorvino Rovella (SA)"),
        ("Castel d’Azzano", "Castel d'Azzano (VR)"),
        ("Castel d Azzano", "Castel d'Azzano (VR)"),
        ("Casteldazzano", "Castel d'Azzano (VR)"),
        ("Comune di Castel D'Azzano (VR)", "Castel d'Azzano (VR)"),
        ("Cava de Tirreni", "Cava de' Tirreni (SA)"),
        ("Sant Arsenio", "Sant'Arsenio (SA)"),
        ("S. Arsenio", "Sant'Arsenio (SA)"),
        ("Comune della Spezia", "La Spezia (SP)"),
        ("San Benedetto Po", "San Benedetto Po (MN)"),
        ("Vo", "Vo' (PD)"),
        ("Bozen", "Bolzano/Bozen (BZ)"),
        ("Bolzano", "Bolzano/Bozen (BZ)"),
    ],
)
def test_normalised_names_match(matcher, typed, expected):
    assert name_of(matcher, typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Montecorvino Rovela", "Montecorvino Rovella (SA)"),  # a letter dropped
        ("Baronisi", "Baronissi (SA)"),
        ("Barronissi", "Baronissi (SA)"),  # a letter doubled
        ("Baornissi", "Baronissi (SA)"),  # two letters swapped
    ],
)
def test_one_letter_typos_are_corrected(matcher, typed, expected):
    m = matcher.match(typed)
    assert m.method == "fuzzy"
    assert matcher.label(m.cid) == expected


def test_a_real_comune_that_does_not_take_part_is_never_a_typo(matcher):
    m = matcher.match("Comune di Montecorvino Pugliano")
    assert (m.cid, m.problem) == (-1, "not_participating")
    assert "Montecorvino Pugliano (SA)" in m.detail


def test_a_typo_as_close_to_a_non_participating_comune_is_not_guessed(matcher):
    # "Montecorvino Puglian" is one letter from Pugliano (real, not listed): no guess.
    m = matcher.match("Montecorvino Puglian")
    assert m.cid == -1


def test_exact_accents_win(matcher):
    assert name_of(matcher, "Paterno") == "Paterno (PZ)"
    assert name_of(matcher, "Paternò") == "Paternò (CT)"
    assert name_of(matcher, "PATERNO'") == "Paternò (CT)"  # apostrophe typed as accent


def test_a_normalised_name_fitting_two_comuni_is_ambiguous(matcher):
    m = matcher.match("Paternó")  # wrong accent: both fit once accents are dropped
    assert m.problem == "ambiguous"
    assert m.suggestion == "Paterno (PZ) / Paternò (CT)"


def test_province_separates_accent_lookalikes(matcher):
    assert name_of(matcher, "Paterno", province="CT") == "Paternò (CT)"
    assert name_of(matcher, "Paterno", province="Catania") == "Paternò (CT)"


def test_true_homonyms_need_a_hint(matcher):
    assert matcher.match("Calliano").problem == "ambiguous"
    assert name_of(matcher, "Calliano (AT)") == "Calliano (AT)"
    assert name_of(matcher, "Calliano", province="TN") == "Calliano (TN)"
    assert name_of(matcher, "Calliano", domains=["comune.calliano.tn.it"]) == "Calliano (TN)"
    assert name_of(matcher, "Calliano", domains=["anagrafe.calliano.at.it"]) == "Calliano (AT)"
    assert name_of(matcher, "Calliano", code="005013") == "Calliano (AT)"


def test_homonym_in_another_province_is_not_participating(matcher):
    # Samone exists in TO and TN; only TN takes part.
    assert name_of(matcher, "Samone") == "Samone (TN)"
    assert matcher.match("Samone", province="TO").problem == "not_participating"


def test_province_typo_does_not_lose_a_unique_name(matcher):
    m = matcher.match("Baronissi", province="AV")
    assert matcher.label(m.cid) == "Baronissi (SA)"
    assert "provincia" in m.detail


def test_aliases_from_config(matcher):
    assert name_of(matcher, "montecorvino r.") == "Montecorvino Rovella (SA)"
    assert name_of(matcher, "Castello d'Azzano") == "Castel d'Azzano (VR)"


def test_alias_to_an_unknown_comune_is_a_config_error():
    frame = pd.DataFrame([("Baronissi", "SA", "")], columns=["name", "province", "code"])
    with pytest.raises(InputError, match="Alias 'Foo' = 'Atlantide'"):
        ComuneMatcher(frame, {"Foo": "Atlantide"})


def test_unknown_and_empty(matcher):
    m = matcher.match("Provincia di Salerno")
    assert (m.cid, m.problem) == (-1, "unknown")
    assert matcher.match("   ").problem == "empty"


def test_suggestion_for_an_unknown_name(matcher):
    m = matcher.match("Montecorvino Rovellaa di Salerno")
    assert m.cid == -1
    assert m.suggestion == "Montecorvino Rovella (SA)"


def test_alias_line_is_valid_toml():
    import tomllib

    line = alias_line('Comune di "Cava"  de Tirreni', "Cava de' Tirreni")
    assert tomllib.loads(line) == {'Comune di "Cava" de Tirreni': "Cava de' Tirreni"}


@pytest.mark.parametrize("aliases", [{}, ALIASES], ids=["no-aliases", "aliases"])
def test_the_batch_path_decides_exactly_as_one_by_one(aliases):
    typed = [name for name, _, _ in LISTED]
    typed += [f"{n.upper()} ({p})" for n, p, _ in LISTED] + [f"Comune di {n} ({p.lower()})" for n, p, _ in LISTED]
    typed += ["Paternó", "Calliano", "Calliano (TN)", "Calliano (XX)", "Baronisi", "Barronissi", "Montecorvino Rovela",
              "Montecorvino Puglian", "S. Arsenio", "Comune della Spezia", "Sant Arsenio", "Casteldazzano", "Xyzzy", ""]  # fmt: skip
    keys = [(t, "", "") for t in typed] + [("Paterno", "CT", ""), ("Samone", "TO", ""), ("Calliano", "", "005013")]
    one_by_one = ComuneMatcher(matcher_frame(), aliases)
    assert ComuneMatcher(matcher_frame(), aliases).match_many(keys) == [one_by_one.match(*k) for k in keys]


def test_the_national_index_is_reused_from_the_reference_cache(tmp_path, monkeypatch):
    from rollout.read.matching import _national_index

    monkeypatch.setenv("ROLLOUT_REFERENCE_CACHE", str(tmp_path))
    built = _national_index.__wrapped__()
    (stored,) = tmp_path.glob("national-index-*.json")
    assert _national_index.__wrapped__() == built  # read back from the file
    assert built["loose"]["montecorvino pugliano"] == {("Montecorvino Pugliano", "SA")}
    stored.write_text("{not json", encoding="utf-8")  # a damaged cache is rebuilt, not trusted
    assert _national_index.__wrapped__() == built
    assert stored.read_text(encoding="utf-8").startswith("{")


def test_an_unwritable_reference_cache_is_skipped(tmp_path, monkeypatch):
    from rollout.read.matching import _national_index

    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_REFERENCE_CACHE", str(blocker / "sub"))
    assert _national_index.__wrapped__()["compact"]["paterno"] == {("Paterno", "PZ"), ("Paternò", "CT")}


_TYPINGS = st.tuples(
    st.sampled_from([n for n, _, _ in LISTED] + ["Xyzzy", "Montecorvino Puglian", "Paternó", "S. Arsenio"]),
    st.sampled_from(["", "Comune di ", "COMUNE DI ", "Comune della "]),
    st.sampled_from(["", " (SA)", " (tn)", " - AT", " prov. di Padova", " (XX)", ".", "  "]),
    st.sampled_from([str, str.upper, str.lower, lambda t: t.replace("'", "’"), lambda t: t.replace("San", "S.")]),
    st.sampled_from(["", "SA", "TN", "CT"]),
    st.sampled_from(["", "", "022035", "087033"]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_TYPINGS, min_size=1, max_size=12), st.booleans())
def test_the_batch_path_decides_exactly_as_one_by_one_on_any_typing(rows, with_aliases):
    keys = [(case(prefix + name + tail), province, code) for name, prefix, tail, case, province, code in rows]
    aliases = ALIASES if with_aliases else {}
    one_by_one = ComuneMatcher(matcher_frame(), aliases)
    assert ComuneMatcher(matcher_frame(), aliases).match_many(keys) == [one_by_one.match(*k) for k in keys]


# A list's own long name (a pasted description, a merged cell): 5,000 characters of words.
LONG = "Unione dei comuni " + " ".join(f"Borgo{i} d'Aria" for i in range(400))
LONG = LONG[: LONG.rindex(" ", 0, 5000)]


@pytest.fixture(scope="module")
def long_matcher():
    frame = pd.DataFrame([*LISTED, (LONG, "SA", "065999")], columns=["name", "province", "code"])
    frame["domains"] = [()] * len(frame)
    return ComuneMatcher(frame)


def test_a_long_listed_name_matches_its_own_exact_response(long_matcher):
    assert 4900 < len(LONG) <= 5000
    cid = len(LISTED)
    assert long_matcher.match(LONG) == long_matcher.match_many([(LONG, "", "")])[0] == Match(cid, "exact")
    assert long_matcher.match(f"  {LONG.upper()} ") == Match(cid, "exact")
    assert long_matcher.match(LONG.replace("'", "’")) == Match(cid, "exact")
    assert long_matcher.match(LONG.replace("'", " "), "SA") == Match(cid, "loose")
    assert long_matcher.match(f"Comune di {LONG}") == Match(cid, "exact")
    assert long_matcher.match("Samone") == Match(LISTED.index(("Samone", "TN", "022165")), "exact")


def test_a_long_text_is_never_read_as_a_typo(long_matcher):
    typo = LONG[:-1] + "x"
    found = long_matcher.match(typo)
    assert (found.matched, found.problem) == (False, "unknown")
    assert found.detail == f"'{typo[:200]}' non è il nome di un comune ({len(LONG)} caratteri)"
    # A text far longer than any listed name is answered without reading it.
    huge = LONG * 200
    assert long_matcher.match(huge).detail == f"'{huge[:200]}' non è il nome di un comune ({len(huge)} caratteri)"


def test_a_long_listed_name_counts_the_response_that_names_it():
    from conftest import COMUNI_CSV, responses, snapshot

    snap = snapshot(
        responses(f'1/9/2023 10.00.00,a@x.it,"{LONG}",Rossi,Mario,m.rossi@x.it,Editor Sito Web'),
        comuni_csv=COMUNI_CSV + f'"{LONG}",SA,065999,,\n',
    )
    assert snap.rows["outcome"].tolist() == ["counted"]
    expected = pd.DataFrame([[1, "on_time"]], columns=["editors", "status"])
    assert_frame_equal(
        snap.comuni.loc[snap.comuni["code"] == "065999", expected.columns].reset_index(drop=True), expected
    )
