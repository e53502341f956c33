"""How much colour do frozen ImageNet features carry? A small probe per encoder.

`python -m training.semantic_probe --train DIR --val DIR [--variants lite0 lite1 lite2]`
computes each EfficientNet-Lite variant's features for photos spread over the training
folder (whole photo squashed to 256x256, L only), trains a small MLP (one hidden layer,
seeded) from the features at every cell of a 16x16 grid, with the cell's lightness mean and
spread, to the mean true ab of that cell, and scores the prediction, upsampled to 256, on
the validation photos outside the training-time subset (PSNR on 8-bit sRGB, as the
validation protocol; no hints). Two feature sets per encoder: what the network fuses
(stride-8 and stride-16 taps and the pooled head) and the same plus the head's stride-32
map, which the network currently pools away. The number of epochs is picked on a fifth of
the training photos, never on the validation photos. (A linear ridge probe of Lite0 scored
below gray, 21.74 / 21.78 vs 21.97 dB on 3,000 photos, so it told nothing.)

A quick, training-free answer to "would a bigger frozen encoder colour better without
hints?"; Lite1/Lite2 need the `probe` extra.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from model.network.semantic import VARIANTS, SemanticEncoder
from training.data import is_colourful, list_images
from training.evaluate import load_photos, psnr, spread_subset, to_labs, with_ab
from training.fit_gap import held_out_files

GRID = 16


def cell_features(enc: SemanticEncoder, L: torch.Tensor, spatial_head: bool) -> torch.Tensor:
    """(B, D, 16, 16) per grid cell for L (B, 1, 256, 256): L mean and spread, then features."""
    s8, s16, head = enc.taps(L)
    mean_l = F.adaptive_avg_pool2d(L / 100.0, GRID)
    std_l = (F.adaptive_avg_pool2d((L / 100.0) ** 2, GRID) - mean_l**2).clamp_min(0).sqrt()
    parts = [mean_l, std_l, F.adaptive_avg_pool2d(s8, GRID), F.adaptive_avg_pool2d(s16, GRID)]
    parts.append(head.mean(dim=(2, 3), keepdim=True).expand(-1, -1, GRID, GRID))
    if spatial_head:
        parts.append(F.interpolate(head, size=GRID, mode="bilinear", align_corners=False))
    return torch.cat(parts, 1)


def extract(
    enc: SemanticEncoder, labs: Sequence[np.ndarray], spatial_head: bool, batch: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of features (N*256, D) as float16 and the cells' mean ab (N*256, 2)."""
    feats, targets = [], []
    with torch.inference_mode():
        for s in range(0, len(labs), batch):
            lab = torch.from_numpy(np.stack(labs[s : s + batch])).permute(0, 3, 1, 2)
            f = cell_features(enc, lab[:, :1].contiguous(), spatial_head)
            ab = F.adaptive_avg_pool2d(lab[:, 1:], GRID)
            feats.append(f.permute(0, 2, 3, 1).reshape(-1, f.shape[1]).half().numpy())
            targets.append(ab.permute(0, 2, 3, 1).reshape(-1, 2).numpy())
    return np.concatenate(feats), np.concatenate(targets)


def _column_stats(x: np.ndarray, chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation (+1e-3), in chunks: x may be gigabytes of fp16."""
    total = np.zeros(x.shape[1])
    squares = np.zeros(x.shape[1])
    for s in range(0, len(x), chunk):
        part = x[s : s + chunk].astype(np.float64)
        total += part.sum(0)
        squares += (part**2).sum(0)
    mean = total / len(x)
    std = np.sqrt(np.maximum(squares / len(x) - mean**2, 0.0)) + 1e-3
    return mean.astype(np.float32), std.astype(np.float32)


def fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    n_fit: int,
    seed: int = 0,
    max_epochs: int = 6,
    batch: int = 4096,
) -> tuple[torch.nn.Module, np.ndarray, np.ndarray, int]:
    """Standardised features -> 512 ReLU -> ab, MSE; the epoch kept is the best on rows n_fit:."""
    mean, std = _column_stats(x[:n_fit])
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the layers' initialisation
    mlp = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], 512), torch.nn.ReLU(), torch.nn.Linear(512, 2)
    )
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-3, weight_decay=1e-5)
    best, best_state, best_epoch = float("inf"), None, 0
    for epoch in range(1, max_epochs + 1):
        mlp.train()
        for idx in torch.randperm(n_fit, generator=gen).split(batch):
            rows = idx.sort().values.numpy()
            xb = torch.from_numpy((x[rows].astype(np.float32) - mean) / std)
            loss = F.mse_loss(mlp(xb), torch.from_numpy(y[rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        err = float(np.mean((predict(mlp, x[n_fit:], mean, std) - y[n_fit:]) ** 2))
        if err < best:
            best, best_epoch = err, epoch
            best_state = {k: v.clone() for k, v in mlp.state_dict().items()}
    assert best_state is not None
    mlp.load_state_dict(best_state)
    return mlp, mean, std, best_epoch


def predict(mlp: torch.nn.Module, x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The MLP's ab for feature rows x."""
    mlp.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(x), 65536):
            xb = torch.from_numpy((x[s : s + 65536].astype(np.float32) - mean) / std)
            out.append(mlp(xb).numpy())
    return np.concatenate(out)


