"""Access control: the password gate, the OIDC login with its allowlist, the open demo (AppTest)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.auth as auth
from conftest import COMUNI_CSV, FORM_HEADER, ROOT, responses, submit_button
from rollout.access import (
    GUESS_BURST,
    GUESSES_PER_MINUTE,
    Attempt,
    GuessLimiter,
    attempt,
    email_allowed,
    failure_delay,
    fingerprint,
    parse_allowlist,
    password_matches,
)
from rollout.config import parse_config
from rollout.errors import InputError
from ui.navigation import MENU

APP = str(ROOT / "dashboard.py")
PASSWORD = "corretta-cavallo-batteria-graffetta"
NAME, EMAIL, FISCAL = "Quattrocchi Zebedeo", "zebedeo.quattrocchi@comune.paterno.pz.it", "QTTZBD80A01H501U"
PERSONAL = ("Quattrocchi", "Zebedeo", "zebedeo.quattrocchi", "QTTZBD80A01H501U", "Anna Greco", "Montecorvino")
GOOGLE = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "un-segreto-lungo-e-casuale-per-i-cookie",
    "google": {
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "segreto",
        "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
    },
}


def write_campaign(folder: Path, access: str = "") -> Path:
    """A real (not demo) campaign in ``folder``; returns its rollout.toml."""
    (folder / "comuni.csv").write_text(COMUNI_CSV, encoding="utf-8")
    header = FORM_HEADER + ",Codice fiscale"
    (folder / "risposte.csv").write_text(
        responses(
            f"1/9/2023 10.15.32,{EMAIL},Paterno,{NAME.replace(' ', ',')},{EMAIL},Editor Sito Web,{FISCAL}",
            "2/9/2023 11.00.00,x@comune.it,Montecorvino Rovella,Greco,Anna,,Editor Newsletter,",
            header=header,
        ),
        encoding="utf-8",
    )
    config = folder / "rollout.toml"
    config.write_text(
        'campaign = "Prova"\ndeadline = 2023-09-13\nas_of = 2023-09-29\n'
        f'comuni = "comuni.csv"\nsubmissions = "risposte.csv"\n{access}',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    config = write_campaign(tmp_path, '[access]\nallowed = ["@comune-x.it", "pm@azienda.it"]\n')
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    return config


@pytest.fixture
def clock(monkeypatch):
    """A fresh server-wide limit of password checks, on a clock the test moves: ``clock[0] += 6``."""
    now = [1000.0]
    monkeypatch.setattr(auth, "LIMITER", GuessLimiter(clock=lambda: now[0]))
    return now


@pytest.fixture
def waits(monkeypatch, clock):
    """The delays the password gate asked for, instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(auth, "sleep", recorded.append)
    return recorded


def app(secrets: dict | None = None, user: dict | None = None, page: str | None = "comuni", **state) -> AppTest:
    """Run a page file directly (the deep-link path, where every rerun passes the gate again),
    or dashboard.py with ``page=None``. Streamlit's AppTest reruns a multipage app's page file
    alone after the first run, so form submissions are tested on the pages themselves.
    """
    script = APP if page is None else str(ROOT / "pages" / f"{page}.py")
    at = AppTest.from_file(script, default_timeout=60)
    # Always inject something, so a developer's own .streamlit/secrets.toml never leaks into a test.
    at.secrets["unrelated"] = "x"
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def rendered(at: AppTest) -> str:
    """Everything the run sent to the browser, as text (dataframes included, as Arrow bytes)."""
    return "\n".join(str(node.proto) for node in at if getattr(node, "proto", None) is not None)


def assert_no_data(at: AppTest) -> None:
    assert not at.exception
    assert not at.metric and not at.dataframe and not at.get("arrow_vega_lite_chart")
    assert not any("Situazione al" in m.value for m in at.markdown)
    text = rendered(at)
    assert [p for p in PERSONAL if p in text] == []
    assert "comuni.csv" not in text and "risposte.csv" not in text


