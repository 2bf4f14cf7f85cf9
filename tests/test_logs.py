"""No personal data and no secret in logs, standard output/error or error messages of a full run."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.auth as auth
from conftest import COMUNI_CSV, FORM_HEADER, ROOT, responses, submit_button
from rollout.access import LoginLimits
from rollout.cli import main

PASSWORD = "Cavallo-Batteria-Graffetta-42"
WRONG = "Tentativo-Sbagliato-Xylofono"
PEOPLE = [
    # (comune, surname, first name, email, fiscal code)
    ("Paterno", "Quattrocchi", "Zebedeo", "zebedeo.quattrocchi@comune.paterno.pz.it", "QTTZBD80A01H501U"),
    ("Paternò", "Sgroi", "Filomena", "filomena.sgroi@comune.paterno.ct.it", "SGRFMN75C41C351K"),
    ("Melito di Napoli", "Sparapani", "Gennarino", "", "SPRGNR66B12F839Z"),
]
PERSONAL = [p for person in PEOPLE for p in person[1:] if p]
SECRETS = [PASSWORD, WRONG, "segreto-del-client-oidc", "cookie-segreto-lunghissimo"]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@contextlib.contextmanager
def every_log() -> Iterator[Capture]:
    """Every record of every logger (Streamlit's do not propagate), at DEBUG, for the block."""
    capture = Capture()
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.Logger.manager.loggerDict))]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        lg.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(capture)
            lg.setLevel(level)


def leaks(*texts: str) -> list[str]:
    joined = "\n".join(texts)
    return [p for p in (*PERSONAL, *SECRETS) if p in joined]


def write_campaign(folder: Path) -> Path:
    lines = [
        f"1/9/2023 10.15.32,x@y.it,{comune},{surname},{first},{email},Editor Sito Web, Altro: {surname},{code}"
        for comune, surname, first, email, code in PEOPLE
    ]
    lines.append(f"2/9/2023 9.00.00,x@y.it,Comune di Atlantide,{PEOPLE[0][1]},{PEOPLE[0][2]},,Editor Newsletter,")
    lines.append(f"ieri,x@y.it,Paterno,{PEOPLE[1][1]},{PEOPLE[1][2]},,Editor Tributi,")  # unreadable time
    (folder / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (folder / "risposte.csv").write_text(responses(*lines, header=FORM_HEADER + ",Codice fiscale"), encoding="utf-8")
    config = folder / "rollout.toml"
    config.write_text(
        'deadline = 2023-09-13\nas_of = 2023-09-29\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
        '[access]\nallowed = ["@comune.paterno.pz.it"]\n',
        encoding="utf-8",
    )
    return config


def test_a_full_command_line_run_logs_no_personal_data(tmp_path, capsys):
    config = write_campaign(tmp_path)
    with every_log() as logs:
        code = main(["report", "--config", str(config), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "5 righe di risposte lette" in out
    assert leaks(out, err, *logs.lines) == []
    # The files without personal data by contract (the accounts list is the one that has them).
    for name in ("status.json", "comuni.csv", "rows.csv", "reminders.csv"):
        assert leaks((tmp_path / "out" / name).read_text(encoding="utf-8")) == [], name
    assert "Quattrocchi" in (tmp_path / "out" / "accounts.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "first_line",
    [
        "",  # no header row at all: the first response is taken for the header
        "Data,Nome,Cognome,Email,Codice fiscale",  # a header row without the needed columns
    ],
)
def test_error_messages_never_quote_a_row_of_data(tmp_path, capsys, first_line):
    config = write_campaign(tmp_path)
    comune, surname, first, email, code = PEOPLE[0]
    body = f"1/9/2023 10.15.32,{comune},{surname},{first},{email},{code}\n"
    (tmp_path / "risposte.csv").write_text((first_line + "\n" if first_line else "") + body, encoding="utf-8")
    with every_log() as logs:
        rc = main(["report", "--config", str(config), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert rc == 2
    assert err.startswith("errore: Risposte al modulo: manca la colonna")
    assert len(err.strip().splitlines()) == 1
    assert leaks(out, err, *logs.lines) == []


def test_a_full_dashboard_session_logs_no_personal_data_nor_secrets(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(write_campaign(tmp_path)))
    monkeypatch.setattr(auth, "sleep", lambda seconds: None)
    monkeypatch.setattr(auth, "LIMITS", LoginLimits())
    with every_log() as logs:
        at = AppTest.from_file(str(ROOT / "pages" / "comuni.py"), default_timeout=60)
        at.secrets["access"] = {"password": PASSWORD}
        at.run()
        for attempt in (WRONG, PASSWORD):
            at.text_input(key="_auth_password").input(attempt)
            submit_button(at, "Entra").click().run()
        box = at.selectbox(key="detail_comune")
        box.select(next(o for o in box.options if o.startswith("Paterno "))).run()
        assert not at.exception
        assert at.dataframe[1].value["Dipendente"].tolist() == ["Quattrocchi Zebedeo"]  # shown to the team only
        for page in ("copertura", "promemoria", "qualita"):
            other = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
            other.secrets["access"] = {"password": PASSWORD}
            other.session_state["_auth_password_ok"] = at.session_state["_auth_password_ok"]
            assert not other.run().exception
        oidc = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        oidc.secrets["auth"] = {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "cookie-segreto-lunghissimo",
            "client_id": "id",
            "client_secret": "segreto-del-client-oidc",
            "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
        }
        oidc.user = {"is_logged_in": True, "email": "intruso@esterno.it"}
        assert "non è tra quelli ammessi" in oidc.run().error[0].value
    out, err = capfd.readouterr()
    assert any("wrong dashboard password" in line for line in logs.lines)
    assert any("outside the allowlist" in line for line in logs.lines)
    assert leaks(out, err, *logs.lines) == []
    assert "intruso" not in "\n".join([out, err, *logs.lines])