def score(labs: Sequence[np.ndarray], images: Sequence[np.ndarray], ab_cells: np.ndarray) -> float:
    """Mean PSNR of the photos coloured with the 16x16 ab grid, bilinearly upsampled."""
    grid = torch.from_numpy(ab_cells.reshape(len(labs), GRID, GRID, 2)).permute(0, 3, 1, 2)
    size = labs[0].shape[:2]
    up = F.interpolate(grid.float(), size=size, mode="bilinear", align_corners=False)
    return float(np.mean([psnr(with_ab(lab, up[i]), images[i]) for i, lab in enumerate(labs)]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.semantic_probe", description=__doc__)
    ap.add_argument("--train", required=True, help="the training photos' folder")
    ap.add_argument("--val", required=True, help="the validation photos' folder")
    ap.add_argument("--n-train", type=int, default=2000, help="training photos used")
    ap.add_argument("--subset", type=int, default=100, help="training-time val_images")
    ap.add_argument("--variants", nargs="+", default=["lite0", "lite2"], choices=VARIANTS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, help="write the results here as JSON")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    train_files = [f for f in spread_subset(list_images(args.train), args.n_train)]
    train_files = [f for f in train_files if is_colourful(f)]
    train_imgs = load_photos(train_files)
    val_imgs = load_photos(held_out_files(args.val, args.subset))
    train_labs, val_labs = to_labs(train_imgs), to_labs(val_imgs)
    # Every 5th training photo picks the epoch; photos, not cells, so no leakage.
    order = [i for i in range(len(train_labs)) if i % 5] + list(range(0, len(train_labs), 5))
    train_labs = [train_labs[i] for i in order]
    n_fit = sum(1 for i in range(len(order)) if i % 5) * GRID * GRID

    val_cells = np.concatenate(
        [
            F.adaptive_avg_pool2d(torch.from_numpy(lab[..., 1:]).permute(2, 0, 1), GRID)
            .permute(1, 2, 0)
            .reshape(-1, 2)
            .numpy()
            for lab in val_labs
        ]
    )
    results: dict[str, float | int] = {
        "train_photos": len(train_labs),
        "val_photos": len(val_labs),
        "gray": score(val_labs, val_imgs, np.zeros_like(val_cells)),
        "true ab on the 16x16 grid (ceiling)": score(val_labs, val_imgs, val_cells),
    }
    print(json.dumps(results), flush=True)
    for variant in args.variants:
        enc = SemanticEncoder(variant)
        enc.load_imagenet()
        t0 = time.time()
        x, y = extract(enc, train_labs, spatial_head=True)
        xv, _ = extract(enc, val_labs, spatial_head=True)
        fused = 2 + sum(enc.channels)  # L stats + what the network sees; the head map follows
        for name, cols in ((variant, fused), (f"{variant} + head map", x.shape[1])):
            mlp, mean, std, epochs = fit_mlp(x[:, :cols], y, n_fit)
            results[name] = score(val_labs, val_imgs, predict(mlp, xv[:, :cols], mean, std))
            rec = {name: results[name], "dims": cols, "epochs": epochs}
            print(json.dumps({**rec, "seconds": round(time.time() - t0)}), flush=True)
        del x, xv
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
