"""Shared fixtures: build small campaigns from CSV text the way users' files look."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings

from data_sources import read_source
from rollout.config import Config, parse_as_of, parse_deadline
from rollout.pipeline import prepare
from rollout.status import Settings, Snapshot

# Property tests: fixed example budgets, the same examples on every run, and no per-example time
# limit (speed is the benchmark's business; a loaded CI machine must not fail a correct example).
hypothesis_settings.register_profile("rollout", derandomize=True, deadline=None, database=None)
hypothesis_settings.load_profile("rollout")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

FORM_HEADER = (
    "Informazioni cronologiche,Indirizzo email,Comune,Cognome del dipendente,Nome del dipendente,"
    "Indirizzo email del dipendente,Permessi da assegnare"
)
COMUNI_CSV = """Comune,Provincia,Codice ISTAT,Referente,Email referente
Montecorvino Rovella,SA,065074,Anna Greco,segreteria@comune.montecorvinorovella.sa.it
Castel d'Azzano,VR,023021,Paolo Rossi,
Paterno,PZ,076100,,protocollo@comune.paterno.pz.it
Paternò,CT,087033,,
Calliano,TN,022035,,
Calliano,AT,005013,,
Melito di Napoli,NA,063045,Ciro Esposito,urp@comune.melito.na.it
"""


def grid(text: str, name: str = "test.csv"):
    buffer = io.BytesIO(text.encode("utf-8"))
    buffer.name = name
    return read_source(buffer)


def snapshot(
    responses_csv: str,
    comuni_csv: str = COMUNI_CSV,
    deadline: str = "2023-09-13",
    as_of: str = "2023-09-29T12:00:00",
    config: Config | None = None,
) -> Snapshot:
    """The snapshot of a campaign given as two CSV texts."""
    config = config or Config()
    prepared = prepare(config, grid(comuni_csv, "comuni.csv"), grid(responses_csv, "risposte.csv"))
    return prepared.at(Settings(parse_deadline(deadline), parse_as_of(as_of), config.timezone))


def responses(*lines: str, header: str = FORM_HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def by_name(snap: Snapshot, name: str, province: str | None = None) -> pd.Series:
    c = snap.comuni
    mask = c["name"] == name
    if province:
        mask &= c["province"] == province
    assert mask.sum() == 1, f"{name} {province}: {mask.sum()} rows"
    return c.loc[mask].iloc[0]


def run_app(page: str | None = None, **state):
    """The dashboard in Streamlit's AppTest, with session-state values set before the first run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """``python -m rollout ARGS`` in this process (one subprocess smoke test per command elsewhere)."""
    from rollout.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return CliResult(code, out.getvalue(), err.getvalue())


def submit_button(at, label: str):
    """The form's submit button with this label (AppTest lists it among the buttons)."""
    return next(b for b in at.button if b.label == label)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium (Playwright), one per browser test module."""
    from browser import launch_chromium

    yield from launch_chromium()
