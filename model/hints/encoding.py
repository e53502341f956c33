"""The one hint encoder: points and palette -> network tensors.

The GUI, the CLI and the training simulator all go through these functions, so the
normalisation of L, ab, masks and histograms cannot drift between them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from model.colour.bins import N_BINS, bin_centers, nearest_bin, soft_encode
from model.hints.document import Hints, PaletteColor, Point

L_CENTER, L_SCALE = 50.0, 50.0
AB_SCALE = 110.0


def normalize_l(L: torch.Tensor) -> torch.Tensor:
    """L in 0..100 -> network input around 0."""
    return (L - L_CENTER) / L_SCALE


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


# How much of a real photo's colour is near grey (chroma under NEUTRAL_CHROMA), and how that
# part is spread over the bins: the training photos' mean ab histogram (600 photos spread over
# train/, 16x16 samples each), as (a, b, share of the grey part).
NEUTRAL_CHROMA = 20.0
NEUTRAL_SHARE = 0.595
_NEUTRAL_FILL = (
    (-10.0, -10.0, 0.0264),
    (-10.0, 0.0, 0.0735),
    (-10.0, 10.0, 0.0586),
    (0.0, -10.0, 0.1086),
    (0.0, 0.0, 0.3245),
    (0.0, 10.0, 0.1944),
    (10.0, -10.0, 0.0284),
    (10.0, 0.0, 0.0868),
    (10.0, 10.0, 0.0988),
)
# A palette holding a colour this close to grey, or this many colours, describes the whole
# photo, greys included (as k-means palettes of a photo do); fewer, vivid colours are accents.
COMPLETE_BELOW = 13.0
COMPLETE_COLOURS = 5


def neutral_fill() -> torch.Tensor:
    """The grey part of a typical photo's histogram, (313,) summing to 1."""
    return _neutral_fill().clone()


@functools.cache  # palettes are encoded on every edit
def _neutral_fill() -> torch.Tensor:
    hist = torch.zeros(N_BINS)
    ab = torch.tensor([(a, b) for a, b, _ in _NEUTRAL_FILL])
    hist[torch.as_tensor(nearest_bin(ab))] = torch.tensor([w for _, _, w in _NEUTRAL_FILL])
    return hist / hist.sum()


def palette_histogram(palette: tuple[PaletteColor, ...]) -> torch.Tensor:
    """The (313,) histogram a palette stands for.

    A palette with a near-grey colour or five colours or more (a k-means palette of a photo,
    "From photo...") describes the whole photo and is taken as it is. A few vivid colours only
    name the colours that should stand out: real photos are about 60 % near-grey, and a
    histogram with no grey at all is one the network never saw in training, so it ignored such
    palettes or tinted the whole photo. Their grey share is made up to a typical photo's.
    """
    ab = torch.tensor([c.ab for c in palette], dtype=torch.float32)
    w = torch.tensor([c.weight for c in palette], dtype=torch.float32)
    hist = ab_histogram(ab, w)
    chroma = torch.linalg.vector_norm(ab, dim=1)[w > 0]
    if len(chroma) >= COMPLETE_COLOURS or bool((chroma < COMPLETE_BELOW).any()):
        return hist
    grey = float(hist[_neutral_bins()].sum())
    if grey >= NEUTRAL_SHARE:
        return hist
    share = (NEUTRAL_SHARE - grey) / (1.0 - grey)
    return (1.0 - share) * hist + share * _neutral_fill()


@functools.cache
def _neutral_bins() -> torch.Tensor:
    return torch.from_numpy(np.hypot(*bin_centers().T) < NEUTRAL_CHROMA)


def encode_global(palette: tuple[PaletteColor, ...], saturation: float | None) -> torch.Tensor:
    """(316,) global-hint vector from a palette and a saturation (either may be absent)."""
    if palette and sum(c.weight for c in palette) > 0:
        hist, given = palette_histogram(palette), True
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
