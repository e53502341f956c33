"""Levin, Lischinski and Weiss 2004, "Colorization using Optimization": the classic baseline.

Every pixel's ab should equal the affinity-weighted average of its 3x3 neighbours, with
weights w_rs ∝ exp(-(Y_r - Y_s)² / (2 σ_r²)) that are small across lightness edges; hinted
pixels are fixed. That is one sparse linear system, shared by both chroma channels.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from model.upsample import downsample_area, upsample_ab

# Above this many pixels (about 450x450) the system is solved on a reduced copy: LU fill-in
# grows faster than linearly (measured: 256² 0.5 s / 250 MB peak, 447² 2.3 s / 720 MB, 547²
# 4.3 s / 1.1 GB), so full-size solves of multi-megapixel photos would take minutes and
# gigabytes.
MAX_SOLVE_PIXELS = 200_000

# The authors' reference implementation sets 2σ² = 0.6·(local variance); kept so results are
# comparable with the paper's figures.
_VAR_SCALE = 0.6
# Every pixel keeps at least this much weight on its most similar neighbour, so a pixel that
# differs from all of its neighbours is still coupled to the image (otherwise it becomes an
# unconstrained island and the system is near singular).
_MIN_NEAREST_WEIGHT = 0.01
# Floor on 2σ² (Y in 0..1) for perfectly flat windows, where the variance is zero.
_MIN_TWO_SIGMA2 = 2e-6
# Floor on raw weights: bounds the conditioning of weakly coupled regions, far below any
# weight that matters for the result.
_MIN_WEIGHT = 1e-8

_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def _shifted(a: np.ndarray, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """(values of a at (y+dy, x+dx), validity) as full-size arrays; invalid cells hold 0."""
    H, W = a.shape
    out = np.zeros_like(a)
    valid = np.zeros((H, W), bool)
    ys, yd = slice(max(dy, 0), H + min(dy, 0)), slice(max(-dy, 0), H + min(-dy, 0))
    xs, xd = slice(max(dx, 0), W + min(dx, 0)), slice(max(-dx, 0), W + min(-dx, 0))
    out[yd, xd] = a[ys, xs]
    valid[yd, xd] = True
    return out, valid


def _neighbour_weights(Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Normalised affinities to the 8 neighbours: one (weights, valid) pair per offset."""
    shifted = [_shifted(Y, dy, dx) for dy, dx in _OFFSETS]
    # Local variance over the window, including the centre, counting only in-image pixels.
    count = 1.0 + sum(v.astype(np.float64) for _, v in shifted)
    mean = (Y + sum(s for s, _ in shifted)) / count
    sq = (Y - mean) ** 2 + sum(np.where(v, (s - mean) ** 2, 0.0) for s, v in shifted)
    two_sigma2 = _VAR_SCALE * sq / count

    d2 = [np.where(v, (s - Y) ** 2, np.inf) for s, v in shifted]
    nearest = np.minimum.reduce(d2)
    nearest = np.where(np.isfinite(nearest), nearest, 0.0)
    two_sigma2 = np.maximum(two_sigma2, nearest / -math.log(_MIN_NEAREST_WEIGHT))
    two_sigma2 = np.maximum(two_sigma2, _MIN_TWO_SIGMA2)

    raw = [
        np.where(v, np.maximum(np.exp(-d / two_sigma2), _MIN_WEIGHT), 0.0)
        for d, (_, v) in zip(d2, shifted, strict=True)
    ]
    total = sum(raw)
    total = np.where(total > 0, total, 1.0)  # a 1x1 image has no neighbours at all
    return [(r / total, v) for r, (_, v) in zip(raw, shifted, strict=True)]


