"""Fast on-screen rendering of a prediction, for feedback while the user is editing.

The core's render (edge-aware upsampling, then a float colour conversion) takes ~0.1 s for a
0.3 MP preview and over half a second for 2 MP on one CPU core. Here the first view of each
edit upsamples ab bilinearly and converts to 8-bit sRGB through a lookup table (~10x faster);
the worker then replaces it with the edge-aware result once the user pauses.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from model.colour.colorspace import (
    LAB_F_KNEE,
    LAB_F_SLOPE,
    WHITE_D65,
    lab_to_xyz,
    linear_to_srgb,
    rgb_to_lab,
    srgb_to_linear,
)
from model.colour.gamut import in_gamut, lab_to_rgb_keep_l
from model.inference import fit_ab, resize_plane

PREVIEW_PIXELS = 2_000_000  # on-screen copies of big scans stay below this
_LUT_SIZE = 1 << 14  # linear-light steps; < 0.25 of an 8-bit level even in the steep dark end
_L_STEPS, _HUE_STEPS = 101, 360  # gamut boundary table


@functools.cache
def _xyz_to_linear() -> np.ndarray:
    """XYZ -> linear sRGB, derived from the core's own conversions so both paths agree."""
    primaries = lab_to_xyz(rgb_to_lab(np.eye(3)))  # row i: XYZ of primary i
    return np.linalg.inv(primaries.T).astype(np.float32)


@functools.cache
def _gamma_lut() -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, _LUT_SIZE)
    return np.round(linear_to_srgb(ramp) * 255.0).astype(np.uint8)


@functools.cache
def _max_chroma() -> np.ndarray:
    """(L steps, hue steps) largest in-gamut chroma, found once by bisection."""
    L = np.linspace(0.0, 100.0, _L_STEPS)[:, None]
    hue = np.linspace(0.0, 2 * np.pi, _HUE_STEPS, endpoint=False)[None, :]
    unit = np.stack(np.broadcast_arrays(np.cos(hue), np.sin(hue)), -1)[0]  # (hues, 2)
    Lg = np.broadcast_to(L, (_L_STEPS, _HUE_STEPS))
    lo = np.zeros(Lg.shape)
    hi = np.full(Lg.shape, 150.0)
    for _ in range(18):
        mid = (lo + hi) / 2
        ok = in_gamut(Lg, unit[None] * mid[..., None])
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo.astype(np.float32)


def _keep_l(lab: np.ndarray) -> np.ndarray:
    """Out-of-gamut Lab -> linear RGB with chroma cut to the gamut edge at the same L and hue.

    The same idea as the core's lab_to_rgb_keep_l, from a precomputed boundary table instead
    of a per-pixel bisection (which costs seconds when shadows are full of such pixels).
    """
    table = _max_chroma()
    L, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    chroma = np.hypot(a, b)
    li = np.clip(L, 0.0, 100.0) / 100.0 * (_L_STEPS - 1)
    hi = (np.arctan2(b, a) % (2 * np.pi)) / (2 * np.pi) * _HUE_STEPS
    l0 = np.minimum(li.astype(np.int32), _L_STEPS - 2)
    h0 = hi.astype(np.int32) % _HUE_STEPS
    h1 = (h0 + 1) % _HUE_STEPS
    fl, fh = li - l0, hi - np.floor(hi)
    top = table[l0, h0] * (1 - fh) + table[l0, h1] * fh
    bottom = table[l0 + 1, h0] * (1 - fh) + table[l0 + 1, h1] * fh
    limit = top * (1 - fl) + bottom * fl
    scale = np.minimum(1.0, limit / np.maximum(chroma, 1e-6))[:, None]
    fixed = np.concatenate([lab[:, :1], lab[:, 1:] * scale], axis=-1).astype(np.float32)
    lin = lab_to_xyz(fixed).astype(np.float32) @ _xyz_to_linear().T
    # Where interpolating the table overshoots (sharp corners of the gamut), ask the core.
    still = _outside(lin)
    if still.any():
        lin[still] = srgb_to_linear(lab_to_rgb_keep_l(lab[still])).astype(np.float32)
    return lin


