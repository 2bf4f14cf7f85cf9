"""Read one tab of a Google Sheet: with gspread and a service account, or through its CSV export.

Both ways give the same grid: gspread asks for FORMATTED_VALUE, the text the sheet shows, which
is what the CSV export writes (13/9/2023 10.15.32, 065073, TRUE), never serial numbers or
unformatted numbers. Rows keep their sheet numbers; trailing empty rows are dropped as for files.
Every failure becomes a SourceError with an Italian message; 429 and 5xx are retried a bounded
number of times with a growing wait.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from data_sources import retry
from data_sources.errors import SourceError
from data_sources.grid import Grid, cells_from_rows
from data_sources.gsecrets import SheetsAccess

if TYPE_CHECKING:  # imported where used: a dashboard or report reading files never loads requests
    import requests
    from gspread.http_client import HTTPClient

EXPORT_ROOT = "https://docs.google.com"  # where public sheets are downloaded as CSV
KEYWORD = "gsheets"  # a source that means "the spreadsheet named in [connections.gsheets]"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)
TIMEOUT_SECONDS = 30.0
ATTEMPTS = retry.ATTEMPTS  # one call and at most three retries on 429 / 5xx
BACKOFF_SECONDS = retry.BACKOFF_SECONDS  # waits 1, 2, 4 s (or what Retry-After says)
RETRY_STATUSES = retry.RETRY_STATUSES
_URL = re.compile(
    r"https://docs\.google\.com/spreadsheets/d/(?P<key>[A-Za-z0-9_-]{10,})(?P<rest>[^#]*)(?:#(?P<frag>.*))?"
)
_KEY = re.compile(r"[A-Za-z0-9_-]{10,}")
_GID = re.compile(r"gid=(\d+)")


@dataclass(frozen=True)
class SheetRef:
    """Which tab of which spreadsheet: the key, the gid from the link, a tab name or gid given apart."""

    key: str
    gid: str | None = None
    worksheet: str | None = None

    def csv_url(self) -> str:
        """The public CSV export link of the tab (the first tab when none is named)."""
        gid = self.gid
        if self.worksheet:
            if not self.worksheet.isdigit():
                if gid is None:
                    raise SourceError(
                        f"Senza account di servizio la scheda '{self.worksheet}' si indica con il suo link: apri la "
                        "scheda nel browser e copia il link (contiene #gid=…), oppure configura un account di "
                        "servizio (vedi docs/google-sheets.md, «Connect the form's sheet with a service account»)."
                    )
            elif gid is not None and gid != self.worksheet:
                raise SourceError(_conflict(gid, f"gid={self.worksheet}"))
            else:
                gid = self.worksheet
        url = f"{EXPORT_ROOT}/spreadsheets/d/{self.key}/export?format=csv"
        return url + (f"&gid={gid}" if gid is not None else "")


def is_sheet_source(source: object) -> bool:
    """A Google Sheet link (edit, view, share or export) or the ``gsheets`` keyword."""
    if not isinstance(source, str):
        return False
    text = source.strip()
    return text == KEYWORD or bool(_URL.match(text))


def sheet_ref(source: str, worksheet: str | None, access: SheetsAccess | None) -> SheetRef:
    """Resolve a Google Sheet source (a link, or ``gsheets`` = the spreadsheet in the secrets)."""
    text = source.strip()
    worksheet = (worksheet or "").strip() or None
    if text == KEYWORD:
        if access is not None and access.error:
            raise SourceError(access.error)
        if access is None or not access.spreadsheet:
            raise SourceError(
                f'La sorgente "{KEYWORD}" indica il foglio di [connections.gsheets] in .streamlit/secrets.toml, '
                "ma lì manca spreadsheet (il link o la chiave del foglio)."
            )
        text = access.spreadsheet
        worksheet = worksheet or access.worksheet or None
        if _KEY.fullmatch(text):
            return SheetRef(text, None, worksheet)
    m = _URL.match(text)
    if not m:
        raise SourceError("spreadsheet in [connections.gsheets] non è un link né una chiave di un foglio Google.")
    gid = _GID.search((m["rest"] or "") + "#" + (m["frag"] or ""))
    return SheetRef(m["key"], gid[1] if gid else None, worksheet)


def authorized_session(account: Mapping[str, str]) -> requests.Session:
    """A requests session that signs every call with a read-only token of the service account."""
    from google.auth.transport.requests import AuthorizedSession
    from google.oauth2 import service_account

    try:
        credentials = service_account.Credentials.from_service_account_info(dict(account), scopes=list(SCOPES))
    except ValueError:  # google-auth's MalformedError: the PEM key cannot be parsed
        raise SourceError(
            "La chiave privata dell'account di servizio non è leggibile: copia private_key intera dal file JSON."
        ) from None
    return AuthorizedSession(credentials, refresh_timeout=TIMEOUT_SECONDS)


def read_gsheet(
    ref: SheetRef,
    access: SheetsAccess,
    *,
    session: requests.Session | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    backoff: float | None = None,
) -> Grid:
    """Read the tab ``ref`` with gspread as ``access``'s service account; SourceError on any failure."""
    import gspread

    if access.error:
        raise SourceError(access.error)
    if access.account is None:
        raise SourceError("Nessun account di servizio configurato in [connections.gsheets].")
    session = session or authorized_session(access.account)
    wait = TIMEOUT_SECONDS if timeout is None else timeout
    guard = Guard(
        access.client_email,
        ATTEMPTS if attempts is None else max(1, attempts),
        BACKOFF_SECONDS if backoff is None else backoff,
        wait,
    )
    client = gspread.Client(None, session=session)  # type: ignore[arg-type]  # gspread: no credentials with a session
    client.http_client = _guarded_client()(session, guard)
    client.set_timeout(wait)
    try:
        spreadsheet = client.open_by_key(ref.key)
        title = str(spreadsheet.title)
        locale = str(spreadsheet.locale or "")
        tab = _pick(spreadsheet.worksheets(), ref)
        answer = spreadsheet.values_get(
            gspread.utils.absolute_range_name(tab.title),
            params={"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"},
        )
        rows = _rows(answer)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        # requests' JSONDecodeError is a ValueError: an answer that is not the JSON Sheets writes
        raise SourceError(
            "Risposta non valida da Google Sheets (non è il formato atteso): riprova più tardi."
        ) from None
    origin = f"foglio Google '{title}' (scheda '{tab.title}')"
    cells = cells_from_rows(rows)
    if cells.empty:
        raise SourceError(f"La scheda '{tab.title}' del foglio Google '{title}' è vuota.")
    return Grid(cells=cells, origin=origin, loaded_at=dt.datetime.now(dt.UTC), locale=locale)


