"""Load → prepare → evaluate: the one path the dashboard, the command line and the benchmark share.

Read both sources; a remote source (a URL or a Google Sheet) that cannot be read is replaced by its
last good copy on disk, marked stale with the reason. A fresh remote table that the core cannot use
(a renamed header) is treated the same way, and so is one that is suspect against its last good
copy (``SHRINK_RULES``: a form's responses only grow; a comuni list may lose a few rows) until the
user accepts it. Fresh copies are saved only once they have been prepared successfully, so a bad
read never overwrites the last good data, and stale data never drive sending (``Load.send_refusal``).
Then recognise, normalise and match both tables once (``Prepared``), and evaluate at any ``as_of``.

A third source is optional: IndicePA's contacts (``config.contacts``). It is read the same way,
with its last good copy, but it never stops a load: when it cannot be read nor taken from a copy,
the load goes on without it and says so in one warning (``SourceState.note``), and a copy of it in
use never holds back sending (the addresses are a week old, not the comuni to chase).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from data_sources import Grid, SourceError, read_source
from data_sources.gsecrets import SheetsAccess, find_secrets
from data_sources.last_good import Change, ShrinkRule, SnapshotStore, read_with_fallback
from data_sources.reader import describe_source, remote_identity
from rollout.config import Config, SourceSpec
from rollout.errors import InputError
from rollout.italian import moment
from rollout.read.comuni import ComuniList, load_comuni
from rollout.read.matching import ComuneMatcher
from rollout.read.registry import Registry, join_registry, load_registry
from rollout.read.responses import Responses, prepare_responses
from rollout.status import Settings, Snapshot, evaluate


@dataclass(frozen=True)
class Prepared:
    """Everything that does not depend on ``as_of``: computed once per load."""

    comuni: ComuniList
    responses: Responses
    matcher: ComuneMatcher

    def at(self, settings: Settings) -> Snapshot:
        return evaluate(self.responses, self.comuni, settings)


def read_grid(spec: SourceSpec, access: SheetsAccess | None = None) -> Grid:
    """Read one source; ``access`` is the Google service account, for Google Sheet links."""
    return read_source(spec.location, sheet=spec.sheet, base_dir=spec.base_dir, access=access)


def prepare(config: Config, comuni_grid: Grid, responses_grid: Grid, registry: Registry | None = None) -> Prepared:
    """Recognise, normalise and match both tables (raises InputError/SourceError on bad input);
    ``registry``: IndicePA's contacts, joined to the comuni (``rollout.read.registry``)."""
    comuni = load_comuni(comuni_grid, config.columns_comuni)
    if len(comuni) == 0:
        raise InputError(f"L'elenco dei comuni ({comuni_grid.origin}) non contiene nessun comune partecipante.")
    comuni = join_registry(comuni, registry)
    matcher = ComuneMatcher(comuni.frame, config.aliases)
    responses = prepare_responses(
        responses_grid, matcher, overrides=config.columns_submissions, tz=config.timezone, date_order=config.date_order
    )
    return Prepared(comuni, responses, matcher)


def settings_for(config: Config, as_of: pd.Timestamp | None = None) -> Settings:
    config.require()
    moment = as_of if as_of is not None else config.as_of
    if moment is None:
        moment = pd.Timestamp.now(tz="UTC").floor("s")
    return Settings(config.deadline, moment, config.timezone)


def run(config: Config) -> Snapshot:
    """Read the sources named by ``config`` (no copies on disk) and compute the snapshot at its ``as_of``."""
    return load(config).prepared.at(settings_for(config))


ROLES = ("elenco dei comuni", "risposte")
# When a fresh read is suspect against the last good copy, per role. A form's responses only grow:
# one row fewer, or first rows that changed, is suspect. A comuni list may lose a few rows (a comune
# withdrawn, a duplicate removed): more than 2 rows *and* more than 1 % of them is suspect.
SHRINK_RULES = (ShrinkRule(max_lost_rows=2, max_lost_share=0.01), ShrinkRule(grows_only=True))
CONTACTS_ROLE = "contatti IndicePA"
# IndicePA loses rows legitimately (comuni merged, administrations closed: tens in a month, out of
# about 23,000): a read that loses more than 50 rows *and* more than 2 % of them (a cut or filtered
# download, another file) is suspect.
CONTACTS_RULE = ShrinkRule(max_lost_rows=50, max_lost_share=0.02)
ACCEPT_FLAG = "--accept-smaller"


