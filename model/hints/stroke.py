"""A painted stroke as colour points: positions evenly spaced along the path.

The network was trained on points, not lines, so a stroke becomes points a fixed distance
apart in the network's own pixels (its working size), whatever the zoom it was drawn at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

#: Most points one stroke makes; a scribble across a photo needs far fewer.
MAX_STROKE_POINTS = 200


def stroke_positions(
    path: Sequence[tuple[float, float]],
    width: int,
    height: int,
    spacing: float,
    end: bool = True,
) -> list[tuple[float, float]]:
    """Points every `spacing` working pixels along `path` (fractions of the photo's width
    and height; `width` x `height` the working size), from its start; the end gets one too
    unless the last point is already within half a spacing of it (or `end` is False: a
    stroke still being drawn, whose points then stay put as it grows). A path that goes
    nowhere gives its start alone."""
    if not path:
        return []
    if spacing <= 0:
        raise ValueError("spacing must be positive")
    pts = [(x * width, y * height) for x, y in path]
    lengths = [math.dist(a, b) for a, b in pairwise(pts)]
    total = sum(lengths)
    # Space them out further rather than cap the line short.
    step = max(spacing, total / (MAX_STROKE_POINTS - 1))
    out = [pts[0]]
    walked = 0.0  # along the path, up to the start of the current segment
    want = step
    for (a, b), seg in zip(pairwise(pts), lengths, strict=True):
        while seg > 0 and want <= walked + seg:
            t = (want - walked) / seg
            out.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
            want += step
        walked += seg
    far = math.dist(out[-1], pts[-1]) > step / 2
    if end and total > 0 and far and len(out) < MAX_STROKE_POINTS:
        out.append(pts[-1])
    return [(min(max(x / width, 0.0), 1.0), min(max(y / height, 0.0), 1.0)) for x, y in out]
