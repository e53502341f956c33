"""Which ab colours are valid sRGB at a given lightness, and snapping into that set."""

from __future__ import annotations

import numpy as np

from model.colorspace import lab_to_rgb_unclipped

AB_LIMIT = 128.0
_TOL = 1e-6
# How far outside 0..1 a channel may be before its chroma is reduced; the rest is clipped.
# Clipping changes lightness: 1e-4 moved L by up to 0.007 near white, 14x the 16-bit rounding
# error, so the slack stays at float64 noise level.
_RGB_SLACK = 1e-6


def in_gamut(L: float | np.ndarray, ab: np.ndarray) -> np.ndarray:
    """True where (L, a, b) is a valid sRGB colour; ab is (..., 2)."""
    ab = np.asarray(ab, dtype=np.float64)
    Lb = np.broadcast_to(np.asarray(L, dtype=np.float64), ab.shape[:-1])
    rgb = lab_to_rgb_unclipped(np.concatenate([Lb[..., None], ab], axis=-1))
    return np.all((rgb >= -_TOL) & (rgb <= 1.0 + _TOL), axis=-1)


def gamut_mask(L: float, size: int = 129, limit: float = AB_LIMIT) -> np.ndarray:
    """(size, size) bool image of the ab plane at lightness L; row = b (top = +b), col = a."""
    axis = np.linspace(-limit, limit, size)
    a, b = np.meshgrid(axis, axis[::-1])
    return in_gamut(L, np.stack([a, b], -1))


def snap_to_gamut(L: float | np.ndarray, ab: np.ndarray, iters: int = 24) -> np.ndarray:
    """Pull ab towards grey along its hue until it is valid sRGB at L (in-gamut ab unchanged)."""
    ab = np.asarray(ab, dtype=np.float64)
    ok = in_gamut(L, ab)
    if np.all(ok):
        return ab.copy()
    lo = np.zeros(ab.shape[:-1])  # scale 0 (grey) is always in gamut for 0 <= L <= 100
    hi = np.ones(ab.shape[:-1])
    for _ in range(iters):
        mid = (lo + hi) / 2
        good = in_gamut(L, ab * mid[..., None])
        lo = np.where(good, mid, lo)
        hi = np.where(good, hi, mid)
    return np.where(ok[..., None], ab, ab * lo[..., None])


def lab_to_rgb_keep_l(lab: np.ndarray, iters: int = 10) -> np.ndarray:
    """CIELAB -> sRGB that keeps L: out-of-gamut pixels lose chroma (same hue), not lightness.

    Plain clipping of out-of-gamut RGB changes the lightness of dark and bright pixels,
    and the promise is that a colourised photo keeps the original L exactly.
    """
    lab = np.asarray(lab, dtype=np.float32)
    rgb = lab_to_rgb_unclipped(lab)
    bad = np.any((rgb < -_RGB_SLACK) | (rgb > 1.0 + _RGB_SLACK), axis=-1)
    if bad.any():
        sub = lab[bad]
        lo = np.zeros(len(sub), dtype=np.float32)
        hi = np.ones(len(sub), dtype=np.float32)
        for _ in range(iters):
            mid = (lo + hi) / 2
            trial = np.concatenate([sub[:, :1], sub[:, 1:] * mid[:, None]], axis=-1)
            t = lab_to_rgb_unclipped(trial)
            good = np.all((t >= -_RGB_SLACK) & (t <= 1.0 + _RGB_SLACK), axis=-1)
            lo = np.where(good, mid, lo)
            hi = np.where(good, hi, mid)
        fixed = np.concatenate([sub[:, :1], sub[:, 1:] * lo[:, None]], axis=-1)
        rgb[bad] = lab_to_rgb_unclipped(fixed)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)
