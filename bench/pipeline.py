"""The core pipeline at national scale, in this one process: ``read_grid`` (both files) -> ``prepare``
-> ``Prepared.at`` -> Snapshot (part of ``python3 bench/benchmark.py``).

- pipeline cold: the first call in the process (lazy loading of the national list, empty caches);
- pipeline warm: the median of further calls in the same process;
- bare read_csv: the median of ``pd.read_csv(path)`` with defaults on the same two files, summed;
- peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of this process (interpreter, imports
  and pipeline runs; the data are generated in a child process, which does not count).

Targets: pipeline <= 1 s (cold and warm), warm/read_csv <= 5, peak RSS <= 400 MB. Also the
matching against the comune each generated row meant, and the time of the accounts' notes.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rollout.config import Config
from rollout.pipeline import prepare, read_grid, settings_for
from rollout.status import Snapshot
from rollout.synthetic import DEADLINE
from rollout.synthetic.national import AS_OF, COMUNI_FILE, RESPONSES_FILE, TRUTH_FILE, campaign_config

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0
TARGET_RATIO = 5.0
TARGET_RSS_MB = 400.0
_GENERATE = (
    "import sys\nfrom rollout.synthetic.national import generate\n"
    "generate(sys.argv[1], int(sys.argv[2]), n_comuni=int(sys.argv[3]), n_responses=int(sys.argv[4]))\n"
)


def generate_in_child(directory: Path, seed: int, n_comuni: int, n_responses: int) -> tuple[Path, Path]:
    """Generate in a child process, so that this process stays cold (national list not loaded)."""
    cmd = [sys.executable, "-c", _GENERATE, str(directory), str(seed), str(n_comuni), str(n_responses)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return directory / COMUNI_FILE, directory / RESPONSES_FILE


def write_bench_config(directory: Path) -> Path:
    """The rollout.toml a PM would write beside the two files (the dashboard and the CLI read it)."""
    config = Path(directory) / "rollout.toml"
    config.write_text(
        f'deadline = {DEADLINE.isoformat()}\nas_of = "{AS_OF}"\ncomuni = "{COMUNI_FILE}"\n'
        f'submissions = "{RESPONSES_FILE}"\n[reminders]\ndatabase = "promemoria.sqlite3"\n',
        encoding="utf-8",
    )
    return config


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
    reference_cached: bool  # the national index was read from the reference cache, not built

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


def reference_cache_present() -> bool:
    """Whether the national index will come from the reference cache (see rollout.read.reference)."""
    from rollout.read import names, text
    from rollout.read.reference import ReferenceCache

    cache = ReferenceCache("national-index", [Path(names.__file__), Path(text.__file__)])
    return cache.path.exists()


def measure(paths: tuple[Path, Path], *, warm_runs: int = 5, bare_runs: int = 7, heap: bool = True) -> Figures:
    """Cold, warm and bare-read times of the pipeline on these files, and this process's memory."""
    config = campaign_config(*paths)
    rss_before = peak_rss_mb()
    cached = reference_cache_present()
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
                   heap_mb, snapshot, cached)  # fmt: skip


def report_pipeline(fig: Figures, paths: tuple[Path, Path], seed: int) -> bool:
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
    where = "read from the reference cache" if fig.reference_cached else "built, no reference cache yet"
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


def profile_warm(paths: tuple[Path, Path], top: int) -> None:
    """cProfile one more warm run and print the heaviest functions by cumulative time."""
    config = campaign_config(*paths)
    profiler = cProfile.Profile()
    profiler.runcall(run_pipeline, config)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"rollout|data_sources", top)  # the project's own functions only
    print(f"cProfile of one warm run (cumulative time; profiling overhead included):\n{out.getvalue()}")