def _pick(tabs: list[Any], ref: SheetRef) -> Any:
    """The tab named or numbered by ``ref``; the first one when none is given."""
    names = ", ".join(f"'{t.title}'" for t in tabs)
    by_gid = {str(t.id): t for t in tabs}
    if ref.worksheet:
        chosen = next((t for t in tabs if t.title == ref.worksheet), None) or by_gid.get(ref.worksheet)
        if chosen is None:
            raise SourceError(f"La scheda '{ref.worksheet}' non esiste nel foglio Google; schede presenti: {names}.")
        if ref.gid is not None and str(chosen.id) != ref.gid:
            raise SourceError(_conflict(ref.gid, f"'{ref.worksheet}'"))
        return chosen
    if ref.gid is not None:
        if ref.gid not in by_gid:
            raise SourceError(f"Il link indica la scheda gid={ref.gid}, che non esiste; schede presenti: {names}.")
        return by_gid[ref.gid]
    if not tabs:
        raise SourceError("Il foglio Google non ha schede.")
    return tabs[0]


def _conflict(gid: str, other: str) -> str:
    return (
        f"Il link indica la scheda gid={gid}, ma la configurazione indica la scheda {other}: "
        "togli una delle due indicazioni."
    )


def _rows(answer: Any) -> list[list[str]]:
    """The ``values`` of a values.get answer as text, positioned from A1 like the CSV export."""
    import gspread

    values = answer.get("values", [])
    if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
        raise TypeError("values")
    row0, col0 = 1, 1
    start = str(answer.get("range", "")).rsplit("!", 1)[-1].split(":", 1)[0]
    if re.fullmatch(r"[A-Za-z]+\d+", start):
        row0, col0 = gspread.utils.a1_to_rowcol(start)
    rows = [[""] * (col0 - 1) + [_text(v) for v in r] for r in values]
    rows = [[] for _ in range(row0 - 1)] + rows
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows] if width else []


