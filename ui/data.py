"""Loading, cached where data is fetched; everything downstream stays pure and testable."""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from data_sources import SourceError, describe_source, gsecrets
from data_sources.gsecrets import SheetsAccess
from rollout import pipeline
from rollout.config import Config, find_config, load_config
from rollout.errors import InputError
from rollout.pipeline import Prepared, SourceState
from rollout.status import Settings, Snapshot


@dataclass(frozen=True)
class Loaded:
    """The result of one load: the prepared data, or the message explaining why there is none."""

    error: str
    loaded_at: dt.datetime
    sources: tuple[str, str]
    key: tuple
    result: pipeline.Load | None = None  # the prepared data and how each source was read

    @property
    def prepared(self) -> Prepared | None:
        return self.result.prepared if self.result else None

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def states(self) -> tuple[SourceState, ...]:
        """How each source was read (fresh, or its last good copy)."""
        return self.result.sources if self.result else ()

    @property
    def stale(self) -> tuple[SourceState, ...]:
        """The sources shown from their last good copy: reading them failed now, or what was read is suspect."""
        return self.result.stale if self.result else ()

    @property
    def last_success(self) -> dt.datetime:
        """When the data on screen were last read successfully."""
        return self.result.last_success if self.result else self.loaded_at


def current_config() -> tuple[Config | None, str]:
    """The configuration in force, or an Italian message when it cannot be read."""
    try:
        return load_config(), ""
    except InputError as err:
        return None, str(err)


def load(config: Config, token: int, accept: frozenset[str] = frozenset()) -> Loaded:
    """Read and prepare both sources, at most once per TTL window or reload ``token``; ``accept``:
    the fingerprints of suspect fresh data the user accepted (``pipeline.load``)."""
    path, _ = find_config()
    mtime = path.stat().st_mtime if path.exists() else 0.0
    bucket = int(time.time() // config.cache.ttl_seconds)
    return _load(config, str(path), mtime, bucket, token, tuple(sorted(accept)))


@st.cache_resource(show_spinner="Caricamento dei dati…", max_entries=4)
def _load(_config: Config, path: str, mtime: float, bucket: int, token: int, accept: tuple[str, ...]) -> Loaded:
    key = (path, mtime, bucket, token, accept)
    now = dt.datetime.now(dt.UTC)
    sources = (
        describe_source(_config.comuni.location) if _config.comuni else "",
        describe_source(_config.submissions.location) if _config.submissions else "",
    )
    try:
        with _long_lived():
            result = pipeline.load(
                _config, access=sheets_access(), cache_dir=pipeline.cache_folder(_config), accept=frozenset(accept)
            )
    except (InputError, SourceError) as err:
        return Loaded(str(err), now, sources, key)
    return Loaded("", now, sources, key, result)


@contextmanager
def _long_lived() -> Iterator[None]:
    """Build data that the process keeps (the loaded sources) without the cyclic garbage collector,
    then leave it out of later collections (the standard library's ``gc.freeze``).

    A full collection walks every object the process holds: at national scale each took about
    0.1 s, five of them during the first load and one every few reruns after it. What earlier
    loads kept is handed back to the collector first and collected, so that a reload frees what
    no one uses any more (the first load skips that: nothing is frozen yet).
    """
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def sheets_access() -> SheetsAccess | None:
    """The Google service account: ``$ROLLOUT_SECRETS``, else Streamlit's secrets (``st.secrets``:
    the app's and the user's .streamlit/secrets.toml, or a host's secrets), else the project's file."""
    if os.environ.get(gsecrets.ENV_VAR):
        return gsecrets.find_secrets()
    try:
        connections = st.secrets.get("connections")
    except FileNotFoundError:  # no secrets file, or one Streamlit cannot parse (documented behaviour)
        connections = None
    table = connections.get("gsheets") if isinstance(connections, Mapping) else None
    if isinstance(table, Mapping):
        return gsecrets.from_table(table, Path.cwd(), "secrets di Streamlit")
    return gsecrets.find_secrets()


def snapshot_key(loaded: Loaded, settings: Settings) -> tuple:
    """What identifies a snapshot: the load and the moment looked at (a cache key for what derives from it)."""
    return (loaded.key, settings.deadline.isoformat(), settings.as_of.isoformat(), settings.tz)


def snapshot_at(loaded: Loaded, settings: Settings) -> Snapshot:
    return _snapshot(
        loaded.prepared, loaded.key, settings.deadline.isoformat(), settings.as_of.isoformat(), settings.tz
    )


@st.cache_resource(max_entries=32, show_spinner=False)
def _snapshot(_prepared: Prepared, key: tuple, deadline: str, as_of: str, tz: str) -> Snapshot:
    return _prepared.at(Settings(dt.date.fromisoformat(deadline), pd.Timestamp(as_of), tz))


def warm_up() -> None:
    """Read and prepare the configured sources into the cache as the server starts, before the
    first visitor (``server.py``): the first page then finds them loaded, or being loaded. Nothing
    is shown; an error is left for the page to show."""
    config, _ = current_config()
    if config is None:
        return
    loaded = load(config, 0)  # 0: the reload token of a new session
    if loaded.ok:
        settings = Settings(config.deadline, default_as_of(config).tz_convert("UTC"), config.timezone)
        snapshot_at(loaded, settings)
        snapshot_at(loaded, settings.week_before())


def default_as_of(config: Config) -> pd.Timestamp:
    """The moment a new session looks at, local, to the minute: the configured ``as_of``, else now."""
    default = (config.as_of or pd.Timestamp.now(tz="UTC")).tz_convert(config.timezone)
    return default.replace(second=0, microsecond=0)