def assert_data(at: AppTest) -> None:
    assert not at.exception
    assert at.markdown[0].value.startswith("**Situazione al 29/09/2023 23:59**")
    assert at.dataframe


def fresh_run(at: AppTest) -> AppTest:
    """Rerun as a real server does: dashboard.py (hence the gate) runs every time. AppTest instead
    reruns the page alone, reusing the context of the run before; forget it first."""
    at.session_state["_context"] = None
    at.session_state["_entry_ran"] = False
    return at.run()


def enter(at: AppTest, password: str) -> AppTest:
    at.text_input(key="_auth_password").input(password)
    return submit_button(at, "Entra").click().run()


# --- password -------------------------------------------------------------------------------


def test_the_dashboard_asks_for_the_password_first(campaign, waits):
    at = app({"access": {"password": PASSWORD}}, page=None)
    assert_no_data(at)
    assert at.title[0].value == ":material/checklist: Rollout tracker"
    assert [t.label for t in at.text_input] == ["Password"]
    assert not at.sidebar.button and not at.sidebar.warning and not at.sidebar.caption
    assert waits == []


def test_an_admitted_session_sees_the_overview(campaign, waits):
    at = app({"access": {"password": PASSWORD}}, page=None, _auth_password_ok=fingerprint(PASSWORD))
    assert not at.exception
    assert [(m.label, m.value) for m in at.metric][:2] == [("Comuni", "7"), ("In tempo", "2")]
    assert "Esci" in [b.label for b in at.sidebar.button]
    assert not at.sidebar.warning  # protected: no "open access" warning


@pytest.mark.parametrize("page", [Path(page.file).stem for page in MENU[1:]])  # the first is the overview
def test_every_page_is_behind_the_password(campaign, waits, page):
    at = app({"access": {"password": PASSWORD}}, page=page)
    assert_no_data(at)
    assert [t.label for t in at.text_input] == ["Password"]
    assert_data(enter(at, PASSWORD))
    assert waits == [0.0]


def test_wrong_passwords_wait_longer_each_time(campaign, waits):
    at = app({"access": {"password": PASSWORD}})
    for wrong in ("password", "Corretta-cavallo-batteria-graffetta", PASSWORD + " "):
        enter(at, wrong)
        assert_no_data(at)
        assert at.error[0].value.startswith("Password errata.")
    assert waits == [0.0, 1.0, 2.0]
    assert at.session_state["_auth_failures"] == 3
    assert_data(enter(at, PASSWORD))
    assert waits == [0.0, 1.0, 2.0, 4.0]
    assert at.session_state["_auth_failures"] == 0


def test_sessions_share_the_server_wide_limit_not_each_others_waits(campaign, waits, clock):
    first = app({"access": {"password": PASSWORD}})
    for _ in range(4):
        enter(first, "sbagliata")
    second = enter(app({"access": {"password": PASSWORD}}), "sbagliata")
    assert second.error[0].value.startswith("Password errata.")  # the 5th check: the burst is spent
    assert waits == [0.0, 1.0, 2.0, 4.0, 0.0]  # a session waits for its own failures only
    # The rightful user, now: the password is not even compared, and nothing counts as a failure.
    user = enter(app({"access": {"password": PASSWORD}}), PASSWORD)
    assert_no_data(user)
    assert [w.value for w in user.warning] == [
        "Troppi tentativi di accesso su questo server in questo momento: la password non è stata "
        "verificata. Riprova tra 6 secondi."
    ]
    assert not user.error and "_auth_failures" not in user.session_state
    clock[0] += 6  # one interval later (60 s / 10 checks per minute)
    assert_data(enter(user, PASSWORD))
    assert waits == [0.0, 1.0, 2.0, 4.0, 0.0, 0.0, 0.0]


def test_an_empty_submission_is_not_a_failure(campaign, waits):
    at = enter(app({"access": {"password": PASSWORD}}), "")
    assert at.warning[0].value == "Scrivi la password."
    assert waits == [] and "_auth_failures" not in at.session_state


