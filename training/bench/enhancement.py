"""`huebrush-bench enhancement`: does enhancing L before the network help it?

The conditional-GAN line of colourisation work stretches or equalises the input's contrast
before the network sees it. The app offers both (Image > Enhance Lightness; the CLI's
`--enhance`); this measures them under the quality protocol: the same photos and points,
the network given the enhanced L, the result scored with the photo's own L (as the app
exports by default).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.colour.enhance import ENHANCE_MODES, enhance
from model.device import pick_device
from model.io.paths import default_weights_path
from model.network.weights import file_hash, load_network
from training.evaluate import Predictor, evaluate, load_eval_images, net_predictor
from training.machine import describe_cpu

JSON_NAME, MD_NAME = "enhancement.json", "enhancement.md"


def enhanced(predict: Predictor, mode: str) -> Predictor:
    """The predictor given each photo's L enhanced by `mode`."""

    def run(L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
        seen = np.stack([enhance(L[i, 0].numpy(), mode) for i in range(L.shape[0])])
        return predict(torch.from_numpy(np.ascontiguousarray(seen))[:, None], local, glob)

    return run


def enhancement_markdown(report: dict[str, Any]) -> str:
    pts = report["points"]
    lines = [
        f"# Enhancing L before the network ({report['photos']} photos)",
        "",
        "`huebrush-bench enhancement`: PSNR (dB) under the quality protocol, one pass; the "
        "network sees the enhanced L, the result keeps the photo's own.",
        "",
        "| L given to the network | " + " | ".join(f"{n} points" for n in pts) + " |",
        "|---|" + "---|" * len(pts),
    ]
    for mode, row in report["modes"].items():
        lines.append(f"| {mode} | " + " | ".join(f"{row[str(n)]:.2f}" for n in pts) + " |")
    lines += ["", f"Weights {report['weights_hash']}; {report['machine']}; {report['date']}."]
    return "\n".join(lines) + "\n"


def cmd_enhancement(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    weights = Path(args.weights) if args.weights else default_weights_path()
    net = load_network(weights).eval()
    plain = net_predictor(net, pick_device(args.device), True)
    images = load_eval_images(args.data, args.limit or None)
    points = [int(n) for n in args.points.split(",")]
    modes = {}
    for mode in ENHANCE_MODES:
        scores = evaluate(enhanced(plain, mode), images, points, args.seed)
        modes[mode] = {str(n): v for n, v in scores.items()}
    report = {
        "photos": len(images),
        "points": points,
        "modes": modes,
        "weights_hash": file_hash(weights),
        "machine": describe_cpu(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / JSON_NAME).write_text(json.dumps(report, indent=1) + "\n")
    (out / MD_NAME).write_text(enhancement_markdown(report))
    print((out / MD_NAME).read_text(), end="")
    return 0


def add_parser(sub: Any) -> None:
    """Register `huebrush-bench enhancement`."""
    p = sub.add_parser("enhancement", help="contrast stretch / equalisation of L before the net")
    p.add_argument("--data", required=True, metavar="DIR", help="folder of colour photos")
    p.add_argument("--points", default="0,10", help="point counts (default 0,10)")
    p.add_argument("--limit", type=int, default=0, help="an evenly spread subset (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", metavar="FILE", help="network weights (default: the shipped ones)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--threads", type=int, metavar="N")
    p.add_argument("--out", default="docs/bench", metavar="DIR")
