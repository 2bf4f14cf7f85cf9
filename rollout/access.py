"""Who may see the dashboard: the allowlist of emails and domains, the password check, the delays.

Pure rules, no Streamlit: ``ui/auth.py`` shows the gate and calls these.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import deque
from collections.abc import Callable

from rollout.errors import InputError

BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
FAILURE_WINDOW_SECONDS = 15 * 60
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


class FailureLog:
    """Wrong passwords seen by this server in the last ``window`` seconds (all sessions), thread-safe.

    A new browser session starts with no failures of its own: the server-wide count keeps the
    delay growing for someone who opens a new session for each guess.
    """

    def __init__(self, window: float = FAILURE_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self._times.append(self.clock())
            self._trim()

    def recent(self) -> int:
        with self._lock:
            self._trim()
            return len(self._times)

    def _trim(self) -> None:
        limit = self.clock() - self.window
        while self._times and self._times[0] < limit:
            self._times.popleft()
