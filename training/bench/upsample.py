"""How much the edge-aware upsampling gains over bilinear: colour photos of `val/`, their ab
area-shrunk 4x and restored under the full-size L (the photo's own), then 8-bit sRGB PSNR
against the photo (what model.upsample's radius and eps were chosen on).

    python -m training.bench.upsample --data ../shared/data/val [--photos 20] [--out docs/bench]

Methods: bilinear; `guided`, the shipped model.upsample (full-resolution guided filter and
two back-projections); `fast-s2`, the "fast guided filter" measured for issue #55 (the
filter's coefficients computed on L and ab at half resolution, upsampled and applied once at
full size: a quarter of the filter's work), with the same back-projections.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from model.colour.colorspace import rgb_to_lab
from model.colour.gamut import lab_to_rgb_keep_l
from model.upsample import DEFAULT_EPS, DEFAULT_RADIUS, _box_sum, downsample_area, upsample_ab

SHRINK = 4


def bilinear(ab: np.ndarray, H: int, W: int) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(ab, np.float32)).permute(2, 0, 1)[None]
    out = F.interpolate(t, size=(H, W), mode="bilinear", align_corners=False)
    return out[0].permute(1, 2, 0).numpy()


def fast_guided(ab_low: np.ndarray, L: np.ndarray, s: int = 2) -> np.ndarray:
    """The fast guided filter at 1/s resolution (radius DEFAULT_RADIUS / s, at least 1),
    its coefficients upsampled bilinearly and applied to full-size L; then model.upsample's
    back-projections."""
    H, W = L.shape
    hs, ws = max(1, H // s), max(1, W // s)
    g_full = torch.from_numpy(L.astype(np.float32)) - 50.0
    g = torch.from_numpy(downsample_area(L.astype(np.float32), hs, ws)) - 50.0
    p = torch.from_numpy(bilinear(ab_low, hs, ws)).permute(2, 0, 1).contiguous()
    r = max(1, DEFAULT_RADIUS // s)
    with torch.inference_mode():
        coef = _coefficients(g, p, r, DEFAULT_EPS)  # (4, hs, ws): A_a, A_b, B_a, B_b
        up = F.interpolate(coef[None], size=(H, W), mode="bilinear", align_corners=False)[0]
        out = up[:2] * g_full + up[2:]
    filtered = out.permute(1, 2, 0).numpy()
    return _back_project(filtered, ab_low)


def _coefficients(g: torch.Tensor, p: torch.Tensor, r: int, eps: float) -> torch.Tensor:
    """He et al.'s window-averaged A and B (as model.upsample.guided_filter computes them
    before applying them), (2C, h, w)."""
    C, n, W = p.shape
    N = float((2 * r + 1) ** 2)
    x = torch.empty((2 + 2 * C, n + 2 * r, W))
    inner = x.narrow(1, r, n)
    inner[0], inner[1], inner[2 : 2 + C], inner[2 + C :] = g, g * g, p, g * p
    s = _box_sum(x, r)
    s_g, s_gg, s_p, s_gp = s[0], s[1], s[2 : 2 + C], s[2 + C :]
    a = (N * s_gp - s_g * s_p) / (N * s_gg - s_g * s_g + eps * N * N)
    b = (s_p - a * s_g) / N
    y = torch.empty((2 * C, n + 2 * r, W))
    y.narrow(1, r, n)[:C], y.narrow(1, r, n)[C:] = a, b
    return _box_sum(y, r) / N


def _back_project(out: np.ndarray, ab_low: np.ndarray) -> np.ndarray:
    h, w = ab_low.shape[:2]
    H, W = out.shape[:2]
    for _ in range(2):
        out = out + bilinear(ab_low - downsample_area(out, h, w), H, W)
    return out


METHODS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "bilinear": lambda ab, L: bilinear(ab, *L.shape),
    "guided": upsample_ab,
    "fast-s2": fast_guided,
}


def psnr8(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def photos(folder: Path, count: int) -> list[Path]:
    """An evenly spread subset of the folder's photos, in name order."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    idx = np.unique(np.linspace(0, len(files) - 1, min(count, len(files))).round().astype(int))
    return [files[i] for i in idx]


def measure(files: list[Path]) -> dict[str, Any]:
    scores: dict[str, list[float]] = {m: [] for m in METHODS}
    seconds: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    for f in files:
        with Image.open(f) as im:
            rgb8 = np.asarray(im.convert("RGB"))
        lab = rgb_to_lab(rgb8 / 255.0)
        L = lab[..., 0].astype(np.float32)
        H, W = L.shape
        ab_low = downsample_area(lab[..., 1:].astype(np.float32), H // SHRINK, W // SHRINK)
        for name, method in METHODS.items():
            t0 = time.perf_counter()
            ab = method(ab_low, L)
            seconds[name] += time.perf_counter() - t0
            out = lab_to_rgb_keep_l(np.concatenate([L[..., None], ab], -1))
            scores[name].append(psnr8(np.clip(np.round(out * 255), 0, 255), rgb8))
    return {
        "photos": [f.name for f in files],
        "shrink": SHRINK,
        "psnr_db": {m: float(np.mean(v)) for m, v in scores.items()},
        "lead_over_bilinear_db": {
            m: float(np.mean(v) - np.mean(scores["bilinear"])) for m, v in scores.items()
        },
        "seconds": seconds,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Edge-aware upsampling (`python -m training.bench.upsample`): {len(report['photos'])} "
        f"`val/` photos, ab area-shrunk {report['shrink']}x and restored under the photo's L, "
        "mean 8-bit sRGB PSNR.",
        "",
        "| method | PSNR dB | lead over bilinear dB |",
        "|---|---:|---:|",
    ]
    for m, v in report["psnr_db"].items():
        lines.append(f"| {m} | {v:.2f} | {report['lead_over_bilinear_db'][m]:+.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.bench.upsample", description=__doc__)
    ap.add_argument("--data", required=True, help="folder of colour photos (val/)")
    ap.add_argument("--photos", type=int, default=20)
    ap.add_argument("--out", default="docs/bench")
    args = ap.parse_args(argv)
    report = measure(photos(Path(args.data), args.photos))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "upsample.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md = markdown(report)
    (out / "upsample.md").write_text(md, encoding="utf-8")
    print(md, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