def _solve(L: np.ndarray, hint_ab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Exact solve at the given size; mask has at least one True."""
    H, W = L.shape
    n = H * W
    Y = np.asarray(L, np.float64) / 100.0
    known = mask.ravel()
    hints = np.asarray(hint_ab, np.float64).reshape(n, 2)

    # Hinted pixels are eliminated rather than given identity rows: the system shrinks and
    # they keep their hint exactly.
    unknown_idx = np.flatnonzero(~known)
    m = unknown_idx.size
    col_of = np.full(n, -1, np.int64)
    col_of[unknown_idx] = np.arange(m)

    rows, cols, vals = [np.arange(m)], [np.arange(m)], [np.ones(m)]
    rhs = np.zeros((m, 2))
    pix = np.arange(n).reshape(H, W)
    for (dy, dx), (wgt, valid) in zip(_OFFSETS, _neighbour_weights(Y), strict=True):
        r = pix[valid]
        s = (pix + dy * W + dx)[valid]
        wv = wgt[valid]
        r_unknown = ~known[r]
        r, s, wv = r[r_unknown], s[r_unknown], wv[r_unknown]
        s_known = known[s]
        # Unknown neighbour: a matrix entry; known neighbour: its hint moves to the right side.
        rows.append(col_of[r[~s_known]])
        cols.append(col_of[s[~s_known]])
        vals.append(-wv[~s_known])
        np.add.at(rhs, col_of[r[s_known]], wv[s_known, None] * hints[s[s_known]])

    out = hints.copy()
    if m:
        A = sp.csc_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m)
        )
        # One factorisation serves both channels. The matrix is diagonally dominant (unit
        # diagonal, off-diagonal row sums <= 1), so LU is stable without pivoting; that lets
        # SuperLU keep an ordering for the symmetric pattern, which halved fill-in and time
        # against its default (0.4 s vs 0.9 s for 256x256).
        lu = spla.splu(
            A,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
        out[unknown_idx] = lu.solve(rhs)
    return out.reshape(H, W, 2)


def levin_colorize(L: np.ndarray, hint_ab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Propagate sparse ab hints over the image by Levin et al.'s optimisation.

    L is (H, W) lightness in 0..100, hint_ab (H, W, 2) CIELAB ab (read only where mask is
    set), mask (H, W) bool or 0/1. Returns (H, W, 2) float32 ab; hinted pixels keep their hint,
    and without any hint the result is all zeros (grey). Hints work best as small dabs (as the
    app's brush makes): a lone hinted pixel whose L differs from all its neighbours gets little
    weight from them and hardly spreads, a property of the method.

    Images above MAX_SOLVE_PIXELS (200k) are solved on an area-downsampled copy of about that
    many pixels (hints averaged into their reduced cell), upsampled with L-guided upsampling
    (model.upsample.upsample_ab) and the hinted pixels restored, so a large photo costs about
    as much as a 450x450 one (a few seconds) instead of minutes and gigabytes.
    """
    L = np.asarray(L)
    if L.ndim != 2:
        raise ValueError(f"L must be (H, W), got {L.shape}")
    H, W = L.shape
    hint_ab = np.asarray(hint_ab)
    if hint_ab.shape != (H, W, 2):
        raise ValueError(f"hint_ab must be {(H, W, 2)}, got {hint_ab.shape}")
    mask = np.asarray(mask).astype(bool, copy=False)
    if mask.shape != (H, W):
        raise ValueError(f"mask must be {(H, W)}, got {mask.shape}")

    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return np.zeros((H, W, 2), np.float32)
    if H * W <= MAX_SOLVE_PIXELS:
        return _solve(L, hint_ab, mask).astype(np.float32)

    scale = math.sqrt(MAX_SOLVE_PIXELS / (H * W))
    h, w = max(1, int(H * scale)), max(1, int(W * scale))
    L_low = downsample_area(L, h, w)
    # Same cell mapping as the area downsample: pixel y lies in cell y * h // H.
    cell = (ys * h // H) * w + xs * w // W
    hinted = hint_ab[ys, xs].astype(np.float64)
    counts = np.bincount(cell, minlength=h * w)
    sums = np.stack([np.bincount(cell, hinted[:, c], minlength=h * w) for c in range(2)], 1)
    mask_low = counts > 0
    ab_cells = np.zeros((h * w, 2))
    ab_cells[mask_low] = sums[mask_low] / counts[mask_low, None]

    ab_low = _solve(L_low, ab_cells.reshape(h, w, 2), mask_low.reshape(h, w))
    out = upsample_ab(ab_low.astype(np.float32), L)
    out[ys, xs] = hint_ab[ys, xs]
    return out
