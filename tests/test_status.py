"""Validity, latest-wins, status at as_of, coverage: the rules of DESIGN.md, one test each."""

import pandas as pd
from pandas.testing import assert_frame_equal

from conftest import by_name, responses, snapshot
from rollout.outputs.tables import status_dict

R = "segreteria@comune.montecorvinorovella.sa.it"


def test_deadline_is_inclusive_to_235959_rome():
    snap = snapshot(
        responses(
            f"13/9/2023 23.59.59,{R},Montecorvino Rovella,Greco,Anna,anna.greco@x.it,1) Editor Sito Web",
            "14/9/2023 0.00.20,a@b.it,Castel d'Azzano,Rossi,Paolo,paolo@x.it,1) Editor Sito Web",
        )
    )
    assert by_name(snap, "Montecorvino Rovella")["status"] == "on_time"
    late = by_name(snap, "Castel d'Azzano")
    assert late["status"] == "late"
    assert late["days_late"] == 1


def test_utc_timestamps_are_compared_in_rome_time():
    # 21:59:59Z is 23:59:59 in Rome (summer): on time; 22:00:00Z is midnight: late.
    snap = snapshot(
        responses(
            f"2023-09-13T21:59:59Z,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web",
            "2023-09-13T22:00:00Z,a@b.it,Castel d'Azzano,Rossi,Paolo,p@x.it,Editor Sito Web",
        )
    )
    assert by_name(snap, "Montecorvino Rovella")["status"] == "on_time"
    assert by_name(snap, "Castel d'Azzano")["status"] == "late"


def test_pending_before_the_deadline_missing_after():
    text = responses(f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web")
    before = snapshot(text, as_of="2023-09-13T23:59:59")
    after = snapshot(text, as_of="2023-09-14T00:00:00")
    assert by_name(before, "Castel d'Azzano")["status"] == "pending"
    assert by_name(after, "Castel d'Azzano")["status"] == "missing"
    assert before.totals == {"comuni": 7, "on_time": 1, "late": 0, "pending": 6, "missing": 0, "without_at_editor": 7}
    assert after.totals["missing"] == 6


def test_responses_after_as_of_do_not_count():
    text = responses(
        f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web",
        "20/9/2023 10.00.00,x@y.it,Castel d'Azzano,Rossi,Paolo,p@x.it,Editor Sito Web",
    )
    snap = snapshot(text, as_of="2023-09-10T12:00:00")
    assert by_name(snap, "Castel d'Azzano")["status"] == "pending"
    assert snap.outcome_counts == {"counted": 1, "replaced": 0, "after_as_of": 1, "unmatched": 0, "invalid": 0}
    assert by_name(snapshot(text), "Castel d'Azzano")["status"] == "late"


def test_a_correction_replaces_the_earlier_response_and_can_remove_a_permission():
    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,Anna.Greco@x.it,"
            '"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
            f"2/9/2023 11.00.00,{R},Montecorvino Rovella,Greco,Anna,anna.greco@X.IT,1) Editor Sito Web",
        )
    )
    row = by_name(snap, "Montecorvino Rovella")
    assert (row["editors"], row["sito_web"], row["amministrazione_trasparente"]) == (1, 1, 0)
    assert not row["has_at_editor"]
    assert row["first_response"] == pd.Timestamp("2023-09-01T08:00:00Z")  # the first valid one, even if replaced
    assert snap.rows.loc[2, "outcome"] == "replaced"
    assert snap.rows.loc[2, "replaced_by"] == 3
    assert snap.rows.loc[3, "outcome"] == "counted"


def test_identity_without_email_is_the_normalised_name():
    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,,Editor Sito Web",
            f"2/9/2023 10.00.00,{R},Montecorvino Rovella,GRECO,anna ,,Editor Newsletter",
            f"3/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Marta,,Editor Newsletter",
        )
    )
    row = by_name(snap, "Montecorvino Rovella")
    assert (row["editors"], row["sito_web"], row["newsletter"]) == (2, 0, 2)


def test_the_filler_address_is_not_the_employee():
    # The same person fills the form for two employees: two editors, not one.
    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,,Editor Sito Web",
            f"1/9/2023 10.05.00,{R},Montecorvino Rovella,Landi,Rosa,,Editor Amministrazione Trasparente",
        )
    )
    assert by_name(snap, "Montecorvino Rovella")["editors"] == 2


