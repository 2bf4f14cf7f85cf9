"""When and how long to wait before trying a remote source again: one rule for every remote read.

Four attempts on 429 and 5xx (waits of 1, 2, 4 s), or what the server's ``Retry-After`` asks for,
never more than ``MAX_WAIT_SECONDS`` at a time.
"""

from __future__ import annotations

import datetime as dt
import email.utils

ATTEMPTS = 4  # one call and at most three retries
BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 10.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def wait_seconds(attempt: int, retry_after: str | None, backoff: float = BACKOFF_SECONDS) -> float:
    """The wait after failed ``attempt`` (1-based): ``Retry-After`` (seconds or an HTTP date) if given."""
    header = (retry_after or "").strip()
    if header.isdigit():
        return min(float(header), MAX_WAIT_SECONDS)
    if header:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, min((when - dt.datetime.now(dt.UTC)).total_seconds(), MAX_WAIT_SECONDS))
    return min(backoff * 2 ** (attempt - 1), MAX_WAIT_SECONDS)
