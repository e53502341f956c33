"""`huebrush-bench locality`: does one point colour its object, and leave the rest alone?

On each photo (squashed to 256 x 256, as the quality protocol), the protocol's first point is
given the opposite hue (chroma at least 30), the colour a user picks when the network got
an object wrong. Three numbers, averaged over the photos, in CIELAB ab units:

* near: how far the result within 4 % of the photo's side of the point is from the colour
  asked for (about the size of a face or a shirt front at the protocol's 256 pixels);
* rest: how much the photo beyond a quarter of its side from the point moved, against the
  automatic colours (what the user saw before the click);
* same: how much the whole photo moves when the point carries the colour already shown
  under it (a click that should change nothing).

Each weights file runs through the app's own inference service, with Keep the Rest off and
on.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.hints.document import Hints, Point
from model.hints.encoding import patch_span
from model.inference import Colorizer
from model.io.paths import default_weights_path
from model.network.weights import file_hash
from training.evaluate import load_eval_images, points_for, to_labs
from training.machine import describe_cpu

MIN_CHROMA = 30.0
NEAR = 0.04  # of the photo's longer side
FAR = 0.25
JSON_NAME, MD_NAME = "locality.json", "locality.md"
TARGETS = {"near": 6.0, "rest": 3.0, "same": 0.5}

# points -> ab (H, W, 2) of the photo with those points
Predict = Callable[[list[Point]], np.ndarray]


@dataclass(frozen=True)
class Locality:
    near: float
    rest: float
    same: float


def opposite(p: Point) -> Point:
    """The point with its hue turned half round and its chroma raised to at least 30."""
    a, b = p.ab
    c = math.hypot(a, b)
    if c < 1e-6:
        return replace(p, ab=(MIN_CHROMA, 0.0))
    k = max(c, MIN_CHROMA) / c
    return replace(p, ab=(-a * k, -b * k))


def locality_of(predict: Predict, true_ab: np.ndarray, seed: int, index: int) -> Locality:
    """The three measures on one photo (true_ab (H, W, 2) picks the protocol's point)."""
    h, w = true_ab.shape[:2]
    p = points_for(true_ab, 1, seed, index)[0]
    y0, y1 = patch_span(p.y, p.size, h)
    x0, x1 = patch_span(p.x, p.size, w)
    auto = predict([])
    asked = opposite(p)
    got = predict([asked])
    yy, xx = np.mgrid[0:h, 0:w]
    dist = np.hypot(yy + 0.5 - p.y * h, xx + 0.5 - p.x * w) / max(h, w)
    close = dist <= NEAR
    close[y0:y1, x0:x1] = True
    near = np.linalg.norm(got - np.asarray(asked.ab), axis=-1)[close].mean()
    far = dist > FAR
    moved = np.linalg.norm(got - auto, axis=-1)
    rest = moved[far].mean() if far.any() else 0.0
    shown = auto[y0:y1, x0:x1].reshape(-1, 2).mean(0)
    again = predict([replace(p, ab=(float(shown[0]), float(shown[1])))])
    same = np.linalg.norm(again - auto, axis=-1).mean()
    return Locality(float(near), float(rest), float(same))


def colorizer_predict(col: Colorizer, photo: np.ndarray, keep_rest: bool) -> Predict:
    """The app's answer for a photo, as ab at the working size."""
    prep = col.prepare(photo)

    def predict(points: list[Point]) -> np.ndarray:
        return col.predict(prep, Hints(tuple(points), keep_rest=keep_rest)).ab

    return predict


def run_locality(
    engines: dict[str, tuple[Colorizer, bool]],
    images: Sequence[np.ndarray],
    seed: int = 0,
) -> dict[str, Any]:
    """Per engine (a colouriser and its Keep the Rest setting): the mean of each measure."""
    labs = to_labs(images)
    rows: dict[str, Any] = {}
    for name, (col, keep_rest) in engines.items():
        found = [
            locality_of(colorizer_predict(col, im, keep_rest), lab[..., 1:], seed, i)
            for i, (im, lab) in enumerate(zip(images, labs, strict=True))
        ]
        rows[name] = {k: float(np.mean([asdict(f)[k] for f in found])) for k in TARGETS}
    return {"photos": len(images), "seed": seed, "targets": TARGETS, "engines": rows}


def locality_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Locality of one point ({report['photos']} photos, seed {report['seed']})",
        "",
        "`huebrush-bench locality`: the protocol's first point with the opposite hue "
        f"(chroma >= {MIN_CHROMA:.0f}). ab units; lower is better.",
        "",
        f"| engine | within {NEAR:.0%} of the side: error | beyond {FAR:.0%}: moved | "
        "a point of the shown colour: moved |",
        "|---|---|---|---|",
    ]
    for name, r in report["engines"].items():
        lines.append(f"| {name} | {r['near']:.2f} | {r['rest']:.2f} | {r['same']:.2f} |")
    t = report["targets"]
    lines.append(f"| target | <= {t['near']:g} | <= {t['rest']:g} | <= {t['same']:g} |")
    if report.get("machine"):
        lines += ["", f"Machine: {report['machine']}; {report.get('date', '')}."]
    return "\n".join(lines) + "\n"


def cmd_locality(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = [Path(w) for w in args.weights.split(",")] if args.weights else [default_weights_path()]
    engines: dict[str, tuple[Colorizer, bool]] = {}
    hashes = {}
    for path in paths:
        col = Colorizer.load(path, args.device)
        name = path.stem
        engines[name] = (col, False)
        engines[f"{name} + Keep the Rest"] = (col, True)
        hashes[name] = file_hash(path)
    images = load_eval_images(args.data, args.limit or None)
    report = run_locality(engines, images, args.seed)
    report["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    report["weights_hash"] = hashes
    report["machine"] = describe_cpu()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / JSON_NAME).write_text(json.dumps(report, indent=1))
    (out / MD_NAME).write_text(locality_markdown(report))
    print((out / MD_NAME).read_text())
    return 0


def add_parser(sub: Any) -> None:
    """Register `huebrush-bench locality`."""
    p = sub.add_parser("locality", help="does one point colour its object and leave the rest?")
    p.add_argument("--data", required=True, metavar="DIR", help="folder of colour photos")
    p.add_argument("--limit", type=int, default=0, help="an evenly spread subset (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="docs/bench", metavar="DIR")
    p.add_argument(
        "--weights", metavar="FILES", help="comma-separated weights (default: the shipped ones)"
    )
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--threads", type=int, metavar="N")
