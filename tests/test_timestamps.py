"""Timestamps as forms and spreadsheets write them; naive times are Europe/Rome."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.read.timestamps import parse_timestamps

ROME = ZoneInfo("Europe/Rome")


def parse(*values, **kwargs):
    result = parse_timestamps(pd.Series(list(values)), **kwargs)
    return [None if pd.isna(t) else t.tz_convert("Europe/Rome").isoformat() for t in result.utc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13/9/2023 10.15.32", "2023-09-13T10:15:32+02:00"),
        ("13/09/2023 10:15:32", "2023-09-13T10:15:32+02:00"),
        ("13/9/2023 9.05.00", "2023-09-13T09:05:00+02:00"),
        ("2023-09-13T10:15:32", "2023-09-13T10:15:32+02:00"),
        ("2023-09-13 10:15:32", "2023-09-13T10:15:32+02:00"),
        ("2023-09-13T08:15:32Z", "2023-09-13T10:15:32+02:00"),
        ("2023-09-13T10:15:32+02:00", "2023-09-13T10:15:32+02:00"),
        ("2023-09-13T09:15:32+01:00", "2023-09-13T10:15:32+02:00"),
        ("2023/03/18 3:28:24 PM CET", "2023-03-18T15:28:24+01:00"),
        ("2023/03/18 12:05:00 AM CET", "2023-03-18T00:05:00+01:00"),
        ("2023/09/18 12:05:00 PM CEST", "2023-09-18T12:05:00+02:00"),
        # Google Forms' own "Download responses (.csv)": 12-hour clock with the zone's name or offset.
        ("2023/09/13 11:59:59 PM CEST", "2023-09-13T23:59:59+02:00"),
        ("2023/09/13 11:59:59 PM GMT+2", "2023-09-13T23:59:59+02:00"),
        ("2023/09/13 11:59:59 PM GMT+02:00", "2023-09-13T23:59:59+02:00"),
        ("2023/09/14 12:00:00 AM GMT+2", "2023-09-14T00:00:00+02:00"),
        ("2023/01/13 11:59:59 PM GMT+1", "2023-01-13T23:59:59+01:00"),
        ("2023/09/13 11:59:59 p.m. CEST", "2023-09-13T23:59:59+02:00"),
        ("45182.5", "2023-09-13T12:00:00+02:00"),
        ("13 settembre 2023 10:15", "2023-09-13T10:15:00+02:00"),
        ("2023-09-13 23:59:59", "2023-09-13T23:59:59+02:00"),
        ("1/2/2023 10.00.00", "2023-02-01T10:00:00+01:00"),
    ],
)
def test_accepted_formats(text, expected):
    assert parse(text) == [expected]


@pytest.mark.parametrize("text", ["", "ieri", "31/02/2023 10:00:00", "13/9/2023 25.00.00", "2023-13-45", "99999999"])
def test_unreadable_values_are_not_guessed(text):
    assert parse(text) == [None]


def test_us_order_is_inferred_from_the_column():
    assert parse("9/13/2023 10:15:32", "9/5/2023 10:15:32") == [
        "2023-09-13T10:15:32+02:00",
        "2023-09-05T10:15:32+02:00",
    ]


def test_ambiguous_column_defaults_to_italian_and_can_be_forced():
    assert parse("5/9/2023 10:00:00") == ["2023-09-05T10:00:00+02:00"]
    assert parse("5/9/2023 10:00:00", order="MDY") == ["2023-05-09T10:00:00+02:00"]


def test_other_time_zone_setting():
    assert parse("13/9/2023 10.15.32", tz="UTC") == ["2023-09-13T12:15:32+02:00"]


def _italian(moment: dt.datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year} {moment.hour}.{moment.minute:02d}.{moment.second:02d}"


def _padded(moment: dt.datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S")


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def _forms_csv(moment: dt.datetime) -> str:
    zone = "CEST" if moment.replace(tzinfo=ROME).dst() else "CET"
    return moment.strftime("%Y/%m/%d %I:%M:%S %p ").lstrip("0") + zone


moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda m: m.replace(microsecond=0)
)


@settings(max_examples=300, deadline=None)
@given(moment=moments, fmt=st.sampled_from([_italian, _padded, _iso, _forms_csv]))
def test_round_trip(moment, fmt):
    local = moment.replace(tzinfo=ROME)
    # Skip wall-clock times that do not exist (spring gap) or repeat (autumn): they have no round trip.
    if local.astimezone(dt.UTC).astimezone(ROME).replace(tzinfo=None) != moment or local.fold:
        return
    again = moment.replace(fold=1).replace(tzinfo=ROME)
    if again.utcoffset() != local.utcoffset():
        return
    expected = pd.Timestamp(local).tz_convert("UTC")
    got = parse_timestamps(pd.Series([fmt(moment)])).utc.iloc[0]
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_a_time_or_nat_never_an_error(text):
    result = parse_timestamps(pd.Series([text, "13/9/2023 10.15.32"]))
    assert len(result.utc) == 2
    assert result.utc.iloc[1] == pd.Timestamp("2023-09-13T08:15:32Z")


# --- day/month order when no day exceeds 12 (issue 11): every signal, else a loud warning ------

US_ROWS = ("9/1/2023 10:15:32", "9/5/2023 9:00:00", "9/12/2023 18:30:00", "10/2/2023 8:00:00")


def test_the_sheets_locale_decides():
    us = parse_timestamps(pd.Series(["9/5/2023 10:00:00", "5/9/2023 10:00:00"]), locale="en_US")
    assert [t.tz_convert("Europe/Rome").date().isoformat() for t in us.utc] == ["2023-09-05", "2023-05-09"]
    assert us.note == "date lette come mese/giorno/anno secondo la lingua del foglio Google (en_US)"
    it = parse_timestamps(pd.Series(["9/5/2023 10:00:00"]), locale="it_IT")
    assert it.day_first and not it.ambiguous


def test_the_only_reading_that_runs_forward_wins():
    parsed = parse_timestamps(pd.Series(US_ROWS))
    assert not parsed.day_first and not parsed.ambiguous
    assert parsed.note == "date lette come mese/giorno/anno: solo così le risposte sono in ordine di tempo"
    assert parse(*US_ROWS)[0] == "2023-09-01T10:15:32+02:00"
    italian = ("1/9/2023 10.15.32", "5/9/2023 9.00.00", "12/9/2023 18.30.00", "2/10/2023 8.00.00")
    assert parse_timestamps(pd.Series(italian)).day_first


def test_dates_after_the_download_are_impossible():
    rows = pd.Series(["9/5/2023 10:00:00", "9/1/2023 10:00:00", "9/12/2023 10:00:00"])  # sorted by hand
    parsed = parse_timestamps(rows, now=pd.Timestamp("2023-09-20T12:00:00Z"))
    assert not parsed.day_first  # 9 December would be in the future
    assert parsed.note == "date lette come mese/giorno/anno: l'altro ordine darebbe date future"


def test_still_ambiguous_says_so_and_takes_the_configured_order():
    rows = pd.Series(["9/5/2023 10:00:00", "9/1/2023 10:00:00", "9/3/2023 10:00:00"])  # not in time order
    parsed = parse_timestamps(rows, now=pd.Timestamp("2026-01-01T00:00:00Z"))
    assert parsed.ambiguous and parsed.day_first
    assert parsed.note.startswith("ATTENZIONE: l'ordine di giorno e mese delle date non si può dedurre")
    forced = parse_timestamps(rows, order="MDY")
    assert not forced.day_first and not forced.ambiguous and forced.note == ""
    same_both_ways = parse_timestamps(pd.Series(["1/1/2023 10:00:00", "3/3/2023 9:00:00", "2/2/2023 9:00:00"]))
    assert not same_both_ways.ambiguous  # day == month: either reading gives the same dates


@pytest.mark.parametrize(
    ("rows", "found"),
    [
        (["1/2/2023 10:00:00", "3/4/2023 9:00:00", "5/6/2023 9:00:00"],  # 1 Feb, 3 Apr, 5 Jun or 2 Jan, 4 Mar, 6 May
         "le risposte sono in ordine di tempo in entrambe le letture"),
        (["9/5/2023 10:00:00", "9/1/2023 10:00:00", "9/3/2023 10:00:00"],  # back in time both ways
         "le risposte non sono in ordine di tempo in nessuna delle due letture"),
        (["9/5/2023 10:00:00", "ieri"], "c'è una sola data da confrontare"),
    ],
)  # fmt: skip
def test_the_ambiguity_warning_says_what_the_order_of_the_rows_showed(rows, found):
    parsed = parse_timestamps(pd.Series(rows), now=pd.Timestamp("2026-01-01T00:00:00Z"))
    assert parsed.ambiguous and parsed.day_first
    assert parsed.note == (
        "ATTENZIONE: l'ordine di giorno e mese delle date non si può dedurre (nessun giorno supera il 12 e "
        f"{found}): lette come giorno/mese/anno. Se il foglio usa un altro formato, imposta date_order = "
        '"DMY" o "MDY" nella configurazione'
    )


def _ambiguous_campaign(folder):
    from conftest import COMUNI_CSV, responses

    perms = '"Editor Sito Web, Editor Amministrazione Trasparente"'
    (folder / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (folder / "risposte.csv").write_text(
        responses(
            f"9/5/2023 10:00:00,a@x.it,Melito di Napoli,Rossi,Mario,m.rossi@x.it,{perms}",
            f"9/1/2023 10:00:00,a@x.it,Castel d'Azzano,Bianchi,Anna,a.bianchi@x.it,{perms}",
            f"9/3/2023 10:00:00,a@x.it,Paternò,Verdi,Carlo,c.verdi@x.it,{perms}",
        ),
        encoding="utf-8",
    )
    config = folder / "rollout.toml"
    config.write_text(
        'deadline = 2023-09-13\nas_of = 2023-09-29\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
    )
    return config


def test_an_ambiguous_order_is_a_warning_in_the_cli_and_the_dashboard(tmp_path, capsys, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT
    from rollout import cli

    config = _ambiguous_campaign(tmp_path)
    assert cli.main(["report", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    warning = [line for line in capsys.readouterr().err.splitlines() if "ATTENZIONE" in line]
    assert warning == [
        "avviso: Colonna data/ora: ATTENZIONE: l'ordine di giorno e mese delle date non si può dedurre (nessun "
        "giorno supera il 12 e le risposte non sono in ordine di tempo in nessuna delle due letture): lette come "
        'giorno/mese/anno. Se il foglio usa un altro formato, imposta date_order = "DMY" o "MDY" nella configurazione.'
    ]
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    from ui.format import md_escape

    assert any(md_escape("ATTENZIONE: l'ordine di giorno e mese") in w.value for w in at.warning)


def test_dotted_times_are_the_italian_way():
    parsed = parse_timestamps(pd.Series(["1/9/2023 10.15.32", "2/9/2023 11.00.00"]))
    assert parsed.day_first and not parsed.ambiguous and parsed.note == ""
    assert parse_timestamps(pd.Series(["1.9.2023 10:15", "5.9.2023 10:15"])).day_first