@dataclass(frozen=True)
class SourceState:
    """How one source was read this time."""

    role: str  # "elenco dei comuni" or "risposte"
    origin: str
    loaded_at: dt.datetime | None  # when its data were read (for a stale source: the last good read)
    stale_reason: str = ""  # why the source could not be used now; its last good copy is in use
    note: str = ""  # a warning about the copy on disk
    change: Change | None = None  # fresh data held back (stale) or accepted (not stale) against the last copy
    optional: bool = False  # IndicePA's contacts: a copy in use is shown, but never holds back sending

    @property
    def suspect(self) -> bool:
        """Fresh data were read but held back: the user may accept them."""
        return bool(self.stale_reason) and self.change is not None

    @property
    def accepted(self) -> bool:
        return not self.stale_reason and self.change is not None


@dataclass(frozen=True)
class Load:
    """The prepared data and where they come from."""

    prepared: Prepared
    sources: tuple[SourceState, ...]
    at: dt.datetime  # when this load ran (UTC)

    @property
    def stale(self) -> tuple[SourceState, ...]:
        return tuple(s for s in self.sources if s.stale_reason)

    @property
    def suspect(self) -> tuple[SourceState, ...]:
        return tuple(s for s in self.sources if s.suspect)

    @property
    def stale_required(self) -> tuple[SourceState, ...]:
        """The stale sources that decide who is chased: the comuni list and the responses."""
        return tuple(s for s in self.stale if not s.optional)

    @property
    def last_success(self) -> dt.datetime:
        """When every source in use was last read successfully: now, unless a copy is in use."""
        return min([self.at, *(s.loaded_at for s in self.stale if s.loaded_at)])

    def send_refusal(self, tz: str, how_to_accept: str = f"rilancia con {ACCEPT_FLAG}") -> str:
        """Why no reminder may be sent from these data (one Italian clause), or "" when they are up to date.

        Sending acts on the world: never from a last good copy, whether the source failed or its
        fresh data are suspect (a comune that answered would be chased), until the data are read
        again or accepted.
        """
        if not self.stale_required:
            return ""
        return "; ".join(stale_message(s, tz, how_to_accept) for s in self.stale_required)


def cache_folder(config: Config) -> Path:
    """``[cache] folder`` (relative to the configuration file); default ``.rollout-cache`` beside it."""
    return config.cache_dir


def load(
    config: Config,
    *,
    access: SheetsAccess | None = None,
    cache_dir: Path | None = None,
    accept: bool | frozenset[str] = False,
) -> Load:
    """Read and prepare the sources; raise InputError/SourceError only when there is no usable data
    (IndicePA's contacts, optional, never raise: see ``_load_contacts``).

    ``accept``: fresh data that are suspect against the last good copy are taken all the same: all
    (True, ``--accept-smaller``) or those whose ``Change.fingerprint`` is listed (what the user saw).
    """
    config.require()
    at = dt.datetime.now(dt.UTC)
    store = SnapshotStore(cache_dir) if cache_dir is not None else None
    specs = [spec for spec in (config.comuni, config.submissions) if spec is not None]
    keys = [remote_identity(s.location, s.sheet, access) for s in specs]
    rules = SHRINK_RULES[: len(specs)]
    reads = [_read(spec, key, access, store, rule, accept) for spec, key, rule in zip(specs, keys, rules, strict=True)]
    grids = [grid for grid, _ in reads]
    changes = [change for _, change in reads]
    registry, contacts = _load_contacts(config, access, store, accept)
    try:
        prepared = prepare(config, *grids, registry)
    except (InputError, SourceError) as err:
        prepared, swapped = _prepare_last_good(config, grids, keys, store, err, registry)
        changes = [None if new is not old else c for new, old, c in zip(swapped, grids, changes, strict=True)]
        grids = swapped
    notes = [
        store.save(key, grid) if store is not None and key is not None and not grid.stale else ""
        for grid, key in zip(grids, keys, strict=True)
    ]
    sources = tuple(
        SourceState(role, grid.origin, grid.loaded_at, grid.stale_reason, note, change)
        for role, grid, note, change in zip(ROLES, grids, notes, changes, strict=True)
    )
    return Load(prepared, sources + ((contacts,) if contacts else ()), at)


def _read(
    spec: SourceSpec,
    key: str | None,
    access: SheetsAccess | None,
    store: SnapshotStore | None,
    rule: ShrinkRule,
    accept: bool | frozenset[str],
) -> tuple[Grid, Change | None]:
    if key is None:
        return read_grid(spec, access), None
    return read_with_fallback(lambda: read_grid(spec, access), key, store, rule, accept)


