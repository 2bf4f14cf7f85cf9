"""National-scale benchmark of the core pipeline: ``python -m bench.benchmark [--check]``.

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
<= 10 (a guard) and its peak RSS <= 400 MB; Panoramica first render <= 2 s, page switch or filter <= 0.5 s.
The script always exits 0 (it is a measurement); with ``--check`` it exits 1 when a target is
missed. It prints the machine's load average: on a shared machine every figure moves with it.

The campaign comes from ``rollout.synthetic.national``; the parts are measured by the modules beside
this one: ``pipeline.py``, ``report.py``, ``chromium.py`` (the dashboard) and ``map.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.chromium import DASHBOARD_ENTRY, dashboard_timings, report_dashboard
from bench.map import report_map
from bench.pipeline import generate_in_child, measure, profile_warm, report_notes, report_pipeline
from bench.report import output_seconds, report_report
from rollout.synthetic.national import N_COMUNI, N_RESPONSES, SEED, generate


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
        ok = report_pipeline(fig, paths, args.seed)
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
