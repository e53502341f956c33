"""Training samples for the per-edit decoder: cached features plus simulated hints.

Three kinds of sample teach three things:
* true colour: points (and sometimes a palette or saturation) carry the photo's true
  colours; the target is the truth, so points inform the whole photo where they can;
* recolour: one segment of the photo is given another colour (hue turned 90-270 degrees,
  chroma scaled, L kept), points inside it carry the new colour, and the target is that
  segment recoloured with everything else as the automatic colours: a point that disagrees
  with the photo colours its object and leaves the rest alone;
* consistent: points carry the automatic colour shown where they sit; the target is the
  automatic colours unchanged, so a point that agrees with the picture changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.colour.colorspace import lab_to_rgb
from model.hints.document import Point
from model.hints.encoding import GLOBAL_DIM, encode_points, hsv_saturation, point_at_patch
from training.edit.features import NAMES, SIZE
from training.simulate import simulate_global, simulate_points

KINDS = ("true", "recolour", "consistent")


class Features:
    """The features folder, memory-mapped; `available()` photos are complete."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.mm = {k: np.load(self.root / f"{k}.npy", mmap_mode="r") for k in NAMES}

    def available(self) -> int:
        return int(json.loads((self.root / "done.json").read_text())["done"])


@dataclass
class Batch:
    L: torch.Tensor  # (B, 1, c, c)
    c7: torch.Tensor  # (B, C7, c/8, c/8)
    c8: torch.Tensor  # (B, C8, c/4, c/4)
    base: torch.Tensor  # (B, 2, c, c) automatic ab
    local: torch.Tensor  # (B, 3, c, c) encoded points
    glob: torch.Tensor  # (B, 316)
    target: torch.Tensor  # (B, 2, c, c)
    kinds: list[str]


def turned(ab: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """ab (..., 2) with its hue turned by 90-270 degrees and its chroma scaled 0.7-1.4; a
    near-grey region is pushed to a colour of chroma 20-60 first, or turning does nothing."""
    t = rng.uniform(0.5 * np.pi, 1.5 * np.pi)
    c, s = np.cos(t), np.sin(t)
    out = np.stack([c * ab[..., 0] - s * ab[..., 1], s * ab[..., 0] + c * ab[..., 1]], -1)
    out *= rng.uniform(0.7, 1.4)
    if np.hypot(out[..., 0], out[..., 1]).mean() < 12:
        h = rng.uniform(0, 2 * np.pi)
        ch = rng.uniform(20, 60)
        out = 0.5 * out + np.array([ch * np.cos(h), ch * np.sin(h)])
    return out.astype(np.float32)


def recolour_sample(
    seg: np.ndarray, gt: np.ndarray, base: np.ndarray, rng: np.random.Generator
) -> tuple[list[Point], np.ndarray] | None:
    """One segment (0.5-30 % of the crop) recoloured, 1-3 points in it; gt and base are
    (H, W, 2). None when no segment has a fitting size."""
    h, w = seg.shape
    labels, counts = np.unique(seg, return_counts=True)
    frac = counts / seg.size
    ok = labels[(frac >= 0.005) & (frac <= 0.3)]
    if len(ok) == 0:
        return None
    region = seg == rng.choice(ok)
    target = base.copy()
    target[region] = turned(gt[region], rng)
    ys, xs = np.nonzero(region)
    pts = []
    for _ in range(int(rng.integers(1, 4))):
        j = int(rng.integers(len(ys)))
        size = int(rng.integers(2, 10))
        top = int(np.clip(ys[j] - (size - 1) // 2, 0, h - size))
        left = int(np.clip(xs[j] - (size - 1) // 2, 0, w - size))
        inside = region[top : top + size, left : left + size]
        mean = target[top : top + size, left : left + size][inside].mean(0)
        pts.append(point_at_patch(top, left, size, h, w, (float(mean[0]), float(mean[1]))))
    return pts, target


def some_points(ab: np.ndarray, rng: np.random.Generator) -> list[Point]:
    """Training points as the U-Net's simulator draws them, at least one."""
    for _ in range(8):
        pts = simulate_points(ab, rng, 0.125, 0.75, p_many=0.25)
        if pts:
            return pts
    return simulate_points(ab, rng, 0.9, 0.75, p_many=1.0)


def make_batch(
    feat: Features,
    n_avail: int,
    batch: int,
    rng: np.random.Generator,
    shares: Sequence[float],
    crop: int = 128,
) -> Batch:
    """`batch` crop x crop windows (on the 1/8 grid) of the first n_avail cached photos."""
    idx = np.sort(rng.choice(n_avail, batch, replace=False))
    corners = [tuple(int(v) for v in rng.integers(0, (SIZE - crop) // 8 + 1, 2)) for _ in idx]

    def win(name: str, f: int) -> np.ndarray:
        out = []
        for i, (y8, x8) in zip(idx, corners, strict=True):
            y, x = y8 * 8 // f, x8 * 8 // f
            out.append(np.asarray(feat.mm[name][i][..., y : y + crop // f, x : x + crop // f]))
        return np.stack(out)

    c7 = torch.from_numpy(win("c7", 8).astype(np.float32))
    c8 = torch.from_numpy(win("c8", 4).astype(np.float32))
    base = win("base", 1).astype(np.float32)
    L = win("L", 1).astype(np.float32)
    gt = win("ab", 1).astype(np.float32)
    seg = win("seg", 1)
    locs, globs, targets, kinds = [], [], [], []
    for j in range(batch):
        g = gt[j].transpose(1, 2, 0)
        bs = base[j].transpose(1, 2, 0)
        kind = KINDS[int(rng.choice(3, p=shares))]
        glob = torch.zeros(GLOBAL_DIM)
        pts: list[Point] = []
        target = bs
        if kind == "recolour":
            made = recolour_sample(seg[j], g, bs, rng)
            if made is None:
                kind = "true"
            else:
                pts, target = made
        if kind == "true":
            pts, target = some_points(g, rng), g
            rgb = lab_to_rgb(np.concatenate([L[j][..., None], g], -1)).astype(np.float32)
            sat = float(hsv_saturation(torch.from_numpy(rgb).permute(2, 0, 1)))
            glob = simulate_global(g, sat, rng, 0.2, 0.5, 0.2)
        elif kind == "consistent":
            pts, target = some_points(bs, rng), bs
        locs.append(encode_points(pts, crop, crop))
        globs.append(glob)
        targets.append(torch.from_numpy(np.ascontiguousarray(target.transpose(2, 0, 1))))
        kinds.append(kind)
    return Batch(
        torch.from_numpy(L)[:, None],
        c7,
        c8,
        torch.from_numpy(base),
        torch.stack(locs),
        torch.stack(globs),
        torch.stack(targets),
        kinds,
    )