def _text(value: object) -> str:
    """One cell as text; FORMATTED_VALUE answers are strings, other scalars are tolerated."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    raise TypeError("cell")


@dataclass(frozen=True)
class Guard:
    """How the HTTP client of one reading retries and what its messages say."""

    email: str  # the service account's, named in the messages
    attempts: int = ATTEMPTS
    backoff: float = BACKOFF_SECONDS
    timeout_shown: float = TIMEOUT_SECONDS


@functools.cache
def _guarded_client() -> Callable[[requests.Session, Guard], HTTPClient]:
    """gspread's HTTP client class, extended; built on first use so gspread loads only when needed."""
    import google.auth.exceptions as gauth
    import requests
    from gspread.exceptions import APIError
    from gspread.http_client import HTTPClient

    class GuardedClient(HTTPClient):
        """gspread's HTTP client with bounded retries and every failure turned into a SourceError."""

        def __init__(self, session: requests.Session, guard: Guard) -> None:
            super().__init__(None, session)  # type: ignore[arg-type]  # gspread: no credentials with a session
            self.email, self.attempts = guard.email, guard.attempts
            self.backoff, self.timeout_shown = guard.backoff, guard.timeout_shown

        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            for attempt in range(1, self.attempts + 1):
                try:
                    return super().request(*args, **kwargs)
                except APIError as err:
                    status = err.response.status_code
                    if status in RETRY_STATUSES and attempt < self.attempts:
                        time.sleep(self._wait(attempt, err.response))
                        continue
                    raise SourceError(_api_message(status, err.error, self.email, attempt)) from None
                except gauth.RefreshError:
                    raise SourceError(
                        f"Google ha rifiutato la chiave dell'account di servizio {self.email}: forse è stata "
                        "revocata o il progetto è disattivato. Crea una nuova chiave "
                        "(vedi docs/google-sheets.md, «Connect the form's sheet with a service account»)."
                    ) from None
                except (requests.Timeout, gauth.TransportError) as err:
                    if isinstance(err, requests.Timeout) or "timed out" in str(err).lower():
                        raise SourceError(
                            f"Tempo scaduto: Google Sheets non ha risposto entro {self.timeout_shown:g} secondi."
                        ) from None
                    raise SourceError(_unreachable(err)) from None
                except requests.RequestException as err:
                    raise SourceError(_unreachable(err)) from None
            raise AssertionError("unreachable")  # pragma: no cover

        def _wait(self, attempt: int, response: requests.Response) -> float:
            return retry.wait_seconds(attempt, response.headers.get("Retry-After"), self.backoff)

    return GuardedClient


def _unreachable(err: Exception) -> str:
    return f"Impossibile raggiungere Google Sheets ({type(err).__name__}): controlla la connessione a Internet."


def _api_message(status: int, error: Mapping[str, Any], email: str, attempts: int) -> str:
    text = str(error.get("message", "")) if isinstance(error, Mapping) else ""
    if status == 403 and ("has not been used" in text or "is disabled" in text):
        return (
            "L'API Google Sheets non è attiva nel progetto dell'account di servizio: attivala in Google Cloud "
            "Console (API e servizi → Libreria → Google Sheets API) e riprova tra qualche minuto."
        )
    if status == 403:
        return (
            f"Accesso negato (403): il foglio Google non è condiviso con l'account di servizio. Aprilo, premi "
            f"«Condividi» e aggiungi {email} come Visualizzatore."
        )
    if status == 401:
        return f"Google non ha accettato le credenziali dell'account di servizio {email} (401): controlla la chiave."
    if status == 404:
        return "Foglio Google non trovato (404): controlla il link o la chiave del foglio nella configurazione."
    if status == 429:
        return f"Troppe richieste a Google Sheets (429), anche dopo {attempts} tentativi: riprova tra qualche minuto."
    if status >= 500:
        return f"Google Sheets ha risposto con un errore ({status}) anche dopo {attempts} tentativi: riprova più tardi."
    return f"Risposta inattesa da Google Sheets ({status})."
