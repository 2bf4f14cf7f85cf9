"""Who may see the dashboard: the allowlist of emails and domains, the password check, the delays,
the limits of checks per client address and per server, and the HTTP routes that answer at all.

Pure rules, no Streamlit: ``ui/auth.py`` shows the gate and calls these.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import ipaddress
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rollout.errors import InputError

BASE_DELAY_SECONDS = 1.0  # a session's own wait after its first wrong or refused password; doubles after each
MAX_DELAY_SECONDS = 30.0
ADDRESS_BURST = 5  # password checks from one client address at once,
ADDRESS_PER_MINUTE = 5  # then one every 12 s: what one address (one attacker) gets
SERVER_BURST = 30  # password checks on the whole server at once, every address together,
SERVER_PER_MINUTE = 60  # then one a second: the last line, reached only by a dozen addresses at full rate
KNOWN_ADDRESS_SECONDS = 30 * 86_400  # an address that entered the password skips the server-wide limit this long
MAX_ADDRESSES = 10_000  # addresses tracked at once; beyond, new ones share one limit
OVERFLOW = "*"  # the key those share
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOCAL = re.compile(r"^[a-z0-9._%+'-]+$")


def parse_allowlist(value: object) -> tuple[str, ...]:
    """The ``allowed`` entries of ``[access]``: ``"@domain.it"`` or ``"name@domain.it"``, lower case.

    Raises InputError (Italian) on anything else, so a typo never admits or locks out silently.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError('In [access] "allowed" deve essere un elenco, per esempio ["@comune.it", "pm@azienda.it"].')
    out: list[str] = []
    for item in value:
        entry = str(item).strip().lower() if isinstance(item, str) else ""
        local, _, domain = entry.rpartition("@")
        if not entry or "@" not in entry or not _DOMAIN.match(domain) or (local and not _LOCAL.match(local)):
            shown = str(item)[:80] if isinstance(item, str) else type(item).__name__
            raise InputError(
                f"In [access] \"allowed\" la voce '{shown}' non è valida: usa un indirizzo email completo "
                '("pm@azienda.it") o un dominio preceduto da @ ("@comune.it").'
            )
        out.append(entry)
    return tuple(dict.fromkeys(out))


