"""The provinces' borders without the points no screen shows (``rollout.outputs.topology``)."""

from __future__ import annotations

import itertools
import json

import numpy as np

from conftest import ROOT
from rollout.outputs import maps
from rollout.outputs.topology import simplified

PROVINCES = ROOT / "data" / "geo" / "provinces.topo.json"


def absolute(arc: list) -> np.ndarray:
    return np.cumsum(np.asarray(arc, dtype=np.int64).reshape(-1, 2), axis=0)


def line_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (b - a).astype(float)
    if not d.any():
        return np.hypot(*(points - a).T)
    return np.abs(d[0] * (points[:, 1] - a[1]) - d[1] * (points[:, 0] - a[0])) / np.hypot(*d)


def test_the_provinces_keep_every_shape_within_a_pixel_with_a_fifth_of_the_points():
    source = json.loads(PROVINCES.read_text(encoding="utf-8"))
    shown = maps.provinces_topology()
    assert shown["objects"] == source["objects"] and shown["transform"] == source["transform"]
    assert len(shown["arcs"]) == len(source["arcs"]) == 448
    before, after = (sum(len(a) for a in t["arcs"]) for t in (source, shown))
    assert (before, after) == (20482, 3817)
    tolerance = 93398 / 1000  # the quantized height of Italy over a 1,000-pixel map
    for full, kept in zip(source["arcs"], shown["arcs"], strict=True):
        full, kept = absolute(full), absolute(kept)
        # Every point kept is a point of the border, in order, both ends included (shared borders meet).
        index = [int(np.flatnonzero((full == p).all(axis=1))[0]) for p in kept[1:-1]]
        index = [0, *index, len(full) - 1]
        assert index == sorted(index) and (kept[0] == full[0]).all() and (kept[-1] == full[-1]).all()
        # Every point left out lies within the tolerance of the line that skips it.
        for a, b in itertools.pairwise(index):
            if b - a > 1:
                assert line_distance(full[a + 1 : b], full[a], full[b]).max() <= tolerance
        if (full[0] == full[-1]).all() and len(full) >= 4:  # an island stays a shape
            assert len(kept) >= 4 and len({tuple(p) for p in kept}) >= 3


def test_a_border_loses_its_small_bends_and_keeps_its_corners():
    square = [[0, 0], [500, 1], [1000, 0], [1000, 1000], [0, 1000], [0, 0]]  # a bend of 1 in 1,000 units
    islet = [[2000, 2000], [2001, 2000], [2001, 2001], [2000, 2001], [2000, 2000]]  # far under a pixel
    deltas = [np.vstack([a[:1], np.diff(a, axis=0)]).tolist() for a in (np.array(square), np.array(islet))]
    topology = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [0, 0]}, "arcs": deltas}
    shown = simplified(topology, pixels=100)  # 20 units: the islet is a tenth of a pixel
    assert [absolute(a).tolist() for a in shown["arcs"]] == [
        [[0, 0], [1000, 0], [1000, 1000], [0, 1000], [0, 0]],
        [[2000, 2000], [2001, 2000], [2001, 2001], [2000, 2000]],
    ]
    assert topology["arcs"] == deltas  # the argument is left as it was
    assert simplified({"type": "Topology", "arcs": deltas}) == {"type": "Topology", "arcs": deltas}  # unquantized
