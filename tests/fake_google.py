"""A local stand-in for Google, on 127.0.0.1: the OAuth token endpoint, the part of the Sheets API
v4 that gspread uses (spreadsheet metadata, values.get) and the CSV export with its 307 redirect.

It behaves like the real services in what the readers depend on: the API leaves out trailing
empty cells and rows, FORMATTED_VALUE returns the text the sheet shows while UNFORMATTED_VALUE
returns serial numbers and numbers, errors come as ``{"error": {...}}`` JSON, an unshared sheet
is 403 for the service account and a login page for the CSV export. ``faults`` injects failures.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import functools
import http.server
import io
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests.adapters
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SHEETS_API = "https://sheets.googleapis.com"
ERRORS = {
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class Tab:
    title: str
    gid: int
    rows: list[list[str]]  # the text each cell shows ("" when empty)


@dataclass
class Spreadsheet:
    title: str
    tabs: list[Tab]
    shared_with: set[str] = field(default_factory=set)  # service accounts that may read it
    public: bool = False  # "anyone with the link"
    locale: str = "it_IT"  # the spreadsheet's locale: how its dates are written


def csv_rows(text: str) -> list[list[str]]:
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _unformatted(cell: str) -> object:
    """What UNFORMATTED_VALUE returns for a cell showing ``cell``: dates as serials, numbers as numbers."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2})\.(\d{2})\.(\d{2})", cell)
    if m:
        d, mo, y, h, mi, s = map(int, m.groups())
        try:
            moment = dt.datetime(y, mo, d, h, mi, s)
        except ValueError:
            return cell
        return (moment - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    if cell.isdigit():
        return int(cell)
    return cell


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    """The API leaves out trailing empty cells of each row and trailing empty rows."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def _column(n: int) -> str:
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name


class FakeGoogle:
    """Start with ``FakeGoogle()``, stop with ``close()``; ``base`` is its http://127.0.0.1:PORT."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.faults: dict[str, list[object]] = {}  # kind ("token", "meta", "values", "export") -> queued faults
        self.hits: list[tuple[str, str]] = []  # (kind, path with query)
        self.tokens: dict[str, str] = {}  # access token -> service account email
        self.scopes: list[str] = []  # the scope of every token request
        self.lock = threading.Lock()
        self.truncate = 1.0  # the share of the next file body actually sent (a connection cut short)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._dispatch(self, "GET")

            def do_POST(self) -> None:
                fake._dispatch(self, "POST")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.hits if k == kind)

    def fail(self, kind: str, *faults: object) -> None:
        """Queue faults for the next requests of ``kind``: a status code, (status, message),
        "garbage" (not JSON), ("sleep", seconds) before answering normally, ("retry-after", status,
        value) for an error with that Retry-After header, or ("truncate", fraction): the whole
        Content-Length announced, only that fraction of the body sent."""
        self.faults.setdefault(kind, []).extend(faults)

    # --- request handling -------------------------------------------------------------------

    def _dispatch(self, h: http.server.BaseHTTPRequestHandler, method: str) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if method == "POST" and path == "/token":
            kind = "token"
        elif m := re.fullmatch(r"/v4/spreadsheets/([^/]+)/values/(.+)", path):
            kind = "values"
        elif m := re.fullmatch(r"/v4/spreadsheets/([^/]+)", path):
            kind = "meta"
        elif m := re.fullmatch(r"/spreadsheets/d/([^/]+)/export", path):
            kind = "export"
        elif m := re.fullmatch(r"/export-file/([^/]+)/(\d+)", path):
            kind = "file"
        elif path == "/ServiceLogin":
            kind = "login"
        else:
            return self._send(h, 404, b"not found", "text/plain")
        with self.lock:
            self.hits.append((kind, h.path))
            queue = self.faults.get(kind) or []
            fault = queue.pop(0) if queue else None
        if isinstance(fault, tuple) and fault[0] == "sleep":
            time.sleep(fault[1])
        elif isinstance(fault, tuple) and fault[0] == "retry-after":
            body = json.dumps({"error": {"code": fault[1], "message": "Slow down."}}).encode()
            h.send_response(fault[1])
            h.send_header("Retry-After", str(fault[2]))
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return None
        elif isinstance(fault, tuple) and fault[0] == "truncate":
            self.truncate = fault[1]
        elif fault == "garbage":
            return self._send(h, 200, b"<html><body>Service temporarily unavailable", "application/json")
        elif isinstance(fault, int):
            return self._error(h, fault, "Injected failure.")
        elif isinstance(fault, tuple):
            return self._error(h, fault[0], fault[1])
        if kind == "token":
            return self._token(h)
        if kind == "login":
            return self._send(h, 200, b"<!DOCTYPE html><html><body>Accedi - Account Google</body></html>", "text/html")
        if kind == "export":
            return self._export(h, m[1], query)
        if kind == "file":
            return self._file(h, m[1], int(m[2]))
        book = self.spreadsheets.get(urllib.parse.unquote(m[1]))
        email = self.tokens.get(h.headers.get("Authorization", "").removeprefix("Bearer "))
        if email is None:
            return self._error(h, 401, "Request had invalid authentication credentials.")
        if book is None:
            return self._error(h, 404, "Requested entity was not found.")
        if email not in book.shared_with:
            return self._error(h, 403, "The caller does not have permission")
        if kind == "meta":
            return self._json(h, self._metadata(m[1], book))
        return self._values(h, book, urllib.parse.unquote(m[2]), query)

    def _token(self, h: http.server.BaseHTTPRequestHandler) -> None:
        body = dict(urllib.parse.parse_qsl(h.rfile.read(int(h.headers["Content-Length"])).decode()))
        payload = body["assertion"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        token = f"token-{len(self.tokens) + 1}"
        with self.lock:
            self.tokens[token] = claims["iss"]
            self.scopes.append(claims["scope"])
        self._json(h, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _metadata(self, key: str, book: Spreadsheet) -> dict:
        return {
            "spreadsheetId": key,
            "properties": {"title": book.title, "locale": book.locale, "timeZone": "Europe/Rome"},
            "sheets": [
                {
                    "properties": {
                        "sheetId": tab.gid,
                        "title": tab.title,
                        "index": i,
                        "sheetType": "GRID",
                        "gridProperties": {"rowCount": max(1000, len(tab.rows)), "columnCount": 26},
                    }
                }
                for i, tab in enumerate(book.tabs)
            ],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{key}/edit",
        }

    def _values(self, h: http.server.BaseHTTPRequestHandler, book: Spreadsheet, rng: str, query: dict) -> None:
        title = rng.split("!")[0]
        if title.startswith("'") and title.endswith("'"):
            title = title[1:-1].replace("''", "'")
        tab = next((t for t in book.tabs if t.title == title), None)
        if tab is None:
            return self._error(h, 400, f"Unable to parse range: {rng}")
        rows = _trimmed(tab.rows)
        if query.get("valueRenderOption") in ("UNFORMATTED_VALUE", "FORMULA"):
            rows = [[_unformatted(c) if c else "" for c in r] for r in rows]
        width = max((len(r) for r in rows), default=0)
        answer: dict = {
            "range": f"'{tab.title}'!A1:{_column(max(width, 1))}{max(len(rows), 1)}",
            "majorDimension": "ROWS",
        }
        if rows:
            answer["values"] = rows
        return self._json(h, answer)

    def _export(self, h: http.server.BaseHTTPRequestHandler, key: str, query: dict) -> None:
        book = self.spreadsheets.get(key)
        if book is None:
            return self._send(h, 404, b"<html>Not found</html>", "text/html")
        if not book.public:
            h.send_response(302)
            h.send_header("Location", f"{self.base}/ServiceLogin?continue=export")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        gid = int(query.get("gid", book.tabs[0].gid))
        h.send_response(307)  # Google sends the download from another host
        h.send_header("Location", f"{self.base}/export-file/{key}/{gid}")
        h.send_header("Content-Length", "0")
        h.end_headers()
        return None

    def _file(self, h: http.server.BaseHTTPRequestHandler, key: str, gid: int) -> None:
        book = self.spreadsheets[key]
        tab = next((t for t in book.tabs if t.gid == gid), None)
        if tab is None:
            return self._send(h, 400, b"<html>Bad request</html>", "text/html")
        rows = _trimmed(tab.rows)
        width = max((len(r) for r in rows), default=0)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in rows:
            writer.writerow(row + [""] * (width - len(row)))
        body = out.getvalue().encode("utf-8")
        if self.truncate < 1.0:
            share, self.truncate = self.truncate, 1.0
            h.send_response(200)
            h.send_header("Content-Type", "text/csv")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: int(len(body) * share)])
            h.close_connection = True
            return None
        return self._send(h, 200, body, "text/csv")

    def _error(self, h: http.server.BaseHTTPRequestHandler, code: int, message: str) -> None:
        body = {"error": {"code": code, "message": message, "status": ERRORS.get(code, "UNKNOWN")}}
        self._send(h, code, json.dumps(body).encode(), "application/json")

    def _json(self, h: http.server.BaseHTTPRequestHandler, body: object) -> None:
        self._send(h, 200, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json")

    def _send(self, h: http.server.BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            h.wfile.write(body)


class ToLocal(requests.adapters.HTTPAdapter):
    """Sends what gspread addresses to sheets.googleapis.com to the fake, unchanged otherwise."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):  # type: ignore[override]
        request.url = self.base + request.url.removeprefix(SHEETS_API)
        return super().send(request, **kwargs)


# --- helpers the test modules share ---------------------------------------------------------------

KEY = "1FakeFormSheetKey_0123456789abcdefghij"
EMAIL = "lettore-rollout@progetto-test.iam.gserviceaccount.com"
EDIT_URL = f"https://docs.google.com/spreadsheets/d/{KEY}/edit"


@functools.cache
def private_key() -> str:
    """A fresh RSA key in PEM, as in a service account's JSON key (made once per test run)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def secrets_table(fake: FakeGoogle, **extra: str) -> dict[str, str]:
    """[connections.gsheets] as st-gsheets-connection users write it; the token endpoint is the fake."""
    return {
        "spreadsheet": EDIT_URL,
        "worksheet": "Risposte del modulo 1",
        "type": "service_account",
        "project_id": "progetto-test",
        "private_key_id": "0123456789abcdef",
        "private_key": private_key(),
        "client_email": EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": f"{fake.base}/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "",
        **extra,
    }


def route_to(fake: FakeGoogle, monkeypatch) -> None:
    """Every Google address the readers use points at ``fake``; retries wait 10 ms; no secrets file."""
    from data_sources import gsheets, http

    real = gsheets.authorized_session

    def local_session(account):
        session = real(account)
        session.mount(SHEETS_API + "/", ToLocal(fake.base))
        return session

    monkeypatch.setattr(gsheets, "authorized_session", local_session)
    monkeypatch.setattr(gsheets, "EXPORT_ROOT", fake.base)
    monkeypatch.setattr(gsheets, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setenv("ROLLOUT_SECRETS", "")


GOLDEN = Path(__file__).resolve().parent / "data" / "golden_sheet"


def golden_spreadsheet() -> Spreadsheet:
    """The golden scenario's form sheet, with the comuni list in a second tab; shared and public."""
    return Spreadsheet(
        "Raccolta account editor (risposte)",
        [
            Tab("Risposte del modulo 1", 0, csv_rows((GOLDEN / "risposte.csv").read_text(encoding="utf-8"))),
            Tab("Comuni", 1234, csv_rows((GOLDEN / "comuni.csv").read_text(encoding="utf-8"))),
        ],
        shared_with={EMAIL},
        public=True,
    )