def _outside(lin: Any) -> Any:
    """Rows of linear RGB (numpy or torch) outside the gamut."""
    # lab_to_rgb_keep_l's tolerance (1e-4 in sRGB) expressed in linear light.
    out = (lin < -1e-5) | (lin > 1.0 + 2.4e-4)
    return out.any(-1) if isinstance(out, torch.Tensor) else np.any(out, axis=-1)


def lab_to_srgb8(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """L (H, W) and ab (H, W, 2) -> (H, W, 3) uint8 sRGB, converted as the core's render does
    (out-of-gamut colours lose chroma, never lightness) to within a level or two."""
    return FastPreview(L)(ab)


@functools.cache
def _tables() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(_xyz_to_linear().T.copy()), torch.from_numpy(_gamma_lut())


def _resize_ab_t(ab: np.ndarray, h: int, w: int) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(ab, dtype=np.float32))
    if ab.shape[:2] == (h, w):
        return t
    t = t.permute(2, 0, 1)[None]
    if h >= ab.shape[0] and w >= ab.shape[1]:
        out = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)
    else:
        out = F.interpolate(t, size=(h, w), mode="area")
    return out[0].permute(1, 2, 0).contiguous()


class FastPreview:
    """lab -> sRGB8 for one photo's preview lightness, with the L-only work done once.

    Only ab changes between edits, so Y (and its share of linear RGB) is computed when the
    photo opens; an edit then costs two cube roots' inverses and three multiply-adds per
    pixel. A 2 MP preview of a big scan took ~100 ms per edit through the general path.
    """

    def __init__(self, L: np.ndarray) -> None:
        self.shape = L.shape
        self._L = torch.from_numpy(np.ascontiguousarray(L, dtype=np.float32))
        self._fy = (self._L + 16.0) / 116.0
        to_linear, _ = _tables()
        self._rows = to_linear  # (3, 3): row i is XYZ channel i's contribution
        self._base = _finv(self._fy)[..., None] * float(WHITE_D65[1]) * to_linear[1]

    def __call__(self, ab: np.ndarray) -> np.ndarray:
        """ab at any size -> (H, W, 3) uint8 at the preview size (bilinear ab)."""
        t = _resize_ab_t(ab, *self.shape)
        X = _finv(self._fy + t[..., 0] / 500.0) * float(WHITE_D65[0])
        Z = _finv(self._fy - t[..., 1] / 200.0) * float(WHITE_D65[2])
        lin = torch.addcmul(self._base, X[..., None], self._rows[0])
        lin.addcmul_(Z[..., None], self._rows[2])
        lin = lin.reshape(-1, 3)
        bad = _outside(lin)
        if bool(bad.any()):
            lab = torch.cat([self._L.reshape(-1, 1)[bad], t.reshape(-1, 2)[bad]], -1)
            lin[bad] = torch.from_numpy(_keep_l(lab.numpy()))
        _, lut = _tables()
        idx = (lin * (_LUT_SIZE - 1) + 0.5).clamp_(0, _LUT_SIZE - 1).long()
        return lut[idx].reshape(*self.shape, 3).numpy()


def _finv(f: torch.Tensor) -> torch.Tensor:
    """Inverse of CIELAB's f(): f^3 above the knee, the linear segment below."""
    return torch.where(f > LAB_F_KNEE, f * f * f, (f - 16.0 / 116.0) / LAB_F_SLOPE)


def fast_preview(ab: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Quick look: working-resolution ab under the preview lightness L, as uint8 sRGB."""
    return FastPreview(L)(ab)


def needs_refining(ab: np.ndarray, L: np.ndarray) -> bool:
    """True when L is larger than the network output, where edge-aware upsampling shows."""
    return L.shape[0] > ab.shape[0] or L.shape[1] > ab.shape[1]


def refined_preview(ab: np.ndarray, L: np.ndarray) -> np.ndarray:
    """The edge-aware upsampling the export uses, as uint8 sRGB."""
    if not needs_refining(ab, L):
        return fast_preview(ab, L)
    return lab_to_srgb8(L, fit_ab(ab, L))


def preview_plane(L: np.ndarray, max_pixels: int = PREVIEW_PIXELS) -> np.ndarray:
    """L reduced (area average) to at most max_pixels; small photos are returned as is."""
    h, w = L.shape
    if h * w <= max_pixels:
        return L
    s = math.sqrt(max_pixels / (h * w))
    return resize_plane(L, max(1, int(h * s)), max(1, int(w * s)))
