"""The access gate every page passes before anything else renders.

What is configured decides:
- ``[access] password`` in ``.streamlit/secrets.toml``: a password form (constant-time check,
  a wait that doubles after each wrong or refused password of the session, a limit of checks per
  client address and, as the last line, per server: ``rollout.access.LoginLimits``; the client's
  address is the connection's, or the one ``[access] trusted_proxies`` forwarded);
- an ``[auth]`` section (Streamlit's OIDC login, ``st.login``): login, then only the emails and
  ``@domains`` listed in ``rollout.toml`` ``[access] allowed`` get in (an empty list admits nobody);
- both: both are required; neither: the data are open and the sidebar says so.
The embedded demo is always open. A secrets file that cannot be read keeps everything closed.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAuthError

from rollout.access import (
    AccessSecrets,
    LoginLimits,
    Network,
    access_secrets,
    attempt,
    client_key,
    email_allowed,
    failure_delay,
    fingerprint,
)
from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import plural
from ui.format import md_escape

PASSWORD_OK = "_auth_password_ok"  # fingerprint of the password this session entered
FAILURES_KEY = "_auth_failures"  # wrong or refused passwords in this session
LIMITS = LoginLimits()  # password checks on this server: per client address, then all together
sleep = time.sleep  # tests replace it: the delays are real seconds otherwise
_LOG = logging.getLogger("rollout.access")
_LOCKED = "Il cruscotto resta chiuso finché non è corretto (vedi docs/deploying.md, «Who gets in»)."


@dataclass(frozen=True)
class Access:
    """How this session got in: ``demo``, ``open`` (nothing configured) or ``protected``."""

    mode: str
    email: str = ""  # the logged-in account (OIDC), shown to its owner in the sidebar


@dataclass(frozen=True)
class Secrets:
    """The access-related secrets, read once per run (``rollout.access.AccessSecrets``); ``problem``
    when they are unusable."""

    checked: AccessSecrets = field(default_factory=AccessSecrets)
    problem: str = ""

    @property
    def password(self) -> str | None:
        return self.checked.password

    @property
    def proxies(self) -> tuple[Network, ...]:
        """``[access] trusted_proxies``: their X-Forwarded-For is believed."""
        return self.checked.proxies

    @property
    def providers(self) -> tuple[str, ...]:
        """The OIDC providers of ``[auth]``; empty without a login."""
        return self.checked.providers


def gate(config: Config | None) -> Access | None:
    """Show the login when needed. The Access granted, or None: then nothing else may render."""
    if config is not None and config.demo:
        return Access("demo")
    secrets = read_secrets()
    if secrets.problem:
        _closed(secrets.problem)
        return None
    if not secrets.checked.protected:
        return Access("open")
    email = ""
    if secrets.providers:
        email = _login_gate(secrets.providers, config)
        if not email:
            return None
    if secrets.password is not None and not _password_gate(secrets.password, secrets.proxies):
        return None
    return Access("protected", email)


def read_secrets() -> Secrets:
    """``[access]`` and ``[auth]`` from st.secrets, checked (``rollout.access.access_secrets``); a
    broken file closes the dashboard."""
    try:
        access = st.secrets.get("access")
        auth = st.secrets.get("auth")
    except FileNotFoundError:  # Streamlit's "no secrets" error, also raised for a file it cannot parse
        if any(Path(p).exists() for p in st.get_option("secrets.files")):
            return Secrets(problem=f"Il file dei segreti (.streamlit/secrets.toml) non è leggibile. {_LOCKED}")
        return Secrets()
    try:
        return Secrets(access_secrets(access, auth))
    except InputError as err:
        return Secrets(problem=f"{err} {_LOCKED}")


def _closed(message: str) -> None:
    _page_title()
    st.error(message)


def _page_title() -> None:
    st.title(":material/checklist: Rollout tracker")
    st.markdown(
        "**Accesso riservato al gruppo di progetto.** Questi dati contengono nomi, email e codici "
        "fiscali di dipendenti pubblici."
    )


def _login_gate(providers: tuple[str, ...], config: Config | None) -> str:
    """The logged-in email when it is allowed, else "" with the login or the refusal shown."""
    user = st.user.to_dict()
    if user.get("is_logged_in") is not True:
        _page_title()
        for name in providers:
            label = "Accedi" if name == "default" else f"Accedi con {name.capitalize()}"
            if st.button(label, key=f"_auth_login_{name}", type="primary", icon=":material/login:"):
                try:
                    st.login(name)
                except StreamlitAuthError:
                    st.error(f"Login non disponibile: la configurazione [auth] non è valida. {_LOCKED}")
        return ""
    email = user.get("email")
    allowed = config.allowed if config is not None else ()
    if email_allowed(email, allowed, user.get("email_verified")):
        return str(email).strip().lower()
    _page_title()
    if config is None:
        st.error("La configurazione (rollout.toml) non è leggibile: l'elenco degli account ammessi non è disponibile.")
    elif not allowed:
        st.error(
            "Nessun account è ammesso: elenca gli indirizzi o i domini del gruppo in rollout.toml, "
            'sezione [access], per esempio allowed = ["@comune.it"].'
        )
    else:
        who = md_escape(email) if isinstance(email, str) and email else "Questo account"
        st.error(
            f"L'account {who} non è tra quelli ammessi. Chiedi di essere aggiunto oppure esci e usa un altro account."
        )
    _LOG.warning("access refused to a logged-in account outside the allowlist")
    if st.button("Esci", key="_auth_logout_refused", icon=":material/logout:"):
        st.logout()
    return ""


def connection() -> tuple[str | None, list[str]]:
    """This session's peer address (None for 127.0.0.1 and ::1) and its X-Forwarded-For headers."""
    peer = st.context.ip_address
    return (peer if isinstance(peer, str) else None), st.context.headers.get_all("X-Forwarded-For")


