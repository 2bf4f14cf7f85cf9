"""National-scale benchmark of the core pipeline: ``python bench/benchmark.py [--check]``.

It generates (deterministically, from a seed) a campaign the size of the whole 1.4.1 measure,
about 6,600 participating comuni and 30,000 form responses typed the way people type, then
measures, in this one process, the path the dashboard and the command line share:
``read_grid`` (both files) -> ``prepare`` -> ``Prepared.at`` -> Snapshot.

- pipeline cold: the first call in the process (lazy loading of the national list, empty caches);
- pipeline warm: the median of further calls in the same process;
- bare read_csv: the median of ``pd.read_csv(path)`` with defaults on the same two files, summed;
- peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of this process (interpreter, imports
  and pipeline runs; the data are generated in a child process, which does not count).

Then, as whole processes on the same files (issue 10):

- ``python -m rollout report`` (every output written) against a bare process that reads the same
  two files with ``pandas.read_csv(dtype=str, keep_default_na=False)``, alternated 3 times, best
  of each, their ratio, and the report's peak RSS (``wait4``: its largest process, workers
  included);
- the seconds of each output file (``write_report`` in a fresh process);
- the dashboard: a real ``streamlit run`` on 127.0.0.1 over the same data, driven by Debian's
  chromium through Playwright: Panoramica's first full render on a fresh server, then every page
  switch and a filter change (the sidebar's search), from the click until the page is drawn and
  the script run has finished (``data-test-script-state``), on a first visit and again.

Targets: pipeline <= 1 s (cold and warm), warm/read_csv <= 5, peak RSS <= 400 MB; report/bare
<= 6 and its peak RSS <= 400 MB; Panoramica first render <= 2 s, page switch or filter <= 0.5 s.
The script always exits 0 (it is a measurement); with ``--check`` it exits 1 when a target is
missed. It prints the machine's load average: on a shared machine every figure moves with it.

The synthetic-campaign helpers live in ``rollout.synthetic`` (shared with the demo generator).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import json
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from codicefiscale import codicefiscale as cf

from rollout.config import Config, parse_config
from rollout.pipeline import prepare, read_grid, settings_for
from rollout.read.reference import national_comuni
from rollout.status import Snapshot
from rollout.synthetic import (
    DEADLINE,
    LAST_DAY,
    OPTIONS,
    REQUEST_SENT,
    office_hours,
    official,
    slug,
    stamp,
    strip_accents,
    typo,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = 20230913
N_COMUNI = 6600
N_RESPONSES = 30000
COMUNI_FILE = "comuni.csv"
RESPONSES_FILE = "risposte.csv"
TRUTH_FILE = "truth.csv"
AS_OF = "2023-09-30T12:00:00"
TARGET_SECONDS = 1.0
TARGET_RATIO = 5.0
TARGET_RSS_MB = 400.0

COMUNI_HEADERS = ["Comune", "Provincia", "Codice catastale", "Referente", "Email referente", "PEC", "Ondata",
                  "Messa online prevista"]  # fmt: skip
RESPONSE_HEADERS = [
    "Informazioni cronologiche",
    "Indirizzo email",
    "Comune",
    "Cognome del dipendente",
    "Nome del dipendente",
    "Codice fiscale del dipendente",
    "Indirizzo email del dipendente",
    "Ufficio di appartenenza",
    "Permessi da assegnare al dipendente",
]
FIRST_M = ("Antonio Giuseppe Giovanni Francesco Vincenzo Salvatore Luigi Carmine Gerardo Pasquale Alfonso Raffaele "
           "Michele Domenico Nicola Enzo Rocco Ciro Massimo Paolo Marco Luca Andrea Matteo Alessandro Stefano Roberto "
           "Davide Simone Federico Lorenzo Fabio Daniele Riccardo Emanuele Claudio Sergio Mauro Gianluca Piero").split()  # fmt: skip
FIRST_F = ("Maria Anna Giuseppina Rosa Carmela Teresa Angela Lucia Assunta Antonella Raffaella Annalisa Filomena "
           "Stefania Concetta Giovanna Elena Marta Sara Ilaria Francesca Chiara Laura Silvia Valentina Federica Paola "
           "Roberta Giulia Alessandra Monica Cristina Barbara Daniela Simona Elisa Sabrina Michela Claudia Patrizia").split()  # fmt: skip
SURNAMES = [*("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Mancini "
            "Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli "
            "Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola D'Angelo Marchetti Parisi Villa "
            "Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala Gatti Pellegrini Palumbo Sanna "
            "Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani "
            "Benedetti Barone Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore Ferretti Bellini "
            "Basile Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino "
            "D'Amico Orlando Negri").split(), "De Luca", "De Santis", "De Angelis", "De Rosa", "Della Monica",
            "Di Lorenzo", "D'Alessio", "Lo Russo", "La Rosa"]  # fmt: skip
OFFICES = ["Area Amministrativa", "Servizi Demografici", "Ufficio Tecnico", "Ufficio Tributi", "Segreteria Generale",
           "Area Vigilanza", "Servizi Sociali", "Area Finanziaria", "Ufficio Protocollo", ""]  # fmt: skip
OTHER_TEXTS = ["Responsabile protocollo", "Albo pretorio", "tutti i permessi", "Editor Servizi Sociali",
               "Editor Polizia Locale"]  # fmt: skip


# -- generation ---------------------------------------------------------------------------------


def messy(name: str, province: str, rng: random.Random) -> str:
    """The comune's name as somebody types it in the form: mostly exact."""
    r = rng.random()
    if r < 0.60:
        return name
    if r < 0.72:
        return rng.choice(["Comune di ", "COMUNE DI ", "comune di ", "Comune di  "]) + name
    if r < 0.80:
        return rng.choice([name.upper(), name.lower()])
    if r < 0.86:
        return name.replace(" ", "  ", 1) + rng.choice([" ", "  ", ""])
    if r < 0.92:
        return name.replace("'", "’") if "'" in name else strip_accents(name) + rng.choice(["", " "])
    if r < 0.96 and len(name) >= 9:
        return typo(name, rng)
    return f"{name} ({rng.choice([province, province.lower(), province])})"


