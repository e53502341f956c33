"""The speed bench: per-update latency (predict, and predict + render at 1 megapixel),
threads, model load time, a 24-megapixel scan from disk to disk and batches of 1-megapixel
photos through huebrush-colorize, as the app and the CLI run them."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from model.hints.document import Hints, Point
from model.inference import Colorizer
from model.io.pixels import LoadedImage

EXPORT_SHAPE = (4000, 6000)  # 24 megapixels, 3:2
EXPORT_POINTS = 5
BATCH_SHAPE = (816, 1224)  # 1 megapixel
BATCH_PHOTOS = 12

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


class RssSampler:
    """The process's resident memory sampled every 10 ms on a thread while in the block
    (Linux /proc; elsewhere None): `before` when it started, `peak` while it ran."""

    def __init__(self) -> None:
        self.before: float | None = None
        self.peak: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def rss_mb() -> float | None:
        try:
            with open("/proc/self/statm", encoding="ascii") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            now = self.rss_mb()
            if now is not None and (self.peak is None or now > self.peak):
                self.peak = now

    def __enter__(self) -> RssSampler:
        self.before = self.peak = self.rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cli_stages() -> tuple[dict[str, float], Callable[[], None]]:
    """Timers around huebrush-colorize's stages, where the CLI looks them up; and the undo."""
    import model.cli as cli
    import model.engines as engines

    stages: dict[str, float] = {}
    patched = [
        (cli, "load_image", "load_s"),
        (engines.NetEngine, "colours", "network_s"),
        (cli, "render_rgb", "render_s"),
        (cli, "save_image", "save_s"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, key in patched:
        setattr(owner, name, _timer(stages, key, getattr(owner, name)))

    def undo() -> None:
        for owner, name, fn in saved:
            setattr(owner, name, fn)

    return stages, undo


def _timer(stages: dict[str, float], key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            stages[key] = stages.get(key, 0.0) + time.perf_counter() - t0

    return timed


def run_cli(argv: list[str]) -> tuple[float, dict[str, float]]:
    """huebrush-colorize in this process: its wall time and the time of its stages."""
    from model.cli import main

    stages, undo = _cli_stages()
    try:
        t0 = time.perf_counter()
        if main([*argv, "--no-progress", "--overwrite"]) != 0:
            raise RuntimeError(f"huebrush-colorize {' '.join(argv)} failed")
        return time.perf_counter() - t0, stages
    finally:
        undo()


def write_photos(folder: Path, shape: tuple[int, int], count: int, points: int) -> list[Path]:
    """count synthetic grey JPEG scans (quality 92) in folder, each with a hint file of
    `points` points when points > 0."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    hints = changing_hints(count, seed=3, k=max(1, points))
    paths = []
    for i in range(count):
        path = folder / f"scan{i:03d}.jpg"
        Image.fromarray(synthetic_gray(*shape, seed=2 + i)).save(path, quality=92)
        if points:
            hints[i].to_json(path.with_suffix(".hints.json"))
        paths.append(path)
    return paths


def bench_export(weights: Path, workdir: Path, repeats: int = 3) -> dict[str, Any]:
    """A 24-megapixel grey JPEG scan with 5 points, from disk to disk as huebrush-colorize
    does it (default finish, PNG out), `repeats` times: the median run's stages, and the
    resident memory it needed above the loaded model."""
    src = write_photos(workdir / "in", EXPORT_SHAPE, 1, EXPORT_POINTS)[0]
    argv = [str(src), "-o", str(workdir / "out"), "--weights", str(weights), "--device", "cpu"]
    runs = []
    for _ in range(repeats):
        with RssSampler() as rss:
            wall, stages = run_cli(argv)
        disk_to_disk = sum(stages.values())
        runs.append({"cli_s": wall, "total_s": disk_to_disk, **stages, "rss": rss})
    median = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]
    rss = median.pop("rss")
    return {
        "width": EXPORT_SHAPE[1],
        "height": EXPORT_SHAPE[0],
        "points": EXPORT_POINTS,
        "input": "grey JPEG, quality 92",
        "device": "cpu",
        "repeats": repeats,
        "totals_s": sorted(r["total_s"] for r in runs),
        **median,
        "png_mb": (workdir / "out" / f"{src.stem}_color.png").stat().st_size / 2**20,
        "rss_before_mb": rss.before,
        "rss_peak_mb": rss.peak,
    }


def bench_batch(
    weights: Path, workdir: Path, count: int = BATCH_PHOTOS, points: int = 0
) -> dict[str, Any]:
    """huebrush-colorize on a folder of `count` 1-megapixel grey JPEGs (with `points` points
    each, default finish): photos a minute, from the folder's time minus a one-photo run
    (so start-up and the model load are not counted), over count - 1 photos."""
    folder = workdir / f"batch{points}"
    paths = write_photos(folder, BATCH_SHAPE, count, points)
    common = ["--weights", str(weights), "--device", "cpu"]
    one, _ = run_cli([str(paths[0]), "-o", str(workdir / f"one{points}"), *common])
    many, stages = run_cli([str(folder), "-o", str(workdir / f"out{points}"), *common])
    return {
        "photos": count,
        "width": BATCH_SHAPE[1],
        "height": BATCH_SHAPE[0],
        "points": points,
        "one_photo_s": one,
        "batch_s": many,
        "per_minute": 60.0 * (count - 1) / max(many - one, 1e-9),
        "stages_s": stages,
    }
