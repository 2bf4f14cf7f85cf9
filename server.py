"""The dashboard with a warm start: ``streamlit run server.py``.

The same app as ``streamlit run dashboard.py``, started through Streamlit's ``st.App``: as the
server starts, it reads and prepares the configured sources (``ui.data.warm_up``) and begins
serving once they are ready, or after ``READY_WITHIN_SECONDS`` (a slow Google Sheet), the load
going on meanwhile. The first visitor then finds the data loaded instead of waiting for it.

Only the routes the dashboard needs answer (``rollout.access.route_answers``): the login, the
page's own files and the download links; ``/_stcore/metrics`` and the rest get 404.
"""

import asyncio
import gc
import logging
import threading
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from rollout.access import route_answers
from ui.assets import KeptAssets

READY_WITHIN_SECONDS = 15.0
WARM_UP_THREAD = "rollout-warm-up"
_NOT_FOUND = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]


class RouteGate:
    """ASGI middleware (``st.App(middleware=…)``, before Streamlit's own): a request for a route
    that ``route_answers`` does not list gets 404, a WebSocket is closed before it opens."""

    def __init__(self, app, base_url: str = "") -> None:
        self.app = app
        self.base_url = base_url

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or route_answers(scope["path"], self.base_url):
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 404, "headers": _NOT_FOUND})
            await send({"type": "http.response.body", "body": b"Not Found"})
        else:
            await send({"type": "websocket.close", "code": 1008})


@asynccontextmanager
async def lifespan(app: st.App):
    thread = threading.Thread(target=_warm_up, name=WARM_UP_THREAD, daemon=True)
    thread.start()
    await asyncio.to_thread(thread.join, READY_WITHIN_SECONDS)
    yield


def _warm_up() -> None:
    try:
        _prepared()
    except Exception as err:  # noqa: BLE001 -- the first page loads what is missing, and says what is wrong
        logging.getLogger("rollout").warning("avvio senza dati precaricati (%s)", type(err).__name__)


@st.cache_resource(show_spinner=False)
def _prepared() -> bool:
    """The data first (the longest), then what the first page's run would otherwise load itself:
    the modules of the pages (Altair among them) and the provinces' boundaries of the map.

    Cached itself so that the cached functions it calls are nested ones: Streamlit shows a
    spinner (and, outside a page's run, warns that there is no page to show it on) only for the
    outermost cached call, here one without a spinner.
    """
    from ui.data import warm_up

    warm_up()
    from rollout.outputs import charts, maps, picture  # noqa: F401 -- loaded for the first page
    from ui import context, derived, downloads  # noqa: F401

    maps.provinces_topology()
    # Streamlit collects all garbage after every script run (``runner.postScriptGC``), walking every
    # object the process holds. ``ui.data`` leaves the loaded sources (and what was imported before)
    # out of later collections; the pages' modules (Altair's) and the boundaries loaded here are
    # 40,000 objects more, 0.008 s per run at national scale: left out too, as they live as long.
    gc.collect()
    gc.freeze()
    return True


app = st.App(
    "dashboard.py",
    lifespan=lifespan,
    middleware=[Middleware(RouteGate, base_url=st.get_option("server.baseUrlPath")), Middleware(KeptAssets)],
)
