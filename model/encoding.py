"""The one hint encoder: points and palette -> network tensors.

The GUI, the CLI and the training simulator all go through these functions, so the
normalisation of L, ab, masks and histograms cannot drift between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from model.bins import N_BINS, soft_encode
from model.hints import Hints, PaletteColor, Point

L_CENTER, L_SCALE = 50.0, 50.0
AB_SCALE = 110.0


def normalize_l(L: torch.Tensor) -> torch.Tensor:
    """L in 0..100 -> network input around 0."""
    return (L - L_CENTER) / L_SCALE


def normalize_ab(ab: torch.Tensor) -> torch.Tensor:
    return ab / AB_SCALE


def denormalize_ab(x: torch.Tensor) -> torch.Tensor:
    return x * AB_SCALE


def patch_span(centre: float, size: int, extent: int) -> tuple[int, int]:
    """Pixel range [lo, hi) of a patch of width `size` centred on fraction `centre`."""
    c = min(int(np.floor(centre * extent)), extent - 1)
    lo = c - (size - 1) // 2
    return max(lo, 0), min(lo + size, extent)


def point_at_patch(
    top: int, left: int, size: int, h: int, w: int, ab: tuple[float, float]
) -> Point:
    """The point whose encoded patch is exactly rows/cols [top, top+size) x [left, left+size)."""
    cy, cx = top + (size - 1) // 2, left + (size - 1) // 2
    return Point((cx + 0.5) / w, (cy + 0.5) / h, (float(ab[0]), float(ab[1])), size)


def encode_points(points: tuple[Point, ...] | list[Point], h: int, w: int) -> torch.Tensor:
    """(3, h, w): normalised hint a, hint b and the mask; later points cover earlier ones."""
    out = torch.zeros(3, h, w)
    for p in points:
        y0, y1 = patch_span(p.y, p.size, h)
        x0, x1 = patch_span(p.x, p.size, w)
        out[0, y0:y1, x0:x1] = p.ab[0] / AB_SCALE
        out[1, y0:y1, x0:x1] = p.ab[1] / AB_SCALE
        out[2, y0:y1, x0:x1] = 1.0
    return out


def ab_histogram(ab: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Soft 313-bin histogram of ab samples (N, 2), summing to 1."""
    enc = soft_encode(ab.reshape(-1, 2).float())
    if weights is not None:
        enc = enc * weights.reshape(-1, 1).float()
    h = enc.sum(0)
    return h / h.sum().clamp_min(1e-12)


@dataclass(frozen=True)
class GlobalHint:
    """The global branch's input: histogram + flag and saturation + flag (a (316,) vector)."""

    hist: torch.Tensor  # (313,)
    hist_given: bool
    saturation: float
    saturation_given: bool

    def vector(self) -> torch.Tensor:
        return torch.cat(
            [
                self.hist.float(),
                torch.tensor(
                    [float(self.hist_given), self.saturation, float(self.saturation_given)]
                ),
            ]
        )


GLOBAL_DIM = N_BINS + 3


def empty_global() -> torch.Tensor:
    return torch.zeros(GLOBAL_DIM)


def encode_global(palette: tuple[PaletteColor, ...], saturation: float | None) -> torch.Tensor:
    """(316,) global-hint vector from a palette and a saturation (either may be absent)."""
    if palette and sum(c.weight for c in palette) > 0:
        ab = torch.tensor([c.ab for c in palette], dtype=torch.float32)
        w = torch.tensor([c.weight for c in palette], dtype=torch.float32)
        hist, given = ab_histogram(ab, w), True
    else:
        hist, given = torch.zeros(N_BINS), False
    sat = 0.0 if saturation is None else float(saturation)
    return GlobalHint(hist, given, sat, saturation is not None).vector()


def encode_hints(hints: Hints, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(local (3,h,w), global (316,)) for a working resolution of h x w."""
    return encode_points(hints.points, h, w), encode_global(hints.palette, hints.saturation)


def hsv_saturation(rgb: torch.Tensor) -> torch.Tensor:
    """Mean HSV saturation of sRGB images (..., 3, H, W) in 0..1 -> (...)."""
    mx = rgb.amax(dim=-3)
    mn = rgb.amin(dim=-3)
    s = torch.where(mx > 1e-6, (mx - mn) / mx.clamp_min(1e-6), torch.zeros_like(mx))
    return s.mean(dim=(-2, -1))


def kmeans_palette(
    ab: np.ndarray, k: int, rng: np.random.Generator, iters: int = 12
) -> list[PaletteColor]:
    """k-means of ab samples (N, 2) -> palette colours weighted by cluster share."""
    ab = np.asarray(ab, dtype=np.float32).reshape(-1, 2)
    if len(ab) == 0:
        return []
    k = min(k, len(ab))
    centres = ab[rng.choice(len(ab), size=k, replace=False)]
    for _ in range(iters):
        d = ((ab[:, None, :] - centres[None]) ** 2).sum(-1)
        lab = d.argmin(1)
        for j in range(k):
            sel = ab[lab == j]
            if len(sel):
                centres[j] = sel.mean(0)
    counts = np.bincount(lab, minlength=k).astype(np.float64)
    order = np.argsort(-counts)
    return [
        PaletteColor((float(centres[j, 0]), float(centres[j, 1])), float(counts[j] / counts.sum()))
        for j in order
        if counts[j] > 0
    ]