def test_logging_out_and_changing_the_password(campaign, waits):
    at = enter(app({"access": {"password": PASSWORD}}), PASSWORD)
    assert_data(at)
    at.sidebar.button(key="_auth_logout").click()
    assert_no_data(fresh_run(at))
    assert [t.label for t in at.text_input] == ["Password"]
    assert_data(enter(at, PASSWORD))
    assert_data(fresh_run(at))  # still in on the next rerun
    at.secrets["access"] = {"password": "una-nuova-password-lunga"}  # changed on the server
    assert_no_data(fresh_run(at))
    assert [t.label for t in at.text_input] == ["Password"]


def test_the_demo_stays_open(monkeypatch, waits):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    if (ROOT / "rollout.toml").exists():
        pytest.skip("a local rollout.toml replaces the demo")
    at = app({"access": {"password": PASSWORD}}, page=None)
    assert not at.exception and at.metric[0].value == "130"
    assert "Password" not in [t.label for t in at.text_input]
    assert not at.sidebar.warning  # demo data: no warning about open access


def test_open_real_data_say_so_in_the_sidebar(campaign):
    at = app(page=None)
    assert not at.exception and at.metric[0].value == "7"
    assert at.sidebar.warning[0].value.startswith("**Accesso libero**: nessuna password né login configurati.")


def test_a_blank_password_keeps_the_dashboard_closed(campaign, waits):
    at = app({"access": {"password": "  "}}, page=None)
    assert_no_data(at)
    assert at.error[0].value.startswith("La password in [access] dei segreti è vuota")
    assert not at.text_input


