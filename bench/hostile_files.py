"""Reading workbooks, real and hostile: ``python bench/hostile_files.py [--code PATH]``.

Each file is read by ``read_source`` in a fresh process (at most 4 GB of address space, 120 s), which
prints its seconds (CPU and wall, best of five for the real file) and its peak RSS:

- a real responses XLSX: 30,000 rows × 20 columns, shared strings, a date column, as Excel and
  Google Sheets write it (xlsxwriter), 3 MB;
- every hostile workbook of ``tests/test_hostile_files.py`` (one cell at XFD1048576, zip bombs, a
  comment full of ``<c>``, a trillion shared strings declared, an ODS repeat bomb...).

``--code PATH`` reads with the code of another checkout (say, the main branch before the checks),
for a before/after comparison on the same files. The script always exits 0: it is a measurement;
on a shared machine the wall times move with the load (printed), the CPU times less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

CHILD = r"""
import json, resource, sys, time
from data_sources import read_source
runs = int(sys.argv[2])
best_cpu = best_wall = float("inf")
for _ in range(runs):
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        grid = read_source(sys.argv[1])
        outcome = f"{grid.rows} righe × {grid.cells.shape[1]} colonne"
    except Exception as err:
        outcome = f"{type(err).__name__}: {str(err)[:110]}"
    best_wall, best_cpu = min(best_wall, time.perf_counter() - wall), min(best_cpu, time.process_time() - cpu)
print(json.dumps({"wall": best_wall, "cpu": best_cpu, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "outcome": outcome}))
"""


def responses_xlsx(path: Path, rows: int = 30_000, seed: int = 7) -> None:
    """A responses sheet as Excel and Google Sheets save it: shared strings, a date column."""
    import xlsxwriter

    rng = random.Random(seed)
    permissions = ["1) Editor Sito Web", "2) Editor Newsletter", "3) Editor Amministrazione Trasparente",
                   "7) Editor Servizi - Ufficio Tributi"]  # fmt: skip
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Risposte del modulo 1")
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    header = ["Informazioni cronologiche", "Indirizzo email", "Comune", "Provincia", "Cognome del dipendente",
              "Nome del dipendente", "Indirizzo email del dipendente", "Codice fiscale del dipendente",
              "Permessi da assegnare al dipendente", *(f"Domanda {i}" for i in range(1, 12))]  # fmt: skip
    sheet.write_row(0, 0, header)
    for r in range(1, rows + 1):
        sheet.write_datetime(r, 0, dt.datetime(2023, 8, 28, 9) + dt.timedelta(minutes=r), stamp)
        sheet.write_row(r, 1, [
            f"ufficio{r % 900}@comune{r % 900}.it", f"Comune {r % 900}", "NA", f"Cognome{r % 700}", f"Nome{r % 500}",
            f"n{r}@comune{r % 900}.it", f"RSSMRA80A01H501{r % 10}", ", ".join(rng.sample(permissions, 2)),
            *(f"risposta {rng.randint(0, 50)}" for _ in range(11)),
        ])  # fmt: skip
    book.close()


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def measure(path: Path, code: Path, runs: int) -> str:
    env = {**os.environ, "PYTHONPATH": str(code)}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(runs)], capture_output=True, text=True,
                              timeout=120, env=env, cwd=code, preexec_fn=_limited, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "ancora in lettura dopo 120 s (fermato)"
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["?"])[0][:100]
        return f"processo terminato (codice {done.returncode}): {last}"
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return f"{r['wall']:.2f} s ({r['cpu']:.2f} s CPU), picco {r['peak']:.0f} MB: {r['outcome']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose reader is measured")
    args = parser.parse_args()
    from test_hostile_files import HOSTILE  # the files the tests build

    print(f"codice: {args.code.resolve()}; carico medio {os.getloadavg()[0]:.1f} su {os.cpu_count()} processori")
    with tempfile.TemporaryDirectory() as folder:
        real = Path(folder) / "risposte-30000x20.xlsx"
        responses_xlsx(real)
        print(f"{real.name} ({real.stat().st_size / 2**20:.1f} MB): {measure(real, args.code, 5)}")
        for name, (build, _) in HOSTILE.items():
            path = Path(folder) / name
            path.write_bytes(build())
            print(f"{name} ({path.stat().st_size / 1024:,.0f} KB): {measure(path, args.code, 1)}")


if __name__ == "__main__":
    main()
