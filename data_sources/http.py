"""Fetch a CSV over http(s): public Google Sheets export links, open-data files."""

from __future__ import annotations

import http.client
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from data_sources import retry
from data_sources.errors import SourceError

MAX_BYTES = 200 * 1024 * 1024
TIMEOUT_SECONDS = 30.0
BACKOFF_SECONDS = retry.BACKOFF_SECONDS
sleep: Callable[[float], None] = time.sleep  # replaced in tests, which count the waits instead


def fetch(
    url: str,
    timeout: float = TIMEOUT_SECONDS,
    *,
    attempts: int = retry.ATTEMPTS,
    backoff: float | None = None,
    wait: Callable[[float], None] | None = None,
) -> bytes:
    """GET ``url`` following redirects; every failure becomes a SourceError in Italian.

    429, 5xx and a body cut short are tried again (``attempts`` in all, waits of 1, 2, 4 s or
    what ``Retry-After`` says); ``wait`` is the sleep (the module's ``sleep`` by default).
    """
    wait = wait or sleep
    for attempt in range(1, max(1, attempts) + 1):
        try:
            return _fetch_once(url, timeout)
        except _Retryable as err:
            if attempt >= attempts:
                raise SourceError(err.message(attempt)) from None
            wait(retry.wait_seconds(attempt, err.retry_after, BACKOFF_SECONDS if backoff is None else backoff))
    raise AssertionError("unreachable")  # pragma: no cover


class _Retryable(Exception):
    """A failure worth another attempt: 429, 5xx, a body shorter than its Content-Length."""

    def __init__(self, text: str, retry_after: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.retry_after = retry_after

    def message(self, attempts: int) -> str:
        return (
            self.text
            if attempts == 1
            else self.text.replace(": riprova", f", anche dopo {attempts} tentativi: riprova")
        )


def _fetch_once(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "rollout-tracker/1.0", "Accept": "text/csv,*/*"})
    shown = redact(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
            expected = response.headers.get("Content-Length", "")
            encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    except urllib.error.HTTPError as err:
        if err.code in retry.RETRY_STATUSES:
            raise _Retryable(_http_message(err.code, shown), err.headers.get("Retry-After")) from None
        raise SourceError(_http_message(err.code, shown)) from None
    except TimeoutError:
        raise SourceError(f"Tempo scaduto: {shown} non ha risposto entro {timeout:.0f} secondi.") from None
    except urllib.error.URLError as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise SourceError(f"Tempo scaduto: {shown} non ha risposto entro {timeout:.0f} secondi.") from None
        raise SourceError(f"Impossibile raggiungere {shown}: {reason}.") from None
    except http.client.IncompleteRead as err:  # a chunked body cut short
        raise _Retryable(
            f"Risposta interrotta da {shown}: ricevuti {len(err.partial)} byte, i dati sono incompleti: riprova più tardi."
        ) from None
    except (OSError, ValueError, http.client.HTTPException) as err:
        raise SourceError(f"Errore di rete leggendo {shown}: {err}.") from None
    if len(data) > MAX_BYTES:
        raise SourceError(
            f"{shown} supera {MAX_BYTES // (1024 * 1024)} MB: troppo grande per essere un foglio di risposte."
        )
    if expected.isdigit() and not encoded and len(data) < int(expected):
        raise _Retryable(
            f"Risposta interrotta da {shown}: ricevuti {len(data)} byte su {int(expected)}, "
            "i dati sono incompleti: riprova più tardi."
        )
    return data


def _http_message(code: int, shown: str) -> str:
    if code in (401, 403):
        return (
            f"Accesso negato ({code}) a {shown}: il foglio non è pubblico. Condividilo come "
            "'chiunque abbia il link' oppure usa un account di servizio (vedi docs/google-sheets.md)."
        )
    if code == 404:
        return f"Non trovato (404): {shown}. Controlla il link."
    if code == 429:
        return f"Troppe richieste (429) a {shown}: riprova tra qualche minuto."
    if code >= 500:
        return f"Il server ha risposto con un errore ({code}) per {shown}: riprova più tardi."
    return f"Risposta inattesa ({code}) da {shown}."


def redact(url: str) -> str:
    """The URL as it may be shown: no query string (tokens) and a Google Sheet's key shortened.

    A sheet shared as "anyone with the link" is protected by nothing but its key.
    """
    url = url.split("?", 1)[0].split("#", 1)[0]
    return re.sub(r"(/spreadsheets/d/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]{4,}([A-Za-z0-9_-]{4})", r"\1\2…\3", url)