def fiscal_code(surname: str, first_name: str, female: bool, birth: dt.date, place_code: str) -> str:
    """The employee's fiscal code (born in a real comune, by cadastral code: no slow name lookup)."""
    gender = "F" if female else "M"
    born = dt.datetime.combine(birth, dt.time())
    body = cf.encode_lastname(surname) + cf.encode_firstname(first_name) + cf.encode_birthdate(born, gender)
    body += place_code
    return body + cf.encode_cin(body)


@dataclass(frozen=True)
class _Comune:
    name: str
    province: str
    code: str
    domain: str


def _national_by_code() -> dict[str, tuple[str, str]]:
    """Cadastral code -> (name, province): bilingual comuni keep one name, chosen deterministically."""
    names: dict[str, list[tuple[str, str]]] = {}
    for m in national_comuni():
        names.setdefault(m.cadastral, []).append((m.name, m.province))
    return {code: min(pairs) for code, pairs in sorted(names.items())}


def build(
    rng: random.Random, n_comuni: int = N_COMUNI, n_responses: int = N_RESPONSES
) -> tuple[list[list[str]], list[list[str]]]:
    """The PM's comuni list and the form's response rows (headers included), as lists of cells."""
    national = _national_by_code()
    codes = sorted(national)
    chosen = rng.sample(codes, min(n_comuni, len(codes)))
    outsiders = sorted(set(codes) - set(chosen))
    chosen.sort(key=lambda c: (national[c][1], official(national[c][0]), c))

    comuni_rows = [COMUNI_HEADERS]
    participants: list[_Comune] = []
    for code in chosen:
        raw_name, prov = national[code]
        name = official(raw_name)
        domain = f"comune.{slug(name)}.{prov.lower()}.it"
        r = rng.random()
        contact = f"{rng.choice(FIRST_M + FIRST_F)} {rng.choice(SURNAMES)}" if r < 0.95 else ""
        email = f"segreteria@{domain}" if r < 0.85 else ""
        pec = f"protocollo@pec.{domain}" if r < 0.95 else ""
        wave = rng.choice(["1", "1", "2", "2", "3"])
        golive = {"1": "15/10/2023", "2": "15/11/2023", "3": "15/12/2023"}[wave]
        comuni_rows.append([name, prov, code, contact, email, pec, wave, golive])
        participants.append(_Comune(name, prov, code, domain))

    # Employees per answering comune, sized so that the total is about n_responses.
    answering_share = 0.85
    emp_counts = list(range(1, 11))
    emp_weights = [8, 12, 14, 14, 13, 11, 9, 7, 6, 6]
    mean_emp = sum(c * w for c, w in zip(emp_counts, emp_weights, strict=True)) / sum(emp_weights)
    correction_rate = 0.10
    odd_share = 0.012  # non-participating comuni and invalid rows
    scale = n_responses * (1 - odd_share) / (len(participants) * answering_share * mean_emp * (1 + correction_rate))

    deadline_end = dt.datetime.combine(DEADLINE, dt.time(23, 59, 59))
    responses: list[tuple[dt.datetime, list[str], str]] = []  # (when, cells, code of the comune meant)
    for c in participants:
        fate = rng.random()
        if fate >= answering_share:
            continue  # never answers
        if fate < 0.80 * answering_share:
            first = office_hours(rng, REQUEST_SENT, deadline_end)
        else:
            first = office_hours(rng, deadline_end + dt.timedelta(seconds=1), LAST_DAY)
        fillers = [f"protocollo@{c.domain}", f"segreteria@{c.domain}", f"ced@{c.domain}"]
        n_emp = max(1, round(rng.choices(emp_counts, weights=emp_weights)[0] * scale))
        gives_at = rng.random() < 0.78
        for k in range(n_emp):
            female = rng.random() < 0.55
            first_name = rng.choice(FIRST_F if female else FIRST_M)
            surname = rng.choice(SURNAMES)
            birth = dt.date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28))
            code = fiscal_code(surname, first_name, female, birth, rng.choice([c.code, *rng.sample(codes, 1)]))
            email = f"{slug(first_name)}.{slug(surname)}{rng.randint(1, 99) if rng.random() < 0.1 else ''}@{c.domain}"
            email = email if rng.random() < 0.85 else ""
            perms = set(rng.sample(range(7), rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]))
            if k == 0:
                perms.add(0)
                if gives_at:
                    perms.add(2)
            elif not gives_at:
                perms.discard(2)
                perms = perms or {rng.choice([0, 1, 3, 4, 5, 6])}  # the form requires a tick
            when = first if k == 0 else office_hours(rng, first, min(first + dt.timedelta(days=4), LAST_DAY))
            other = rng.choice(OTHER_TEXTS) if rng.random() < 0.03 else ""
            cell = ", ".join([OPTIONS[i] for i in sorted(perms)] + ([other] if other else []))
            shown_surname = surname.upper() if rng.random() < 0.2 else surname
            filler = rng.choice(fillers)
            row = [filler, messy(c.name, c.province, rng), shown_surname, first_name, code, email,
                   rng.choice(OFFICES), cell]  # fmt: skip
            responses.append((when, row, c.code))
            if rng.random() < correction_rate:  # the same employee answers again: a correction
                fixed = set(perms)
                if len(fixed) > 1 and rng.random() < 0.6:
                    fixed.discard(rng.choice(sorted(fixed - {0}) or [0]))
                else:
                    fixed.add(rng.randrange(7))
                later = office_hours(rng, when, min(when + dt.timedelta(days=5), LAST_DAY))
                again = [
                    row[0],
                    messy(c.name, c.province, rng),
                    *row[2:-1],
                    ", ".join(OPTIONS[i] for i in sorted(fixed)),
                ]
                responses.append((later, again, c.code))

    # Rows that cannot count: comuni that do not take part, no employee, only "Other" text.
    n_odd = max(3, round(n_responses * odd_share))
    for i in range(n_odd):
        when = office_hours(rng, REQUEST_SENT, LAST_DAY)
        kind = i % 4
        if kind < 2:  # a real comune that is not in the list
            name, prov = national[rng.choice(outsiders)]
            domain = f"comune.{slug(name)}.{prov.lower()}.it"
            first_name, surname = rng.choice(FIRST_F), rng.choice(SURNAMES)
            row = [f"protocollo@{domain}", messy(official(name), prov, rng), surname, first_name, "",
                   f"{slug(first_name)}.{slug(surname)}@{domain}", "", OPTIONS[0] + ", " + OPTIONS[2]]  # fmt: skip
            meant = ""
        else:
            c = rng.choice(participants)
            meant = c.code
            if kind == 2:  # nobody named
                row = [f"protocollo@{c.domain}", c.name, "", "", "", "", rng.choice(OFFICES), OPTIONS[5]]
            else:  # only text typed in "Other"
                first_name, surname = rng.choice(FIRST_M), rng.choice(SURNAMES)
                row = [f"segreteria@{c.domain}", c.name, surname, first_name, "", "", "", rng.choice(OTHER_TEXTS)]
        responses.append((when, row, meant))

    responses.sort(key=lambda r: r[0])
    rows = [RESPONSE_HEADERS] + [[stamp(when), *row] for when, row, _ in responses]
    truth = [["row", "code"]] + [[str(i), meant] for i, (_, _, meant) in enumerate(responses, start=2)]
    return comuni_rows, rows, truth


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def generate(
    directory: Path, seed: int = SEED, *, n_comuni: int = N_COMUNI, n_responses: int = N_RESPONSES
) -> tuple[Path, Path]:
    """Write ``comuni.csv`` and ``risposte.csv`` (Google Sheets CSV) into ``directory``; same seed, same bytes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    comuni, responses, truth = build(random.Random(seed), n_comuni, n_responses)
    comuni_path, responses_path = directory / COMUNI_FILE, directory / RESPONSES_FILE
    write_csv(comuni_path, comuni)
    write_csv(responses_path, responses)
    write_csv(directory / TRUTH_FILE, truth)  # which comune each row meant: to check the matching
    return comuni_path, responses_path


def generate_in_child(directory: Path, seed: int, n_comuni: int, n_responses: int) -> tuple[Path, Path]:
    """Generate in a child process, so that this process stays cold (national list not loaded)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--generate-only", "--data-dir", str(directory),
           "--seed", str(seed), "--comuni", str(n_comuni), "--responses", str(n_responses)]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=ROOT)
    return directory / COMUNI_FILE, directory / RESPONSES_FILE


