"""The speed bench: per-update latency (predict, and predict + render at 1 megapixel),
threads, model load time and a 24-megapixel export, as the app and the CLI run them."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from model.hints.document import Hints, Point
from model.inference import Colorizer
from model.io.load import load_image
from model.io.pixels import LoadedImage
from model.io.save import save_image

EXPORT_SHAPE = (4000, 6000)  # 24 megapixels, 3:2

SPEED_HINTS = 3


def synthetic_gray(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A deterministic uint8 grayscale 'photo': smooth shading, edges and film-like grain."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    img = 0.45 + 0.25 * np.sin(6.0 * x + 2.0 * y) * np.cos(4.0 * y)
    img = img + 0.2 * ((x > 0.3) & (x < 0.6) & (y > 0.2) & (y < 0.7))
    img = img + rng.normal(0.0, 0.02, (h, w)).astype(np.float32)
    return np.clip(img * 255.0, 0, 255).astype(np.uint8)


def shape_for_megapixels(mp: float) -> tuple[int, int]:
    """(h, w) of a 3:2 landscape photo of about mp megapixels."""
    w = max(8, round(np.sqrt(mp * 1e6 * 1.5)))
    return max(8, round(w / 1.5)), w


def changing_hints(count: int, seed: int = 0, k: int = SPEED_HINTS) -> list[Hints]:
    """count hint sets of k points each, every one different (as when a user drags a point)."""
    rng = np.random.default_rng(seed)
    return [
        Hints(
            tuple(
                Point(float(x), float(y), (float(a), float(b)), 5)
                for x, y, a, b in zip(
                    rng.uniform(0.1, 0.9, k),
                    rng.uniform(0.1, 0.9, k),
                    rng.uniform(-60, 60, k),
                    rng.uniform(-60, 60, k),
                    strict=True,
                )
            )
        )
        for _ in range(count)
    ]


def time_calls(fn: Callable[[Hints], object], hints: Sequence[Hints], warmup: int) -> list[float]:
    """Milliseconds per call of fn over hints[warmup:], after warm-up calls on hints[:warmup]."""
    for h in hints[:warmup]:
        fn(h)
    times = []
    for h in hints[warmup:]:
        t0 = time.perf_counter()
        fn(h)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def latency_row(times: Sequence[float], **labels: Any) -> dict[str, Any]:
    """p50/p95/mean of a list of milliseconds, with labels."""
    t = np.asarray(times, dtype=np.float64)
    return {
        **labels,
        "p50_ms": float(np.percentile(t, 50)),
        "p95_ms": float(np.percentile(t, 95)),
        "mean_ms": float(t.mean()),
        "n": int(t.size),
    }


def precision_label(device: torch.device, fast: bool) -> str:
    from model.device import cpu_has_bf16

    if not fast:
        return "fp32"
    if device.type == "cuda":
        return "fp16"
    return "bf16" if cpu_has_bf16() else "fp32 (fast_math, but no bf16 on this CPU)"


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def bench_device(
    device: torch.device,
    weights: Path,
    sizes: Sequence[int],
    photo: LoadedImage,
    repeats: int,
    warmup: int,
    thread_counts: Sequence[int],
    progress: bool,
) -> dict[str, Any]:
    """Load time, prepare and per-update latency on one device."""
    t0 = time.perf_counter()
    col = Colorizer.load(weights, device=str(device))
    _ = col.net
    load_s = time.perf_counter() - t0
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    hints = changing_hints(warmup + repeats, seed=1)
    rows: list[dict[str, Any]] = []
    threads = torch.get_num_threads()
    # One network per precision, set up as the app would, so fp32 does not run on a net that
    # fast-math prepared (channels-last on CUDA).
    bases = {True: col, False: Colorizer(None, str(device), sizes[0], weights, fast_math=False)}
    configs = [(fast, size) for fast in (False, True) for size in sizes]
    for fast, size in tqdm(configs, desc=f"speed {device.type}", disable=not progress):
        c = Colorizer(bases[fast].net, str(device), size, weights, fast_math=fast)
        labels = {
            "device": device.type,
            "precision": precision_label(device, fast),
            "threads": threads,
        }
        labels["working_size"] = size
        prep_times = [_timed_prepare(c, photo) for _ in range(max(2, min(5, repeats)))]
        rows.append(latency_row(prep_times[1:], **labels, measure="prepare (once per photo)"))
        prep = c.prepare(photo)
        ms = time_calls(lambda h, c=c, prep=prep: c.predict(prep, h), hints, warmup)
        rows.append(latency_row(ms, **labels, measure="predict"))
        ms = time_calls(lambda h, c=c, prep=prep: c.render(prep, c.predict(prep, h)), hints, warmup)
        rows.append(
            latency_row(ms, **labels, measure=f"predict+render {photo.width}x{photo.height}")
        )
    thread_rows = []
    if device.type == "cpu" and thread_counts:
        c = Colorizer(bases[False].net, "cpu", sizes[0], weights, fast_math=False)
        prep = c.prepare(photo)
        try:
            for n in thread_counts:
                torch.set_num_threads(n)
                ms = time_calls(lambda h, c=c, prep=prep: c.predict(prep, h), hints, warmup)
                labels = {
                    "device": "cpu",
                    "precision": "fp32",
                    "threads": n,
                    "working_size": sizes[0],
                }
                thread_rows.append(latency_row(ms, **labels, measure="predict (thread study)"))
        finally:
            torch.set_num_threads(threads)
    return {
        "device": device.type,
        "name": col.device_name,
        "load_s": load_s,
        "latency": rows,
        "threads": thread_rows,
    }


def _timed_prepare(col: Colorizer, photo: LoadedImage) -> float:
    t0 = time.perf_counter()
    col.prepare(photo)
    if col.device.type == "cuda":
        torch.cuda.synchronize(col.device)
    return (time.perf_counter() - t0) * 1e3


def bench_export(device: torch.device, weights: Path, workdir: Path) -> dict[str, Any]:
    """One 24-megapixel export as the CLI does it: prepare, predict, render, save a PNG."""
    col = Colorizer.load(weights, device=str(device))
    _ = col.net
    gray = synthetic_gray(*EXPORT_SHAPE, seed=2)
    hints = changing_hints(1, seed=3)[0]
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    img = load_image(gray)
    stages["load_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    prep = col.prepare(img)
    stages["prepare_s"] = time.perf_counter() - t
    t = time.perf_counter()
    pred = col.predict(prep, hints)
    stages["predict_s"] = time.perf_counter() - t
    t = time.perf_counter()
    rgb = col.render(prep, pred)
    stages["render_s"] = time.perf_counter() - t
    t = time.perf_counter()
    save_image(workdir / "export.png", rgb, bit_depth=img.bit_depth)
    stages["save_png_s"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    return {
        "width": EXPORT_SHAPE[1],
        "height": EXPORT_SHAPE[0],
        "device": device.type,
        "precision": precision_label(device, col.fast_math),
        "total_s": total,
        **stages,
        "png_mb": (workdir / "export.png").stat().st_size / 2**20,
    }
