"""Invisible characters pasted into cells (U+FEFF, zero-width spaces, soft hyphens, no-break
spaces) and huge cells: stripped where text is compared, shown or cut where text is quoted."""

from __future__ import annotations

import csv
import json

import pandas as pd
from pandas.testing import assert_frame_equal

from conftest import COMUNI_CSV, responses, snapshot
from rollout import cli
from rollout.read.text import clean, clean_series, visible

PERMS = '"Editor Sito Web, Editor Amministrazione Trasparente"'


def test_clean_drops_invisible_characters_alike_for_one_value_and_a_column():
    texts = [
        "\ufeffNola",
        "Castel\u200b d\u2019Azzano",
        "Pater\u00adnò",
        "Melito\u00a0di\u2060 Napoli",
        "a\u200e\u202ab",
    ]
    expected = ["Nola", "Castel d'Azzano", "Paternò", "Melito di Napoli", "ab"]
    assert [clean(t) for t in texts] == expected
    assert clean_series(pd.Series(texts)).tolist() == expected


def test_visible_shows_what_cannot_be_seen_and_caps_length():
    assert visible("\ufeffNola\u200b") == "<U+FEFF>Nola<U+200B>"
    assert visible("x" * 1000) == "x" * 200 + "…"
    assert visible("Paternò") == "Paternò"


def test_rows_with_invisible_characters_count():
    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,a@x.it,\ufeffMelito di Napoli,Rossi,Mario,m.rossi@x.it,{PERMS}",
            f"1/9/2023 11.00.00,a@x.it,Castel\u200b d'Azzano,Bianchi\u00ad,Anna,\u200ba.bianchi@x.it,{PERMS}",
            f"1/9/2023 12.00.00,a@x.it,Calliano\u200b (TN),Verdi,Carlo,c.verdi@x.it,{PERMS}",
        ),
        comuni_csv=COMUNI_CSV.replace("Paterno,PZ", "\u200bPaterno,PZ"),
    )
    rows = snap.responses.rows
    expected = pd.DataFrame(
        {
            "problem": ["", "", ""],
            "email": ["m.rossi@x.it", "a.bianchi@x.it", "c.verdi@x.it"],
            "comune_raw": ["<U+FEFF>Melito di Napoli", "Castel<U+200B> d'Azzano", "Calliano<U+200B> (TN)"],
        },
        index=pd.Index([2, 3, 4], name="row"),
    )
    assert_frame_equal(rows[expected.columns], expected)
    assert "Paterno" in snap.comuni_list.frame["name"].tolist()  # the listed name without its zero-width space


def test_a_header_with_a_byte_order_mark_inside_is_recognised():
    text = responses(f"1/9/2023 10.00.00,a@x.it,Melito di Napoli,Rossi,Mario,m.rossi@x.it,{PERMS}")
    snap = snapshot("\ufeff" + text.replace("Comune", "\u200bComune", 1))
    assert snap.responses.rows["problem"].tolist() == [""]


def test_a_huge_or_invisible_unmatched_cell_is_quoted_visibly_and_cut(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    huge = "Z" * 2_000_000  # a 10 MB cell goes the same way, slower to write
    (tmp_path / "risposte.csv").write_text(
        responses(
            f"1/9/2023 10.00.00,a@x.it,{huge},Rossi,Mario,m.rossi@x.it,{PERMS}",
            f"1/9/2023 11.00.00,a@x.it,Atlantide\u200b,Neri,Ugo,u.neri@x.it,{PERMS}",
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["report", "--comuni", str(tmp_path / "comuni.csv"), "--submissions", str(tmp_path / "risposte.csv")]
    assert cli.main([*args, "--deadline", "2023-09-13", "--as-of", "2023-09-20T12:00:00", "--out", str(out)]) == 0
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["unmatched"] == [{"row": 2, "comune": "Z" * 200 + "…"}, {"row": 3, "comune": "Atlantide<U+200B>"}]
    with (out / "rows.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert max(len(v) for r in rows for v in r.values()) < 1000
    assert (out / "rows.csv").stat().st_size < 10_000
