"""Streamlit's immutable front-end files, served from memory after their first request.

A browser without Streamlit's files in its cache (a first visit) asks for 100 to 150 of them,
5.6 MB in all. Streamlit streams each from disk in 64 KB reads, each read a hop to a worker
thread: at national scale that was 0.18 s of the server's CPU per new session, more than the
page's own script, and every file waited for the interpreter's lock while a script ran. The
responses Streamlit marks ``immutable`` (its content-hashed bundles, the same bytes for as long as
the server runs) are kept here after the first one and sent again in one piece.

Only a plain ``GET`` of such a response is kept (no range, no conditional request, no cookie, no
content encoding, no ``Vary``), and only once Streamlit's own middleware has served it: a path it
refuses is never kept. Plain ASGI, no Streamlit: ``server.py`` puts it in front of Streamlit's stack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
_PASS_REQUEST = (b"range", b"if-none-match", b"if-modified-since", b"if-range", b"if-match")
_REFUSE_RESPONSE = (b"set-cookie", b"content-encoding", b"vary")
MAX_FILE_BYTES = 8 << 20
MAX_TOTAL_BYTES = 64 << 20  # Streamlit's whole front end is about 26 MB


class KeptAssets:
    """ASGI middleware: replays from memory every response first served with ``Cache-Control: …
    immutable``, by exact path and query, within ``max_total`` bytes."""

    def __init__(self, app, max_total: int = MAX_TOTAL_BYTES, max_file: int = MAX_FILE_BYTES) -> None:
        self.app = app
        self.max_total = max_total
        self.max_file = max_file
        self.kept: dict[tuple[str, bytes], tuple[list[tuple[bytes, bytes]], bytes]] = {}
        self.size = 0

    async def __call__(self, scope, receive, send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or _has(scope["headers"], _PASS_REQUEST):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        kept = self.kept.get(key)
        if kept is not None:
            headers, body = kept
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: Message = {}
        chunks: list[bytes] = []
        size = 0

        async def keep(message: Message) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and size <= self.max_file:
                chunks.append(bytes(message.get("body", b"")))
                size += len(chunks[-1])
            await send(message)

        await self.app(scope, receive, keep)
        headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
        if (
            start.get("status") == 200
            and not start.get("trailers")
            and any(k == b"cache-control" and b"immutable" in v.lower() for k, v in headers)
            and not _has(headers, _REFUSE_RESPONSE)
            and size <= self.max_file
            and self.size + size <= self.max_total
            and key not in self.kept
        ):
            body = b"".join(chunks)
            if all(k != b"content-length" or int(v) == len(body) for k, v in headers):
                self.kept[key] = (headers, body)
                self.size += len(body)


def _has(headers, names: tuple[bytes, ...]) -> bool:
    return any(bytes(k).lower() in names for k, _ in headers)
