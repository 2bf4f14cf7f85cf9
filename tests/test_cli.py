"""The command line: outputs on good input, one clear line and a non-zero exit on bad input."""

import json
import subprocess
import sys

import pytest

from conftest import COMUNI_CSV, ROOT, responses, run_cli

GOOD = responses(
    "1/9/2023 10.15.32,x@y.it,Comune di Montecorvino Rovella,Greco,Anna,a@x.it,1) Editor Sito Web",
    "ieri,x@y.it,Castel d'Azzano,Rossi,Paolo,p@x.it,1) Editor Sito Web",
)


def run(*args):
    return run_cli(*args)


def run_process(*args, env=None):
    """The one smoke test of ``report`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "rollout", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def files(tmp_path):
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(GOOD, encoding="utf-8")
    return tmp_path


def report(files, *extra, comuni="comuni.csv", submissions="risposte.csv"):
    return run(
        "report", "--comuni", str(files / comuni), "--submissions", str(files / submissions),
        "--deadline", "2023-09-13", "--as-of", "2023-09-29T12:00:00", "--out", str(files / "out"), *extra,
    )  # fmt: skip


def test_report_writes_every_output(files):
    result = report(files)
    assert result.returncode == 0, result.stderr
    out = files / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "accounts.csv", "accounts.xlsx", "comuni.csv", "reminder-drafts.zip", "reminders.csv", "reminders.xlsx",
        "rows.csv", "status.json", "status.png",
    ]  # fmt: skip
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["totals"] == {
        "comuni": 7,
        "on_time": 1,
        "late": 0,
        "pending": 0,
        "missing": 6,
        "without_at_editor": 7,
    }
    assert status["as_of"] == "2023-09-29T12:00:00+02:00"
    assert result.stdout.splitlines()[0] == (
        "Situazione al 29/09/2023 12:00: 7 comuni, 1 in tempo, 0 in ritardo, 0 in attesa, 6 mancanti; "
        "7 comuni senza editor Amministrazione Trasparente, di cui 1 ha risposto; 2 righe di risposte lette."
    )
    assert "Anna" not in (out / "status.json").read_text(encoding="utf-8")


def test_unparseable_date_is_listed_and_the_rest_computed(files):
    result = report(files)
    rows = (files / "out" / "rows.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[2].startswith("3,invalid,non valida,data/ora della risposta illeggibile: 'ieri',")
    assert result.returncode == 0


def test_flags_override_the_config(files):
    (files / "rollout.toml").write_text('deadline = 2023-09-01\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n')
    result = run("report", "--config", str(files / "rollout.toml"), "--deadline", "2023-09-13",
                 "--as-of", "2023-09-29", "--out", str(files / "out"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    status = json.loads((files / "out" / "status.json").read_text(encoding="utf-8"))
    assert status["deadline"] == "2023-09-13T23:59:59+02:00"
    assert status["as_of"] == "2023-09-29T23:59:59+02:00"  # a bare date means the end of that day
    assert status["totals"]["on_time"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "errore: Il file risposte.csv è vuoto."),
        (
            b"\x00\x01\x02\x03PNG\x00\x00",
            "errore: risposte.csv non è un file di testo CSV né un file XLSX (contenuto binario).",
        ),
        (
            b"Informazioni cronologiche,Nome\n1/9/2023 10.00.00,Anna\n",
            "errore: Risposte al modulo: manca la colonna comune.",
        ),
    ],
    ids=["empty", "binary", "missing-column"],
)
def test_bad_submissions_file(files, content, message):
    (files / "risposte.csv").write_bytes(content)
    result = report(files)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(message)
    assert "Traceback" not in result.stderr


def test_duplicate_comuni_are_counted_once_with_a_warning(files):
    (files / "comuni.csv").write_text(COMUNI_CSV + "Castel d'Azzano,VR,023021,,\n", encoding="utf-8")
    result = report(files)
    assert result.returncode == 0
    assert (
        "avviso: 1 riga duplicata nell'elenco dei comuni, conteggiata una volta sola: riga 9 (= riga 3)."
        in result.stderr
    )
    status = json.loads((files / "out" / "status.json").read_text(encoding="utf-8"))
    assert status["totals"]["comuni"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deadline", "13 settembre"], "errore: Scadenza non valida: '13 settembre'."),
        (["--as-of", "presto"], "errore: Data di riferimento (as_of) non valida: 'presto'."),
    ],
)
def test_bad_flags(files, args, message):
    result = run("report", "--comuni", str(files / "comuni.csv"), "--submissions", str(files / "risposte.csv"),
                 "--deadline", "2023-09-13", *args, "--out", str(files / "out"))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)


def test_missing_deadline_with_own_data(files):
    result = run("report", "--comuni", str(files / "comuni.csv"), "--submissions", str(files / "risposte.csv"),
                 "--out", str(files / "out"))  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "errore: Configurazione incompleta: manca deadline (vedi docs/configuration.md, «Top-level keys»)."
    )


def test_missing_file(files):
    result = report(files, submissions="nope.csv")
    assert result.returncode == 2
    assert result.stderr.startswith("errore: File non trovato:")


@pytest.mark.skipif((ROOT / "rollout.toml").exists(), reason="a local rollout.toml replaces the demo")
def test_demo_runs_with_no_configuration(tmp_path):
    env = {k: v for k, v in __import__("os").environ.items() if k != "ROLLOUT_CONFIG"}
    result = run_process("report", "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 0, result.stderr
    assert "avviso: nessuna configurazione trovata, uso i dati dimostrativi" in result.stderr
    assert json.loads((tmp_path / "out" / "status.json").read_text())["as_of"] == "2023-09-08T18:00:00+02:00"