# -- measurement --------------------------------------------------------------------------------


def bench_config(comuni_path: Path, responses_path: Path) -> Config:
    """The configuration a PM would write for these two files."""
    data = {
        "deadline": DEADLINE,
        "as_of": AS_OF,
        "timezone": "Europe/Rome",
        "comuni": str(Path(comuni_path).resolve()),
        "submissions": str(Path(responses_path).resolve()),
    }
    return parse_config(data, Path(comuni_path).resolve().parent)


def run_pipeline(config: Config) -> Snapshot:
    """The measured path: both files read, prepared and evaluated at ``as_of``."""
    prepared = prepare(config, read_grid(config.comuni), read_grid(config.submissions))
    return prepared.at(settings_for(config))


def bare_read(paths: tuple[Path, Path]) -> None:
    for path in paths:
        pd.read_csv(path)


def bare_read_text(paths: tuple[Path, Path]) -> None:
    for path in paths:
        pd.read_csv(path, dtype=str, keep_default_na=False)


def print_accuracy(snap: Snapshot, truth_path: Path) -> None:
    """How the comune matching did against the comune each generated row meant."""
    if not truth_path.exists():
        return
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False).set_index("row")["code"]
    truth.index = truth.index.astype(int)
    rows = snap.responses.rows
    codes = snap.comuni["code"].to_numpy()
    got = pd.Series(["" if c < 0 else codes[c] for c in rows["cid"]], index=rows.index)
    meant = truth.reindex(rows.index).fillna("")
    inside = meant != ""
    right = int((inside & (got == meant)).sum())
    wrong = int((inside & (got != "") & (got != meant)).sum())
    missed = int((inside & (got == "")).sum())
    outsiders_taken = int((~inside & (got != "")).sum())
    print(f"matching (vs generator):  {right} right, {wrong} wrong comune, {missed} not matched "
          f"(ambiguous or too far) of {int(inside.sum())} rows of listed comuni; "
          f"{outsiders_taken} of {int((~inside).sum())} other rows taken for a listed comune")  # fmt: skip


