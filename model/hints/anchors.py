"""Keep the rest: the automatic colours pinned away from the user's points.

The network was trained on points sampled from true colours, which also tell it about the
whole photo, so it reads one point as news about everything: a red point on one skirt of a
sepia print turns the tent, the table and every skirt red. A user placing that point means
the skirt. With "keep the rest" on, a coarse grid of anchor points holding the photo's
automatic colours (the network's answer with no points) goes in with the user's points,
except near them, so the user's colours fill their own regions and the rest stays as it was.
A bigger point reaches further: the keep-out grows with its size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.hints.document import DEFAULT_SIZE, Point
from model.hints.encoding import patch_span

# Picked on 40 training photos (README, Measured): a point's colour given an opposite hue
# changed the photo beyond a quarter of its side from the automatic colours by 13.8 ab on
# average, and by 1.9 with these anchors, while still changing its surroundings (4-12 % of
# the side away) by 21 ab (32 without). Denser grids or smaller keep-outs hold the point's own
# region back too; single-pixel anchors leave it more room than 3-pixel ones.
GRID = 6  # anchors along the longer side (fewer along the shorter, so they stand square)
KEEP_OUT = 0.2  # no anchor this near a default-size point (a fraction of the longer side)
REACH_PER_SIZE = 0.025  # ... and this much further per pixel of size (0.1 at 1, 0.3 at 9)
ANCHOR_SIZE = 1  # smaller than a user's point: anchors hold a colour, they do not paint


def point_reach(size: int) -> float:
    """How far a point of this size keeps the anchors away (a fraction of the longer side)."""
    return KEEP_OUT + REACH_PER_SIZE * (size - DEFAULT_SIZE)


def anchor_points(
    auto_ab: np.ndarray,
    points: Sequence[Point],
    grid: int = GRID,
    keep_out: float | None = None,
    size: int = ANCHOR_SIZE,
) -> tuple[Point, ...]:
    """Anchors holding `auto_ab` (h, w, 2: the automatic colours at working size) on a grid,
    none within `keep_out` of any of `points` (None: each point's own `point_reach`). No points,
    no anchors: there is nothing to keep the rest from."""
    if not points:
        return ()
    h, w = auto_ab.shape[:2]
    side = max(h, w)
    nx = max(1, round(grid * w / side))
    ny = max(1, round(grid * h / side))
    px = np.array([p.x for p in points]) * w / side
    py = np.array([p.y for p in points]) * h / side
    far = np.array([point_reach(p.size) if keep_out is None else keep_out for p in points])
    out = []
    for gy in range(ny):
        for gx in range(nx):
            x, y = (gx + 0.5) / nx, (gy + 0.5) / ny
            if (np.hypot(px - x * w / side, py - y * h / side) < far).any():
                continue
            # The colour the anchor's patch shows, as a point's colour is its patch's mean.
            r0, r1 = patch_span(y, size, h)
            c0, c1 = patch_span(x, size, w)
            a, b = auto_ab[r0:r1, c0:c1].reshape(-1, 2).mean(0)
            out.append(Point(x, y, (float(a), float(b)), size))
    return tuple(out)