def _password_gate(expected: str, proxies: tuple[Network, ...]) -> bool:
    """True when this session has entered the current password; else the form (and the delay)."""
    mark = fingerprint(expected)
    if st.session_state.get(PASSWORD_OK) == mark:
        return True
    _page_title()
    with st.form("_auth_form", clear_on_submit=True, enter_to_submit=True):
        given = st.text_input("Password", type="password", key="_auth_password")
        sent = st.form_submit_button("Entra", type="primary")
    if not sent:
        return False
    if not given:
        st.warning("Scrivi la password.")
        return False
    address = client_key(*connection(), proxies)
    failures = int(st.session_state.get(FAILURES_KEY, 0))
    sleep(failure_delay(failures))  # this session's own wrong or refused passwords
    # Counted before the check, whatever its outcome: Streamlit stops a run for the next submission
    # at its next st call, this assignment included, so a submission sent during the wait replaces
    # this one here, unchecked; a check is never made without being counted first.
    st.session_state[FAILURES_KEY] = failures + 1
    result = attempt(given, expected, LIMITS, address)
    if result.admitted:
        st.session_state[PASSWORD_OK] = mark
        st.session_state[FAILURES_KEY] = 0
        st.rerun()
    if not result.checked:
        _LOG.warning("password not checked: %s limit of attempts reached", result.limit)
        seconds = math.ceil(result.retry_after)
        where = "da questo indirizzo" if result.limit == "address" else "su questo server in questo momento"
        st.warning(
            f"Troppi tentativi di accesso {where}: la password non è stata verificata. "
            f"Riprova tra {plural(seconds, 'secondo', 'secondi')}."
        )
        return False
    _LOG.warning("wrong dashboard password (%d in this session)", failures + 1)
    st.error("Password errata. Dopo ogni errore l'attesa prima del tentativo successivo raddoppia.")
    return False


def sidebar(access: Access) -> None:
    """The sidebar's access line: who is in and how to leave, or a plain warning when open."""
    if access.mode == "open":
        st.warning(
            "**Accesso libero**: nessuna password né login configurati. Chiunque raggiunga questo "
            "server vede nomi, email e codici fiscali. Vedi la Guida, «I dati personali» (per chi gestisce "
            "il server: docs/deploying.md).",
            icon=":material/warning:",
        )
        return
    if access.mode != "protected":
        return
    if access.email:
        st.caption(f"Accesso come {md_escape(access.email)}")
    if st.button("Esci", key="_auth_logout", icon=":material/logout:"):
        st.session_state.pop(PASSWORD_OK, None)
        if access.email:
            st.logout()
        st.rerun()
