"""`huebrush-bench interactive`: the cost of one edit, side by side for several networks.

Per weights file, on the same 256 x 256 photo and the same changing 10-point hints: the
work of one edit (GFLOP, counted by torch), opening a photo (`Colorizer.prepare`), one edit
(`Colorizer.predict` on the prepared photo) and the six-view finish once its views are
prepared. fp32 is what most users' CPUs run (AVX2, no bf16); the kernels torch and oneDNN
pick can be held to AVX2 on a newer CPU with

    ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 huebrush-bench interactive ...

and the report says which ones ran.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from model.finish import Finish
from model.inference import Colorizer
from model.io.load import load_image
from model.io.paths import default_weights_path
from model.network.weights import file_hash
from model.views import finished_prediction, unprepared_views, view_input
from training.bench.speed import changing_hints, latency_row, synthetic_gray, time_calls
from training.machine import describe_cpu

JSON_NAME, MD_NAME = "interactive.json", "interactive.md"
POINTS = 10


def kernels() -> str:
    """Which vector instructions torch's own kernels use, and whether oneDNN was held back."""
    cap = torch.backends.cpu.get_cpu_capability()
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return f"{cap}" + (f", oneDNN held to {isa}" if isa else "")


def bench_weights(
    path: Path, fast_math: bool, size: int, repeats: int, warmup: int
) -> dict[str, Any]:
    col = Colorizer.load(path, device="cpu", working_size=size, fast_math=fast_math)
    photo = load_image(synthetic_gray(size, size))
    hints = changing_hints(repeats + warmup, k=POINTS)
    col.prepare(photo)  # loads the network
    opens = []
    for _ in range(5):
        t0 = time.perf_counter()
        prep = col.prepare(photo)
        opens.append((time.perf_counter() - t0) * 1e3)
    with FlopCounterMode(display=False) as flops:
        col.predict(prep, hints[0])
    edits = time_calls(lambda h: col.predict(prep, h), hints, warmup)
    for view in unprepared_views(prep):
        view_input(col, prep, view)
    finish = time_calls(
        lambda h: finished_prediction(col, prep, h, Finish.VIEWS), hints[: warmup + 5], warmup
    )
    return {
        "weights": path.name,
        "weights_id": file_hash(path),
        "precision": "bf16" if fast_math else "fp32",
        "gflop_per_edit": flops.get_total_flops() / 1e9,
        "open_p50_ms": float(np.median(opens)),
        "edit": latency_row(edits),
        "finish_p50_ms": float(np.median(finish)),
    }


def interactive_markdown(report: dict[str, Any]) -> str:
    m = report["meta"]
    lines = [
        f"# One edit, side by side ({m['size']} x {m['size']}, {POINTS} points)",
        "",
        f"{m['machine']}; torch kernels: {m['kernels']}; {m['date']}.",
        "",
        "| weights | precision | GFLOP per edit | open a photo (ms) | edit p50 (ms) | "
        "edit p95 (ms) | six-view finish, views prepared (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        e = r["edit"]
        lines.append(
            f"| {r['weights']} | {r['precision']} | {r['gflop_per_edit']:.1f} | "
            f"{r['open_p50_ms']:.0f} | {e['p50_ms']:.1f} | {e['p95_ms']:.1f} | "
            f"{r['finish_p50_ms']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def cmd_interactive(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = [Path(w) for w in args.weights.split(",")] if args.weights else [default_weights_path()]
    precisions = [p == "bf16" for p in args.precision.split(",")]
    rows = [
        bench_weights(path, fast, args.size, args.repeats, args.warmup)
        for path in paths
        for fast in precisions
    ]
    report = {
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": describe_cpu(),
            "kernels": kernels(),
            "size": args.size,
            "repeats": args.repeats,
        },
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.name or "interactive"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")
    md = interactive_markdown(report)
    (out / f"{stem}.md").write_text(md)
    print(md, end="")
    return 0


def add_parser(sub: Any) -> None:
    """Register `huebrush-bench interactive`."""
    p = sub.add_parser("interactive", help="one edit's cost, several networks side by side")
    p.add_argument(
        "--weights", metavar="FILES", help="comma-separated weights (default: the shipped ones)"
    )
    p.add_argument("--precision", default="fp32", help="fp32, bf16 or both (comma-separated)")
    p.add_argument("--size", type=int, default=256, help="working size (default 256)")
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2, metavar="N")
    p.add_argument("--out", default="docs/bench", metavar="DIR")
    p.add_argument("--name", help="file name stem of the report (default interactive)")