def test_a_row_with_only_other_text_is_invalid_and_does_not_replace():
    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Amministrazione Trasparente",
            f"2/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Responsabile protocollo",
        )
    )
    assert by_name(snap, "Montecorvino Rovella")["has_at_editor"]
    assert snap.rows.loc[3, "outcome"] == "invalid"
    assert snap.rows.loc[3, "reason"] == "nessun permesso riconosciuto; testo non riconosciuto: Responsabile protocollo"


def test_a_row_without_employee_is_invalid():
    snap = snapshot(responses(f"1/9/2023 10.00.00,{R},Montecorvino Rovella,,,,Editor Sito Web"))
    assert by_name(snap, "Montecorvino Rovella")["status"] == "missing"
    assert snap.rows.loc[2, "reason"] == "dipendente non indicato (né nome né email)"


def test_an_unreadable_date_is_listed_and_everything_else_computed():
    snap = snapshot(
        responses(
            f"ieri,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web",
            "2/9/2023 10.00.00,x@y.it,Castel d'Azzano,Rossi,Paolo,p@x.it,Editor Sito Web",
        )
    )
    assert snap.rows.loc[2, "outcome"] == "invalid"
    assert snap.rows.loc[2, "reason"] == "data/ora della risposta illeggibile: 'ieri'"
    assert by_name(snap, "Castel d'Azzano")["status"] == "on_time"


def test_text_starting_with_equals_is_kept_as_text():
    snap = snapshot(responses(f'1/9/2023 10.00.00,{R},Montecorvino Rovella,"=1+1",Anna,a@x.it,"=HYPERLINK(""x"")"'))
    assert snap.responses.rows.loc[2, "surname"] == "=1+1"
    assert snap.rows.loc[2, "reason"].endswith('=HYPERLINK("x")')


def test_status_json_contract():
    snap = snapshot(
        responses(
            f'1/9/2023 10.15.32,{R},Comune di Montecorvino Rovella,Greco,Anna,a@x.it,"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
            "2/9/2023 9.00.00,x@y.it,Montecorvino Pugliano,Rossi,Paolo,p@x.it,Editor Sito Web",
        ),
        as_of="2023-09-29T12:00:00",
    )
    data = status_dict(snap)
    assert data["as_of"] == "2023-09-29T12:00:00+02:00"
    assert data["deadline"] == "2023-09-13T23:59:59+02:00"
    assert data["totals"] == {"comuni": 7, "on_time": 1, "late": 0, "pending": 0, "missing": 6, "without_at_editor": 6}
    assert data["coverage"]["sito_web"] == {"comuni": 1, "share": 0.14}
    assert data["coverage"]["newsletter"] == {"comuni": 0, "share": 0.0}
    assert data["comuni"][0] == {
        "name": "Montecorvino Rovella",
        "code": "065074",
        "status": "on_time",
        "first_response": "2023-09-01T10:15:32+02:00",
        "editors": 1,
        "permissions": {
            "sito_web": 1,
            "newsletter": 0,
            "amministrazione_trasparente": 1,
            "servizi_demografico": 0,
            "servizi_segreteria": 0,
            "servizi_tecnico": 0,
            "servizi_tributi": 0,
        },
        "has_at_editor": True,
    }
    assert data["comuni"][6]["name"] == "Melito di Napoli"
    assert data["comuni"][6]["first_response"] is None
    assert data["unmatched"] == [{"row": 3, "comune": "Montecorvino Pugliano"}]


def test_every_row_is_counted_or_listed():
    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web",
            f"2/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Newsletter",
            ",,,,,,",
            "3/9/2023 10.00.00,x@y.it,Atlantide,Rossi,Paolo,p@x.it,Editor Sito Web",
            "4/9/2023 10.00.00,x@y.it,Calliano,Rossi,Paolo,p@x.it,Editor Sito Web",
            "30/9/2023 10.00.00,x@y.it,Calliano (TN),Rossi,Paolo,p@x.it,Editor Sito Web",
        )
    )
    assert list(snap.rows.index) == [2, 3, 4, 5, 6, 7]
    assert list(snap.rows["outcome"]) == ["replaced", "counted", "invalid", "unmatched", "unmatched", "after_as_of"]
    assert snap.rows.loc[4, "reason"] == "riga vuota"
    assert snap.rows.loc[6, "reason"].startswith("comune ambiguo: 'Calliano' può essere Calliano (AT), Calliano (TN)")


