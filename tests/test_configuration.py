"""Configuration parsed once, typed (issue 20, section 2): every section of rollout.toml and of the
secrets is checked when it is read, and an unknown key or a bad value is one Italian line naming it,
from the command line (``errore: …``, exit 2) and from the dashboard (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import COMUNI_CSV, ROOT, responses, run_cli
from rollout import access, config
from rollout.access import fingerprint
from rollout.config import CacheSettings, ReminderSettings, parse_config
from rollout.errors import InputError
from rollout.reminders.mail_settings import SMTP_KEYS
from ui.auth import PASSWORD_OK
from ui.format import md_escape

BASE = 'deadline = 2023-09-13\nas_of = 2023-09-29\ncomuni = "comuni.csv"\nsubmissions = "risposte.csv"\n'
LOCKED = "Il cruscotto resta chiuso finché non è corretto (vedi docs/deploying.md, «Who gets in»)."


def allowed(keys) -> str:
    return ", ".join(sorted(keys))


# (what the file says besides BASE, the one line that names the problem)
BAD = {
    "top-level key": ("deadlne = 2023-09-13\n", f"Chiave sconosciuta nella configurazione: deadlne. Chiavi ammesse: {allowed(config.TOP_KEYS)}."),
    "source table": (
        'contacts = { source = "enti.csv", shet = "Enti" }\n',
        "Chiave sconosciuta nella tabella contacts: shet. Chiavi ammesse: sheet, source, worksheet.",
    ),
    "[columns]": ('[columns.risposte]\ncomune = "Ente"\n', "Chiave sconosciuta in [columns]: risposte. Chiavi ammesse: comuni, contacts, submissions."),
    "[columns.comuni]": (
        '[columns.comuni]\nnome = "Ente"\n',
        f"Chiave sconosciuta in [columns.comuni]: nome. Chiavi ammesse: {allowed(config.COLUMN_KEYS['comuni'])}.",
    ),
    "[columns.submissions]": (
        '[columns.submissions]\ncomun = "Comune"\n',
        f"Chiave sconosciuta in [columns.submissions]: comun. Chiavi ammesse: {allowed(config.COLUMN_KEYS['submissions'])}.",
    ),
    "[columns.submissions.permissions]": (
        '[columns.submissions.permissions]\nsito = "Sito web"\n',
        f"Chiave sconosciuta in [columns.submissions.permissions]: sito. Chiavi ammesse: {allowed(config.PERMISSION_COLUMN_KEYS)}.",
    ),
    "[columns.contacts]": (
        '[columns.contacts]\npec_ente = "PEC"\n',
        f"Chiave sconosciuta in [columns.contacts]: pec_ente. Chiavi ammesse: {allowed(config.COLUMN_KEYS['contacts'])}.",
    ),
    "[aliases]": (
        '[aliases]\n"Avela" = ["Avella"]\n',
        "In [aliases] 'Avela' deve indicare un comune dell'elenco (un testo), per esempio \"Comune di Avella\" = \"Avella\".",
    ),
    "[cache]": ("[cache]\nttl = 60\n", "Chiave sconosciuta in [cache]: ttl. Chiavi ammesse: folder, ttl_seconds."),
    "ttl_seconds not a number": (
        '[cache]\nttl_seconds = "cinque minuti"\n',
        "In [cache] ttl_seconds deve essere un numero intero di secondi, almeno 10: 'cinque minuti'.",
    ),
    "ttl_seconds too small": ("[cache]\nttl_seconds = 5\n", "In [cache] ttl_seconds deve essere un numero intero di secondi, almeno 10: '5'."),
    "ttl_seconds a fraction": ("[cache]\nttl_seconds = 90.5\n", "In [cache] ttl_seconds deve essere un numero intero di secondi, almeno 10: '90.5'."),
    "[reminders]": ('[reminders]\nfirma = "Ufficio"\n', f"Chiave sconosciuta in [reminders]: firma. Chiavi ammesse: {allowed(config.REMINDERS_KEYS)}."),
    "[reminders.pending]": (
        '[reminders.pending]\noggetto = "Promemoria"\n',
        "[reminders.pending] deve contenere solo subject e body (testi): chiave sconosciuta oggetto.",
    ),
    "[accounts]": ('[accounts]\nmodello = "nota.docx"\n', "Chiave sconosciuta in [accounts]: modello. Chiavi ammesse: note_template, signature."),
    "[access]": ('[access]\nallow = ["@comune.it"]\n', "Chiave sconosciuta in [access]: allow. Chiave ammessa: allowed."),
}  # fmt: skip


@pytest.fixture
def campaign(tmp_path):
    """A small real campaign: the comuni list, a few responses, rollout.toml written per test."""
    (tmp_path / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    (tmp_path / "risposte.csv").write_text(
        responses("1/9/2023 10.15.32,a@b.it,Paterno,Rossi,Mario,,Editor Sito Web"), encoding="utf-8"
    )
    return tmp_path


def write(folder: Path, extra: str) -> Path:
    path = folder / "rollout.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_the_command_line_names_the_bad_key_in_one_line(campaign, case):
    extra, message = BAD[case]
    result = run_cli("report", "--config", write(campaign, extra), "--out", campaign / "out")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"errore: {message}\n")
    assert not (campaign / "out").exists()


@pytest.mark.parametrize("case", list(BAD))
def test_the_dashboard_names_the_bad_key_in_one_line(campaign, monkeypatch, case):
    extra, message = BAD[case]
    monkeypatch.setenv("ROLLOUT_CONFIG", str(write(campaign, extra)))
    at = dashboard({})
    assert not at.exception
    assert [e.value for e in at.error] == [f"Configurazione non valida. {md_escape(message)}"]
    assert not at.dataframe and not at.metric


def dashboard(secrets: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["unrelated"] = "x"  # never the developer's own secrets
    for key, value in secrets.items():
        at.secrets[key] = value
    if "password" in secrets.get("access", {}):
        at.session_state[PASSWORD_OK] = fingerprint(secrets["access"]["password"])
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_a_good_configuration_gives_typed_settings(tmp_path):
    parsed = parse_config(
        {"cache": {"ttl_seconds": 60, "folder": "copie"},
         "reminders": {"resend_after_days": "3", "bcc": ["Archivio@Azienda.it", ""], "sender": "Ufficio <u@azienda.it>"}},
        tmp_path, path=tmp_path / "rollout.toml",
    )  # fmt: skip
    assert parsed.cache == CacheSettings("copie", 60)
    assert parsed.cache_dir == tmp_path / "copie"
    assert (parsed.reminders.resend_after_days, parsed.reminders.bcc) == (3, ("archivio@azienda.it",))
    assert parsed.reminders.sender == "Ufficio <u@azienda.it>"
    assert parsed.reminders.texts == ReminderSettings().texts
    assert parse_config({}, tmp_path).cache == CacheSettings(".rollout-cache", 300)


def test_a_header_given_as_a_table_or_a_list_is_refused(tmp_path):
    with pytest.raises(
        InputError, match=r"^In \[columns.comuni\] name deve essere il nome di una colonna \(un testo\)\.$"
    ):
        parse_config({"columns": {"comuni": {"name": ["Ente"]}}}, tmp_path)
    with pytest.raises(InputError, match=r"^Chiave sconosciuta in \[columns.comuni\]: permissions\."):
        parse_config({"columns": {"comuni": {"permissions": {"sito_web": "Sito"}}}}, tmp_path)


# --- the secrets --------------------------------------------------------------------------------------


def test_an_unknown_smtp_key_is_one_line_from_the_command_line(campaign):
    write(campaign, "")
    (campaign / "secrets.toml").write_text('[smtp]\nhost = "127.0.0.1"\nsecure = "ssl"\n', encoding="utf-8")
    result = run_cli("reminders", "send", "--config", campaign / "rollout.toml", "--secrets", campaign / "secrets.toml",
                     "--dry-run")  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == f"errore: Chiave sconosciuta in secrets.toml [smtp]: secure. Chiavi ammesse: {allowed(SMTP_KEYS)}.\n"
    )


def test_an_unknown_smtp_key_is_one_line_on_the_dashboard(campaign, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(write(campaign, "")))
    at = dashboard({"access": {"password": "una-password-lunga"}, "smtp": {"host": "127.0.0.1", "secure": "ssl"}},
                   "pages/promemoria.py")  # fmt: skip
    assert not at.exception
    message = f"Chiave sconosciuta in [smtp] dei segreti: secure. Chiavi ammesse: {allowed(SMTP_KEYS)}."
    assert [e.value for e in at.error] == [f"Invio non disponibile: {md_escape(message)}"]


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"access": {"pasword": "x"}},
         f"Chiave sconosciuta nei segreti [access]: pasword. Chiavi ammesse: {allowed(access.ACCESS_SECRET_KEYS)}."),
        ({"auth": {"redirect_uri": "https://cruscotto.example/oauth2callback", "cookie_secret": "s",
                   "google": {"client_id": "i", "client_secrt": "s", "server_metadata_url": "https://x.example/m"}}},
         "Login non configurato correttamente: chiave sconosciuta in [auth]: google.client_secrt."),
        ({"auth": {"redirect_uri": "https://cruscotto.example/oauth2callback", "cookie_secrett": "s", "client_id": "i",
                   "client_secret": "s", "server_metadata_url": "https://x.example/m"}},
         "Login non configurato correttamente: chiave sconosciuta in [auth]: cookie_secrett."),
    ],
)  # fmt: skip
def test_an_unknown_access_or_auth_key_keeps_the_dashboard_closed_with_one_line(
    campaign, monkeypatch, secrets, message
):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(write(campaign, "")))
    at = dashboard(secrets)
    assert not at.exception
    assert [e.value for e in at.error] == [f"{message} {LOCKED}"]
    assert not at.dataframe and not at.metric
    with pytest.raises(InputError, match=r"^(Chiave sconosciuta|Login non configurato)"):
        access.access_secrets(secrets.get("access"), secrets.get("auth"))


def test_the_login_accepts_the_providers_own_parameters():
    auth = {"redirect_uri": "https://cruscotto.example/oauth2callback", "cookie_secret": "s",
            "google": {"client_id": "i", "client_secret": "s", "server_metadata_url": "https://x.example/m",
                       "client_kwargs": {"prompt": "select_account"}}}  # fmt: skip
    assert access.access_secrets(None, auth).providers == ("google",)
    assert access.access_secrets({"password": "p"}, None).protected


def test_every_rollout_toml_section_is_in_the_bad_cases():
    """Each section of the configuration has an unknown-key case above (kept in step with the code)."""
    sections = (
        {"top-level key", "source table", "[columns]", "[aliases]", "[cache]", "[reminders]", "[accounts]", "[access]"}
        | {f"[columns.{t}]" for t in config.COLUMN_TABLES}
        | {"[columns.submissions.permissions]"}
    )
    sections |= {f"[reminders.{r}]" for r in ("pending",)}  # one template stands for the three (one rule)
    assert sections <= BAD.keys()
