"""National-scale benchmark of the formal notes of the accounts: ``python -m bench.notes``.

It generates the benchmark's national campaign (``rollout.synthetic.national``: same seed, same
files) in a child process, then measures:

- ``python -m rollout accounts notes`` as a whole process (read, match, evaluate, one DOCX per
  comune with editors and ``elenco-note.csv``): wall seconds, notes per second, the folder's size
  and the peak RSS (``wait4``: its largest process, workers included);
- the dashboard's ZIP (``notes_zip`` in this process, after the pipeline): seconds, notes per
  second, the ZIP's size, and this process's peak RSS (pipeline included).

Targets (issue 19): national notes in <= 15 s on 2 processors, the ZIP <= 40 MB. The script
always exits 0 (it is a measurement); with ``--check`` it exits 1 when a target is missed. It
prints the machine's load average: on a shared machine every figure moves with it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import process_figures

ROOT = Path(__file__).resolve().parents[1]

TARGET_SECONDS = 15.0
TARGET_ZIP_MB = 40.0
FORM = "https://docs.google.com/forms/d/e/bench/viewform"
CONFIG = """deadline = 2023-09-13
as_of = "2023-09-30T12:00:00"
campaign = "Account editor nuovi siti web comunali"
form_url = "{form}"
form_prefill_field = "entry.1234567"
comuni = "comuni.csv"
submissions = "risposte.csv"
[accounts]
signature = "Il gruppo di progetto PNRR 1.4.1"
"""


def generate(directory: Path, seed: int | None) -> None:
    """The benchmark's national campaign (``comuni.csv``, ``risposte.csv``) in ``directory``."""
    from rollout.synthetic import national

    national.generate(directory, national.SEED if seed is None else seed)


def folder_mb(folder: Path) -> tuple[int, float]:
    files = [p for p in folder.iterdir() if p.suffix == ".docx"]
    return len(files), sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def measure_cli(directory: Path, runs: int) -> list[tuple[float, float, float, int, float]]:
    """``accounts notes`` as a whole process, ``runs`` times: seconds, peak RSS, processor seconds,
    notes, folder MB."""
    figures = []
    for i in range(runs):
        out = directory / f"note-{i}"
        cmd = [sys.executable, "-m", "rollout", "accounts", "notes", "--config", str(directory / "rollout.toml"),
               "--out", str(out)]  # fmt: skip
        figures.append((*process_figures(cmd, ROOT), *folder_mb(out)))
    return figures


def measure_zip(directory: Path) -> tuple[int, float, float, float, float]:
    """The dashboard's ZIP of every note in this process: notes, seconds, processor seconds, MB and
    the peak RSS of this process (pipeline included)."""
    from rollout.config import load_config
    from rollout.outputs.notes import NoteTemplate, note_contexts, notes_zip
    from rollout.pipeline import run

    config = load_config(directory / "rollout.toml")
    snap = run(config)
    start, cpu = time.perf_counter(), time.process_time()
    contexts = note_contexts(snap, config)
    data = notes_zip(NoteTemplate.from_config(config), contexts, dt.datetime(2023, 9, 30, 12))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    (directory / "note.zip").write_bytes(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return len(contexts), seconds, cpu, len(data) / 1e6, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seed", type=int, help="the generator's seed (default: the benchmark's)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the command line (best is reported)")
    parser.add_argument("--data-dir", type=Path, help="keep the campaign and the notes here instead of a temp dir")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--zip-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ["PYTHONPATH"] = str(ROOT)  # the command line measured (and this module, below) are this tree's
    if args.generate_only:
        generate(args.data_dir, args.seed)
        return 0
    if args.zip_only:
        print(json.dumps(measure_zip(args.data_dir)))
        return 0

    with tempfile.TemporaryDirectory(prefix="rollout-bench-notes-") as tmp:
        directory = args.data_dir.resolve() if args.data_dir else Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        me = [sys.executable, "-m", "bench.notes", "--data-dir", str(directory)]
        subprocess.run(
            [*me, "--generate-only", *(["--seed", str(args.seed)] if args.seed else [])], check=True, cwd=ROOT
        )
        (directory / "rollout.toml").write_text(CONFIG.format(form=FORM), encoding="utf-8")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; processors: {os.cpu_count()}")
        cli = measure_cli(directory, args.runs)
        seconds, rss, cpu, notes, size = min(cli)
        spread = ", ".join(f"{s:.1f}" for s, *_ in cli)
        print(f"accounts notes (whole process, best of {len(cli)}: {spread} s): {seconds:.1f} s "
              f"({cpu:.1f} s of processor), {notes / seconds:.0f} notes/s, {notes} DOCX, {size:.1f} MB on disk, "
              f"peak RSS {rss:.0f} MB")  # fmt: skip
        # The ZIP in a fresh process, as the dashboard makes it (after the pipeline).
        done = subprocess.run([*me, "--zip-only"], check=True, capture_output=True, text=True, cwd=ROOT)
        notes, zip_seconds, zip_cpu, zip_mb, zip_rss = json.loads(done.stdout.splitlines()[-1])
        print(f"notes ZIP (in process, after the pipeline): {zip_seconds:.1f} s ({zip_cpu:.1f} s of processor), "
              f"{notes / zip_seconds:.0f} notes/s, {zip_mb:.1f} MB, {zip_mb * 1e3 / notes:.1f} KB per note, "
              f"peak RSS {zip_rss:.0f} MB")  # fmt: skip
        ok = seconds <= TARGET_SECONDS and zip_seconds <= TARGET_SECONDS and zip_mb <= TARGET_ZIP_MB
        for label, value, target, unit in (
            ("accounts notes <= 15 s", seconds, TARGET_SECONDS, "s"),
            ("notes ZIP <= 15 s", zip_seconds, TARGET_SECONDS, "s"),
            ("notes ZIP <= 40 MB", zip_mb, TARGET_ZIP_MB, "MB"),
        ):
            print(f"  {'PASS' if value <= target else 'FAIL'}  {label:<24} {value:.1f} {unit}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
