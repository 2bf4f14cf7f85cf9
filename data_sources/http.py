"""Fetch a CSV over http(s): public Google Sheets export links, open-data files."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request

from data_sources.errors import SourceError

MAX_BYTES = 200 * 1024 * 1024
TIMEOUT_SECONDS = 30.0


def fetch(url: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """GET ``url`` following redirects; every failure becomes a SourceError in Italian."""
    request = urllib.request.Request(url, headers={"User-Agent": "rollout-tracker/1.0", "Accept": "text/csv,*/*"})
    shown = redact(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as err:
        raise SourceError(_http_message(err.code, shown)) from None
    except TimeoutError:
        raise SourceError(f"Tempo scaduto: {shown} non ha risposto entro {timeout:.0f} secondi.") from None
    except urllib.error.URLError as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise SourceError(f"Tempo scaduto: {shown} non ha risposto entro {timeout:.0f} secondi.") from None
        raise SourceError(f"Impossibile raggiungere {shown}: {reason}.") from None
    except (OSError, ValueError) as err:
        raise SourceError(f"Errore di rete leggendo {shown}: {err}.") from None
    if len(data) > MAX_BYTES:
        raise SourceError(
            f"{shown} supera {MAX_BYTES // (1024 * 1024)} MB: troppo grande per essere un foglio di risposte."
        )
    return data


def _http_message(code: int, shown: str) -> str:
    if code in (401, 403):
        return (
            f"Accesso negato ({code}) a {shown}: il foglio non è pubblico. Condividilo come "
            "'chiunque abbia il link' oppure usa un account di servizio (vedi README)."
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
