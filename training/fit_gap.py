"""Fitting vs generalisation: the validation protocol on training photos and on unseen ones.

`python -m training.fit_gap --train DIR --val DIR WEIGHTS...` scores each weights file on
photos spread over the training folder and on the validation photos outside the subset that
training validates on (so not the photos that picked its step), and prints the gap.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from model.device import pick_device
from model.network.weights import load_any
from training.data import list_images
from training.evaluate import (
    Predictor,
    evaluate,
    gray_predictor,
    levin_predictor,
    load_photos,
    net_predictor,
    spread_subset,
)


def held_out_files(val: str | Path, subset: int) -> list[Path]:
    """The validation photos that `load_eval_images(val, subset)` leaves out."""
    files = list_images(val)
    chosen = set(spread_subset(files, subset))
    return [f for f in files if f not in chosen]


def gap(
    predict: Predictor,
    train_imgs: Sequence[np.ndarray],
    held_imgs: Sequence[np.ndarray],
    points: Sequence[int],
    seed: int,
) -> dict[str, dict[int, float]]:
    """PSNR per point count on both sets, and training minus held-out."""
    tr = evaluate(predict, train_imgs, points, seed=seed)
    he = evaluate(predict, held_imgs, points, seed=seed)
    return {"train": tr, "held_out": he, "gap": {n: tr[n] - he[n] for n in points}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.fit_gap", description=__doc__)
    ap.add_argument("weights", nargs="+")
    ap.add_argument("--train", required=True, help="the training photos' folder")
    ap.add_argument("--val", required=True, help="the validation photos' folder")
    ap.add_argument("--n-train", type=int, default=200, help="training photos scored")
    ap.add_argument("--subset", type=int, default=100, help="training-time val_images")
    ap.add_argument("--points", type=int, nargs="+", default=[0, 1, 10])
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument(
        "--baselines",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="score gray and Levin too (most of the run time; they do not depend on the weights)",
    )
    ap.add_argument(
        "--device",
        default="cpu",
        help="where the networks run: cpu (default, fp32), cuda or auto (a GPU in fp16 or "
        "bf16 autocast: a quick screen; compare weights scored on the same device)",
    )
    args = ap.parse_args(argv)
    train_imgs = load_photos(spread_subset(list_images(args.train), args.n_train))
    held_imgs = load_photos(held_out_files(args.val, args.subset))
    print(f"{len(train_imgs)} training photos, {len(held_imgs)} held-out validation photos")
    engines: list[tuple[str, Predictor]] = []
    if args.baselines:
        engines += [("gray", gray_predictor), ("levin", levin_predictor)]
    dev = pick_device(args.device)
    engines += [(w, net_predictor(load_any(w).eval().to(dev), dev)) for w in args.weights]
    print("| engine | training photos | held-out photos | gap |\n|---|---|---|---|")
    for name, predict in engines:
        r = gap(predict, train_imgs, held_imgs, args.points, args.seed)
        cols = [" / ".join(f"{r[k][n]:.2f}" for n in args.points) for k in r]
        print(f"| {name} | {' | '.join(cols)} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