def _load_contacts(
    config: Config, access: SheetsAccess | None, store: SnapshotStore | None, accept: bool | frozenset[str]
) -> tuple[Registry | None, SourceState | None]:
    """IndicePA's contacts: fresh, else their last good copy (stale), else none with one warning.

    Fresh data that cannot be used (no recognisable header) keep the last good copy, as for the
    other sources; the fresh copy is saved only once it has been read as a registry.
    """
    spec = config.contacts
    if spec is None:
        return None, None
    key = remote_identity(spec.location, spec.sheet, access)
    try:
        grid, change = _read(spec, key, access, store, CONTACTS_RULE, accept)
    except SourceError as err:
        return None, _contacts_missing(spec, err)
    try:
        registry = load_registry(grid, config.columns_contacts)
    except (InputError, SourceError) as err:
        last = store.load(key) if store is not None and key is not None and not grid.stale else None
        try:
            registry = load_registry(last, config.columns_contacts) if last is not None else None
        except (InputError, SourceError):
            registry = None
        if registry is None or last is None:
            return None, _contacts_missing(spec, err)
        reason = f"i dati appena letti non sono utilizzabili: {err}"
        return registry, SourceState(CONTACTS_ROLE, last.origin, last.loaded_at, reason, optional=True)
    note = store.save(key, registry.slim(grid)) if store is not None and key is not None and not grid.stale else ""
    state = SourceState(CONTACTS_ROLE, grid.origin, grid.loaded_at, grid.stale_reason, note, change, optional=True)
    return registry, state


def _contacts_missing(spec: SourceSpec, err: Exception) -> SourceState:
    """The one warning of a load without IndicePA's contacts."""
    note = (
        f"{CONTACTS_ROLE} non disponibili ({str(err).rstrip('.')}). Sono facoltativi: i promemoria usano gli "
        "indirizzi dell'elenco dei comuni e di chi ha compilato il modulo."
    )
    return SourceState(CONTACTS_ROLE, describe_source(spec.location), None, note=note, optional=True)


def _prepare_last_good(
    config: Config,
    grids: list[Grid],
    keys: list[str | None],
    store: SnapshotStore | None,
    err: Exception,
    registry: Registry | None = None,
) -> tuple[Prepared, list[Grid]]:
    """The core refused fresh data: retry with the last good copy of the responses, of the comuni
    list, of both (only fresh remote sources have one); re-raise ``err`` when none of that works."""
    last = [
        store.load(key) if store is not None and key is not None and not grid.stale else None
        for grid, key in zip(grids, keys, strict=True)
    ]
    reason = f"i dati appena letti non sono utilizzabili: {err}"
    for swap in ((1,), (0,), (0, 1)):
        if any(last[i] is None for i in swap):
            continue
        trial = [replace(last[i], stale_reason=reason) if i in swap else g for i, g in enumerate(grids)]  # type: ignore[arg-type]
        try:
            return prepare(config, *trial, registry), trial
        except (InputError, SourceError):
            continue
    raise err


def report_load(
    config: Config,
    *,
    secrets: str | None = None,
    strict: bool = False,
    accept_smaller: bool = False,
    env: Mapping[str, str] | None = None,
) -> tuple[Load, list[str]]:
    """For the command line: the load (with the last good copies on disk) and the warnings to print.

    A source read from its last good copy is a warning, or with ``strict`` an InputError.
    ``accept_smaller`` takes fresh data that are suspect against the last good copy (each one is a
    warning). Whether the data may drive a sending is for ``rollout.usecases.sending`` to decide.
    """
    result = load(config, access=find_secrets(secrets, env), cache_dir=cache_folder(config), accept=accept_smaller)
    if strict and result.stale_required:
        raise InputError(f"{stale_message(result.stale_required[0], config.timezone)} (--strict: nessun file scritto)")
    warnings = [stale_message(s, config.timezone) for s in result.stale]
    warnings += [f"accettati i nuovi dati ({s.role}): {s.change.describe()}." for s in result.sources if s.accepted]  # type: ignore[union-attr]
    warnings += [s.note for s in result.sources if s.note]
    return result, warnings


def run_report(
    config: Config,
    *,
    secrets: str | None = None,
    strict: bool = False,
    accept_smaller: bool = False,
    env: Mapping[str, str] | None = None,
) -> tuple[Snapshot, list[str]]:
    """``report_load``, then the snapshot at ``config``'s as_of, and the warnings."""
    result, warnings = report_load(config, secrets=secrets, strict=strict, accept_smaller=accept_smaller, env=env)
    return result.prepared.at(settings_for(config)), warnings


def stale_message(source: SourceState, tz: str, how_to_accept: str = f"rilancia con {ACCEPT_FLAG}") -> str:
    """One line: since when the data of ``source`` are not up to date, and why (and, when fresh data
    were held back, how to accept them)."""
    since = moment(source.loaded_at, tz) or "?"
    line = f"dati non aggiornati dal {since} ({source.role}, uso l'ultima copia letta): {source.stale_reason}"
    if source.suspect:
        line += f". Se i nuovi dati sono giusti, {how_to_accept}."
    return line
