"""The network's answer averaged over views of the photo: mirrored, and at working sizes an
eighth smaller and larger.

Each pass is one guess; the same network on the mirrored photo, or on a slightly smaller or
larger one, makes somewhat different mistakes, and their mean is nearer the truth. With the
refinement to the points (model.refine) it doubles what the refinement gains at 10 points
(README, Measured). Five more passes are too slow for every edit on a CPU, so the views go
with the refinement, which runs when the user pauses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from torch import nn

from model.hints import Hints
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
        shape = working_shape(*prep.image.L.shape, int(round(side)))
        L = resize_plane(prep.image.L, *shape)
        if view.mirrored:
            L = np.ascontiguousarray(L[:, ::-1])
        v = colorizer.prepare_L(prep.image, L)
        v.sem = None  # sem_bias is what predict reads; the 1432-channel map is not kept
        cache[key] = v
    return cache[key]


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


def refined_prediction(
    colorizer: Colorizer,
    prep: Prepared,
    hints: Hints,
    settings: RefineSettings = DEFAULT_REFINE,
    stop: Callable[[], bool] | None = None,
) -> Prediction | None:
    """The refinement as the product applies it (the app's Preferences, `--refine`): the
    last layers fitted to the points, then the views averaged; with no points, the plain
    prediction. None when `stop` abandoned it."""
    if not hints.points:
        return colorizer.predict(prep, hints)
    head = colorizer.adapted_head(prep, hints, settings, stop)
    if head is None:
        return None
    return predict_views(colorizer, prep, hints, head, stop=stop)
