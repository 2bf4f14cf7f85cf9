"""Streamlit's front-end files sent from memory (``ui.assets.KeptAssets``), through a real server.

uvicorn (the server Streamlit runs on) on 127.0.0.1 serves real files with Starlette's
``StaticFiles`` (Streamlit's static route is one: 64 KB reads, ETag, ``Range``), behind a layer
that marks them the way Streamlit does (``public, immutable`` for bundles, ``no-cache`` for the
HTML), and counts the requests that reach it: what ``KeptAssets`` answers itself never does.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import uvicorn
from starlette.datastructures import MutableHeaders
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.staticfiles import StaticFiles

from ui.assets import KeptAssets

BUNDLE = os.urandom(200_000)  # four reads of StaticFiles' 64 KB
EXTRA = {  # ?query -> a header the response gets besides its Cache-Control
    b"cookie": ("set-cookie", "session=1; Path=/"),
    b"vary": ("vary", "Accept-Language"),
    b"gzip": ("content-encoding", "gzip"),
}


@dataclass
class Served:
    base: str
    kept: KeptAssets
    reached: Counter = field(default_factory=Counter)  # path?query -> requests that reached the files


def streamlit_like(folder, reached: Counter):
    """The files of ``folder`` as Streamlit serves its front end, each request that reaches them counted."""
    files = ExceptionMiddleware(StaticFiles(directory=folder))  # a missing file: 404, as in Streamlit's stack

    async def app(scope, receive, send):
        query = scope["query_string"]
        reached[scope["path"] + ("?" + query.decode() if query else "")] += 1

        async def marked(message):
            if message["type"] == "http.response.start" and message["status"] in (200, 206):
                headers = MutableHeaders(scope=message)
                html = scope["path"].endswith(".html")
                headers["cache-control"] = "no-cache" if html else "public, immutable, max-age=31536000"
                if query in EXTRA:
                    headers.append(*EXTRA[query])
            await send(message)

        await files(scope, receive, marked)

    return app


@contextmanager
def serve(folder, **limits) -> Iterator[Served]:
    reached: Counter = Counter()
    kept = KeptAssets(streamlit_like(folder, reached), **limits)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(kept, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        for _ in range(500):  # started within 5 s (never a fixed sleep)
            if server.started:
                break
            threading.Event().wait(0.01)
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", kept, reached)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={k.replace("_", "-"): v for k, v in headers.items()})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items() if k.lower() != "date"}, r.read()
    except urllib.error.HTTPError as err:
        return err.code, {}, err.read()


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>", encoding="utf-8")
    (tmp_path / "main.3f2a.js").write_bytes(BUNDLE)
    (tmp_path / "small.9c1d.js").write_bytes(b"export const a = 1;\n")
    return tmp_path


def test_a_bundle_is_read_once_then_sent_from_memory_byte_for_byte(folder):
    with serve(folder) as s:
        first = get(f"{s.base}/main.3f2a.js")
        again = [get(f"{s.base}/main.3f2a.js"), get(f"{s.base}/main.3f2a.js", Cookie="session=7")]
        assert first[0] == 200 and first[2] == BUNDLE
        assert first[1]["cache-control"] == "public, immutable, max-age=31536000"
        assert first[1]["content-length"] == "200000" and first[1]["etag"]
        assert again == [first, first]  # status, every header and the bytes; a cookie changes nothing
        assert s.reached == Counter({"/main.3f2a.js": 1})
        assert s.kept.size == len(BUNDLE)
        # Another query is another response, read once too.
        assert get(f"{s.base}/main.3f2a.js?v=2")[2] == get(f"{s.base}/main.3f2a.js?v=2")[2] == BUNDLE
        assert s.reached["/main.3f2a.js?v=2"] == 1


def test_ranges_conditions_and_other_methods_reach_the_files(folder):
    with serve(folder) as s:
        _, headers, _ = get(f"{s.base}/main.3f2a.js")
        assert get(f"{s.base}/main.3f2a.js", Range="bytes=10-19")[::2] == (206, BUNDLE[10:20])
        assert get(f"{s.base}/main.3f2a.js", If_None_Match=headers["etag"])[0] == 304
        assert get(f"{s.base}/main.3f2a.js", If_Modified_Since=headers["last-modified"])[0] == 304
        head = urllib.request.Request(f"{s.base}/main.3f2a.js", method="HEAD")
        with urllib.request.urlopen(head, timeout=10) as r:
            assert (r.status, r.read()) == (200, b"")
        assert s.reached == Counter({"/main.3f2a.js": 5})


def test_what_may_change_or_is_not_for_everyone_is_never_kept(folder):
    with serve(folder) as s:
        for path in (
            "/index.html",
            "/missing.js",
            "/small.9c1d.js?cookie",
            "/small.9c1d.js?vary",
            "/small.9c1d.js?gzip",
        ):
            assert get(s.base + path) == get(s.base + path)
            assert s.reached[path] == 2, path
        assert get(f"{s.base}/missing.js")[0] == 404
        assert get(f"{s.base}/small.9c1d.js?cookie")[1]["set-cookie"] == "session=1; Path=/"
        assert s.kept.kept == {} and s.kept.size == 0


def test_memory_is_bounded_per_file_and_in_all(folder):
    with serve(folder, max_file=100_000) as s:
        assert get(f"{s.base}/main.3f2a.js")[2] == get(f"{s.base}/main.3f2a.js")[2] == BUNDLE
        assert get(f"{s.base}/small.9c1d.js") == get(f"{s.base}/small.9c1d.js")
        assert s.reached == Counter({"/main.3f2a.js": 2, "/small.9c1d.js": 1})
        assert list(s.kept.kept) == [("/small.9c1d.js", b"")]
    with serve(folder, max_total=200_010) as s:
        for _ in range(2):
            assert get(f"{s.base}/main.3f2a.js")[2] == BUNDLE
            assert get(f"{s.base}/small.9c1d.js")[2] == b"export const a = 1;\n"  # 20 bytes: over the total
        assert s.reached == Counter({"/main.3f2a.js": 1, "/small.9c1d.js": 2})
        assert s.kept.size == 200_000
