"""`huebrush-bench suggestions`: how often the picker's suggestions hold the right colour.

A user opens the picker where the picture's colour is wrong and hopes one of the suggested
swatches is the one they want. So each query is a protocol point (the training
validation's photos, seed and squashing) whose colour is known: the network runs without
that point (with no points at all, and with the photo's other points), and the query scores
the best of the k suggestions at the point's cell against the point's true colour (ab
distance), beside the colour the picture already shows there. The rows that count most are
the queries where the picture is off by more than `WRONG` ab units: there a suggestion is
what the user reaches for.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.colour.bins import SUGGEST_SEP, top_modes
from model.device import autocast, pick_device
from model.hints.document import Point
from model.hints.encoding import GLOBAL_DIM, encode_points
from model.inference import grid_cell
from model.io.paths import default_weights_path
from model.network.unet import ColorNet
from model.network.weights import file_hash, load_network
from model.refine import patch_means
from training.bench.distance import add_protocol_options
from training.evaluate import load_eval_images, points_for, to_labs

WRONG = 15.0  # ab units: the picture's colour is visibly off (about 3x a just-noticeable step)
CLOSE = 10.0  # a suggestion this near the truth is the colour, give or take a nudge
JSON_NAME, MD_NAME = "suggestions.json", "suggestions.md"


def _queries(
    net: ColorNet, lab: np.ndarray, points: Sequence[Point], loo: int, device: torch.device
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(probabilities (313,), shown ab (2,), true ab (2,)) per query on one photo: every
    point with no hints, and the first `loo` points each with the others as hints."""
    h, w = lab.shape[:2]
    L = torch.from_numpy(lab[..., 0])[None, None].to(device)
    runs = [((), tuple(points))]
    runs += [(tuple(points[:i]) + tuple(points[i + 1 :]), (points[i],)) for i in range(loo)]
    out = []
    for hints, queries in runs:
        local = encode_points(hints, h, w)[None].to(device)
        with torch.inference_mode(), autocast(device, True):
            pred = net(L, local, torch.zeros(1, GLOBAL_DIM, device=device))
        probs = torch.softmax(pred.logits.float(), 1)[0].cpu().numpy()
        ab = pred.ab.float().cpu()
        gh, gw = probs.shape[-2:]
        shown = patch_means(ab, list(queries)).numpy()
        for q, s in zip(queries, shown, strict=True):
            row, col = grid_cell(q.x, q.y, gh, gw)
            out.append((probs[:, row, col].astype(np.float64), s, np.asarray(q.ab)))
    return out


def suggestion_scores(
    net: ColorNet,
    images: Sequence[np.ndarray],
    separations: Sequence[float] = (SUGGEST_SEP,),
    k: int = 8,
    n_points: int = 10,
    loo: int = 3,
    seed: int = 0,
    device: torch.device | None = None,
) -> dict[str, Any]:
    """Per separation of the suggestions (model.colour.bins.top_modes' `min_sep`), for all
    queries and for those where the picture's colour is off by more than WRONG."""
    device = device or torch.device("cpu")
    rows: list[tuple[float, dict[float, tuple[float, float, float]]]] = []
    for i, lab in enumerate(to_labs(images)):
        points = points_for(lab[..., 1:], n_points, seed, i)
        for probs, shown, truth in _queries(net, lab, points, min(loo, len(points)), device):
            per: dict[float, tuple[float, float, float]] = {}
            for sep in separations:
                ab = np.array([m for m, _ in top_modes(probs, k, sep)])
                d = np.linalg.norm(ab - truth, axis=1)
                per[sep] = (float(d.min()), float(d[:3].min()), float(np.hypot(*ab.T).mean()))
            rows.append((float(np.linalg.norm(shown - truth)), per))
    groups = {"all": rows, "wrong": [r for r in rows if r[0] > WRONG]}
    report: dict[str, Any] = {
        "photos": len(images),
        "points": n_points,
        "loo": loo,
        "k": k,
        "seed": seed,
        "wrong_above": WRONG,
        "close_within": CLOSE,
        "groups": {},
    }
    for name, rs in groups.items():
        g: dict[str, Any] = {
            "queries": len(rs),
            "shown_error": float(np.mean([r[0] for r in rs])) if rs else float("nan"),
            "by_separation": {},
        }
        for sep in separations:
            best = np.array([r[1][sep][0] for r in rs])
            top3 = np.array([r[1][sep][1] for r in rs])
            chroma = np.array([r[1][sep][2] for r in rs])
            g["by_separation"][f"{sep:g}"] = {
                "best_error": float(best.mean()) if rs else float("nan"),
                "best_median": float(np.median(best)) if rs else float("nan"),
                "close_share": float((best < CLOSE).mean()) if rs else float("nan"),
                "best3_error": float(top3.mean()) if rs else float("nan"),
                "mean_chroma": float(chroma.mean()) if rs else float("nan"),
            }
        report["groups"][name] = g
    return report


