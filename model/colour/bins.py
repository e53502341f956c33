"""The 313 quantised ab bins (grid step 10) and distributions over them.

The bins are derived here from the sRGB gamut rather than copied: every grid centre is
ranked by its distance to the set of ab values that some sRGB colour reaches (at any
lightness) and the nearest 313 are kept. That is the 262 cells that hold an in-gamut
colour plus the closest outer ring, the same count as Zhang et al. 2016/2017.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from scipy.spatial import cKDTree

from model.colour.colorspace import rgb_to_lab

N_BINS = 313
GRID_STEP = 10.0
ANNEAL_T = 0.38
# Suggested colours are at least two grid steps apart. With one step (diagonal neighbours
# allowed) most of the eight were shades of the same near-grey peak; measured in the README
# (`huebrush-bench suggestions`), two steps put the truth within 10 ab units of a suggestion
# far more often where the picture's colour is wrong.
SUGGEST_SEP = 20.0


@lru_cache(maxsize=1)
def bin_centers() -> np.ndarray:
    """(313, 2) float32 ab centres, sorted by a then b."""
    g = np.linspace(0.0, 1.0, 65)
    r, gg, b = np.meshgrid(g, g, g, indexing="ij")
    ab = rgb_to_lab(np.stack([r, gg, b], -1).reshape(-1, 3))[:, 1:]
    # Dense gamut samples: unique ab at 1-unit resolution keep the distance search small.
    # Unique as one integer key per (a, b): np.unique(axis=0) took ~0.3 s holding the GIL,
    # which froze the window while the worker built these bins on the first photo.
    key = np.unique((np.round(ab).astype(np.int64) + 1024) @ np.array([4096, 1]))
    ab = np.stack([key // 4096, key % 4096], -1).astype(np.float64) - 1024.0
    axis = np.arange(-120.0, 121.0, GRID_STEP)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    d2 = cKDTree(ab).query(grid)[0] ** 2
    order = np.lexsort((grid[:, 1], grid[:, 0], np.round(d2, 6)))
    keep = grid[np.sort(order[:N_BINS])]
    return keep.astype(np.float32)


def _centers_t(like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(bin_centers(), dtype=like.dtype, device=like.device)


def nearest_bin(ab: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Index of the nearest bin for ab values (..., 2)."""
    if isinstance(ab, torch.Tensor):
        ct = _centers_t(ab.float())
        d = torch.cdist(ab.reshape(-1, 2).float(), ct)
        return d.argmin(1).reshape(ab.shape[:-1])
    c = bin_centers()
    flat = ab.reshape(-1, 2).astype(np.float32)
    d = ((flat[:, None, :] - c[None]) ** 2).sum(-1)
    return d.argmin(1).reshape(ab.shape[:-1])


def soft_encode(ab: torch.Tensor, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Gaussian soft encoding over the k nearest bins: (..., 2) -> (..., 313), rows sum to 1."""
    c = _centers_t(ab.float())
    flat = ab.reshape(-1, 2).float()
    d = torch.cdist(flat, c)
    dk, ik = d.topk(k, dim=1, largest=False)
    w = torch.exp(-(dk**2) / (2 * sigma**2))
    w = w / w.sum(1, keepdim=True)
    out = torch.zeros(flat.shape[0], N_BINS, dtype=flat.dtype, device=flat.device)
    out.scatter_(1, ik, w)
    return out.reshape(*ab.shape[:-1], N_BINS)


def annealed_mean(probs: torch.Tensor, t: float = ANNEAL_T, dim: int = 1) -> torch.Tensor:
    """Annealed-mean decoding of distributions along `dim` -> ab on that axis (size 2)."""
    p = probs.float().clamp_min(1e-12)
    logits = torch.log(p) / t
    q = torch.softmax(logits, dim=dim)
    c = _centers_t(q)  # (313, 2)
    q = q.movedim(dim, -1)
    ab = q @ c
    return ab.movedim(-1, dim)


def histogram(ab: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Normalised 313-bin histogram of ab values (N, 2) by nearest bin."""
    idx = nearest_bin(ab.reshape(-1, 2))
    w = torch.ones(idx.shape[0], dtype=torch.float32) if weights is None else weights.float()
    h = torch.zeros(N_BINS, dtype=torch.float32)
    h.index_add_(0, idx.reshape(-1).cpu(), w.reshape(-1).cpu())  # type: ignore[union-attr]
    return h / h.sum().clamp_min(1e-12)


@lru_cache(maxsize=1)
def _bin_distances() -> np.ndarray:
    """(313, 313) distances between bin centres; suggestions are asked for on every edit."""
    c = bin_centers()
    return np.hypot(*(c[:, None, :] - c[None, :, :]).transpose(2, 0, 1))


def top_modes(
    probs: np.ndarray, k: int, min_sep: float = SUGGEST_SEP
) -> list[tuple[np.ndarray, float]]:
    """The k most likely distinct colours of one distribution (313,): [(ab, p), ...].

    Neighbouring bins are merged (non-maximum suppression within `min_sep`) so the
    suggestions are different colours rather than the same peak twice.
    """
    c = bin_centers()
    dist = _bin_distances()
    p = np.asarray(probs, dtype=np.float64)
    order = np.argsort(-p)
    chosen: list[int] = []
    for i in order:
        if not chosen or dist[i, chosen].min() >= min_sep:
            chosen.append(int(i))
            if len(chosen) == k:
                break
    out = []
    for i in chosen:
        # Mass-weighted mean of the bin and its immediate neighbours gives a finer colour.
        near = dist[i] <= GRID_STEP * 1.5
        w = p[near]
        ab = (c[near] * w[:, None]).sum(0) / max(w.sum(), 1e-12)
        out.append((ab.astype(np.float32), float(w.sum())))
    out.sort(key=lambda m: -m[1])
    return out