def timed(func: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass(frozen=True)
class Figures:
    cold: float
    warm: float
    warm_all: tuple[float, ...]
    bare: float
    rss_before_mb: float
    rss_mb: float
    heap_mb: float | None
    snapshot: Snapshot

    @property
    def ratio(self) -> float:
        return self.warm / self.bare if self.bare else float("inf")

    def targets(self) -> list[tuple[str, float, float, str]]:
        return [
            ("pipeline cold <= 1 s", self.cold, TARGET_SECONDS, "s"),
            ("pipeline warm <= 1 s", self.warm, TARGET_SECONDS, "s"),
            ("warm / read_csv <= 5", self.ratio, TARGET_RATIO, "x"),
            ("peak RSS <= 400 MB", self.rss_mb, TARGET_RSS_MB, "MB"),
        ]


REFERENCE_CACHED = False


def reference_cache_present() -> bool:
    """Whether the national index will come from the reference cache (see rollout.read.reference)."""
    from rollout.read import names, text
    from rollout.read.reference import ReferenceCache

    cache = ReferenceCache("national-index", [Path(names.__file__), Path(text.__file__)])
    return cache.path.exists()


def measure(paths: tuple[Path, Path], *, warm_runs: int = 5, bare_runs: int = 7, heap: bool = True) -> Figures:
    config = bench_config(*paths)
    rss_before = peak_rss_mb()
    global REFERENCE_CACHED
    REFERENCE_CACHED = reference_cache_present()
    cold, snapshot = timed(lambda: run_pipeline(config))
    warm_all = tuple(timed(lambda: run_pipeline(config))[0] for _ in range(warm_runs))
    bare_all = [timed(lambda: bare_read(paths))[0] for _ in range(bare_runs)]
    rss = peak_rss_mb()  # before tracemalloc, whose bookkeeping would inflate it
    heap_mb = None
    if heap:
        tracemalloc.start()
        run_pipeline(config)
        heap_mb = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
    return Figures(cold, statistics.median(warm_all), warm_all, statistics.median(bare_all), rss_before, rss,
                   heap_mb, snapshot)  # fmt: skip


def report(fig: Figures, paths: tuple[Path, Path], seed: int) -> bool:
    """Print the figures; True when every target is met."""
    snap = fig.snapshot
    size = " + ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in paths)
    outcomes = ", ".join(f"{k} {v}" for k, v in snap.outcome_counts.items())
    totals = ", ".join(f"{k} {v}" for k, v in snap.totals.items())
    print(f"Rollout tracker benchmark (seed {seed}; {size}; in {paths[0].parent})")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine:                  {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) at the start")
    print(f"comuni (participating):   {len(snap.comuni)}")
    print(f"responses (rows):         {len(snap.rows)}")
    print(f"outcomes:                 {outcomes}")
    print(f"  counted / unmatched / invalid: {snap.outcome_counts['counted']} / "
          f"{snap.outcome_counts['unmatched']} / {snap.outcome_counts['invalid']}")  # fmt: skip
    print(f"totals:                   {totals}")
    where = "read from the reference cache" if REFERENCE_CACHED else "built, no reference cache yet"
    print(f"pipeline cold:            {fig.cold:.3f} s  (first call in the process; national index {where})")
    print(f"pipeline warm:            {fig.warm:.3f} s  (median of {len(fig.warm_all)}: "
          f"{', '.join(f'{t:.3f}' for t in fig.warm_all)})")  # fmt: skip
    print(f"bare read_csv:            {fig.bare:.3f} s  (pd.read_csv(path) on both files, median)")
    print(f"ratio warm / read_csv:    {fig.ratio:.1f}")
    print(f"peak RSS:                 {fig.rss_mb:.0f} MB  (ru_maxrss, whole process; "
          f"{fig.rss_before_mb:.0f} MB after imports, before the first call)")  # fmt: skip
    if fig.heap_mb is not None:
        print(f"Python heap peak:         {fig.heap_mb:.0f} MB  (tracemalloc, one warm run, not a target)")
    text_read = statistics.median(timed(lambda: bare_read_text(paths))[0] for _ in range(5))
    print(f"read_csv as text:         {text_read:.3f} s  (dtype=str, keep_default_na=False: what the pipeline "
          f"must at least do; warm / this = {fig.warm / text_read:.1f}, not a target)")  # fmt: skip
    print_accuracy(snap, paths[0].parent / TRUTH_FILE)
    ok = True
    print("targets:")
    for label, value, target, unit in fig.targets():
        passed = value <= target
        ok &= passed
        shown = f"{value:.3f} s" if unit == "s" else f"{value:.1f}{unit}" if unit == "x" else f"{value:.0f} MB"
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<24} {shown}")
    return ok


