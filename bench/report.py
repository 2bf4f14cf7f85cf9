"""The whole ``report`` process at national scale (issue 10; part of ``python3 -m bench.benchmark``).

``python -m rollout report`` (every output written) against a bare process that reads the same two
files with ``pandas.read_csv(dtype=str, keep_default_na=False)``, alternated 3 times, best of each,
their ratio, and the report's peak RSS (``wait4``: its largest process, workers included); then
the seconds of each output file (``write_report`` in a fresh process). Guards (issue 20: the report
stays on xlsxwriter, its ratio is a guard, not a goal): report/bare <= 10, its peak RSS <= 400 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.pipeline import ROOT, write_bench_config
from rollout.synthetic.national import COMUNI_FILE, RESPONSES_FILE

TARGET_REPORT_RATIO = 10.0
TARGET_REPORT_RSS_MB = 400.0
BARE_READ = (
    "import sys, pandas as pd\nfor path in sys.argv[1:]:\n    pd.read_csv(path, dtype=str, keep_default_na=False)\n"
)


# Started from this (large) process, a child's ru_maxrss would count this process's memory too (the
# kernel charges the pages it had before exec); a small launcher process starts the command instead.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
err = proc.stderr.read().decode(errors="replace")
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps([seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status), err[-2000:], cpu]))
"""


def process_figures(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB, its largest process, workers included) and processor seconds
    (the process and its workers) of one process."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    seconds, maxrss, code, err, cpu = json.loads(out.stdout)
    if code:
        raise RuntimeError(f"{cmd[:5]} failed ({code}): {err}")
    peak = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    return seconds, peak, cpu


def run_process(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process (its largest process, workers included)."""
    seconds, peak, _ = process_figures(cmd, cwd)
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
    cmd = [sys.executable, "-m", "bench.benchmark", "--outputs-only", "--data-dir", str(directory)]
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
        ("report / bare <= 10", ratio, TARGET_REPORT_RATIO, "x"),
        ("report peak RSS <= 400 MB", rss, TARGET_REPORT_RSS_MB, "MB"),
    ):
        passed = value <= target
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<32} {value:.1f}{unit}")
    return ok
