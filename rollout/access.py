"""Who may see the dashboard: the allowlist of emails and domains, the password check, the delays.

Pure rules, no Streamlit: ``ui/auth.py`` shows the gate and calls these.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rollout.errors import InputError

BASE_DELAY_SECONDS = 1.0  # a session's own wait after its first wrong password; doubles after each
MAX_DELAY_SECONDS = 30.0
GUESSES_PER_MINUTE = 10  # password checks per minute on the whole server, every session together,
GUESS_BURST = 5  # after a burst of this many (so at most 5 + 10·minutes checks in any stretch of time)
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


class GuessLimiter:
    """Password checks allowed on this server, all sessions together: a token bucket, thread-safe.

    ``burst`` checks at once, then one every ``60 / per_minute`` seconds, however many sessions
    ask (GCRA: one "theoretical arrival time", exact with any clock). A check that finds no token
    is not made at all: the caller says when to try again instead of waiting, so no session's
    queue of failures delays another's correct password by more than one interval.
    """

    def __init__(
        self,
        per_minute: float = GUESSES_PER_MINUTE,
        burst: int = GUESS_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 60.0 / per_minute
        self.burst = burst
        self.clock = clock
        self._next = -math.inf  # when the bucket is full again, minus the burst
        self._lock = threading.Lock()

    def take(self) -> float:
        """0.0 when a check may run now (one token taken); else the seconds until the next token."""
        with self._lock:
            now = self.clock()
            due = max(self._next, now)
            wait = due - now - (self.burst - 1) * self.interval
            if wait > 0:
                return wait
            self._next = due + self.interval
            return 0.0


@dataclass(frozen=True)
class Attempt:
    """The outcome of one password submission."""

    admitted: bool
    checked: bool  # False: the server-wide limit was reached, the password was not even compared
    retry_after: float = 0.0  # seconds, when not checked


def attempt(given: str, expected: str, limiter: GuessLimiter) -> Attempt:
    """Check ``given`` if the server-wide limit allows a check now; a correct password waits for
    nothing but a token (never for other sessions' failures) and is compared in constant time.

    It gets no shortcut past the limit: admitting it at once while wrong guesses wait would tell
    an attacker, a moment after sending any number of guesses, that all of them are wrong.
    """
    retry_after = limiter.take()
    if retry_after:
        return Attempt(admitted=False, checked=False, retry_after=retry_after)
    return Attempt(admitted=password_matches(given, expected), checked=True)