def email_allowed(email: object, allowed: tuple[str, ...], verified: object = None) -> bool:
    """True when ``email`` is listed, or its domain is listed as ``@domain``; exact, case-insensitive.

    An empty allowlist admits nobody. A provider that says the address is not verified
    (``email_verified`` false) is not trusted; a provider that does not say is.
    """
    if not allowed or not isinstance(email, str) or verified is False or verified in ("false", "False"):
        return False
    address = email.strip().lower()
    local, sep, domain = address.rpartition("@")
    if not sep or not local or not _DOMAIN.match(domain) or not _LOCAL.match(local):
        return False
    return address in allowed or f"@{domain}" in allowed


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison (the digests have the same length whatever the inputs)."""
    a = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(a, b)


def fingerprint(secret: str) -> str:
    """A short digest that identifies a password without revealing it (to notice it changed)."""
    return hashlib.sha256(b"rollout-access:" + secret.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def failure_delay(failures: int, base: float = BASE_DELAY_SECONDS, cap: float = MAX_DELAY_SECONDS) -> float:
    """Seconds to wait before checking the next attempt: 0, then 1, 2, 4, 8, 16, 30, 30, …"""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2 ** min(failures - 1, 32))


class TokenBucket:
    """``burst`` tokens at once, then one every ``60 / per_minute`` seconds (GCRA: one "theoretical
    arrival time", exact with any clock). Not thread-safe: ``LoginLimits`` holds the lock."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.interval = 60.0 / per_minute
        self.burst = burst
        self.due = -math.inf  # when the bucket is full again, minus the burst

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0.0 or less: one is available now)."""
        return max(self.due, now) - now - (self.burst - 1) * self.interval

    def take(self, now: float) -> None:
        self.due = max(self.due, now) + self.interval

    def full(self, now: float) -> bool:
        """True when it is as good as new (it can be forgotten)."""
        return self.due <= now


@dataclass(frozen=True)
class Refusal:
    """Why a password was not checked: ``limit`` is "address" or "server"."""

    limit: str
    retry_after: float  # seconds until a check may be made


class LoginLimits:
    """The password checks allowed now, thread-safe: per client address first, then server-wide.

    Each address has its own bucket (``ADDRESS_BURST``, then ``ADDRESS_PER_MINUTE``), so an
    attack from one address, however many sessions it opens, never uses up another address's
    checks. The server-wide bucket bounds what many addresses together get; an address from
    which the right password was entered in the last ``KNOWN_ADDRESS_SECONDS`` is not subject
    to it, so even an attack from many addresses leaves the team's usual addresses their own
    checks. A check takes a token from each bucket it is subject to, or from none.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        address: tuple[float, int] = (ADDRESS_PER_MINUTE, ADDRESS_BURST),
        server: tuple[float, int] = (SERVER_PER_MINUTE, SERVER_BURST),
        known_seconds: float = KNOWN_ADDRESS_SECONDS,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.clock = clock
        self._address = address
        self._server = TokenBucket(*server)
        self._buckets: dict[str, TokenBucket] = {}
        self._known: dict[str, float] = {}  # address -> when the right password came from it
        self.known_seconds = known_seconds
        self.max_addresses = max_addresses
        self._lock = threading.Lock()

    def take(self, address: str) -> Refusal | None:
        """None when a check of a password from ``address`` may run now (its tokens taken)."""
        with self._lock:
            now = self.clock()
            bucket = self._bucket(address, now)
            wait = bucket.wait(now)
            if wait > 0:
                return Refusal("address", wait)
            known = self._known.get(address)
            exempt = known is not None and now - known < self.known_seconds
            if not exempt:
                wait = self._server.wait(now)
                if wait > 0:
                    return Refusal("server", wait)
                self._server.take(now)
            bucket.take(now)
            return None

    def admitted(self, address: str) -> None:
        """The right password came from ``address``: the team's, for ``known_seconds``."""
        with self._lock:
            self._known.pop(address, None)
            self._known[address] = self.clock()
            while len(self._known) > self.max_addresses:
                del self._known[next(iter(self._known))]  # the oldest

    def _bucket(self, address: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(address)
        if bucket is not None:
            return bucket
        if len(self._buckets) >= self.max_addresses:
            self._buckets = {k: b for k, b in self._buckets.items() if not b.full(now)}
        if len(self._buckets) >= self.max_addresses:
            address = OVERFLOW  # an attack from this many addresses at once: the newcomers share one limit
        return self._buckets.setdefault(address, TokenBucket(*self._address))


@dataclass(frozen=True)
class Attempt:
    """The outcome of one password submission."""

    admitted: bool
    checked: bool  # False: a limit was reached, the password was not even compared
    retry_after: float = 0.0  # seconds, when not checked
    limit: str = ""  # "address" or "server", when not checked


def attempt(given: str, expected: str, limits: LoginLimits, address: str) -> Attempt:
    """Check ``given``, sent from ``address``, if the limits allow a check now; a correct
    password waits for nothing but its tokens (never for other sessions' failures) and is
    compared in constant time.

    It gets no shortcut past the limits: admitting it at once while wrong guesses wait would
    tell an attacker, a moment after sending any number of guesses, that all of them are wrong.
    """
    refused = limits.take(address)
    if refused is not None:
        return Attempt(admitted=False, checked=False, retry_after=refused.retry_after, limit=refused.limit)
    if not password_matches(given, expected):
        return Attempt(admitted=False, checked=True)
    limits.admitted(address)
    return Attempt(admitted=True, checked=True)


# --- client addresses -------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def parse_trusted_proxies(value: object) -> tuple[Network, ...]:
    """``trusted_proxies`` of ``[access]`` in the secrets: addresses or networks ("10.0.0.0/8").

    Raises InputError (Italian) on anything else: a typo must not make a forged header trusted.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(
            'Nei segreti [access] "trusted_proxies" deve essere un elenco di indirizzi, per esempio ["127.0.0.1"].'
        )
    out: list[Network] = []
    for item in value:
        try:
            out.append(ipaddress.ip_network(item.strip() if isinstance(item, str) else "", strict=False))
        except ValueError:
            shown = item[:60] if isinstance(item, str) else type(item).__name__
            raise InputError(
                f"Nei segreti [access] \"trusted_proxies\" la voce '{shown}' non è un indirizzo IP "
                '("127.0.0.1", "::1") né una rete ("10.0.0.0/8").'
            ) from None
    return tuple(dict.fromkeys(out))


ACCESS_SECRET_KEYS = frozenset({"password", "trusted_proxies"})  # [access] of the secrets
_AUTH_ORDER = ("redirect_uri", "cookie_secret")  # as the messages name them
_PROVIDER_ORDER = ("client_id", "client_secret", "server_metadata_url")
AUTH_KEYS = frozenset(_AUTH_ORDER)  # [auth], for every provider
PROVIDER_KEYS = frozenset(_PROVIDER_ORDER)  # [auth] or [auth.<provider>]
PROVIDER_OPTIONAL_KEYS = frozenset({"client_kwargs"})  # extra parameters of the provider (a table), e.g. prompt


@dataclass(frozen=True)
class AccessSecrets:
    """``[access]`` and ``[auth]`` of the secrets file, checked.

    ``password``: the team's password (None: no password); ``proxies``: the reverse proxies whose
    X-Forwarded-For names the client; ``providers``: the OIDC providers of ``[auth]`` ("default"
    for keys directly in it), empty without a login."""

    password: str | None = field(default=None, repr=False)
    proxies: tuple[Network, ...] = ()
    providers: tuple[str, ...] = ()

    @property
    def login(self) -> bool:
        return bool(self.providers)

    @property
    def protected(self) -> bool:
        """A password or a login guards the dashboard."""
        return self.password is not None or self.login


def access_secrets(access: Mapping[str, object] | None, auth: Mapping[str, object] | None) -> AccessSecrets:
    """Check ``[access]`` and ``[auth]`` of the secrets (mappings, e.g. ``st.secrets``' sections; None
    when absent). InputError (Italian) says what is wrong: the dashboard then stays closed."""
    password = None
    proxies: tuple[Network, ...] = ()
    if access is not None:
        if not isinstance(access, Mapping):
            raise InputError("Nei segreti [access] deve essere una sezione.")
        _no_unknown(access, ACCESS_SECRET_KEYS, "nei segreti [access]")
        if "password" in access:
            password = access["password"]
            if not isinstance(password, str) or not password.strip():
                raise InputError("La password in [access] dei segreti è vuota o non è un testo.")
        proxies = parse_trusted_proxies(access.get("trusted_proxies", []))
    providers: tuple[str, ...] = ()
    if auth is not None:
        if not isinstance(auth, Mapping):
            raise InputError("Nei segreti [auth] deve essere una sezione.")
        problem = auth_problem(auth)
        if problem:
            raise InputError(f"Login non configurato correttamente: {problem}.")
        providers = tuple(auth_providers(auth))
    return AccessSecrets(password, proxies, providers)


def _no_unknown(table: Mapping[str, object], allowed: Iterable[str], where: str) -> None:
    allowed = set(allowed)
    unknown = sorted(str(k) for k in table if k not in allowed)
    if unknown:
        raise InputError(
            f"Chiave sconosciuta {where}: {', '.join(unknown)}. Chiavi ammesse: {', '.join(sorted(allowed))}."
        )


def auth_providers(auth: Mapping[str, object]) -> list[str]:
    """The OIDC providers of ``[auth]``: "default" for keys directly in it, else its sub-sections."""
    if "client_id" in auth:
        return ["default"]
    return [str(k) for k, v in auth.items() if isinstance(v, Mapping)]


def auth_problem(auth: Mapping[str, object]) -> str:
    """What is wrong with ``[auth]`` for st.login to work (in Italian), or ""."""
    names = auth_providers(auth)
    provider_keys = PROVIDER_KEYS | PROVIDER_OPTIONAL_KEYS
    own = AUTH_KEYS | (provider_keys if names == ["default"] else set())
    unknown = [str(k) for k, v in auth.items() if k not in own and (names == ["default"] or not isinstance(v, Mapping))]
    for name in names if names != ["default"] else []:
        unknown += [f"{name}.{k}" for k in auth[name] if k not in provider_keys]  # type: ignore[union-attr]
    if unknown:
        return f"chiave sconosciuta in [auth]: {', '.join(sorted(unknown))}"
    missing = [k for k in _AUTH_ORDER if not str(auth.get(k) or "").strip()]
    if not names:
        return "nessun provider in [auth] (client_id, client_secret, server_metadata_url)"
    for name in names:
        section = auth if name == "default" else auth[name]
        prefix = "" if name == "default" else f"{name}."
        missing += [prefix + k for k in _PROVIDER_ORDER if not str(section.get(k) or "").strip()]  # type: ignore[union-attr]
    if missing:
        return "mancano " + ", ".join(missing)
    if importlib.util.find_spec("authlib") is None:
        return "manca il pacchetto Authlib (python3 -m pip install -r requirements.txt)"
    return ""


def client_key(peer: str | None, forwarded: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The address a password limit counts for, from the connection's ``peer`` address (None:
    Streamlit's way of saying 127.0.0.1 or ::1) and the ``X-Forwarded-For`` headers.

    The header is read only when the peer is one of the ``trusted`` proxies, right to left: the
    first address that is not itself a trusted proxy is the client (what a client writes in the
    header lands on its left, so it is never read past the proxy's own entry). IPv6 addresses count
    by their /64 network, what one subscriber gets; an IPv4-mapped IPv6 address as its IPv4.
    """
    address = LOOPBACK if peer is None else _ip(peer)
    if address is None:
        return "?" + str(peer)[:64]  # not an address: its own key, bounded
    if any(address in net for net in trusted):
        hops = [hop for value in forwarded for hop in value.split(",")]
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                break  # a malformed entry: nothing to its left can be told from a forgery
            address = ip
            if not any(ip in net for net in trusted):
                break
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``text``: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1", "[2001:db8::1]:443"."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


# --- HTTP routes ------------------------------------------------------------------------------

# Streamlit 1.67's routes that answer before the login (README, «Deploying safely», lists the audit):
_OPEN_ROUTES = frozenset({
    "_stcore/health",  # the page checks the server is up before it connects: answers "ok"
    "_stcore/host-config",  # read by the page before it connects: Streamlit's defaults, no data
    "_stcore/stream",  # the WebSocket every page, the login first, runs over
    "auth/login",  # the OpenID Connect login (st.login) itself
    "auth/logout",
    "oauth2callback",
})  # fmt: skip
_OPEN_FOLDERS = ("static/", "media/")  # the page's own code; the download buttons' files (unguessable, for seconds)
_CLOSED_NAMES = frozenset({"_stcore", "component", "app", "auth", "static", "media"})  # Streamlit's prefixes


def route_answers(path: str, base: str = "") -> bool:
    """True when an HTTP or WebSocket request for ``path`` may reach Streamlit, before a login too.

    Everything else gets 404: ``/_stcore/metrics`` (cache activity and timings), the uploads, the
    custom components, the agent API, the app's static folder and whatever a later Streamlit adds.
    The page paths (``/``, ``/comuni``), ``favicon.png`` and ``manifest.json`` are one segment,
    answered from Streamlit's own files (the page's HTML for a page).
    """
    base = base.strip("/")
    rel = path.lstrip("/")
    if base:
        if rel != base and not rel.startswith(base + "/"):
            return False
        rel = rel[len(base) :].lstrip("/")
    if rel in _OPEN_ROUTES:
        return True
    if rel.startswith(_OPEN_FOLDERS):
        return "/" in rel and rel.split("/", 1)[1] != ""
    name = rel.rstrip("/")
    return "/" not in name and name not in _CLOSED_NAMES
