"""The dashboard with a warm start: ``streamlit run server.py``.

The same app as ``streamlit run dashboard.py``, started through Streamlit's ``st.App``: as the
server starts, it reads and prepares the configured sources (``ui.data.warm_up``) and begins
serving once they are ready, or after ``READY_WITHIN_SECONDS`` (a slow Google Sheet), the load
going on meanwhile. The first visitor then finds the data loaded instead of waiting for it.
"""

import asyncio
import logging
import threading
from contextlib import asynccontextmanager

import streamlit as st

READY_WITHIN_SECONDS = 15.0
WARM_UP_THREAD = "rollout-warm-up"


@asynccontextmanager
async def lifespan(app: st.App):
    # Streamlit warns when its caches are filled outside a page's run: expected here, not logged.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: record.threadName != WARM_UP_THREAD
    )
    thread = threading.Thread(target=_warm_up, name=WARM_UP_THREAD, daemon=True)
    thread.start()
    await asyncio.to_thread(thread.join, READY_WITHIN_SECONDS)
    yield


def _warm_up() -> None:
    """The data first (the longest), then what the first page's run would otherwise load itself:
    the modules of the pages (Altair among them) and the provinces' boundaries of the map."""
    try:
        from ui.data import warm_up

        warm_up()
        from rollout.outputs import charts, maps, picture  # noqa: F401 -- loaded for the first page
        from ui import context, derived, downloads  # noqa: F401

        maps.provinces_topology()
    except Exception as err:  # noqa: BLE001 -- the first page loads what is missing, and says what is wrong
        logging.getLogger("rollout").warning("avvio senza dati precaricati (%s)", type(err).__name__)


app = st.App("dashboard.py", lifespan=lifespan)
