"""The full-resolution render: ab at the working size and the photo's L -> sRGB pixels.

model.upsample.GuidedUpsample filters the whole photo once (bilinear ab, the guided filter
under L, and the back-projections reduced to a correction at the working size); here each
row band of its result is converted to sRGB keeping L (model.colour.gamut) and quantised to
the file's 8 or 16 bits while it is in the cache, on all cores. No whole-image float ab or
float RGB is made: a 24-megapixel photo costs its filtered ab (8 bytes a pixel) and the
output.
"""

from __future__ import annotations

import numpy as np
import torch

from model.colour.gamut import lab_planes_to_linear_keep_l
from model.upsample import DEFAULT_EPS, DEFAULT_RADIUS, GuidedUpsample, downsample_area, map_bands

_DTYPES = {None: np.float32, 8: np.uint8, 16: np.uint16}


def fit_ab_low(ab: np.ndarray, H: int, W: int) -> np.ndarray:
    """ab shrunk by area averaging where it is larger than (H, W) (a photo smaller than the
    working size), else as it is."""
    h, w = ab.shape[:2]
    if h > H or w > W:
        return downsample_area(ab, min(h, H), min(w, W))
    return ab


def lab_band_to_rgb(L: torch.Tensor, ab: torch.Tensor, depth: int | None) -> torch.Tensor:
    """L (n, W) + planar ab (2, n, W) -> planar (3, n, W) sRGB keeping L: float32 in 0..1
    (depth None), or rounded to the 0..255 / 0..65535 of an 8- or 16-bit file.

    The transfer curve is colorspace.linear_to_srgb's, with x^(1/2.4) as exp(log(x) / 2.4)
    in place (5x faster than torch's pow; 2e-7 apart) and the scaling to the file's range
    folded in.
    """
    lin = lab_planes_to_linear_keep_l(L, ab[0], ab[1])
    scale = 1.0 if depth is None else 255.0 if depth == 8 else 65535.0
    linear_part = lin <= 0.0031308
    steep = lin * (12.92 * scale)
    rgb = lin.log_().mul_(1.0 / 2.4).exp_().mul_(1.055 * scale).sub_(0.055 * scale)
    torch.where(linear_part, steep, rgb, out=rgb)
    if depth is None:
        return rgb
    return rgb.clamp_(0.0, scale).round_()


def render_rgb(
    ab_low: np.ndarray,
    L: np.ndarray,
    depth: int | None = None,
    radius: int = DEFAULT_RADIUS,
    eps: float = DEFAULT_EPS,
    band_pixels: int | None = None,
) -> np.ndarray:
    """ab (h, w, 2) at the working size + L (H, W) -> (H, W, 3) sRGB with exactly that L.

    ab is upsampled edge-aware under L (model.upsample.upsample_ab's method), or area-shrunk
    where it is larger. depth None gives float32 in 0..1; 8 or 16 the rounded uint8 / uint16
    an 8- or 16-bit file holds (what model.io.pixels.to_uint makes of the float result).
    """
    if depth not in _DTYPES:
        raise ValueError(f"depth must be None, 8 or 16, not {depth}")
    L = np.asarray(L)
    if L.ndim != 2:
        raise ValueError(f"L must be (H, W), got {L.shape}")
    H, W = L.shape
    up = GuidedUpsample(fit_ab_low(np.asarray(ab_low), H, W), L, radius, eps, band_pixels)
    out = np.empty((H, W, 3), _DTYPES[depth])
    out_t = torch.from_numpy(out)

    def band(a: int, b: int) -> None:
        L_band = torch.from_numpy(np.asarray(L[a:b], np.float32))
        out_t[a:b] = lab_band_to_rgb(L_band, up.rows(a, b), depth).permute(1, 2, 0)

    map_bands(band, up.bands)
    return out
