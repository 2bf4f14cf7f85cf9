"""Access control: the password gate, the OIDC login with its allowlist, the open demo (AppTest)."""

from __future__ import annotations

import ipaddress
import re
import subprocess
import threading
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

import ui.auth as auth
from conftest import COMUNI_CSV, FORM_HEADER, ROOT, responses, submit_button
from rollout.access import (
    ADDRESS_BURST,
    ADDRESS_PER_MINUTE,
    SERVER_BURST,
    SERVER_PER_MINUTE,
    Attempt,
    LoginLimits,
    attempt,
    client_key,
    email_allowed,
    failure_delay,
    fingerprint,
    parse_allowlist,
    parse_trusted_proxies,
    password_matches,
    route_answers,
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
    """Fresh limits of password checks, on a clock the test moves: ``clock[0] += 12``."""
    now = [1000.0]
    monkeypatch.setattr(auth, "LIMITS", LoginLimits(clock=lambda: now[0]))
    return now


@pytest.fixture
def address(monkeypatch):
    """The connection the next runs come from: ``address["peer"] = "198.51.100.7"`` (None is
    what Streamlit says for 127.0.0.1), ``address["forwarded"] = ["203.0.113.5"]``."""
    where: dict = {"peer": "192.0.2.10", "forwarded": []}
    monkeypatch.setattr(auth, "connection", lambda: (where["peer"], list(where["forwarded"])))
    return where


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


@pytest.mark.parametrize(
    "page", [Path(p.file).stem for p in MENU[1:] if p.data]
)  # the overview is first; the guide: test_guide.py
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


def test_one_address_gets_its_burst_then_waits_like_a_wrong_password(campaign, waits, clock, address):
    first = app({"access": {"password": PASSWORD}})
    for _ in range(4):
        enter(first, "sbagliata")
    second = enter(app({"access": {"password": PASSWORD}}), "sbagliata")
    assert second.error[0].value.startswith("Password errata.")  # the 5th check: the address's burst is spent
    assert waits == [0.0, 1.0, 2.0, 4.0, 0.0]  # a session waits for its own failures only
    # The same address, now: the password is not even compared, and the refusal counts as a failure.
    user = enter(app({"access": {"password": PASSWORD}}), PASSWORD)
    assert_no_data(user)
    assert [w.value for w in user.warning] == [
        "Troppi tentativi di accesso da questo indirizzo: la password non è stata verificata. Riprova tra 12 secondi."
    ]
    assert not user.error and user.session_state["_auth_failures"] == 1
    clock[0] += 12  # one interval later (60 s / 5 checks per minute)
    assert_data(enter(user, PASSWORD))
    assert waits == [0.0, 1.0, 2.0, 4.0, 0.0, 0.0, 1.0]  # the refused session waited like a wrong one


def test_an_attack_from_one_address_does_not_keep_the_team_out(campaign, waits, clock, address):
    """Issue 18 §7: three sessions sending 8 wrong passwords a second kept the right one out
    15 times in 15. Now the attack spends its own address's checks, and pays for every refusal."""
    address["peer"] = "198.51.100.7"
    attackers = [app({"access": {"password": PASSWORD}}) for _ in range(3)]
    answers = []
    for tick in range(30):  # 10 s of the attack, on the test's clock
        clock[0] += 1 / 3
        at = enter(attackers[tick % 3], f"tentativo-{tick}")
        answers.append("errata" if at.error else at.warning[0].value.split(":")[0])
    assert answers[:5] == ["errata"] * 5
    assert answers[5:].count("errata") == 0  # no refill within 10 s? one every 12 s, taken at 12 s
    assert set(answers[5:]) == {"Troppi tentativi di accesso da questo indirizzo"}
    assert [a.session_state["_auth_failures"] for a in attackers] == [10, 10, 10]  # refused ones count
    assert max(waits) == 30.0  # the attacking sessions now wait 30 s before each submission
    address["peer"] = "203.0.113.5"
    team = enter(app({"access": {"password": PASSWORD}}), PASSWORD)
    assert_data(team)
    assert waits[-1] == 0.0


def test_the_server_wide_limit_is_the_last_line_and_spares_the_teams_addresses(campaign, waits, clock, address):
    address["peer"] = "203.0.113.5"
    assert_data(enter(app({"access": {"password": PASSWORD}}), PASSWORD))  # the team, a minute earlier
    clock[0] += 60
    # An attack from 6 addresses, 5 checks each at once: the server's burst of 30 is spent.
    for n in range(6):
        address["peer"] = f"198.51.100.{n}"
        at = app({"access": {"password": PASSWORD}})
        for _ in range(5):
            enter(at, "sbagliata")
        assert at.error[0].value.startswith("Password errata.")
    address["peer"] = "198.51.100.99"
    newcomer = enter(app({"access": {"password": PASSWORD}}), PASSWORD)
    assert_no_data(newcomer)
    assert [w.value for w in newcomer.warning] == [
        "Troppi tentativi di accesso su questo server in questo momento: la password non è stata "
        "verificata. Riprova tra 1 secondo."
    ]
    address["peer"] = "203.0.113.5"  # the team's address, which entered the password before
    assert_data(enter(app({"access": {"password": PASSWORD}}), PASSWORD))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(campaign, waits, clock, address):
    secrets = {"access": {"password": PASSWORD, "trusted_proxies": ["10.0.0.2"]}}
    address.update(peer="10.0.0.2", forwarded=["198.51.100.7"])  # the attacker, through the proxy
    for _ in range(ADDRESS_BURST + 1):
        attacker = enter(app(secrets), "sbagliata")
    assert attacker.warning[0].value.startswith("Troppi tentativi di accesso da questo indirizzo")
    address.update(forwarded=["198.51.100.7, 203.0.113.5"])  # the team: what a client adds is on the left
    assert_data(enter(app(secrets), PASSWORD))
    # Not through the trusted proxy: the header is the client's own, not believed.
    address.update(peer="198.51.100.8", forwarded=["203.0.113.5"])
    for _ in range(ADDRESS_BURST):
        enter(app(secrets), "sbagliata")
    address.update(forwarded=["203.0.113.66"])  # a forged header does not buy a new address
    assert enter(app(secrets), "sbagliata").warning[0].value.startswith("Troppi tentativi di accesso da questo")


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
        "(vedi docs/deploying.md, «Who gets in»)."
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


def hammer(limits: LoginLimits, now: list[float], ticks: int, addresses: list[str]) -> list[tuple[str, float]]:
    """One real thread per address submits a wrong password at once, at each of ``ticks``
    seconds of the limits' clock; (address, moment) of each password actually compared."""
    checked: list[tuple[str, float]] = []
    lock = threading.Lock()
    go, done = threading.Barrier(len(addresses) + 1), threading.Barrier(len(addresses) + 1)

    def guesser(where: str) -> None:
        for _ in range(ticks):
            go.wait()
            if attempt(f"tentativo-{where}", PASSWORD, limits, where).checked:
                with lock:
                    checked.append((where, now[0]))
            done.wait()

    workers = [threading.Thread(target=guesser, args=(a,)) for a in addresses]
    for w in workers:
        w.start()
    for tick in range(ticks):
        now[0] = float(tick)
        go.wait()
        done.wait()
    for w in workers:
        w.join()
    return checked


def test_each_address_gets_its_own_checks_and_the_server_bounds_them_all():
    assert (ADDRESS_BURST, ADDRESS_PER_MINUTE, SERVER_BURST, SERVER_PER_MINUTE) == (5, 5, 30, 60)
    now = [0.0]
    one = hammer(LoginLimits(clock=lambda: now[0]), now, ticks=120, addresses=["198.51.100.7"])
    assert [t for _, t in one] == [0.0, 1.0, 2.0, 3.0, 4.0, *[float(t) for t in range(12, 120, 12)]]
    # 16 threads from 16 addresses × 120 s = 1,920 guesses: the server's burst of 30 (all 16 at
    # once, 15 a second later), then one a second: 149 in all, at most 30 + 59 in any minute.
    now[0] = 0.0
    many = hammer(LoginLimits(clock=lambda: now[0]), now, ticks=120, addresses=[f"198.51.100.{n}" for n in range(16)])
    moments = [t for _, t in many]
    assert (moments.count(0.0), moments.count(1.0), len(moments)) == (16, 15, 149)
    assert [moments.count(float(t)) for t in range(2, 120)] == [1] * 118
    assert max(sum(s <= t < s + 60 for t in moments) for s in range(61)) == 30 + 59
    per_address = [sum(1 for a, _ in many if a == b) for b in {a for a, _ in many}]
    assert len(per_address) == 16 and max(per_address) <= 5 + 9  # none above its own limit: 5, then at 12, 24… 108


def test_after_an_attack_from_elsewhere_the_team_is_checked_at_once():
    now = [0.0]
    limits = LoginLimits(clock=lambda: now[0])
    hammer(limits, now, ticks=61, addresses=["198.51.100.7", "198.51.100.8"])
    assert attempt(PASSWORD, PASSWORD, limits, "203.0.113.5") == Attempt(admitted=True, checked=True)
    # The same address after its burst: refused until its next token, like a wrong password.
    assert attempt("sbagliata", PASSWORD, limits, "198.51.100.7") == Attempt(
        admitted=False, checked=False, retry_after=12.0, limit="address"
    )


def test_a_wrong_password_needs_a_token_like_a_right_one():
    """No shortcut for the right password: answering it at once while wrong ones wait would tell
    an attacker, within a moment, that every guess still waiting is wrong."""
    now = [0.0]
    limits = LoginLimits(clock=lambda: now[0], address=(10, 1))
    assert attempt("sbagliata", PASSWORD, limits, "x") == Attempt(admitted=False, checked=True)
    assert attempt(PASSWORD, PASSWORD, limits, "x") == Attempt(False, False, retry_after=6.0, limit="address")
    now[0] = 5.5
    assert attempt(PASSWORD, PASSWORD, limits, "x").retry_after == pytest.approx(0.5)
    now[0] = 6.0
    assert attempt(PASSWORD, PASSWORD, limits, "x").admitted


def test_a_known_address_is_forgotten_after_its_time_and_the_tables_stay_bounded():
    now = [0.0]
    limits = LoginLimits(clock=lambda: now[0], server=(60, 1), known_seconds=100, max_addresses=3)
    assert attempt(PASSWORD, PASSWORD, limits, "team").admitted  # the server's one token
    assert attempt(PASSWORD, PASSWORD, limits, "team").admitted  # known: the server's limit does not apply
    assert attempt(PASSWORD, PASSWORD, limits, "other").limit == "server"
    now[0] = 100.0
    assert attempt(PASSWORD, PASSWORD, limits, "team").admitted  # a token again (one a second)
    assert attempt(PASSWORD, PASSWORD, limits, "team").admitted  # ...and known again since this login
    now[0] = 201.0  # 101 s after that login: forgotten, the server's limit applies again
    assert attempt("sbagliata", PASSWORD, limits, "team") == Attempt(admitted=False, checked=True)
    assert attempt(PASSWORD, PASSWORD, limits, "team").limit == "server"
    # Thousands of addresses: full buckets are forgotten, and newcomers beyond the table share one.
    limits = LoginLimits(clock=lambda: now[0], address=(60, 1), max_addresses=3)
    for n in range(3):
        assert attempt("x", PASSWORD, limits, f"a{n}").checked
    assert attempt("x", PASSWORD, limits, "a3").checked  # the table is full: a3 gets the shared bucket
    assert attempt("x", PASSWORD, limits, "a4").limit == "address"  # ...which a3 has just used
    now[0] += 1  # every bucket is full again: forgotten when the next newcomer arrives
    assert attempt("x", PASSWORD, limits, "a5").checked and attempt("x", PASSWORD, limits, "a6").checked


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "key"),
    [
        ("198.51.100.7", [], [], "198.51.100.7"),
        (None, [], [], "127.0.0.1"),  # Streamlit's None: 127.0.0.1 or ::1
        ("198.51.100.7", ["203.0.113.5"], [], "198.51.100.7"),  # no proxy configured: never believed
        ("198.51.100.7", ["203.0.113.5"], ["10.0.0.2"], "198.51.100.7"),  # not from the proxy
        ("10.0.0.2", ["203.0.113.5"], ["10.0.0.2"], "203.0.113.5"),
        ("10.0.0.2", ["1.2.3.4, 203.0.113.5"], ["10.0.0.2"], "203.0.113.5"),  # the client's own entry is left
        ("10.0.0.2", ["1.2.3.4", "203.0.113.5"], ["10.0.0.0/8"], "203.0.113.5"),  # two headers: one list
        ("10.0.0.2", ["203.0.113.5, 10.0.0.9"], ["10.0.0.0/8"], "203.0.113.5"),  # two proxies
        ("10.0.0.2", ["10.0.0.9, 10.0.0.8"], ["10.0.0.0/8"], "10.0.0.9"),  # only proxies: the farthest
        ("10.0.0.2", ["203.0.113.5, garbage"], ["10.0.0.2"], "10.0.0.2"),  # a broken entry stops the walk
        ("10.0.0.2", [], ["10.0.0.2"], "10.0.0.2"),
        (None, ["203.0.113.5:4711"], ["127.0.0.1"], "203.0.113.5"),  # a proxy on this machine, with a port
        ("10.0.0.2", ["[2001:db8:1:2::7]:443"], ["10.0.0.2"], "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", [], [], "2001:db8:1:2::/64"),  # one subscriber's /64 is one address
        ("::ffff:198.51.100.7", [], [], "198.51.100.7"),
        ("not-an-address", [], [], "?not-an-address"),
    ],
)
def test_the_client_address_that_a_limit_counts(peer, forwarded, trusted, key):
    assert client_key(peer, forwarded, parse_trusted_proxies(trusted)) == key