def report_notes(snap: Snapshot, sample: int = 200) -> None:
    """The formal notes of the accounts (DOCX): time per note on a sample, and the estimate for all."""
    from rollout.outputs.notes import NoteTemplate, note_contexts

    seconds, contexts = timed(lambda: note_contexts(snap))
    template = NoteTemplate()
    template.render(contexts[0])  # the template's parts compiled once
    per_note, _ = timed(lambda: [template.render(c) for c in contexts[:sample]])
    per_note /= min(sample, len(contexts))
    print(f"accounts notes:           {len(contexts)} comuni with editors; contexts {seconds:.2f} s, "
          f"{per_note * 1000:.0f} ms per DOCX (mean of {min(sample, len(contexts))}), "
          f"all ≈ {per_note * len(contexts):.0f} s (not a target)")  # fmt: skip


# -- the whole `report` process -------------------------------------------------------------------

TARGET_REPORT_RATIO = 6.0
TARGET_REPORT_RSS_MB = 400.0
BARE_READ = (
    "import sys, pandas as pd\nfor path in sys.argv[1:]:\n    pd.read_csv(path, dtype=str, keep_default_na=False)\n"
)


def write_bench_config(directory: Path) -> Path:
    """The rollout.toml a PM would write beside the two files (the dashboard and the CLI read it)."""
    config = Path(directory) / "rollout.toml"
    config.write_text(
        f'deadline = {DEADLINE.isoformat()}\nas_of = "{AS_OF}"\ncomuni = "{COMUNI_FILE}"\n'
        f'submissions = "{RESPONSES_FILE}"\n[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    return config


# Started from this (large) process, a child's ru_maxrss would count this process's memory too (the
# kernel charges the pages it had before exec); a small launcher process starts the command instead.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
err = proc.stderr.read().decode(errors="replace")
print(json.dumps([seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status), err[-2000:]]))
"""


def run_process(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process (its largest process, workers included)."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    seconds, maxrss, code, err = json.loads(out.stdout)
    if code:
        raise RuntimeError(f"{cmd[:4]} failed ({code}): {err}")
    peak = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    return seconds, peak


def report_process_figures(directory: Path, runs: int = 3) -> dict[str, object]:
    """``python -m rollout report`` and a bare read of the same two files, each a whole process,
    alternated ``runs`` times; best of each, and the peak RSS of the report."""
    config = write_bench_config(directory)
    bare_cmd = [sys.executable, "-c", BARE_READ, COMUNI_FILE, RESPONSES_FILE]
    report_cmd = [sys.executable, "-m", "rollout", "report", "--config", str(config), "--out",
                  str(Path(directory) / "report")]  # fmt: skip
    bare, report, rss = [], [], []
    for _ in range(runs):
        bare.append(run_process(bare_cmd, directory)[0])
        seconds, peak = run_process(report_cmd, directory)
        report.append(seconds)
        rss.append(peak)
    return {"bare": bare, "report": report, "rss": rss}


def output_seconds(directory: Path) -> dict[str, float]:
    """The seconds each output file of the report took (``write_report`` in a fresh process)."""
    from rollout.config import load_config
    from rollout.pipeline import run_report
    from rollout.usecases.report import start_workers, write_report

    config = load_config(write_bench_config(directory))
    start_workers()  # as `report` does: the two slowest files' workers start while the pipeline runs
    start = time.perf_counter()
    snap, _ = run_report(config)
    pipeline_seconds = time.perf_counter() - start
    start = time.perf_counter()
    written = write_report(snap, Path(directory) / "report-timed", config)
    return {"pipeline": pipeline_seconds, "outputs (wall)": time.perf_counter() - start, **written.seconds}


def report_report(directory: Path) -> bool:
    """Print the whole-process figures of ``report`` and the seconds of each output; True when met."""
    figures = report_process_figures(directory)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--outputs-only", "--data-dir", str(directory)]
    out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    seconds = json.loads(out.strip().splitlines()[-1])
    bare, report, rss = min(figures["bare"]), min(figures["report"]), max(figures["rss"])
    ratio = report / bare
    print(f"report process:           {report:.2f} s best of 3 ({', '.join(f'{t:.2f}' for t in figures['report'])})"
          f", every output written")  # fmt: skip
    print(f"bare read process:        {bare:.2f} s best of 3 ({', '.join(f'{t:.2f}' for t in figures['bare'])})"
          f"; read_csv(dtype=str, keep_default_na=False) of both files, whole process")  # fmt: skip
    print(f"ratio report / bare:      {ratio:.1f}")
    print(f"report peak RSS:          {rss:.0f} MB  (largest process of the report, its workers included)")
    print(
        "report, seconds per part (one process; the PNG and the accounts' XLSX in workers started before the "
        "pipeline, side by side with the rest):"
    )
    for name, value in seconds.items():
        print(f"  {name:<24} {value:.2f} s")
    ok = True
    for label, value, target, unit in (
        ("report / bare <= 6", ratio, TARGET_REPORT_RATIO, "x"),
        ("report peak RSS <= 400 MB", rss, TARGET_REPORT_RSS_MB, "MB"),
    ):
        passed = value <= target
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<32} {value:.1f}{unit}")
    return ok


# -- the dashboard in chromium --------------------------------------------------------------------

DASHBOARD_TARGETS = (
    ("Panoramica first full render <= 2 s", "first", 2.0),
    ("switching page / filter, slowest <= 0.5 s", "slowest", 0.5),
)
CHROMIUM = "/usr/bin/chromium"
# Counts finished script runs: the stApp element's data-test-script-state goes back to notRunning.
_WATCH = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__runs === undefined) {
    window.__runs = 0;
    new MutationObserver(() => {
      if (app.getAttribute('data-test-script-state') === 'notRunning') window.__runs += 1;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  }
  return window.__runs;
}"""
_DONE = """([before, text]) => window.__runs > before
  && document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'
  && document.querySelector('[data-testid="stMain"]').innerText.includes(text)"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DASHBOARD_ENTRY = "server.py"  # the README's command; dashboard.py is the same app without the warm start


def dashboard_timings(directory: Path, entry: str = DASHBOARD_ENTRY) -> dict[str, float]:
    """A real ``streamlit run`` on 127.0.0.1 over this data, driven by chromium (Playwright)."""
    import urllib.request

    from playwright.sync_api import sync_playwright

    config = write_bench_config(directory)
    port = _free_port()
    env = {**os.environ, "ROLLOUT_CONFIG": str(config), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", entry, "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
            )  # fmt: skip
            try:
                return _drive(browser.new_page(viewport={"width": 1440, "height": 900}), base)
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _drive(page, base: str) -> dict[str, float]:
    def until(before: int, text: str) -> None:
        page.wait_for_function(_DONE, arg=[before, text], polling="raf", timeout=120_000)

    start = time.perf_counter()
    page.goto(base, wait_until="commit")
    page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
    page.evaluate(_WATCH)
    until(0, "Da fare")
    figures = {"first": time.perf_counter() - start}
    page.wait_for_timeout(1000)

    visit = ["first visit"]

    def step(label: str, action, text: str) -> None:
        before = page.evaluate(_WATCH)
        start = time.perf_counter()
        action()
        until(before, text)
        figures[f"{label}, {visit[0]}"] = time.perf_counter() - start
        page.wait_for_timeout(300)

    def nav(name: str):
        return lambda: page.get_by_role("link", name=name).first.click()

    def search(text: str):
        def act() -> None:
            box = page.get_by_label("Cerca comune")
            box.fill(text)
            box.press("Enter")

        return act

    for visit[0] in ("first visit", "again"):  # again: every page already seen in this session
        step("page Comuni", nav("Comuni"), "Dettaglio comune")
        step("filter on Comuni (search)", search("San"), "comuni su 6600")
        step("filter cleared on Comuni", search(""), "6600 comuni su 6600")
        step("page Copertura", nav("Copertura"), "Comuni × permessi")
        step("page Promemoria", nav("Promemoria"), "Scarica CSV")
        step("page Qualità dati", nav("Qualità dati"), "righe di risposte lette")
        step("page Panoramica", nav("Panoramica"), "Da fare")
        step("filter on Panoramica (search)", search("San"), "filtro attivo")
        step("filter cleared on Panoramica", search(""), "Da fare")
    figures["slowest"] = max(v for k, v in figures.items() if k != "first")
    return figures


def report_dashboard(directory: Path, entry: str = DASHBOARD_ENTRY) -> bool:
    """Run ``dashboard_timings`` in a child process and print its figures."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--dashboard-only", "--data-dir", str(directory),
           "--dashboard-entry", entry]  # fmt: skip
    out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    print(f"dashboard (streamlit run {entry} on 127.0.0.1, chromium): Panoramica first full render "
          f"{figures['first']:.2f} s (fresh server: data loaded, every element drawn)")  # fmt: skip
    print("  switching page / changing a filter (from the click to the page drawn and the run finished):")
    for key, value in figures.items():
        if key not in ("first", "slowest"):
            print(f"    {key:<44} {value:.2f} s")
    ok = True
    for label, key, target in DASHBOARD_TARGETS:
        passed = figures[key] <= target
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<44} {figures[key]:.2f} s")
    return ok


