"""`huebrush-bench train-speed`: training images/s in fp32 and in bf16 on this machine.

Times whole optimiser steps (the training loop's own step: forward, the training loss,
backward, gradient clipping, AdamW) of the default network on random crops, so data loading
is left out: the number says what the arithmetic costs, which varies most between CPUs
(bf16 autocast gains several times on a CPU with AMX, under twice with AVX-512-BF16 alone).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from model.device import autocast_dtype
from model.hints.encoding import GLOBAL_DIM
from model.network.config import NetConfig
from training.config import TrainConfig
from training.machine import cpu_flags, machine_info


def cpu_features() -> dict[str, bool]:
    """Which bf16 paths the CPU has (from /proc/cpuinfo; all False where it is unreadable)."""
    flags = cpu_flags()
    return {"avx512_bf16": "avx512_bf16" in flags, "amx_bf16": "amx_bf16" in flags}


def time_steps(cfg: TrainConfig, bf16: bool, steps: int, warmup: int, seed: int = 0) -> list[float]:
    """Seconds per optimiser step for `steps` timed steps after `warmup` untimed ones."""
    from training.loop import build_model, optimiser_step, param_groups
    from training.variant_losses import make_criterion

    torch.manual_seed(seed)
    device = torch.device("cpu")
    net = build_model(cfg)
    cl = torch.channels_last if cfg.channels_last else torch.contiguous_format
    net = net.to(memory_format=cl).train()
    opt = torch.optim.AdamW(param_groups(net, cfg), lr=1e-4, weight_decay=cfg.weight_decay)
    criterion = make_criterion(cfg, device)
    gen = torch.Generator().manual_seed(seed)
    shape = (cfg.batch, 1, cfg.crop, cfg.crop)
    L = (torch.rand(shape, generator=gen) * 100).contiguous(memory_format=cl)
    ab = (torch.rand((cfg.batch, 2, cfg.crop, cfg.crop), generator=gen) - 0.5) * 100
    local = torch.zeros((cfg.batch, 3, cfg.crop, cfg.crop)).contiguous(memory_format=cl)
    glob = torch.zeros(cfg.batch, GLOBAL_DIM)
    params = [p for p in net.parameters() if p.requires_grad]
    # The loop leaves autocast off where bf16 is emulated; force it here so the number
    # shows what that choice saves rather than timing fp32 twice.
    forced = bf16 and autocast_dtype(device, True) is None
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if forced else contextlib.nullcontext()
        with ctx:
            optimiser_step(
                net, criterion, opt, params, (L, local, glob, ab), device, bf16 and not forced
            )
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def cmd_train_speed(args: argparse.Namespace) -> int:
    """Time training steps in fp32 and bf16 and write train_speed.json and train_speed.md."""

    torch.set_num_threads(args.threads)
    cfg = TrainConfig(
        net=NetConfig(hint_attn=True), crop=args.crop, batch=args.batch, channels_last=True
    )
    rows: dict[str, Any] = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        times = time_steps(cfg, bf16, args.steps, args.warmup)
        med = statistics.median(times)
        rows[name] = {"step_s": med, "images_per_s": cfg.batch / med, "steps_timed": len(times)}
        print(f"{name}: {cfg.batch / med:.1f} images/s ({med:.2f} s per step)", flush=True)
    result = {
        "machine": {**machine_info(), **cpu_features()},
        "config": {k: getattr(cfg, k) for k in ("crop", "batch", "channels_last")}
        | {"net": dataclasses.asdict(cfg.net)},
        "rows": rows,
        "bf16_speed_up": rows["fp32"]["step_s"] / rows["bf16"]["step_s"],
        "bf16_native": autocast_dtype(torch.device("cpu"), True) is not None,
        "date": time.strftime("%Y-%m-%d"),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_speed.json").write_text(json.dumps(result, indent=1) + "\n")
    m = result["machine"]
    lines = [
        "# Training speed",
        "",
        f"`huebrush-bench train-speed`, {result['date']}: {m['processor']}, "
        f"{args.threads} threads, AVX-512-BF16 {'yes' if m['avx512_bf16'] else 'no'}, "
        f"AMX-BF16 {'yes' if m['amx_bf16'] else 'no'}; default network, "
        f"{args.crop}x{args.crop} crops, batch {args.batch}, channels_last; whole optimiser "
        f"steps on random data (no data loading), median of {args.steps}.",
        "",
        "| precision | images/s | s per step |",
        "|---|---|---|",
        *(f"| {k} | {v['images_per_s']:.1f} | {v['step_s']:.2f} |" for k, v in rows.items()),
        "",
        f"bf16 autocast is {result['bf16_speed_up']:.1f}x fp32 here"
        + (
            "."
            if result["bf16_native"]
            else " (emulated: without AVX-512-BF16 or AMX, `huebrush-train` and the app"
            " leave autocast off, so they run the fp32 row)."
        ),
        "",
    ]
    (out / "train_speed.md").write_text("\n".join(lines))
    return 0


def add_parser(sub: Any) -> None:
    """Register `huebrush-bench train-speed`."""
    p = sub.add_parser("train-speed", help="training images/s in fp32 and bf16 on this machine")
    p.add_argument("--crop", type=int, default=128, help="crop size (default 128)")
    p.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--steps", type=int, default=5, help="timed steps per precision")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--out", default="docs/bench", metavar="DIR")
