"""Keep the rest: anchors holding the automatic colours away from the user's points."""

from __future__ import annotations

import numpy as np
import pytest

from model.hints.anchors import ANCHOR_SIZE, GRID, KEEP_OUT, anchor_points, point_reach
from model.hints.document import DEFAULT_SIZE, HintError, Hints, Point
from model.inference import Colorizer
from tests.conftest import photo, tiny_net

pytestmark = pytest.mark.usefixtures("one_thread")


def _ramp(h: int, w: int) -> np.ndarray:
    """ab that tells positions apart: a = column, b = -row."""
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([cols, -rows], -1)


def test_no_points_no_anchors() -> None:
    assert anchor_points(_ramp(64, 64), []) == ()


def test_anchors_stand_on_a_square_grid_away_from_the_points() -> None:
    user = [Point(0.5, 0.5, (40.0, 20.0))]
    square = anchor_points(_ramp(64, 64), user, keep_out=0.15)
    # 6 x 6 cells; the four round the centre lie within 0.15 of it.
    assert len(square) == GRID * GRID - 4
    for a in square:
        assert np.hypot(a.x - 0.5, a.y - 0.5) >= 0.15 and a.size == ANCHOR_SIZE
    # A photo twice as wide as high: six across, three down, distances in square measure.
    wide = anchor_points(_ramp(32, 64), [Point(0.05, 0.5, (0.0, 0.0))], keep_out=0.15)
    assert len({a.x for a in wide}) == GRID and len({a.y for a in wide}) == 3
    assert all(np.hypot((a.x - 0.05), (a.y - 0.5) / 2) >= 0.15 for a in wide)
    assert len(wide) == GRID * 3 - 1  # only the cell at (1/12, 1/2) is that near


def test_a_bigger_point_keeps_the_anchors_further_away() -> None:
    assert point_reach(1) < KEEP_OUT == point_reach(DEFAULT_SIZE) < point_reach(9)
    for size in (1, DEFAULT_SIZE, 9):
        user = [Point(0.5, 0.5, (40.0, 20.0), size)]
        d = [np.hypot(a.x - 0.5, a.y - 0.5) for a in anchor_points(_ramp(64, 64), user)]
        assert min(d) >= point_reach(size)
        # The nearest grid cells left out are those within the reach, no more.
        cells = [(gx + 0.5) / GRID for gx in range(GRID)]
        near = [np.hypot(x - 0.5, y - 0.5) for x in cells for y in cells]
        assert len(d) == sum(r >= point_reach(size) for r in near)


def test_anchors_hold_the_colour_their_patch_shows() -> None:
    auto = _ramp(60, 60)
    for a in anchor_points(auto, [Point(0.0, 0.0, (0.0, 0.0))]):
        col, row = int(a.x * 60), int(a.y * 60)  # a 3-pixel patch centred there
        assert a.ab == pytest.approx((col, -row))


def test_the_hint_file_keeps_it() -> None:
    on = Hints((Point(0.2, 0.3, (10.0, 5.0)),)).with_keep_rest(True)
    assert on.to_dict()["keep_rest"] is True and "keep_rest" not in Hints().to_dict()
    assert Hints.from_dict(on.to_dict()).keep_rest
    doc = {"format": "huebrush-hints", "version": 1}
    assert not Hints.from_dict({**doc, "keep_rest": None}).keep_rest
    with pytest.raises(HintError, match="keep_rest"):
        Hints.from_dict({**doc, "keep_rest": "yes"})


def test_the_colorizer_adds_anchors_of_the_automatic_colours() -> None:
    col = Colorizer(tiny_net(), device="cpu", working_size=64)
    prep = col.prepare(photo(64, 96))
    user = (Point(0.3, 0.6, (60.0, -30.0)),)
    free, kept = Hints(user), Hints(user).with_keep_rest(True)
    assert col.anchored(prep, free) == free
    assert col.anchored(prep, Hints().with_keep_rest(True)).points == ()
    auto = col.predict(prep, Hints()).ab
    anchored = col.anchored(prep, kept)
    assert anchored.points == (*user, *anchor_points(auto, user))
    assert col.anchored(prep, anchored) == anchored  # final: anchoring again adds nothing
    # The network sees exactly that, and the automatic pass is kept for the next edit.
    explicit = col.predict(prep, Hints(anchored.points))
    np.testing.assert_array_equal(col.predict(prep, kept).ab, explicit.ab)
    assert prep.cache["auto"][0] == ((), None)
    # One automatic pass is kept: the latest palette's and saturation's.
    col.predict(prep, kept.with_saturation(0.3))
    col.predict(prep, kept.with_saturation(0.6))
    assert prep.cache["auto"][0] == ((), 0.6)
    np.testing.assert_array_equal(
        prep.cache["auto"][1], col.predict(prep, Hints().with_saturation(0.6)).ab
    )