MAP_TARGET = 0.3  # seconds the map may add to the Panoramica, national scale, warm


def report_map(paths: tuple[Path, Path]) -> bool:
    """What the map costs the Panoramica (join, shares, spec as sent to the browser) and the weekly PNG."""
    from rollout.outputs import map_charts, maps, picture

    snap = run_pipeline(bench_config(*paths))
    previous = snap.week_before()

    def panoramica_map() -> int:
        md = maps.map_data(snap.comuni, snap.settings.tz)
        maps.map_choices(md)
        spec = map_charts.provinces_map_spec(maps.province_progress(snap.comuni), height=400)
        return len(json.dumps(spec))  # Streamlit sends the spec as JSON

    cold, size = timed(panoramica_map)
    warm = statistics.median(timed(panoramica_map)[0] for _ in range(5))
    pngs = [timed(lambda: picture.status_png(snap, previous, "Benchmark"))[0] for _ in range(3)]
    print(f"map ({len(snap.comuni)} comuni, provinces drawn): first {cold:.3f} s (boundaries read), "
          f"warm {warm:.3f} s (median of 5), spec {size / 1e6:.2f} MB")  # fmt: skip
    print(f"weekly PNG with the map (vl-convert): first {pngs[0]:.2f} s, then {statistics.median(pngs[1:]):.2f} s")
    passed = warm <= MAP_TARGET
    print(f"  {'PASS' if passed else 'FAIL'}  {f'Panoramica map, warm <= {MAP_TARGET} s':<32} {warm:.3f} s")
    return passed


