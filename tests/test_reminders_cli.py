"""The command line's reminders kit: export, mark and undo, each run a new process; the report's PNG."""

from __future__ import annotations

import csv
import email
import io
import struct
import subprocess
import sys
import zipfile
from email import policy

import pytest

from conftest import COMUNI_CSV, ROOT, responses, run_cli

CAMPAIGN = responses(
    "1/9/2023 10.15.32,x@y.it,Montecorvino Rovella,Greco,Anna,a@x.it,1) Editor Sito Web",
    '5/9/2023 11.00.00,,Paterno,Bianchi,Luca,l@x.it,"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "rollout.toml").write_text(
        'campaign = "Prova"\ndeadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\nform_url = "https://forms.gle/x"\n'
        'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[reminders]\ndatabase = "stato/promemoria.sqlite3"\nsignature = "Ufficio PNRR"\n',
        encoding="utf-8",
    )
    return tmp_path


def rollout(files, *args):
    return run_cli(*args, "--config", str(files / "rollout.toml"))


def rollout_process(files, *args):
    """The smoke test of the ``reminders`` command as real, separate processes."""
    return subprocess.run(
        [sys.executable, "-m", "rollout", *args, "--config", str(files / "rollout.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def reminders_csv(path):
    return {(r["comune"], r["province"]): r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}


def test_mark_then_export_in_new_processes(files):
    first = rollout_process(files, "reminders", "mark", "--comune", "Melito di Napoli", "--date", "2023-09-15")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == (
        f"Registrato 1 promemoria (email, 15/09/2023) in {files / 'stato' / 'promemoria.sqlite3'}."
    )
    everyone = rollout_process(files, "reminders", "mark", "--all", "--date", "20/09/2023", "--channel", "pec")
    assert everyone.returncode == 0, everyone.stderr
    assert everyone.stdout.startswith("Registrati 6 promemoria (PEC, 20/09/2023)")
    by_code = rollout_process(files, "reminders", "mark", "--comune", "005013", "--comune", "Calliano (TN)",
                      "--date", "2023-09-22", "--channel", "telefono")  # fmt: skip
    assert by_code.returncode == 0, by_code.stderr
    assert by_code.stdout.startswith("Registrati 2 promemoria (telefono, 22/09/2023)")

    export = rollout_process(files, "reminders", "export", "--out", str(files / "out"))
    assert export.returncode == 0, export.stderr
    assert (
        export.stdout.strip() == f"File scritti in {files / 'out'}: reminders.csv, reminders.xlsx, reminder-drafts.zip"
    )
    rows = reminders_csv(files / "out" / "reminders.csv")
    assert {k: (r["reminders_sent"], r["last_reminder"], r["last_channel"]) for k, r in rows.items()} == {
        ("Calliano", "AT"): ("2", "2023-09-22", "telefono"),
        ("Calliano", "TN"): ("2", "2023-09-22", "telefono"),
        ("Castel d'Azzano", "VR"): ("1", "2023-09-20", "PEC"),
        ("Melito di Napoli", "NA"): ("2", "2023-09-20", "PEC"),
        ("Paternò", "CT"): ("1", "2023-09-20", "PEC"),
        ("Montecorvino Rovella", "SA"): ("1", "2023-09-20", "PEC"),
    }
    with zipfile.ZipFile(files / "out" / "reminder-drafts.zip") as archive:
        melito = email.message_from_bytes(archive.read("003 Melito di Napoli (NA).eml"), policy=policy.default)
    assert melito["To"].addresses[0].addr_spec == "urp@comune.melito.na.it"
    assert melito.get_content().replace("\r\n", "\n").endswith("Cordiali saluti\nUfficio PNRR\n")


def test_undo_removes_one_registration(files):
    marked = rollout(files, "reminders", "mark", "--all", "--date", "2023-09-20")
    batch = marked.stdout.splitlines()[1].rsplit(" ", 1)[1]
    assert marked.stdout.splitlines()[1] == f"Per annullare: python -m rollout reminders undo {batch}"
    undone = rollout(files, "reminders", "undo", batch)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.strip() == f"Annullati 6 promemoria registrati (codice {batch})."
    again = rollout(files, "reminders", "undo", batch)
    assert again.returncode == 2
    assert again.stderr.strip().endswith(
        f"errore: Nessuna registrazione con codice {batch} in {files / 'stato' / 'promemoria.sqlite3'}."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--comune", "Atlantide"], "errore: Comune non trovato nell'elenco dei partecipanti: 'Atlantide'."),
        (["--comune", "Calliano"], "errore: 'Calliano' indica più comuni: Calliano (TN), Calliano (AT). "
                                   "Usa il codice o «Nome (PR)»."),
        (["--all", "--channel", "piccione"], "errore: Canale sconosciuto: 'piccione'. Usa email, pec, telefono o altro."),
        (["--all", "--date", "ieri"], "errore: Data di invio non valida: 'ieri'. Usa il formato AAAA-MM-GG, per esempio 2023-09-20."),
    ],
)  # fmt: skip
def test_bad_marks_say_why_in_one_line(files, args, message):
    result = rollout(files, "reminders", "mark", *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message]
    assert not (files / "stato").exists()


def test_a_corrupt_log_is_one_line_not_a_traceback(files):
    (files / "stato").mkdir()
    (files / "stato" / "promemoria.sqlite3").write_bytes(b"\x00" * 4096)
    for args in (["reminders", "mark", "--all"], ["reminders", "export", "--out", str(files / "out")]):
        result = rollout(files, *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines() == [
            f"errore: Il registro dei promemoria {files / 'stato' / 'promemoria.sqlite3'} è danneggiato o non è un "
            "file SQLite: spostalo altrove (i promemoria già registrati sono lì dentro) e ne verrà creato uno nuovo."
        ]


def test_report_writes_the_picture_and_the_drafts_beside_status_json(files):
    result = rollout(files, "report", "--out", str(files / "out"))
    assert result.returncode == 0, result.stderr
    out = files / "out"
    png = (out / "status.png").read_bytes()  # checked chunk by chunk in test_snapshot.py
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1600, 900)
    with zipfile.ZipFile(out / "reminder-drafts.zip") as archive:
        assert [n for n in archive.namelist() if n.endswith(".eml")] == [
            "001 Calliano (AT).eml", "002 Paternò (CT).eml", "003 Melito di Napoli (NA).eml",
            "004 Calliano (TN).eml", "005 Castel d'Azzano (VR).eml", "006 Montecorvino Rovella (SA).eml",
        ]  # fmt: skip
    assert not (files / "stato").exists()  # reading the (absent) log never creates it
    assert reminders_csv(out / "reminders.csv")[("Melito di Napoli", "NA")]["reminders_sent"] == "0"
