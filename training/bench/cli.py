"""`huebrush-bench`: quality under the SIGGRAPH17 protocol, and interactive/export speed.

quality and speed: training.bench.quality and training.bench.speed, reported as markdown
and JSON (training.bench.reports).

variants: the research variants, each loaded from its weights file alone, on the same
validation photos (training.bench.variants).

distance and suggestions: where the 10-point error lives, and how often the picker's
suggested colours hold the true one (training.bench.distance, training.bench.suggestions).

train-speed: optimiser steps per second in fp32 and bf16 (training.bench.train_speed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from model.inference import Colorizer
from model.io.load import load_image
from training.bench.distance import add_parser as add_distance_parser
from training.bench.distance import cmd_distance
from training.bench.enhancement import add_parser as add_enhancement_parser
from training.bench.enhancement import cmd_enhancement
from training.bench.interactive import add_parser as add_interactive_parser
from training.bench.interactive import cmd_interactive
from training.bench.locality import add_parser as add_locality_parser
from training.bench.locality import cmd_locality
from training.bench.quality import (
    DEFAULT_ENGINES,
    DEFAULT_POINTS,
    ENGINE_NAMES,
    PALETTE_K,
    PALETTE_NOTE,
    PALETTE_POINTS,
    build_engines,
    reuse_rows,
    run_quality,
    summarise,
    weights_info,
)
from training.bench.reports import (
    ISA_VARIABLES,
    PUBLISHED_LABEL,
    PUBLISHED_SIGGRAPH17,
    quality_markdown,
    quality_plot,
    speed_markdown,
)
from training.bench.speed import (
    SPEED_HINTS,
    bench_batch,
    bench_device,
    bench_export,
    peak_rss_mb,
    shape_for_megapixels,
    synthetic_gray,
)
from training.bench.suggestions import add_parser as add_suggestions_parser
from training.bench.suggestions import cmd_suggestions
from training.bench.train_speed import add_parser as add_train_speed_parser
from training.bench.train_speed import cmd_train_speed
from training.bench.variants import add_parser as add_variants_parser
from training.bench.variants import cmd_variants
from training.evaluate import EVAL_SIZE, load_eval_images
from training.machine import machine_info
from training.metrics import colourfulness, mean_and_se


def cmd_quality(args: argparse.Namespace) -> int:
    points = _int_list(args.points)
    names = [s.strip() for s in args.engines.split(",") if s.strip()]
    bad = [n for n in names if n not in ENGINE_NAMES]
    if bad or not names:
        print(f"huebrush-bench: unknown engine {bad[0] if bad else ''!r}", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    images = load_eval_images(args.data, args.limit, size=args.size)
    if not images:
        print(f"huebrush-bench: no photos under {args.data}", file=sys.stderr)
        return 2
    try:
        engines = build_engines(names, args.device, args.weights, args.working_size)
    except Exception as e:  # missing/bad weights, CUDA requested without a GPU
        print(f"huebrush-bench: {e}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="huebrush-bench-") as tmp:
        per_image = run_quality(
            images, engines, points, args.seed, Path(tmp), progress=not args.no_progress
        )
    gt = [colourfulness(im) for im in images]
    gt_mean, gt_se = mean_and_se(gt)
    report = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "dataset": {
                "folder": Path(args.data).resolve().name,
                "images": len(images),
                "limit": args.limit,
            },
            "weights": weights_info(engines, args.weights),
            "seed": args.seed,
            "points": points,
            "engines": names,
            "eval_size": args.size,
            "working_size": args.working_size,
            "protocol": (
                "photos squashed to eval_size; n 6x6 patches, each axis Gaussian around the "
                "centre (sigma a quarter of the size), revealing the patch's mean true ab; hints "
                "written to a hint file and coloured by the CLI's engines; PSNR on 8-bit sRGB"
            ),
            "palette": {
                "k": PALETTE_K,
                "points": list(PALETTE_POINTS),
                "engines": ["net"] if "net" in names else [],
                "note": PALETTE_NOTE,
            },
        },
        "results": summarise(per_image),
        "ground_truth": {"colourfulness": gt_mean, "colourfulness_se": gt_se},
        "per_image_psnr": {
            key: {str(n): m["psnr"] for n, m in by_n.items()} for key, by_n in per_image.items()
        },
        "published_reference": {
            "label": PUBLISHED_LABEL,
            "psnr": {str(n): v for n, v in PUBLISHED_SIGGRAPH17.items()},
        },
    }
    if args.reuse:
        try:
            reuse_rows(report, json.loads(Path(args.reuse).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as e:
            print(f"huebrush-bench: cannot reuse {args.reuse}: {e}", file=sys.stderr)
            return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md = quality_markdown(report)
    (out / "quality.md").write_text(md, encoding="utf-8")
    if not quality_plot(report, out / "quality.png"):
        print("huebrush-bench: matplotlib is not installed; no quality.png", file=sys.stderr)
    print(md, end="")
    return 0


def cmd_speed(args: argparse.Namespace) -> int:
    from model.io.paths import default_weights_path

    weights = Path(args.weights) if args.weights else default_weights_path()
    if not weights.is_file():
        print(f"huebrush-bench: no weights file at {weights}", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    has_cuda = torch.cuda.is_available()
    if args.device == "cuda" and not has_cuda:
        print("huebrush-bench: CUDA was requested but no CUDA device is available", file=sys.stderr)
        return 2
    devices = {"auto": ["cpu"] + (["cuda"] if has_cuda else []), "cpu": ["cpu"], "cuda": ["cuda"]}[
        args.device
    ]
    sizes = _int_list(args.sizes)
    photo = load_image(synthetic_gray(*shape_for_megapixels(args.render_mp)))
    results = []
    for name in devices:
        dev = torch.device(name)
        results.append(
            bench_device(
                dev,
                weights,
                sizes,
                photo,
                args.repeats,
                args.warmup,
                _int_list(args.thread_study),
                not args.no_progress,
            )
        )
    batch: list[dict[str, Any]] = []
    if args.quick:
        export: dict[str, Any] = {"skipped": "--quick"}
    else:
        with tempfile.TemporaryDirectory(prefix="huebrush-bench-") as tmp:
            export = bench_export(weights, Path(tmp), args.export_repeats)
            batch = [bench_batch(weights, Path(tmp), points=n) for n in (0, 10)]
    report = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            # An instruction set held down to time an older CPU on this one (AVX2 laptops).
            "isa_held": {v: os.environ[v] for v in ISA_VARIABLES if os.environ.get(v)},
            "weights": {"path": weights.name, "id": Colorizer.load(weights).weights_id()},
            "repeats": args.repeats,
            "warmup": args.warmup,
            "hints_per_update": SPEED_HINTS,
            "render_photo": {"width": photo.width, "height": photo.height},
        },
        "devices": results,
        "cuda": torch.cuda.get_device_name(0) if has_cuda else "no CUDA device",
        "export": export,
        "batch": batch,
        "memory": {
            "peak_rss_mb": peak_rss_mb(),
            "cuda_max_allocated_mb": torch.cuda.max_memory_allocated() / 2**20
            if has_cuda
            else None,
        },
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md = speed_markdown(report)
    (out / "speed.md").write_text(md, encoding="utf-8")
    print(md, end="")
    return 0


def _int_list(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="huebrush-bench",
        description="Benchmark Huebrush's quality and speed, and compare the research variants.",
    )
    sub = ap.add_subparsers(dest="command", required=True)
    hidden = argparse.SUPPRESS

    q = sub.add_parser(
        "quality", help="PSNR/SSIM/colourfulness under the SIGGRAPH17 point protocol"
    )
    q.add_argument("--data", required=True, metavar="DIR", help="folder of colour photos")
    q.add_argument(
        "--points", default=",".join(map(str, DEFAULT_POINTS)), help="point counts, e.g. 0,1,10"
    )
    q.add_argument(
        "--engines",
        default=",".join(DEFAULT_ENGINES),
        help="any of net,views,refine,levin,gray (net: one pass; views: the app's default "
        "finish, the mean of six views where there are points; refine: the network adapted to "
        "each photo's points first, seconds per photo)",
    )
    q.add_argument("--limit", type=int, metavar="N", help="an evenly spread subset of N photos")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--size", type=int, default=EVAL_SIZE, help=hidden)
    q.add_argument("--working-size", type=int, default=256, help="engine resolution (default 256)")
    q.add_argument(
        "--reuse",
        metavar="JSON",
        help="take the rows of engines not run now from this earlier quality.json",
    )

    s = sub.add_parser("speed", help="latency per update, export time, load time and memory")
    s.add_argument("--repeats", type=int, default=50, help="timed updates per measurement")
    s.add_argument(
        "--quick", action="store_true", help="skip the 24-megapixel export and the batches"
    )
    s.add_argument(
        "--export-repeats",
        type=int,
        default=3,
        metavar="N",
        help="24-megapixel exports to take the median of (default 3)",
    )
    s.add_argument("--sizes", default="256,512", help=hidden)
    s.add_argument("--render-mp", type=float, default=1.0, help=hidden)
    s.add_argument("--warmup", type=int, default=3, help=hidden)
    s.add_argument("--thread-study", default="1,2", help=hidden)

    for p in (q, s):
        p.add_argument(
            "--out", default="docs/bench", metavar="DIR", help="output folder (default docs/bench)"
        )
        p.add_argument(
            "--weights", metavar="FILE", help="network weights (default: the shipped ones)"
        )
        p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        p.add_argument(
            "--threads", type=int, metavar="N", help="torch CPU threads (default: torch's)"
        )
        p.add_argument("--no-progress", action="store_true")
    add_variants_parser(sub)
    add_distance_parser(sub)
    add_suggestions_parser(sub)
    add_train_speed_parser(sub)
    add_locality_parser(sub)
    add_interactive_parser(sub)
    add_enhancement_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of `huebrush-bench`."""
    args = build_parser().parse_args(argv)
    commands = {
        "quality": cmd_quality,
        "speed": cmd_speed,
        "variants": cmd_variants,
        "distance": cmd_distance,
        "suggestions": cmd_suggestions,
        "train-speed": cmd_train_speed,
        "locality": cmd_locality,
        "interactive": cmd_interactive,
        "enhancement": cmd_enhancement,
    }
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
