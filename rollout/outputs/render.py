"""Draw a Vega-Lite spec to PNG with vl-convert, padded to an exact frame.

Kept apart from Altair and pandas so that ``python -m rollout.outputs.render`` (a spec on standard
input, the PNG on standard output) stays a small process: the weekly report draws its picture
there, and vl-convert's JavaScript runtime never joins the report's own, larger process (nor
makes it unsafe to fork).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

TIMEOUT_SECONDS = 120


def padded_vega(spec: dict, width: int, height: int, padding: int) -> dict:
    """The Vega spec of ``spec``, padded to exactly ``width`` × ``height`` pixels.

    The content is measured first (Vega lays out axes, titles and legends itself), then the
    padding fills the rest (see ``frame``).
    """
    import vl_convert as vlc

    vega = _unpadded(spec)
    scene = vlc.vega_to_scenegraph(vega)
    vega["padding"] = frame(int(scene["width"]), int(scene["height"]), width, height, padding)
    return vega


def frame(drawn_width: int, drawn_height: int, width: int, height: int, padding: int) -> dict[str, int]:
    """The padding that brings content of the drawn size to ``width`` × ``height``: centred across,
    ``padding`` above, the slack at the bottom. Content larger than the frame is never clipped:
    the picture then grows instead."""
    left = max(0, (width - drawn_width) // 2)
    top = min(padding, max(0, height - drawn_height))
    return {
        "left": left,
        "right": max(0, width - drawn_width - left),
        "top": top,
        "bottom": max(0, height - drawn_height - top),
    }


def png(spec: dict, width: int, height: int, padding: int) -> bytes:
    """The PNG of ``spec`` in this process, Italian number and date formats, padded as ``padded_vega``.

    Vega lays the content out and draws it once, as SVG; the padding is then a frame around that
    drawing (the same pixels as a padded Vega spec, without laying everything out twice).
    """
    import vl_convert as vlc

    vega = _unpadded(spec)
    svg = vlc.vega_to_svg(vega, format_locale="it-IT", time_format_locale="it-IT")
    size = _SVG_SIZE.match(svg)
    if size is None:  # not the SVG Vega writes: let Vega pad it, as it would
        vega = padded_vega(spec, width, height, padding)
        return vlc.vega_to_png(vega, format_locale="it-IT", time_format_locale="it-IT")
    drawn_width, drawn_height = int(float(size["width"])), int(float(size["height"]))
    pad = frame(drawn_width, drawn_height, width, height, padding)
    outer_width = drawn_width + pad["left"] + pad["right"]
    outer_height = drawn_height + pad["top"] + pad["bottom"]
    background = vega.get("background")
    fill = (
        f'<rect width="{outer_width}" height="{outer_height}" fill="{background}"/>'
        if isinstance(background, str) and _COLOUR.fullmatch(background)
        else ""
    )
    inner = f'<svg x="{pad["left"]}" y="{pad["top"]}"' + svg[len("<svg") :]
    outer = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{outer_width}" height="{outer_height}" '
        f'viewBox="0 0 {outer_width} {outer_height}">{fill}{inner}</svg>'
    )
    return vlc.svg_to_png(outer)


# The root element as Vega writes it: ``<svg xmlns=… width="1548" height="851" viewBox=…>``.
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="(?P<width>[\d.]+)"[^>]*?\sheight="(?P<height>[\d.]+)"')
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]+")


def _unpadded(spec: dict) -> dict:
    """The Vega spec of ``spec``, sized to its content, with no padding."""
    import vl_convert as vlc

    vega = vlc.vegalite_to_vega(spec)
    vega.update(autosize={"type": "pad", "contains": "padding"}, padding=0)
    return vega


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
