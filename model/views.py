"""The network's answer averaged over views of the photo: mirrored, and at working sizes an
eighth smaller and larger.

Each pass is one guess; the same network on the mirrored photo, or on a slightly smaller or
larger one, makes somewhat different mistakes, and their mean is nearer the truth where
there are points (+0.15 dB at 10; docs/quality.md). Five more passes are too slow for every
edit on a CPU, so the app shows one pass while the user edits and the views once they pause
(`Finish`); with the refinement to the points (model.refine) they double what it gains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from torch import nn

from model.finish import DEFAULT_FINISH, Finish
from model.hints.document import Hints
from model.inference import Colorizer, Prediction, Prepared, resize_plane, working_shape
from model.refine import DEFAULT_REFINE, RefineSettings


@dataclass(frozen=True)
class View:
    """One way of showing the photo to the network: its working size relative to the
    prepared one, and whether left and right are swapped."""

    scale: float = 1.0
    mirrored: bool = False


# Picked on 70 held-out `val/` photos and checked on 70 others and the training-time subset.
VIEWS = tuple(View(s, m) for s in (1.0, 0.875, 1.125) for m in (False, True))


def mirrored(hints: Hints) -> Hints:
    """The hints of the mirrored photo: every point's x reflected."""
    return replace(hints, points=tuple(replace(p, x=1.0 - p.x) for p in hints.points))


def view_input(colorizer: Colorizer, prep: Prepared, view: View) -> Prepared:
    """The photo as this view shows it, with its features; cached with the photo."""
    if view == View():
        return prep
    cache = prep.cache.setdefault("views", {})
    key = (view, prep.work_shape)
    if key not in cache:
        h, w = prep.work_shape
        side = view.scale * float(np.sqrt(h * w))
        shape = working_shape(prep.image.L.shape[0], prep.image.L.shape[1], int(round(side)))
        L = resize_plane(prep.image.L, *shape)
        if view.mirrored:
            L = np.ascontiguousarray(L[:, ::-1])
        v = colorizer.prepare_L(prep.image, L)
        cache[key] = v
    return cache[key]


def unprepared_views(prep: Prepared, views: tuple[View, ...] = VIEWS) -> list[View]:
    """The views whose input is not cached with the photo yet (the photo itself needs none)."""
    cache = prep.cache.get("views", {})
    return [v for v in views if v != View() and (v, prep.work_shape) not in cache]


def predict_views(
    colorizer: Colorizer,
    prep: Prepared,
    hints: Hints,
    head: nn.Module | None = None,
    views: tuple[View, ...] = VIEWS,
    stop: Callable[[], bool] | None = None,
) -> Prediction | None:
    """The mean ab of the views at the prepared working size, with the first view's colour
    distribution (for suggestions); None when `stop` said so between two passes.

    `head`, the photo's fitted last layers, serves every view: they are convolutions.
    """
    hints = colorizer.anchored(prep, hints)  # once, from the photo as prepared
    h, w = prep.work_shape
    total = np.zeros((h, w, 2), np.float32)
    first: Prediction | None = None
    for view in views:
        if stop is not None and stop():
            return None
        pred = colorizer.predict(
            view_input(colorizer, prep, view), mirrored(hints) if view.mirrored else hints, head
        )
        ab = pred.ab[:, ::-1] if view.mirrored else pred.ab
        total += ab if ab.shape[:2] == (h, w) else resize_plane(ab, h, w)
        if first is None:
            first = pred
    assert first is not None
    return Prediction(total / len(views), first.logits)


def finished_prediction(
    colorizer: Colorizer,
    prep: Prepared,
    hints: Hints,
    finish: Finish = DEFAULT_FINISH,
    settings: RefineSettings = DEFAULT_REFINE,
    stop: Callable[[], bool] | None = None,
) -> Prediction | None:
    """The photo's final colours as `finish` says; with no points, the plain prediction (the
    views do not help automatic colour). None when `stop` abandoned it."""
    finish = finish.applied(hints)
    if finish is Finish.PASS:
        return colorizer.predict(prep, hints)
    head = None
    if finish is Finish.REFINE and colorizer.can_refine:
        head = colorizer.adapted_head(prep, hints, settings, stop)
        if head is None:
            return None
    return predict_views(colorizer, prep, hints, head, stop=stop)