def profile_warm(paths: tuple[Path, Path], top: int) -> None:
    """cProfile one more warm run and print the heaviest functions by cumulative time."""
    config = bench_config(*paths)
    profiler = cProfile.Profile()
    profiler.runcall(run_pipeline, config)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"rollout|data_sources", top)  # the project's own functions only
    print(f"cProfile of one warm run (cumulative time; profiling overhead included):\n{out.getvalue()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--comuni", type=int, default=N_COMUNI, help="participating comuni to generate")
    parser.add_argument("--responses", type=int, default=N_RESPONSES, help="about this many responses")
    parser.add_argument(
        "--data-dir", type=Path, help="write the CSVs here (bench/ is git-ignored) instead of a temp dir"
    )
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--no-heap", action="store_true", help="skip the tracemalloc run")
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0, help="also print the top N of a cProfiled warm run"
    )
    parser.add_argument("--no-dashboard", action="store_true", help="skip the dashboard (chromium) timings")
    parser.add_argument("--no-report", action="store_true", help="skip the whole-process report timings")
    parser.add_argument("--no-map", action="store_true", help="skip the map and weekly PNG timings")
    parser.add_argument(
        "--dashboard-entry", default=DASHBOARD_ENTRY, help="the script given to streamlit run (default: %(default)s)"
    )
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dashboard-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--outputs-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate_only:
        generate(args.data_dir, args.seed, n_comuni=args.comuni, n_responses=args.responses)
        return 0
    if args.dashboard_only:
        print(json.dumps(dashboard_timings(args.data_dir, args.dashboard_entry)))
        return 0
    if args.outputs_only:
        print(json.dumps(output_seconds(args.data_dir)))
        return 0

    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        directory = args.data_dir.resolve() if args.data_dir else Path(tmp)
        paths = generate_in_child(directory, args.seed, args.comuni, args.responses)
        fig = measure(paths, warm_runs=args.warm_runs, heap=not args.no_heap)
        ok = report(fig, paths, args.seed)
        report_notes(fig.snapshot)
        if not args.no_report:
            ok &= report_report(directory)
        if not args.no_dashboard:
            ok &= report_dashboard(directory, args.dashboard_entry)
        if not args.no_map:
            ok &= report_map(paths)
        if args.profile:
            profile_warm(paths, args.profile)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