def test_homonyms_separated_by_the_filler_email_domain():
    snap = snapshot(responses("1/9/2023 10.00.00,ced@comune.calliano.at.it,Calliano,Rossi,Paolo,,Editor Sito Web"))
    assert by_name(snap, "Calliano", "AT")["editors"] == 1
    assert by_name(snap, "Calliano", "TN")["editors"] == 0


def test_province_napoli_is_not_a_missing_value():
    snap = snapshot(responses("1/9/2023 10.00.00,x@y.it,Melito di Napoli,Esposito,Ciro,c@x.it,Editor Sito Web"))
    row = by_name(snap, "Melito di Napoli")
    assert (row["province"], row["code"], row["status"]) == ("NA", "063045", "on_time")


def test_one_column_per_permission_form():
    header = "Informazioni cronologiche,Comune,Nome e cognome,Editor Sito Web,Editor Newsletter,Editor Amministrazione Trasparente"
    snap = snapshot(
        responses(
            "1/9/2023 10.00.00,Montecorvino Rovella,Anna Greco,Sì,No,x",
            "1/9/2023 10.00.00,Castel d'Azzano,Paolo Rossi,,TRUE,forse",
            header=header,
        )
    )
    mr = by_name(snap, "Montecorvino Rovella")
    assert (mr["sito_web"], mr["newsletter"], mr["amministrazione_trasparente"]) == (1, 0, 1)
    cd = by_name(snap, "Castel d'Azzano")
    assert (cd["sito_web"], cd["newsletter"], cd["amministrazione_trasparente"]) == (0, 1, 0)
    assert snap.responses.rows.loc[3, "unknown_text"] == "Editor Amministrazione Trasparente: forse"


def test_the_same_name_under_two_identities_is_listed_as_a_possible_duplicate():
    from rollout.outputs.quality import possible_duplicates

    snap = snapshot(
        responses(
            f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,anna.greco@x.it,Editor Sito Web",
            f"2/9/2023 10.00.00,{R},Montecorvino Rovella,GRECO,anna,,Editor Newsletter",
            f"3/9/2023 10.00.00,{R},Montecorvino Rovella,Landi,Rosa,,Editor Newsletter",
        )
    )
    assert by_name(snap, "Montecorvino Rovella")["editors"] == 3  # DESIGN: email, else name
    expected = pd.DataFrame([["Montecorvino Rovella", "Greco Anna", "2, 3"]], columns=["comune", "name", "rows"])
    assert_frame_equal(possible_duplicates(snap), expected)


def test_the_week_before_and_the_to_do_list_shared_by_the_panoramica_and_the_picture():
    from rollout.views import to_do, week_totals

    text = responses(
        f"1/9/2023 10.00.00,{R},Montecorvino Rovella,Greco,Anna,a@x.it,Editor Sito Web",
        "20/9/2023 10.00.00,x@y.it,Castel d'Azzano,Rossi,Paolo,p@x.it,Editor Sito Web",
        "21/9/2023 10.00.00,x@y.it,Xyzzy,Neri,Ugo,u@x.it,Editor Sito Web",
    )
    snap = snapshot(text, as_of="2023-09-25T12:00:00")
    before = snap.week_before()
    assert before.settings.as_of == snap.settings.as_of - pd.Timedelta(days=7)
    now, then = week_totals(snap.comuni, before.comuni)
    assert (now["late"], then["late"], now["missing"], then["missing"]) == (1, 0, 5, 6)
    review = snap.outcome_counts["unmatched"] + snap.outcome_counts["invalid"]
    items = to_do(snap.comuni, review)
    assert [(t.kind, t.count) for t in items] == [("missing", 5), ("no_at", 2), ("review", 1)]
    assert items[0].text == "5 comuni mancanti da sollecitare"
    assert items[1].names == ("Montecorvino Rovella (SA)", "Castel d'Azzano (VR)")  # by province
    assert items[2].text == "1 riga di risposte da verificare"
