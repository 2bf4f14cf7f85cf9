"""How reading scales with the number of responses: national list, 30,000 vs 200,000 rows.

Prints, for each size, the time to read both files, prepare (recognise, normalise, match) and
evaluate, and the peak RSS of a fresh process doing only that. Also times one XLSX read of the
responses (calamine) for the smaller size. Run: ``python bench/read_scale.py`` (about a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rollout.synthetic.national import N_COMUNI, SEED, generate

ROOT = Path(__file__).resolve().parents[1]
SIZES = (30_000, 200_000)

CHILD = r"""
import json, resource, sys, time
from rollout.synthetic.national import campaign_config
config = campaign_config(sys.argv[1], sys.argv[2])
start = time.perf_counter()
from rollout.pipeline import prepare, read_grid, settings_for
grids = [read_grid(config.comuni), read_grid(config.submissions)]
read = time.perf_counter()
prepared = prepare(config, *grids)
ready = time.perf_counter()
snap = prepared.at(settings_for(config))
done = time.perf_counter()
print(json.dumps({"read": read - start, "prepare": ready - read, "evaluate": done - ready, "total": done - start,
                  "rows": len(snap.rows), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(folder: Path, n_responses: int) -> dict:
    """Generate the campaign, then read, prepare and evaluate it in a fresh process."""
    comuni, responses = generate(folder / str(n_responses), SEED, n_comuni=N_COMUNI, n_responses=n_responses)
    out = subprocess.run([sys.executable, "-c", CHILD, str(comuni), str(responses)],
                         check=True, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {n: measure(Path(tmp), n) for n in SIZES}
    for n, r in results.items():
        print(f"{n:>7} risposte: lettura {r['read']:.2f} s, preparazione {r['prepare']:.2f} s, "
              f"valutazione {r['evaluate']:.2f} s, totale {r['total']:.2f} s, picco RSS {r['rss_mb']:.0f} MB")  # fmt: skip
    small, big = (results[n] for n in SIZES)
    print(f"rapporto {SIZES[1] // 1000}k/{SIZES[0] // 1000}k: tempo {big['total'] / small['total']:.1f}x, "
          f"RSS {big['rss_mb'] / small['rss_mb']:.1f}x (righe {SIZES[1] / SIZES[0]:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
