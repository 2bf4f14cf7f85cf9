"""A real HTTP server on 127.0.0.1 that answers fixed routes and counts the requests it gets."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

Route = tuple[int, Mapping[str, str], bytes]  # status, headers, body


@contextmanager
def serve_routes(routes: Mapping[str, Route] | None = None) -> Iterator[Routes]:
    """Serve ``routes`` (path -> status, headers, body; anything else is a 404) until the block ends."""
    served = Routes(dict(routes or {}))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            served.requests[self.path] += 1
            status, headers, body = served.routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    served.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()


class Routes:
    """The routes being served (they may change while served), the base URL and the requests so far."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.base = ""
        self.requests: Counter[str] = Counter()
