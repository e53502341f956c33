"""A painted stroke becomes evenly spaced points in the network's pixels."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from model.hints.stroke import MAX_STROKE_POINTS, stroke_positions


def _px(pts: list[tuple[float, float]], w: int, h: int) -> list[tuple[float, float]]:
    return [(x * w, y * h) for x, y in pts]


def test_straight_stroke_is_spaced_evenly_and_ends_at_the_end() -> None:
    # 100 working pixels along a 256 x 128 photo's middle row, drawn as 3 uneven segments.
    path = [(0.1, 0.5), (0.2, 0.5), (0.25, 0.5), (0.1 + 100 / 256, 0.5)]
    got = _px(stroke_positions(path, 256, 128, spacing=10), 256, 128)
    assert len(got) == 11
    assert got[0] == pytest.approx((25.6, 64))
    assert got[-1] == pytest.approx((125.6, 64))
    gaps = [math.dist(a, b) for a, b in pairwise(got)]
    assert gaps == pytest.approx([10.0] * 10)


def test_spacing_is_in_working_pixels_whatever_the_aspect() -> None:
    # The same fractions on a tall photo: a vertical stroke is longer in pixels there.
    path = [(0.5, 0.0), (0.5, 0.5)]
    wide = stroke_positions(path, 256, 128, spacing=8)
    tall = stroke_positions(path, 128, 256, spacing=8)
    assert len(wide) == 9  # 64 px
    assert len(tall) == 17  # 128 px


def test_end_is_added_only_if_the_last_point_is_far_from_it() -> None:
    near = stroke_positions([(0.0, 0.0), (23 / 256, 0.0)], 256, 256, spacing=10)
    far = stroke_positions([(0.0, 0.0), (27 / 256, 0.0)], 256, 256, spacing=10)
    assert [round(x * 256) for x, _ in near] == [0, 10, 20]
    assert [round(x * 256) for x, _ in far] == [0, 10, 20, 27]
    # While the stroke is drawn the end is left out, so the points placed so far stay put.
    growing = stroke_positions([(0.0, 0.0), (27 / 256, 0.0)], 256, 256, spacing=10, end=False)
    assert growing == far[:3]


def test_click_without_move_is_one_point_and_empty_is_none() -> None:
    assert stroke_positions([(0.3, 0.4), (0.3, 0.4)], 256, 256, 10) == [(0.3, 0.4)]
    assert stroke_positions([], 256, 256, 10) == []
    with pytest.raises(ValueError):
        stroke_positions([(0.1, 0.1)], 256, 256, 0)


def test_long_scribble_is_capped_by_spacing_out_and_still_reaches_the_end() -> None:
    zigzag = [(i % 2, i / 400) for i in range(400)]  # 400 crossings of the photo
    got = stroke_positions(zigzag, 256, 256, spacing=2)
    assert len(got) <= MAX_STROKE_POINTS
    assert got[-1][1] > 0.98
    assert all(0.0 <= v <= 1.0 for p in got for v in p)
