"""What the map costs at national scale (part of ``python3 bench/benchmark.py``): the Panoramica's
join, shares and spec as sent to the browser, and the weekly PNG. Target: the map adds <= 0.3 s
to the Panoramica, warm.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from pipeline import run_pipeline, timed

from rollout.synthetic.national import campaign_config

MAP_TARGET = 0.3  # seconds the map may add to the Panoramica, national scale, warm


def report_map(paths: tuple[Path, Path]) -> bool:
    """What the map costs the Panoramica (join, shares, spec as sent to the browser) and the weekly PNG."""
    from rollout.outputs import map_charts, maps, picture

    snap = run_pipeline(campaign_config(*paths))
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
