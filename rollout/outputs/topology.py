"""A TopoJSON's borders with the points no screen can show left out (Douglas–Peucker).

openpolis' provinces have 20,482 points: a map of Italy 1,000 pixels tall draws about 20 of them
in each pixel. Every browser that opens the dashboard receives them, turns them into shapes and
projects each one, twice (to fit the map to its box, then to draw it). Left out here is every point
that lies within ``1 / pixels`` of the map's height from the line that skips it: the map looks the
same up to ``pixels`` pixels, with about a fifth of the points.

Each arc is simplified once, so a border shared by two provinces stays one line for both; its two
ends are always kept (where three provinces meet), and a closed arc (an island) keeps at least
four points, so that no shape disappears. Only quantized topologies (with a ``transform``) are
simplified; the tolerance is in their integer units.
"""

from __future__ import annotations

import numpy as np

SCREEN_PIXELS = 1000  # the tallest map drawn: the dashboard's is 330-560 px, the meeting picture's less


def simplified(topology: dict, pixels: int = SCREEN_PIXELS) -> dict:
    """``topology`` with each arc's points closer than one pixel (of ``pixels`` for its height) to the
    simplified line left out; a new dict, ``topology`` unchanged. Unquantized or empty: returned as is."""
    if "transform" not in topology or not topology.get("arcs"):
        return topology
    absolute = [np.cumsum(np.asarray(arc, dtype=np.int64).reshape(-1, 2), axis=0) for arc in topology["arcs"]]
    low = np.min([a.min(axis=0) for a in absolute], axis=0)
    high = np.max([a.max(axis=0) for a in absolute], axis=0)
    tolerance = float(max(high - low)) / pixels
    arcs = []
    for points in absolute:
        kept = points[_kept(points, tolerance)]
        arcs.append(np.vstack([kept[:1], np.diff(kept, axis=0)]).tolist())
    return {**topology, "arcs": arcs}


def _kept(points: np.ndarray, tolerance: float) -> np.ndarray:
    """The indices of ``points`` that Douglas–Peucker keeps within ``tolerance``; a closed line is
    split at its farthest point from its start, and keeps at least four points."""
    n = len(points)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    if n <= 2:
        return np.flatnonzero(keep)
    p = points.astype(np.float64)
    closed = bool((points[0] == points[-1]).all())
    spans = [(0, n - 1)]
    if closed:
        far = int(np.argmax(np.hypot(*(p - p[0]).T)))
        if 0 < far < n - 1:
            keep[far] = True
            spans = [(0, far), (far, n - 1)]
    while spans:
        a, b = spans.pop()
        if b - a < 2:
            continue
        distance = _distance(p[a + 1 : b], p[a], p[b])
        i = int(np.argmax(distance))
        if distance[i] > tolerance:
            keep[a + 1 + i] = True
            spans += [(a, a + 1 + i), (a + 1 + i, b)]
    if closed and keep.sum() < 4 and n >= 4:
        # An island smaller than the tolerance: keep it a triangle (the point farthest from its axis).
        far = int(np.flatnonzero(keep)[1])
        candidates = np.flatnonzero(~keep)
        keep[candidates[int(np.argmax(_distance(p[candidates], p[0], p[far])))]] = True
    return np.flatnonzero(keep)


def _distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distance of each of ``points`` from the line through ``a`` and ``b`` (from ``a`` if they meet)."""
    d = b - a
    length = float(np.hypot(*d))
    if length == 0:
        return np.hypot(*(points - a).T)
    return np.abs(d[0] * (points[:, 1] - a[1]) - d[1] * (points[:, 0] - a[0])) / length
