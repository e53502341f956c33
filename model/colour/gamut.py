"""Which ab colours are valid sRGB at a given lightness, and snapping into that set."""

from __future__ import annotations

import numpy as np
import torch

from model.colour.colorspace import (
    _XYZ2RGB,
    LAB_F_KNEE,
    LAB_F_SLOPE,
    WHITE_D65,
    lab_to_rgb_unclipped,
    linear_to_srgb,
)

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


# The same slack in linear light, where the bisection runs without the transfer curve:
# sRGB = 12.92 lin near 0 and d sRGB / d lin = 1.055 / 2.4 at 1.
_LIN_LO, _LIN_HI = -_RGB_SLACK / 12.92, 1.0 + _RGB_SLACK * 2.4 / 1.055


def lab_to_rgb_keep_l(lab: np.ndarray, iters: int = 10) -> np.ndarray:
    """CIELAB -> sRGB that keeps L: out-of-gamut pixels lose chroma (same hue), not lightness.

    Plain clipping of out-of-gamut RGB changes the lightness of dark and bright pixels,
    and the promise is that a colourised photo keeps the original L exactly. Runs in float32
    torch, and bisects in linear light: the numpy version spent 92 of the 141 s of a
    100-megapixel export here.
    """
    t = torch.from_numpy(np.ascontiguousarray(lab, dtype=np.float32))
    lin = lab_planes_to_linear_keep_l(t[..., 0], t[..., 1], t[..., 2], iters)
    return linear_to_srgb(lin).movedim(0, -1).numpy()


def _finv(f: torch.Tensor) -> torch.Tensor:
    """Inverse of CIELAB's f(): f^3 above the knee, the linear segment below."""
    return torch.where(f > LAB_F_KNEE, f * f * f, (f - 16.0 / 116.0) / LAB_F_SLOPE)


def _linear(fy: torch.Tensor, Y: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Planar (3, ...) linear sRGB of CIELAB given as fy = f(Y), Y, a and b."""
    X = _finv(a / 500.0 + fy).mul_(float(WHITE_D65[0]))
    Z = _finv(fy - b / 200.0).mul_(float(WHITE_D65[2]))
    lin = torch.empty((3, *Y.shape))
    for c, (mx, my, mz) in enumerate(_XYZ2RGB.tolist()):
        torch.mul(X, mx, out=lin[c]).add_(Y, alpha=my).add_(Z, alpha=mz)
    return lin


def _in_gamut(lin: torch.Tensor) -> torch.Tensor:
    """Where planar linear sRGB (3, ...) is within the gamut (channel by channel: a
    reduction over the first dimension is ~100x slower)."""
    ok = (lin[0] >= _LIN_LO) & (lin[0] <= _LIN_HI)
    for c in (1, 2):
        ok &= (lin[c] >= _LIN_LO) & (lin[c] <= _LIN_HI)
    return ok


def lab_planes_to_linear_keep_l(
    L: torch.Tensor, a: torch.Tensor, b: torch.Tensor, iters: int = 10
) -> torch.Tensor:
    """float32 L, a, b planes (any equal shapes) -> planar (3, ...) linear sRGB in 0..1.

    Out-of-gamut pixels keep L and hue and lose the least chroma that brings them into the
    gamut, found by bisection (to 2^-iters of their chroma) on those pixels only.
    """
    fy = (L + 16.0) / 116.0
    Y = _finv(fy)
    lin = _linear(fy, Y, a, b)
    bad = torch.nonzero(~_in_gamut(lin).view(-1)).view(-1)
    if len(bad):
        # Gathered once by index: each boolean mask would search the whole band again.
        fy_, Y_, a_, b_ = (x.reshape(-1).index_select(0, bad) for x in (fy, Y, a, b))
        lo = torch.zeros_like(fy_)
        hi = torch.ones_like(fy_)
        for _ in range(iters):
            mid = (lo + hi) * 0.5
            good = _in_gamut(_linear(fy_, Y_, a_ * mid, b_ * mid))
            lo = torch.where(good, mid, lo)
            hi = torch.where(good, hi, mid)
        lin.view(3, -1).index_copy_(1, bad, _linear(fy_, Y_, a_ * lo, b_ * lo))
    return lin.clamp_(0.0, 1.0)
