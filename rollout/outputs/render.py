"""Draw a Vega-Lite spec to PNG with vl-convert, padded to an exact frame.

Kept apart from Altair and pandas so that ``python -m rollout.outputs.render`` (a spec on standard
input, the PNG on standard output) stays a small process: the weekly report draws its picture
there, and vl-convert's JavaScript runtime never joins the report's own, larger process (nor
makes it unsafe to fork).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TIMEOUT_SECONDS = 120


def padded_vega(spec: dict, width: int, height: int, padding: int) -> dict:
    """The Vega spec of ``spec``, padded to exactly ``width`` × ``height`` pixels.

    The content is measured first (Vega lays out axes, titles and legends itself), then the
    padding fills the rest: centred across, the slack at the bottom. Content larger than the
    frame is never clipped: the picture then grows instead.
    """
    import vl_convert as vlc

    vega = vlc.vegalite_to_vega(spec)
    vega.update(autosize={"type": "pad", "contains": "padding"}, padding=0)
    scene = vlc.vega_to_scenegraph(vega)
    drawn_width, drawn_height = int(scene["width"]), int(scene["height"])
    left = max(0, (width - drawn_width) // 2)
    top = min(padding, max(0, height - drawn_height))
    vega["padding"] = {
        "left": left,
        "right": max(0, width - drawn_width - left),
        "top": top,
        "bottom": max(0, height - drawn_height - top),
    }
    return vega


def png(spec: dict, width: int, height: int, padding: int) -> bytes:
    """The PNG of ``spec`` in this process, Italian number and date formats."""
    import vl_convert as vlc

    vega = padded_vega(spec, width, height, padding)
    return vlc.vega_to_png(vega, format_locale="it-IT", time_format_locale="it-IT")


def running() -> bool:
    """Whether vl-convert's runtime was loaded in this process (then drawing here costs nothing more)."""
    return "vl_convert" in sys.modules


def png_apart(spec: dict, width: int, height: int, padding: int) -> bytes:
    """``png`` drawn by a fresh interpreter (``python -m rollout.outputs.render``)."""
    root = str(Path(__file__).resolve().parents[2])  # where the rollout package is
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    payload = json.dumps({"spec": spec, "frame": [width, height, padding]}).encode("utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "rollout.outputs.render"],
        input=payload, capture_output=True, env=env, timeout=TIMEOUT_SECONDS, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["nessun messaggio"])[-1]
        raise RuntimeError(f"il disegno dell'immagine non è riuscito: {last}")
    return done.stdout


def main() -> None:
    job = json.load(sys.stdin)
    sys.stdout.buffer.write(png(job["spec"], *job["frame"]))


if __name__ == "__main__":
    main()