def test_a_broken_configuration_is_not_shown_before_the_password(tmp_path, monkeypatch, waits):
    config = tmp_path / "rollout.toml"
    config.write_text('deadline = 2023-09-13\ncomuni = "/segreto/QTTZBD80A01H501U.csv"\n', encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = app({"access": {"password": PASSWORD}})
    assert_no_data(at)
    assert not at.error
    at = enter(at, PASSWORD)
    assert at.error[0].value.startswith("I dati non sono leggibili. Configurazione incompleta")


# --- OIDC login -----------------------------------------------------------------------------


def test_login_required_before_any_data(campaign):
    at = app({"auth": GOOGLE}, user={"is_logged_in": False})
    assert_no_data(at)
    assert [b.label for b in at.button] == ["Accedi con Google"]


def test_not_logged_in_when_the_provider_says_nothing(campaign):
    at = app({"auth": GOOGLE}, user={"email": "pm@azienda.it"})  # no is_logged_in: not a login
    assert_no_data(at)


@pytest.mark.parametrize("email", ["pm@azienda.it", "PM@Azienda.it", "sindaco@comune-x.it"])
def test_an_allowed_account_sees_the_data(campaign, email):
    at = app({"auth": GOOGLE}, user={"is_logged_in": True, "email": email, "email_verified": True})
    assert_data(at)
    shown = [c.value for c in at.sidebar.caption if c.value.startswith("Accesso come")]
    assert shown == [f"Accesso come {auth.md_escape(email.lower())}"]
    assert "Esci" in [b.label for b in at.sidebar.button]


@pytest.mark.parametrize(
    "user",
    [
        {"is_logged_in": True, "email": "curioso@gmail.com"},
        {"is_logged_in": True, "email": "pm@azienda.it.evil.com"},
        {"is_logged_in": True, "email": "x@sub.comune-x.it"},
        {"is_logged_in": True, "email": "pm@azienda.it", "email_verified": False},
        {"is_logged_in": True},
    ],
)
def test_a_logged_in_user_outside_the_allowlist_sees_nothing(campaign, user):
    at = app({"auth": GOOGLE}, user=user)
    assert_no_data(at)
    assert "non è tra quelli ammessi" in at.error[0].value
    assert [b.label for b in at.button] == ["Esci"]


def test_a_refused_account_can_log_out_and_try_another(campaign):
    at = app({"auth": GOOGLE}, user={"is_logged_in": True, "email": "curioso@gmail.com"})
    at.button(key="_auth_logout_refused").click().run()
    assert at.user == {"is_logged_in": False}
    assert_no_data(at.run())
    assert [b.label for b in at.button] == ["Accedi con Google"]


def test_an_empty_allowlist_admits_nobody(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(write_campaign(tmp_path)))
    at = app({"auth": GOOGLE}, user={"is_logged_in": True, "email": "pm@azienda.it"})
    assert_no_data(at)
    assert at.error[0].value.startswith("Nessun account è ammesso")


def test_login_and_password_together_need_both(campaign, waits):
    user = {"is_logged_in": True, "email": "pm@azienda.it"}
    at = app({"auth": GOOGLE, "access": {"password": PASSWORD}}, user=user)
    assert_no_data(at)
    assert_data(enter(at, PASSWORD))


def test_an_incomplete_auth_section_keeps_the_dashboard_closed(campaign):
    at = app({"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "google": {"client_id": "x"}}})
    assert_no_data(at)
    assert at.error[0].value == (
        "Login non configurato correttamente: mancano cookie_secret, google.client_secret, "
        "google.server_metadata_url. Il cruscotto resta chiuso finché non è corretto "
        "(vedi README, «Deploying safely»)."
    )


def test_an_unreadable_secrets_file_keeps_the_dashboard_closed(monkeypatch, tmp_path):
    class Broken:
        def get(self, key):
            raise FileNotFoundError("secrets.toml: parse error")

    broken = tmp_path / "secrets.toml"
    broken.write_text("password = = x", encoding="utf-8")
    monkeypatch.setattr(auth.st, "secrets", Broken())
    monkeypatch.setattr(auth.st, "get_option", lambda name: [str(tmp_path / "none.toml"), str(broken)])
    assert auth.read_secrets().problem.startswith("Il file dei segreti (.streamlit/secrets.toml) non è leggibile.")
    monkeypatch.setattr(auth.st, "get_option", lambda name: [str(tmp_path / "none.toml")])
    assert auth.read_secrets() == auth.Secrets()  # no file at all: nothing configured


# --- the pure rules -------------------------------------------------------------------------


def test_allowlist_entries_are_checked():
    assert parse_allowlist(["@Comune-X.it", "PM@azienda.it", "pm@azienda.it"]) == ("@comune-x.it", "pm@azienda.it")
    assert parse_allowlist("@comune.it") == ("@comune.it",)
    for bad in (["comune.it"], ["@"], ["pm@"], ["a b@c.it"], [3], 3, ["@comune"]):
        with pytest.raises(InputError, match=r"\[access\]"):
            parse_allowlist(bad)


def test_email_allowed_is_exact():
    allowed = ("@comune-x.it", "pm@azienda.it")
    assert email_allowed("pm@azienda.it", allowed)
    assert email_allowed(" Sindaco@COMUNE-X.it ", allowed)
    assert not email_allowed("pm2@azienda.it", allowed)
    assert not email_allowed("a@b.comune-x.it", allowed)
    assert not email_allowed("a@comune-x.it.evil.org", allowed)
    assert not email_allowed("a@comune-x.it", allowed, verified=False)
    assert not email_allowed("@comune-x.it", allowed)
    assert not email_allowed(None, allowed)
    assert not email_allowed("pm@azienda.it", ())


def test_password_compare_and_delays():
    assert password_matches("segreto", "segreto")
    assert not password_matches("segreto ", "segreto")
    assert not password_matches("", "segreto")
    assert password_matches("pàss\u200b", "pàss\u200b")
    assert fingerprint(PASSWORD) != fingerprint(PASSWORD + "x") and PASSWORD[:6] not in fingerprint(PASSWORD)
    assert len(fingerprint(PASSWORD)) == 16
    assert [failure_delay(n) for n in range(8)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert failure_delay(10_000) == 30.0


def hammer(limiter: GuessLimiter, now: list[float], ticks: int, threads: int = 16, start: int = 0) -> list[float]:
    """``threads`` real threads submit a wrong password at once, at each of ``ticks`` seconds of
    the limiter's clock; the moments at which a password was actually compared."""
    checked: list[float] = []
    lock = threading.Lock()
    go, done = threading.Barrier(threads + 1), threading.Barrier(threads + 1)

    def guesser(i: int) -> None:
        for _ in range(ticks):
            go.wait()
            if attempt(f"tentativo-{i}", PASSWORD, limiter).checked:
                with lock:
                    checked.append(now[0])
            done.wait()

    workers = [threading.Thread(target=guesser, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for tick in range(start, start + ticks):
        now[0] = float(tick)
        go.wait()
        done.wait()
    for w in workers:
        w.join()
    return checked


def test_the_server_wide_limit_holds_whatever_the_number_of_sessions():
    assert (GUESS_BURST, GUESSES_PER_MINUTE) == (5, 10)
    now = [0.0]
    limiter = GuessLimiter(clock=lambda: now[0])
    checked = hammer(limiter, now, ticks=120)  # 16 sessions × 120 s = 1,920 guesses submitted
    assert len(checked) == 24  # 5 at once, then one every 6 s: 6, 12, …, 114
    assert checked == [0.0] * 5 + [float(t) for t in range(6, 120, 6)]
    assert max(sum(s <= t < s + 60 for t in checked) for s in range(61)) == 14
    assert sum(60 <= t < 120 for t in checked) == 10  # the steady rate: 10 per minute
    # One session alone gets as many: the limit is the server's, not the session's.
    now[0], single = 0.0, GuessLimiter(clock=lambda: now[0])
    assert hammer(single, now, ticks=120, threads=1) == [0.0, 1.0, 2.0, 3.0, 4.0, *checked[5:]]


def test_after_an_attack_the_rightful_user_waits_one_interval_at_most():
    now = [0.0]
    limiter = GuessLimiter(clock=lambda: now[0])
    hammer(limiter, now, ticks=61)  # a minute of 16 parallel sessions guessing, the last at 60 s
    assert now[0] == 60.0  # the attack stops; the user arrives just after its last guess
    refused = attempt(PASSWORD, PASSWORD, limiter)
    assert refused == Attempt(admitted=False, checked=False, retry_after=6.0)  # was 31 s before
    now[0] += refused.retry_after
    assert attempt(PASSWORD, PASSWORD, limiter) == Attempt(admitted=True, checked=True)


def test_a_wrong_password_needs_a_token_like_a_right_one():
    """No shortcut for the right password: answering it at once while wrong ones wait would tell
    an attacker, within a moment, that every guess still waiting is wrong."""
    now = [0.0]
    limiter = GuessLimiter(per_minute=10, burst=1, clock=lambda: now[0])
    assert attempt("sbagliata", PASSWORD, limiter) == Attempt(admitted=False, checked=True)
    assert attempt(PASSWORD, PASSWORD, limiter) == Attempt(admitted=False, checked=False, retry_after=6.0)
    now[0] = 5.5
    assert attempt(PASSWORD, PASSWORD, limiter).retry_after == pytest.approx(0.5)
    now[0] = 6.0
    assert attempt(PASSWORD, PASSWORD, limiter).admitted


def test_the_password_never_goes_in_rollout_toml():
    with pytest.raises(InputError, match=r"La password non va in rollout\.toml"):
        parse_config({"access": {"password": "x"}}, ROOT)
    with pytest.raises(InputError, match=r"Chiave sconosciuta in \[access\]: allow"):
        parse_config({"access": {"allow": ["@a.it"]}}, ROOT)
    assert parse_config({"access": {"allowed": ["@A.it"]}}, ROOT).allowed == ("@a.it",)


def test_gitignore_keeps_secrets_data_and_state_out_of_git():
    paths = [".streamlit/secrets.toml", "dati/risposte.csv", "out/accounts.xlsx", ".rollout-cache/risposte.csv",
             "dati/.rollout-cache/x.csv", "promemoria.sqlite3", "rollout.toml", "chiave-service-account.json"]  # fmt: skip
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == paths
    kept = subprocess.run(
        ["git", "check-ignore", "--no-index", ".streamlit/secrets.toml.example"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert kept.returncode == 1  # the example with empty values is committed