def test_trusted_proxies_are_checked(campaign, waits):
    assert parse_trusted_proxies("127.0.0.1") == (ipaddress.ip_network("127.0.0.1/32"),)
    for bad in (["127.0.0.300"], ["proxy.example"], [""], [3], 3, {"a": 1}):
        with pytest.raises(InputError, match=r"trusted_proxies"):
            parse_trusted_proxies(bad)
    at = app({"access": {"password": PASSWORD, "trusted_proxies": ["10.0.0.1", "proxy"]}}, page=None)
    assert_no_data(at)
    assert not at.text_input
    assert at.error[0].value == (
        'Nei segreti [access] "trusted_proxies" la voce \'proxy\' non è un indirizzo IP ("127.0.0.1", '
        f'"::1") né una rete ("10.0.0.0/8"). {auth._LOCKED}'
    )
    assert auth._LOCKED.startswith("Il cruscotto resta chiuso finché non è corretto (vedi ")


@pytest.mark.parametrize(
    ("path", "answers"),
    [
        ("/", True),
        ("/comuni", True),  # a page: Streamlit answers its HTML
        ("/comuni/", True),  # ...which Streamlit redirects to /comuni
        ("/favicon.png", True),
        ("/manifest.json", True),
        ("/static/js/index.abc.js", True),
        ("/media/3f2a.csv", True),
        ("/_stcore/health", True),
        ("/_stcore/host-config", True),
        ("/_stcore/stream", True),
        ("/auth/login", True),
        ("/auth/logout", True),
        ("/oauth2callback", True),
        ("/_stcore/metrics", False),
        ("//_stcore/metrics", False),
        ("/_stcore/metrics/", False),
        ("/_stcore/script-health-check", False),
        ("/_stcore/upload_file/s/f", False),
        ("/_stcore/bidi-components/x/y.js", False),
        ("/_stcore/agent/openapi.json", False),
        ("/_stcore/agent/interact", False),
        ("/_stcore/agent/mcp", False),
        ("/_stcore/anything-new", False),
        ("/_stcore", False),
        ("/component/x/index.html", False),
        ("/app/static/x.png", False),
        ("/static", False),
        ("/media/", False),
        ("/comuni/_stcore/health", False),
        ("/new/route", False),
    ],
)
def test_the_routes_that_answer_before_a_login(path, answers):
    assert streamlit.__version__ == "1.67.0"  # the audit (README, «Deploying safely») is of 1.67's routes: redo it
    assert route_answers(path) is answers
    assert route_answers("/rollout" + path, "/rollout/") is answers  # server.baseUrlPath
    assert not route_answers(path, "rollout")


def test_the_code_uses_only_streamlits_public_names():
    """Issue 20: no Streamlit-internal module named anywhere (a rename would silently break it)."""
    files = [ROOT / "dashboard.py", ROOT / "server.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    named = {
        f"{f.relative_to(ROOT)}: {m}"
        for f in files
        for m in re.findall(r"streamlit\.[a-z_.]+", f.read_text(encoding="utf-8"))
        if m not in ("streamlit.errors",) and not m.startswith("streamlit.io")
    }
    assert named == set()


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