def suggestions_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: one table per group of queries."""
    k = report["k"]
    lines = [
        f"# Suggestions against the true colour ({k} suggestions)",
        "",
        f"{report['photos']} photos, {report['points']} protocol points each, seed"
        f" {report['seed']}, measured {report['date']} on weights"
        f" {report.get('weights_hash', '?')}. Queries: every point with no hints, and"
        f" {report['loo']} points per photo with the photo's other points as hints. Errors are"
        " ab distances to the point's true colour (mean over its patch). Separation: how far"
        " apart (ab) the suggested bins must be.",
    ]
    titles = {
        "all": "All queries",
        "wrong": f"Where the picture is off by more than {report['wrong_above']:g}",
    }
    for name, g in report["groups"].items():
        lines += [
            "",
            f"## {titles[name]} ({g['queries']} queries; the picture's own error"
            f" {g['shown_error']:.1f})",
            "",
            f"| separation | best of {k}: mean | median | within {report['close_within']:g}"
            " | best of the first 3 | mean chroma |",
            "|---|---|---|---|---|---|",
        ]
        for sep, s in g["by_separation"].items():
            lines.append(
                f"| {sep} | {s['best_error']:.1f} | {s['best_median']:.1f} |"
                f" {100 * s['close_share']:.0f} % | {s['best3_error']:.1f} |"
                f" {s['mean_chroma']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def cmd_suggestions(args: argparse.Namespace) -> int:
    """Score the suggestions and write suggestions.json and suggestions.md."""
    from training.loop import VAL_SEED

    if args.threads:
        torch.set_num_threads(args.threads)
    weights = Path(args.weights) if args.weights else default_weights_path()
    device = pick_device(args.device)
    net = load_network(weights).eval().to(device)
    images = load_eval_images(args.data, args.limit)
    seed = VAL_SEED if args.seed is None else args.seed
    report = suggestion_scores(
        net, images, args.min_sep, args.k, args.points, args.loo, seed, device
    )
    report["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    report["weights_hash"] = file_hash(weights)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / JSON_NAME).write_text(json.dumps(report, indent=1))
    (out / MD_NAME).write_text(suggestions_markdown(report))
    print((out / MD_NAME).read_text())
    return 0


def add_parser(sub: Any) -> None:
    """Register `huebrush-bench suggestions`."""
    p = sub.add_parser("suggestions", help="how often the picker's suggestions hold the truth")
    add_protocol_options(p)
    p.add_argument("--loo", type=int, default=3, help="points per photo queried with the others")
    p.add_argument("--k", type=int, default=8, help="suggestions shown (the picker's 8)")
    p.add_argument(
        "--min-sep",
        type=float,
        nargs="+",
        default=[SUGGEST_SEP],
        help=f"separations to compare (default: the app's {SUGGEST_SEP:g})",
    )
