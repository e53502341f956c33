"""Simulated user hints from ground-truth colour, for training and for evaluation.

Points become `model.hints.Point`s and go through `model.hints.encoding`, the same encoder the
GUI and the CLI use, so what the network learns from is exactly what users send it.
"""

from __future__ import annotations

import numpy as np
import torch

from model.hints.document import Point
from model.hints.encoding import (
    ab_histogram,
    encode_global,
    encode_points,
    kmeans_palette,
    point_at_patch,
)

EVAL_PATCH = 6
MANY_POINTS = (10, 100)  # count range of the optional many-point samples


def _patch_point(ab: np.ndarray, top: int, left: int, size: int) -> Point:
    h, w = ab.shape[:2]
    mean = ab[top : top + size, left : left + size].reshape(-1, 2).mean(0)
    return point_at_patch(top, left, size, h, w, (float(mean[0]), float(mean[1])))


def _gauss_corner(rng: np.random.Generator, extent: int, size: int) -> int:
    c = rng.normal(extent / 2.0, extent / 4.0)
    return int(np.clip(round(c - size / 2.0), 0, extent - size))


def simulate_points(
    ab: np.ndarray,
    rng: np.random.Generator,
    p_geom: float = 0.125,
    p_gauss: float = 0.75,
    max_points: int = 200,
    p_many: float = 0.0,
) -> list[Point]:
    """Training points: count geometric (P(0) = p_geom), sizes 1..9, patch-mean true ab.

    ab is (H, W, 2). Most points sit around the centre (sigma a quarter of the size,
    clipped); the rest are uniform so hints near the edges are learnt too. A share p_many
    of samples instead draws its count log-uniformly from MANY_POINTS: the geometric count
    almost never reaches the 50-point end of the benchmark (P(n >= 50) ~ 0.1 % at p = 1/8).
    """
    h, w = ab.shape[:2]
    # Drawn only when enabled, so runs without it keep their exact random streams.
    if p_many > 0.0 and rng.random() < p_many:
        lo, hi = MANY_POINTS
        n = int(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))))
    else:
        n = int(rng.geometric(p_geom)) - 1
    n = min(n, max_points)
    pts = []
    for _ in range(n):
        size = int(rng.integers(1, 10))
        if rng.random() < p_gauss:
            top, left = _gauss_corner(rng, h, size), _gauss_corner(rng, w, size)
        else:
            top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        pts.append(_patch_point(ab, top, left, size))
    return pts


def eval_points(ab: np.ndarray, n: int, rng: np.random.Generator) -> list[Point]:
    """The benchmark protocol: n 6x6 patches, each axis Gaussian around the centre."""
    h, w = ab.shape[:2]
    return [
        _patch_point(
            ab, _gauss_corner(rng, h, EVAL_PATCH), _gauss_corner(rng, w, EVAL_PATCH), EVAL_PATCH
        )
        for _ in range(n)
    ]


def simulate_global(
    ab: np.ndarray,
    saturation: float,
    rng: np.random.Generator,
    p_hist: float = 0.2,
    p_palette: float = 0.5,
    p_saturation: float = 0.2,
) -> torch.Tensor:
    """The (316,) global-hint vector: histogram and saturation each given with a probability.

    A given histogram comes either from all pixels at 1/4 resolution (SIGGRAPH17) or from a
    k-means palette of them, since GUI users give palettes, not full histograms.
    """
    from model.hints.document import PaletteColor

    palette: tuple[PaletteColor, ...] = ()
    if rng.random() < p_hist:
        # A 16x16 sample of the crop is plenty for a histogram and keeps the loader cheap.
        step = max(1, min(ab.shape[:2]) // 16)
        small = ab[::step, ::step].reshape(-1, 2)
        if rng.random() < p_palette:
            palette = tuple(kmeans_palette(small, int(rng.integers(3, 9)), rng, iters=6))
        else:
            hist = ab_histogram(torch.from_numpy(np.ascontiguousarray(small)))
            g = encode_global((), saturation if rng.random() < p_saturation else None)
            g[: hist.shape[0]] = hist
            g[hist.shape[0]] = 1.0
            return g
    sat = saturation if rng.random() < p_saturation else None
    return encode_global(palette, sat)


def encode_sample(points: list[Point], h: int, w: int) -> torch.Tensor:
    """(3, h, w) local hint planes via the shared encoder."""
    return encode_points(points, h, w)
