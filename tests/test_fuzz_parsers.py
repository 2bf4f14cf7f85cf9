"""Fuzzing the parsers: timestamps, permission answers, configuration, dates, allowlists, escaping.

Each either returns a well-formed value or raises InputError with an Italian message; nothing
else. Fixed example budgets (derandomized).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.access import email_allowed, parse_allowlist
from rollout.config import Config, load_config, parse_as_of, parse_config, parse_deadline
from rollout.errors import InputError
from rollout.italian import moment, moments
from rollout.outputs.tables import iso, iso_texts
from rollout.read.permissions import PERMISSION_KEYS, PERMISSIONS, header_permission, parse_choices, tick_value
from rollout.read.timestamps import parse_timestamps
from ui.format import md_escape


def fuzz(examples: int):
    return settings(
        max_examples=examples, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )


def italian_error(call) -> None:
    try:
        call()
    except InputError as err:
        assert str(err).strip()


# --- timestamps -----------------------------------------------------------------------------

NUMERIC_STAMP = st.builds(
    lambda a, b, c, h, m, s, sep, ampm, zone: f"{a}{sep}{b}{sep}{c} {h}{':' if sep != '.' else '.'}{m}:{s}{ampm}{zone}",
    st.integers(-1, 100_000),
    st.integers(-1, 99),
    st.integers(-1, 100_000),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["/", ".", "-"]),
    st.sampled_from(["", " AM", " PM", " p.m."]),
    st.sampled_from(["", " CET", " CEST", " Z", " +02:00", " -99:99", " UTC+14", " Europe/Rome"]),
)
STAMP = st.one_of(
    st.text(max_size=30),
    NUMERIC_STAMP,
    st.floats().map(str),  # sheet serial numbers, and nan/inf
    st.integers().map(str),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(str),
    st.sampled_from(["13 settembre 2023 10:15", "31 febbraio 2023", "lunedì 1 gennaio 0001", "0/0/0", "ieri"]),
)


@fuzz(200)
@given(
    st.lists(STAMP, max_size=8),
    st.sampled_from(["auto", "DMY", "MDY"]),
    st.sampled_from(["", "it_IT", "en_US", "en_GB"]),  # the sheet's locale, when the Sheets API gives it
    st.sampled_from([None, pd.Timestamp("2023-09-20T12:00:00Z"), pd.Timestamp("1950-01-01T00:00:00Z")]),
)
def test_timestamps_are_read_or_left_unreadable(values, order, locale, now):
    index = pd.RangeIndex(2, 2 + len(values))
    parsed = parse_timestamps(pd.Series(values, index=index, dtype=str), "Europe/Rome", order, locale=locale, now=now)
    assert list(parsed.utc.index) == list(index)  # one result per row, none dropped
    assert str(parsed.utc.dtype) == "datetime64[ns, UTC]"
    read = parsed.utc.dropna()
    assert read.between(pd.Timestamp("1899-12-30", tz="UTC"), pd.Timestamp("2201-01-01", tz="UTC")).all()


def test_dates_out_of_range_are_unreadable_not_errors():
    values = [
        "31/02/2023 10.00.00",
        "1/1/1800 10:00",
        "1/1/9999 10:00",
        "1/9/2023 25.00.00",
        "99999999999",
        "0/0/0",
        "1 gen 0001",
        "9999-12-31T23:59:59",
        "0001-01-01",
        "1 gennaio 1066",
    ]
    parsed = parse_timestamps(pd.Series(values, index=pd.RangeIndex(2, 2 + len(values)), dtype=str))
    assert parsed.utc.isna().all()


# --- permission answers ---------------------------------------------------------------------

LABELS = [p.label for p in PERMISSIONS]
CHOICE_PIECE = st.one_of(
    st.sampled_from(LABELS),
    st.sampled_from(LABELS).map(lambda s: f"1) {s.upper()} – con descrizione, virgole (e parentesi)"),
    st.text(max_size=15),
    st.sampled_from(["Altro: Ufficio Protocollo", "=HYPERLINK(1)", "Sì", "nessuno"]),
)


@fuzz(400)
@given(st.lists(CHOICE_PIECE, max_size=5))
def test_permission_answers_name_known_keys_and_report_the_rest(pieces):
    cell = ", ".join(pieces)
    keys, unknown = parse_choices(cell)
    assert keys <= set(PERMISSION_KEYS)
    assert all(text.strip() and text in cell for text in unknown)  # reported verbatim, never invented
    # Nothing silently dropped: a piece with letters or digits is recognised or reported.
    if any(any(c.isalnum() for c in p) for p in pieces):
        assert keys or unknown
    for label in LABELS:
        if label in pieces:
            assert keys
    assert tick_value(cell) in (True, False, None)
    assert header_permission(cell) in (None, *PERMISSION_KEYS)


# --- configuration --------------------------------------------------------------------------

TOML_VALUE = st.recursive(
    st.one_of(
        st.text(max_size=10), st.integers(), st.floats(), st.booleans(), st.dates(), st.datetimes(),
        st.sampled_from(["2023-09-13", "13/09/2023", "Europe/Rome", "Mars/Olympus", "DMY", "@comune.it", "x.csv"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)  # fmt: skip
TOP_KEY = st.sampled_from([
    "campaign", "deadline", "as_of", "timezone", "form_url", "date_order", "comuni", "submissions", "columns",
    "aliases", "reminders", "cache", "access", "sconosciuta", "form_prefill_field", "form_prefill_province_field",
    "accounts",
])  # fmt: skip


@fuzz(300)
@given(st.dictionaries(TOP_KEY, TOML_VALUE, max_size=6))
def test_any_configuration_table_gives_a_config_or_an_italian_error(data):
    try:
        config = parse_config(data, Path("/progetto"))
    except InputError as err:
        assert str(err).strip()
        return
    assert isinstance(config, Config)
    assert all(a.startswith("@") or "@" in a for a in config.allowed)


@fuzz(200)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace"))))
def test_any_configuration_file_gives_a_config_or_an_italian_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("config") / "rollout.toml"
    path.write_bytes(data)
    italian_error(lambda: load_config(path))


@fuzz(300)
@given(st.one_of(st.text(max_size=30), st.dates(), st.datetimes(), st.integers(), st.floats()))
def test_deadlines_and_moments(value):
    italian_error(lambda: parse_deadline(value))
    italian_error(lambda: parse_as_of(value))


AWARE_MOMENTS = st.lists(
    st.one_of(
        st.none(),
        st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2200, 12, 31)),
        st.sampled_from([dt.datetime(2023, 3, 26, 1, 59, 59, 999999), dt.datetime(2023, 10, 29, 0, 59, 59),
                         dt.datetime(2023, 10, 29, 1, 0, 0), dt.datetime(1969, 12, 31, 23, 59, 59, 500000)]),
    ),
    max_size=40,
)  # fmt: skip
ZONES = st.sampled_from(
    ["Europe/Rome", "UTC", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham", "Africa/Monrovia"]
)


@fuzz(300)
@given(AWARE_MOMENTS, ZONES)
def test_column_moments_equal_their_scalar_twins(values, tz):
    """The column forms (formatted all at once) write exactly what the one-by-one forms write,
    across daylight-saving changes, half-hour and odd historical offsets, and missing moments."""
    column = pd.Series(pd.to_datetime([v for v in values], utc=True), dtype="datetime64[ns, UTC]")
    assert iso_texts(column, tz, "-") == [iso(v, tz) or "-" for v in column]
    assert moments(column, tz, "-").tolist() == [moment(v, tz) or "-" for v in column]


# --- access ---------------------------------------------------------------------------------

EMAILISH = st.one_of(
    st.text(max_size=20),
    st.emails(),
    st.emails().map(lambda e: "@" + e.split("@")[1]),
    st.sampled_from(["@", "a@", "@.it", "PM@Azienda.IT", "x@comune-x.it.evil.org", "a b@c.it"]),
)


@fuzz(300)
@given(st.one_of(st.lists(EMAILISH, max_size=4), EMAILISH, st.integers()), EMAILISH)
def test_allowlists_and_logins(entries, email):
    try:
        allowed = parse_allowlist(entries)
    except InputError as err:
        assert str(err).startswith("In [access]")
        return
    admitted = email_allowed(email, allowed)
    if admitted:
        address = email.strip().lower()
        assert address in allowed or "@" + address.rpartition("@")[2] in allowed
    assert not email_allowed(email, ())


# --- escaping -------------------------------------------------------------------------------


@fuzz(300)
@given(st.text(max_size=40))
def test_escaped_text_has_no_markdown_left(text):
    escaped = md_escape(text)
    joiners = re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL)  # the reader sees the same text, with
    assert joiners.replace("\u2060", "") == text.replace("\u2060", "")  # invisible joiners against autolinks
    assert not re.search(r"(?i)www\.|[^\u2060][:@]|^[:@]", joiners)
    unescaped = re.sub(r"\\.", "", escaped, flags=re.DOTALL)
    assert not set(unescaped) & set("\\`*_{}[]()<>#+-.!|~$:")
