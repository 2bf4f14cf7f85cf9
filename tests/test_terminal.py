"""What the command line prints: values from the lists can never colour the terminal, move its
cursor or pass for a line of their own (issue 18, section 8)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, run_cli
from rollout.read.text import printable, visible
from rollout.terminal import say

ESC = "\x1b"
# A comune as a hostile list may name it: it clears the line, returns the cursor, starts a fake
# line that claims another recipient, and resets the colours.
HOSTILE = f"Avella{ESC}[2K\r\nda inviare: Roma (RM) → x@evil.example{ESC}[0m"
SHOWN = "Avella<U+001B>[2K<U+000D><U+000A>da inviare: Roma (RM) → x@evil.example<U+001B>[0m"


def test_printable_shows_control_and_invisible_characters_and_keeps_italian_text():
    assert printable(HOSTILE) == SHOWN
    assert printable("a\tb\x00c\x7fd\x85e\u2028f\u2029g") == "a<U+0009>b<U+0000>c<U+007F>d<U+0085>e<U+2028>f<U+2029>g"
    # Invisible characters look as the dashboard shows them (``visible``), a bidi override included.
    assert printable("\ufeffMelito\u200b di Napoli\u202e") == visible("\ufeffMelito\u200b di Napoli\u202e")
    assert printable("\ufeffMelito\u200b di Napoli") == "<U+FEFF>Melito<U+200B> di Napoli"
    italian = "Sant’Arsenio, Paternò, «Cava de’ Tirreni» — 6.583 comuni; Città di Castello: più € e ½"
    assert printable(italian) == italian
    assert printable("x" * 5000) == "x" * 5000  # a line is never cut: only characters are shown


def test_say_writes_each_line_escaped_to_stdout_or_stderr(capsys):
    say(f"avviso: {HOSTILE}", err=True)
    say("primo", f"secondo {ESC}[31m")
    out, err = capsys.readouterr()
    assert err == f"avviso: {SHOWN}\n"
    assert out == "primo\nsecondo <U+001B>[31m\n"


def campaign(folder: Path) -> Path:
    """A comuni list (real CSV, a quoted cell across lines) whose first comune is ``HOSTILE``."""
    (folder / "comuni.csv").write_text(
        "Comune,Provincia,Codice ISTAT,Referente,Email referente\n"
        f'"{HOSTILE}",AV,064007,,protocollo@comune.avella.av.it\n'
        "Nola,NA,063047,,urp@comune.nola.na.it\n",
        encoding="utf-8",
        newline="",
    )
    (folder / "risposte.csv").write_text(
        "Informazioni cronologiche,Indirizzo email,Comune,Cognome del dipendente,Nome del dipendente,"
        "Indirizzo email del dipendente,Permessi da assegnare\n",
        encoding="utf-8",
    )
    config = folder / "rollout.toml"
    config.write_text(
        'campaign = "Prova"\ndeadline = 2023-09-13\nas_of = 2023-09-29T12:00:00\nform_url = "https://forms.gle/x"\n'
        'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[reminders]\ndatabase = "promemoria.sqlite3"\nsignature = "Ufficio PNRR"\n',
        encoding="utf-8",
    )
    return config


def test_reminders_send_prints_a_hostile_comune_on_its_own_line_escaped(tmp_path):
    result = run_cli("reminders", "send", "--dry-run", "--config", campaign(tmp_path))
    assert result.returncode == 0, result.stderr
    assert ESC not in result.stdout and "\r" not in result.stdout
    lines = result.stdout.split("\n")
    assert len(lines) == 5 and lines[-1] == ""  # four lines, the last one ended
    assert lines[0].startswith(f"da inviare: {SHOWN} (AV) → protocollo@comune.avella.av.it · ")
    assert lines[1].startswith("da inviare: Nola (NA) → urp@comune.nola.na.it · ")
    assert lines[2:4] == ["Promemoria: 2 comuni, 2 da inviare.", "Prova (--dry-run): nessun messaggio inviato."]


def test_an_error_quoting_a_hostile_header_is_one_escaped_line(tmp_path):
    config = campaign(tmp_path)
    (tmp_path / "risposte.csv").write_text(f"Data,{ESC}]0;titolo{ESC}\\Comune,Nome\n1/9/2023,Nola,Rossi\n")
    result = run_cli("report", "--config", config, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == (
        "errore: Risposte al modulo: manca la colonna permessi. Colonne trovate nella riga 1: 'Data', "
        "'<U+001B>]0;titolo<U+001B>\\Comune', 'Nome'. Indica il nome esatto della colonna nella configurazione "
        "(sezione [columns]).\n"
    )


# Every line the command line writes goes through ``say``: no other module of the core prints.
# ``__main__`` prints one fixed line when Ctrl-C comes before anything is loaded.
PRINTERS = {"rollout/terminal.py", "rollout/__main__.py"}


def test_only_the_terminal_module_prints():
    printing = re.compile(r"\bprint\(|sys\.(?:stdout|stderr)\.write\(")
    sources = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in (ROOT / "rollout").rglob("*.py")}
    assert "rollout/cli_reminders.py" in sources
    assert sorted(path for path, text in sources.items() if printing.search(text)) == sorted(PRINTERS)
