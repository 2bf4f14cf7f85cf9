"""Load → prepare → evaluate: the one path the dashboard, the command line and the benchmark share."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data_sources import Grid, read_source
from data_sources.gsecrets import SheetsAccess
from rollout.comuni import ComuniList, load_comuni
from rollout.config import Config, SourceSpec
from rollout.errors import InputError
from rollout.matching import ComuneMatcher
from rollout.responses import Responses, prepare_responses
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


def prepare(config: Config, comuni_grid: Grid, responses_grid: Grid) -> Prepared:
    """Recognise, normalise and match both tables (raises InputError/SourceError on bad input)."""
    comuni = load_comuni(comuni_grid, config.columns_comuni)
    if len(comuni) == 0:
        raise InputError(f"L'elenco dei comuni ({comuni_grid.origin}) non contiene nessun comune partecipante.")
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
    """Read both sources named by ``config`` and compute the snapshot at its ``as_of``."""
    config.require()
    prepared = prepare(config, read_grid(config.comuni), read_grid(config.submissions))
    return prepared.at(settings_for(config))
