"""The network's answer averaged over mirrored and rescaled views (model.views)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from model.finish import Finish
from model.hints.document import Hints, Point
from model.inference import Colorizer, Prediction, Prepared, resize_plane
from model.refine import RefineSettings
from model.views import VIEWS, View, finished_prediction, mirrored, predict_views, view_input
from tests.conftest import photo, tiny_net

POINTS = (Point(0.2, 0.3, (30.0, 10.0), 5), Point(0.7, 0.6, (-20.0, 25.0), 3))


class Echo(Colorizer):
    """Its "colour" is the working L it was given (a and b alike), so a view that is not
    mirrored back, or not brought back to the prepared size, shows; it notes the hints."""

    def __init__(self) -> None:
        super().__init__(tiny_net(), device="cpu", working_size=128)
        self.seen: list[tuple[tuple[int, int], Hints]] = []

    def predict(self, prep: Prepared, hints: Hints, head: torch.nn.Module | None = None):
        self.seen.append((prep.work_shape, hints))
        L = prep.L_work[0, 0].numpy()
        return Prediction(np.stack([L, L], -1), torch.zeros(313, *[s // 4 for s in L.shape]))


def test_mirrored_hints_reflect_x_only() -> None:
    m = mirrored(Hints(POINTS, saturation=0.4))
    assert [(p.x, p.y, p.ab, p.size) for p in m.points] == [
        (1.0 - p.x, p.y, p.ab, p.size) for p in POINTS
    ]
    assert m.saturation == 0.4
    assert [p.x for p in mirrored(m).points] == pytest.approx([p.x for p in POINTS])


def test_views_come_back_aligned_and_at_the_prepared_size() -> None:
    col = Echo()
    # A left-right asymmetric photo, not square: a view not mirrored back would show.
    prep = col.prepare(photo(h=96, w=160))
    pred = predict_views(col, prep, Hints(POINTS))
    assert pred is not None
    h, w = prep.work_shape
    assert pred.ab.shape == (h, w, 2)
    L = prep.L_work[0, 0].numpy()
    # Each view is the photo's L at its own size, brought back: near L, not its mirror.
    assert np.abs(pred.ab[..., 0] - L).mean() < 0.1 * np.abs(L[:, ::-1] - L).mean()
    shapes = {s for s, _ in col.seen}
    assert len(shapes) == 3 and all(a % 32 == 0 and b % 32 == 0 for a, b in shapes)
    assert min(shapes) < (h, w) < max(shapes)
    for view, (_, hints) in zip(VIEWS, col.seen, strict=True):
        want = mirrored(Hints(POINTS)) if view.mirrored else Hints(POINTS)
        assert hints.points == want.points


def test_one_view_is_the_plain_prediction_and_inputs_are_cached() -> None:
    col = Colorizer(tiny_net(), device="cpu", working_size=64)
    prep = col.prepare(photo())
    hints = Hints(POINTS)
    one = predict_views(col, prep, hints, views=(View(),))
    assert one is not None and np.array_equal(one.ab, col.predict(prep, hints).ab)
    v = View(1.125, True)
    first = view_input(col, prep, v)
    assert view_input(col, prep, v) is first  # features kept once
    L = resize_plane(prep.image.L, *first.work_shape)
    assert np.allclose(first.L_work[0, 0].numpy(), L[:, ::-1])
    all_views = predict_views(col, prep, hints)
    assert all_views is not None and not np.allclose(all_views.ab, one.ab)
    assert torch.equal(all_views.logits, one.logits)  # suggestions from the photo as it is


def test_keep_the_rest_anchors_once_for_every_view() -> None:
    col = Echo()
    prep = col.prepare(photo())
    predict_views(col, prep, Hints(POINTS, keep_rest=True))
    auto = col.seen[0]  # the automatic pass behind the anchors
    assert auto[1].points == ()
    views = col.seen[1:]
    assert len(views) == len(VIEWS)
    assert all(not h.keep_rest and len(h.points) > len(POINTS) for _, h in views)


def test_a_stop_between_views_gives_nothing() -> None:
    col = Echo()
    prep = col.prepare(photo())
    asked = []
    pred = predict_views(col, prep, Hints(POINTS), stop=lambda: len(asked.append(1) or asked) > 2)
    assert pred is None and len(col.seen) == 2


def test_each_finish_does_what_it_says_and_only_with_points() -> None:
    col = Colorizer(tiny_net(), device="cpu", working_size=64)
    prep = col.prepare(photo())
    quick = RefineSettings(steps=5, lr=1e-2)
    plain = col.predict(prep, Hints()).ab
    for finish in Finish:  # no points: the plain pass (the views do not help there)
        none = finished_prediction(col, prep, Hints(), finish, quick)
        assert none is not None and np.array_equal(none.ab, plain)
    hints = Hints(POINTS)
    got = {f: finished_prediction(col, prep, hints, f, quick) for f in Finish}
    head = col.adapted_head(prep, hints, quick)
    expected = {
        Finish.PASS: col.predict(prep, hints),
        Finish.VIEWS: predict_views(col, prep, hints),
        Finish.REFINE: predict_views(col, prep, hints, head),  # the same seeded fit
    }
    for f in Finish:
        g, e = got[f], expected[f]
        assert g is not None and e is not None and np.array_equal(g.ab, e.ab), f
    assert not np.allclose(got[Finish.VIEWS].ab, got[Finish.PASS].ab, atol=1e-6)
    assert not np.allclose(got[Finish.REFINE].ab, got[Finish.VIEWS].ab, atol=1e-6)
    for f in (Finish.VIEWS, Finish.REFINE):
        assert finished_prediction(col, prep, hints, f, quick, stop=lambda: True) is None
    assert dataclasses.replace(quick) == quick  # settings are plain data
