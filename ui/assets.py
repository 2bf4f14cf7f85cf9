"""Streamlit's front-end files, sent from memory after their first request.

A browser without Streamlit's files in its cache (a first visit) asks for about 140 of them, 4 MB
in all. Streamlit streams each from disk in 64 KB reads, each read a hop to a worker thread: at
national scale that was half the server's CPU for a new session (0.1 of 0.2 s), and every file
waited for the interpreter's lock while a page's script ran. The responses Streamlit marks
``public`` and ``immutable`` (its content-hashed bundles: the same bytes for as long as the server
runs, which any shared cache may give to anyone) are kept here after the first one and sent again
in one piece, as a caching proxy in front of the server would.

Only a ``GET`` without ``Range`` or a conditional header is answered from memory (those go to
Streamlit, which answers them itself), and only a response that Streamlit's own stack served whole
with status 200: never one that sets a cookie, is compressed or varies with a header, so a path it
refuses is never kept. Within ``max_file`` bytes a response and ``max_total`` bytes in all. Plain
ASGI, no Streamlit: ``server.py`` puts it in front of Streamlit's stack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
_PASS_REQUEST = (b"range", b"if-none-match", b"if-modified-since", b"if-range", b"if-match", b"if-unmodified-since")
_REFUSE_RESPONSE = (b"set-cookie", b"content-encoding", b"vary")
MAX_FILE_BYTES = 8 << 20  # Streamlit's largest bundle is 4.7 MB (Plotly)
MAX_TOTAL_BYTES = 64 << 20  # Streamlit's whole front end is 25 MB


class KeptAssets:
    """ASGI middleware: replays from memory every response first served with ``Cache-Control:
    public, immutable``, by exact path and query, within ``max_file`` and ``max_total`` bytes."""

    def __init__(self, app, max_total: int = MAX_TOTAL_BYTES, max_file: int = MAX_FILE_BYTES) -> None:
        self.app = app
        self.max_total = max_total
        self.max_file = max_file
        self.kept: dict[tuple[str, bytes], tuple[list[tuple[bytes, bytes]], bytes]] = {}
        self.size = 0

    async def __call__(self, scope, receive, send: Send) -> None:
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
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= self.max_file:
                    chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    self._keep(key, start, chunks, size)  # before the last bytes leave: the next request finds it
            await send(message)

        await self.app(scope, receive, keep)

    def _keep(self, key: tuple[str, bytes], start: Message, chunks: list[bytes], size: int) -> None:
        """Keep the response whose start is ``start`` and whose body is ``chunks``, if it qualifies."""
        headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
        if (
            start.get("status") == 200
            and not start.get("trailers")
            and any(k == b"cache-control" and _kept_by_anyone(v) for k, v in headers)
            and not _has(headers, _REFUSE_RESPONSE)
            and size <= self.max_file
            and self.size + size <= self.max_total
            and key not in self.kept
        ):
            body = b"".join(chunks)
            if all(k != b"content-length" or int(v) == len(body) for k, v in headers):
                self.kept[key] = (headers, body)
                self.size += len(body)


def _kept_by_anyone(cache_control: bytes) -> bool:
    """Whether ``Cache-Control`` lets a shared cache keep the response and give it again unchanged."""
    directives = {d.strip().split(b"=")[0] for d in cache_control.lower().split(b",")}
    return {b"public", b"immutable"} <= directives and not directives & {b"no-store", b"no-cache", b"private"}


def _has(headers, names: tuple[bytes, ...]) -> bool:
    return any(bytes(k).lower() in names for k, _ in headers)
