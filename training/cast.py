"""Colour cast of automatic colour: does a weights file lean warm (the sepia wash) or cool?

`python -m training.cast --val DIR --bw DIR [WEIGHTS...]` colours, with no hints, the
validation photos outside the training-time subset and the real black-and-white photos (all
squashed to 256x256, as the validation protocol) and prints the mean a*, b* and chroma of the
result and its cast (how much of the colour is one uniform tint); for the validation photos
also those of the truth, so a lean shows as a difference. A sepia wash is a high cast with a
positive a* and b* (orange-brown). Without
WEIGHTS it measures the shipped ones.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from model.device import pick_device
from model.io.paths import default_weights_path
from model.network.weights import load_network
from training.data import list_images
from training.evaluate import Predictor, load_photos, protocol_batches, to_labs
from training.fit_gap import held_out_files


def ab_stats(ab: np.ndarray) -> dict[str, float]:
    """Mean a*, b* and chroma over all pixels of (N, H, W, 2) ab, and the cast.

    cast = |mean ab| / mean chroma: 0 when the colours cancel out, 1 when every pixel has the
    same hue, so a uniform tint over a muted picture scores high whatever its strength.
    """
    a, b = float(ab[..., 0].mean()), float(ab[..., 1].mean())
    chroma = float(np.hypot(ab[..., 0], ab[..., 1]).mean())
    return {"a": a, "b": b, "chroma": chroma, "cast": float(np.hypot(a, b)) / max(chroma, 1e-6)}


def automatic_ab(predict: Predictor, labs: Sequence[np.ndarray]) -> np.ndarray:
    """(N, H, W, 2) ab predicted with no hints."""
    out = []
    for _chunk, L, local, glob in protocol_batches(labs, 0, seed=0, batch=8):
        out.append(predict(L, local, glob).float().permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def measure(
    predict: Predictor, val_labs: Sequence[np.ndarray], bw_labs: Sequence[np.ndarray]
) -> dict[str, dict[str, float]]:
    """Mean a*, b*, chroma: automatic colour and truth on val, automatic colour on B&W."""
    truth = np.stack([lab[..., 1:] for lab in val_labs])
    return {
        "val_truth": ab_stats(truth),
        "val_auto": ab_stats(automatic_ab(predict, val_labs)),
        "bw_auto": ab_stats(automatic_ab(predict, bw_labs)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.cast", description=__doc__)
    ap.add_argument("weights", nargs="*", help="weights files (default: the shipped ones)")
    ap.add_argument("--val", required=True, help="the validation photos' folder")
    ap.add_argument("--bw", required=True, help="a folder of real black-and-white photos")
    ap.add_argument("--subset", type=int, default=100, help="training-time val_images")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from training.evaluate import net_predictor

    val_labs = to_labs(load_photos(held_out_files(args.val, args.subset)))
    bw_labs = to_labs(load_photos(list_images(args.bw)))
    device = pick_device("auto")
    for w in args.weights or [str(default_weights_path())]:
        net = load_network(w).to(device).eval()
        result = measure(net_predictor(net, device, True), val_labs, bw_labs)
        print(json.dumps({"weights": Path(w).name, **result}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
