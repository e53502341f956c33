"""`huebrush-bench distance`: where the error lives, by distance to the nearest hint.

With N protocol points (the training validation's photos, seed and squashing), every pixel
is put in a band by its Euclidean distance to the nearest hinted pixel, and each engine's
squared 8-bit sRGB error is summed per band. The table answers what the overall PSNR
cannot: whether the network loses to (or beats) the Levin propagation near the points,
where following them matters, or far from them, where only its own guess counts.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt

from model.device import pick_device
from model.io.paths import default_weights_path
from model.network.weights import file_hash, load_network
from training.evaluate import (
    Predictor,
    gray_predictor,
    levin_predictor,
    load_eval_images,
    net_predictor,
    protocol_batches,
    to_labs,
    with_ab,
)

DEFAULT_BANDS = (0, 4, 8, 16, 32, 64)  # pixels at 256x256; the last band is open-ended
JSON_NAME, MD_NAME = "distance.json", "distance.md"


def band_of(mask: np.ndarray, bands: Sequence[int]) -> np.ndarray:
    """Band index of every pixel by its distance to the nearest pixel where mask is set."""
    if not mask.any():
        return np.full(mask.shape, len(bands) - 1)
    dist = distance_transform_edt(~mask)
    return np.digitize(dist, bands[1:])


def error_by_distance(
    engines: Mapping[str, Predictor],
    images: Sequence[np.ndarray],
    n_points: int = 10,
    seed: int = 0,
    bands: Sequence[int] = DEFAULT_BANDS,
    batch: int = 8,
) -> dict[str, Any]:
    """Per band: the share of pixels and, per engine, PSNR and its share of the total error."""
    k = len(bands)
    sq = {name: np.zeros(k) for name in engines}
    count = np.zeros(k)
    labs = to_labs(images)
    for chunk, L, local, glob in protocol_batches(labs, n_points, seed, batch):
        outs = {name: fn(L, local, glob).float() for name, fn in engines.items()}
        for j, i in enumerate(chunk):
            band = band_of(local[j, 2].numpy() > 0, bands).ravel()
            count += np.bincount(band, minlength=k)
            for name, ab in outs.items():
                diff = with_ab(labs[i], ab[j]).astype(np.float64) - images[i]
                err = (diff**2).mean(-1).ravel()
                sq[name] += np.bincount(band, err, minlength=k)
    labels = [f"{a}-{b}" for a, b in itertools.pairwise(bands)] + [f">={bands[-1]}"]
    rows = []
    for b in range(k):
        row: dict[str, Any] = {"band": labels[b], "pixels": float(count[b] / count.sum())}
        for name in engines:
            mse = sq[name][b] / max(count[b], 1.0)
            row[name] = {
                "psnr": float(10 * np.log10(255.0**2 / max(mse, 1e-12))),
                "error_share": float(sq[name][b] / max(sq[name].sum(), 1e-12)),
            }
        rows.append(row)
    return {"points": n_points, "seed": seed, "photos": len(images), "bands": rows}


def distance_markdown(report: dict[str, Any], engines: Sequence[str]) -> str:
    """The report as a Markdown table: PSNR per band, with error shares in brackets."""
    head = f"| distance to nearest hint (px at 256) | pixels | {' | '.join(engines)} |"
    lines = [
        f"# Error by distance to the nearest hint ({report['points']} points)",
        "",
        f"{report['photos']} photos, seed {report['seed']}, measured {report['date']}"
        f" on weights {report.get('weights_hash', '?')}. PSNR (dB, 8-bit sRGB) of the squared"
        " error pooled over each band's pixels in all photos (not a mean of per-photo PSNR,"
        " so the bands do not average to the protocol's figure); in brackets the band's"
        " share of that engine's total squared error.",
        "",
        head,
        "|" + "---|" * (len(engines) + 2),
    ]
    for row in report["bands"]:
        cells = [f"{row[e]['psnr']:.2f} ({100 * row[e]['error_share']:.0f} %)" for e in engines]
        lines.append(f"| {row['band']} | {100 * row['pixels']:.1f} % | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def cmd_distance(args: argparse.Namespace) -> int:
    """Run the distance breakdown and write distance.json and distance.md."""
    from training.loop import VAL_SEED

    if args.threads:
        torch.set_num_threads(args.threads)
    weights = Path(args.weights) if args.weights else default_weights_path()
    net = load_network(weights).eval()
    engines: dict[str, Predictor] = {
        "net": net_predictor(net, pick_device(args.device), True),
        "levin": levin_predictor,
        "gray": gray_predictor,
    }
    images = load_eval_images(args.data, args.limit)
    seed = VAL_SEED if args.seed is None else args.seed
    report = error_by_distance(engines, images, args.points, seed)
    report["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    report["weights_hash"] = file_hash(weights)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / JSON_NAME).write_text(json.dumps(report, indent=1))
    (out / MD_NAME).write_text(distance_markdown(report, list(engines)))
    print((out / MD_NAME).read_text())
    return 0


def add_protocol_options(p: argparse.ArgumentParser) -> None:
    """The options every bench over the validation protocol's photos and points takes."""
    p.add_argument("--data", required=True, metavar="DIR", help="folder of colour photos")
    p.add_argument("--points", type=int, default=10, help="protocol points (default 10)")
    p.add_argument(
        "--limit",
        type=int,
        default=100,
        help="an evenly spread subset (default 100, as val; 0: every photo)",
    )
    p.add_argument("--seed", type=int, help="default: the training validation's seed")
    p.add_argument("--out", default="docs/bench", metavar="DIR")
    p.add_argument("--weights", metavar="FILE", help="network weights (default: the shipped ones)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--threads", type=int, metavar="N")


def add_parser(sub: Any) -> None:
    """Register `huebrush-bench distance`."""
    p = sub.add_parser("distance", help="error by distance to the nearest hint, net vs Levin")
    add_protocol_options(p)
