"""`huebrush-bench`: quality under the SIGGRAPH17 protocol, and interactive/export speed.

quality: every photo squashed to 256x256, the protocol's N points written to a hint file and
read back, and coloured by the same engine objects `huebrush-colorize` uses, so the numbers
describe what users get, not a private evaluation path.

speed: per-update latency (predict, and predict + render at 1 megapixel), threads, model load
time, a 24-megapixel export and peak memory.

variants: the research variants of issue #8, each loaded from its weights file alone, on the
same validation photos (training.variant_bench).

distance and suggestions: where the 10-point error lives, and how often the picker's
suggested colours hold the true one (training.distance_bench, training.suggest_bench).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from model.colour.colorspace import rgb_to_lab
from model.engines import Engine, NetEngine, make_engine
from model.finish import Finish
from model.hints.document import Hints, PaletteColor, Point
from model.hints.encoding import kmeans_palette
from model.inference import Colorizer, Prepared, lab_to_rgb_rows, to_uint8
from model.io.load import load_image
from model.io.pixels import LoadedImage
from model.io.save import save_image
from training.distance_bench import add_parser as add_distance_parser
from training.distance_bench import cmd_distance
from training.evaluate import EVAL_SIZE, load_eval_images, points_for
from training.machine import cpu_model
from training.metrics import colourfulness, mean_and_se, psnr, ssim
from training.suggest_bench import add_parser as add_suggestions_parser
from training.suggest_bench import cmd_suggestions
from training.train_speed_bench import add_parser as add_train_speed_parser
from training.train_speed_bench import cmd_train_speed
from training.variant_bench import add_parser as add_variants_parser
from training.variant_bench import cmd_variants

DEFAULT_POINTS = (0, 1, 2, 5, 10, 20, 50, 100)
DEFAULT_ENGINES = ("net", "views", "levin", "gray")
# net: one pass (what the app shows while editing); views and refine: the finishes of
# model.views (the app's default once the user pauses, and the opt-in fit to the points).
ENGINE_NAMES = ("net", "views", "refine", "levin", "gray")
_FINISHES = {"net": Finish.PASS, "views": Finish.VIEWS, "refine": Finish.REFINE}
PALETTE_K = 6
PALETTE_POINTS = (0, 10)
PALETTE_KEY = "net+palette"
PALETTE_NOTE = (
    "Only the net is run with the palette: Levin et al. propagation and the grey baseline "
    "ignore palettes, so their results would equal the no-palette rows."
)
# Zhang et al. 2017 (SIGGRAPH17), PSNR on ImageNet validation photos; only the values we
# have from the paper are drawn, not interpolated ones.
PUBLISHED_SIGGRAPH17 = {0: 24.4, 1: 25.4, 5: 27.4, 10: 28.4, 50: 30.4}
PUBLISHED_LABEL = "SIGGRAPH17 on ImageNet (published, other photos)"

EXPORT_SHAPE = (4000, 6000)  # 24 megapixels, 3:2
SPEED_HINTS = 3


# --------------------------------------------------------------------------- engines


class GrayEngine:
    """The photo's own L with ab = 0: what leaving a photo black-and-white scores."""

    def __call__(
        self, image: LoadedImage, hints: Hints, out_L: np.ndarray | None = None
    ) -> np.ndarray:
        L = image.L if out_L is None else out_L
        return lab_to_rgb_rows(L, np.zeros((*L.shape, 2), np.float32))

    def describe(self, hints: Hints | None = None) -> str:
        return "grey (L only, ab = 0)"


class ReusingColorizer(Colorizer):
    """A Colorizer that keeps the last photo's `prepare()` result.

    The bench colours each photo at many point counts, and the ImageNet features depend on the
    photo alone. NetEngine still runs unchanged (prepare, predict, render), as in the CLI.
    """

    _last: tuple[object, Prepared] | None = None

    def prepare(self, image: Any) -> Prepared:
        """As Colorizer.prepare, but the same image object gets the same Prepared back."""
        # Identity, not equality: holding the object in _last keeps its id from being reused.
        if self._last is not None and self._last[0] is image:
            return self._last[1]
        prep = super().prepare(image)
        self._last = (image, prep)
        return prep


def build_engines(
    names: Iterable[str], device: str = "auto", weights: str | None = None, working_size: int = 256
) -> dict[str, Engine]:
    """The named engines; 'net' and 'levin' as make_engine builds them for the CLI."""
    engines: dict[str, Engine] = {}
    for name in names:
        if name == "gray":
            engines[name] = GrayEngine()
        elif name in _FINISHES:
            # make_engine('net') with a Colorizer that reuses prepare(); everything else equal.
            col = ReusingColorizer.load(weights, device=device, working_size=working_size)
            _ = col.net  # a bad weights file fails before any photo is read, as in the CLI
            engines[name] = NetEngine(col, _FINISHES[name])
        else:
            engines[name] = make_engine(name, device, weights, working_size)
    return engines


# --------------------------------------------------------------------------- quality


def protocol_hints(
    ab: np.ndarray, n: int, seed: int, index: int, palette: Sequence[PaletteColor] = ()
) -> Hints:
    """The protocol's n points for photo `index` (deterministic per seed/photo/n), as Hints."""
    return Hints(points=tuple(points_for(ab, n, seed, index)), palette=tuple(palette))


def protocol_palette(
    ab: np.ndarray, seed: int, index: int, k: int = PALETTE_K
) -> list[PaletteColor]:
    """A k-colour palette: seeded k-means of all of the photo's true ab values."""
    return kmeans_palette(ab.reshape(-1, 2), k, np.random.default_rng([seed, index, k, 1]))


def via_hint_file(hints: Hints, path: Path) -> Hints:
    """Write the hints as a hint file and read them back, as the CLI receives them."""
    hints.to_json(path)
    return Hints.from_json(path)


def _scores(out: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {"psnr": psnr(out, truth), "ssim": ssim(out, truth), "colourfulness": colourfulness(out)}


def run_quality(
    images: Sequence[np.ndarray],
    engines: dict[str, Engine],
    points: Sequence[int],
    seed: int,
    workdir: Path,
    palette: bool = True,
    progress: bool = True,
) -> dict[str, dict[int, dict[str, list[float]]]]:
    """Per-photo scores: {engine key: {points: {metric: [one value per photo]}}}."""
    runs: list[tuple[str, int, bool]] = [(e, n, False) for n in points for e in engines]
    if palette and "net" in engines:
        runs += [("net", n, True) for n in PALETTE_POINTS]
    scores: dict[str, dict[int, dict[str, list[float]]]] = {}
    with tqdm(
        total=len(images) * len(runs), desc="quality", unit="run", disable=not progress
    ) as bar:
        for i, truth in enumerate(images):
            png = workdir / f"{i:05d}.png"
            Image.fromarray(truth).save(png)
            img = load_image(png)
            ab = rgb_to_lab(truth.astype(np.float32) / 255.0)[..., 1:].astype(np.float32)
            pal = protocol_palette(ab, seed, i) if any(r[2] for r in runs) else []
            for name, n, with_palette in runs:
                hints = protocol_hints(ab, n, seed, i, pal if with_palette else ())
                suffix = "_palette" if with_palette else ""
                hints = via_hint_file(hints, workdir / f"{i:05d}_{n}{suffix}.hints.json")
                out = to_uint8(engines[name](img, hints))
                key = PALETTE_KEY if with_palette else name
                slot = scores.setdefault(key, {}).setdefault(n, {})
                for metric, value in _scores(out, truth).items():
                    slot.setdefault(metric, []).append(value)
                bar.update()
            png.unlink()
    return scores


def summarise(per_image: dict[str, dict[int, dict[str, list[float]]]]) -> dict[str, Any]:
    """Means and standard errors per engine and point count (keys are strings for JSON)."""
    out: dict[str, Any] = {}
    for key, by_n in per_image.items():
        out[key] = {}
        for n, metrics in by_n.items():
            row: dict[str, float | int] = {"images": len(metrics["psnr"])}
            for metric, values in metrics.items():
                row[metric], row[f"{metric}_se"] = mean_and_se(values)
            out[key][str(n)] = row
    return out


def machine_info() -> dict[str, Any]:
    """Where the numbers were measured."""
    return {
        "platform": platform.platform(),
        "processor": cpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device",
    }


def _weights_info(engines: dict[str, Engine], weights: str | None) -> dict[str, Any]:
    net = next((engines[n] for n in _FINISHES if n in engines), None)
    if isinstance(net, NetEngine):
        col = net.colorizer
        return {"path": str(col.weights_path), "id": col.weights_id(), "device": col.device_name}
    return {"path": weights, "id": None, "note": "net not run"}


# What must match for rows of an earlier report to stand beside new ones.
_PROTOCOL_KEYS = ("dataset", "seed", "points", "eval_size", "working_size")


def reuse_rows(report: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    """Copy into `report` the rows of engines it did not run from an earlier report.

    The weight-independent baselines (Levin takes ~20 min on the full val set) then need not
    be re-run when only the weights change. The protocol must match exactly, or the rows would
    describe other photos or points. Returns the engines copied (recorded in meta["reused"]).
    """
    meta, old_meta = report["meta"], previous["meta"]
    for key in _PROTOCOL_KEYS:
        if meta[key] != old_meta[key]:
            raise ValueError(f"protocol differs in {key}: {old_meta[key]!r} != {meta[key]!r}")
    copied = [k for k in previous["results"] if k not in report["results"]]
    if PALETTE_KEY in copied:
        copied.remove(PALETTE_KEY)  # the palette rows are the net's: they belong to its weights
    for key in copied:
        report["results"][key] = previous["results"][key]
        report["per_image_psnr"][key] = previous["per_image_psnr"][key]
    meta["reused"] = {"engines": copied, "date": old_meta["date"]}
    return copied


def quality_markdown(report: dict[str, Any]) -> str:
    """The quality report as a markdown table."""
    meta = report["meta"]
    lines = [
        f"Quality on {meta['dataset']['images']} photos from `{meta['dataset']['folder']}` "
        f"({meta['eval_size']}x{meta['eval_size']}, seed {meta['seed']}, "
        f"weights {meta['weights'].get('id') or 'not used'}).",
        "",
        "| Engine | Points | PSNR (dB) | ± SE | SSIM | Colourfulness |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, by_n in report["results"].items():
        label = f"net + {PALETTE_K}-colour palette" if key == PALETTE_KEY else key
        for n, r in by_n.items():
            lines.append(
                f"| {label} | {n} | {r['psnr']:.2f} | {r['psnr_se']:.2f} | {r['ssim']:.4f} "
                f"| {r['colourfulness']:.1f} |"
            )
    gt = report["ground_truth"]
    lines.append(f"| ground truth | – | – | – | 1.0000 | {gt['colourfulness']:.1f} |")
    pub = ", ".join(f"{n}: {v}" for n, v in PUBLISHED_SIGGRAPH17.items())
    lines += ["", f"{PUBLISHED_LABEL}, PSNR by points: {pub}."]
    reused = meta.get("reused")
    if reused and reused["engines"]:
        lines.append(
            f"Rows of {', '.join(reused['engines'])} reused from the run of {reused['date']} "
            "(same photos, seed and points; they do not depend on the weights)."
        )
    if PALETTE_KEY in report["results"]:
        lines.append(PALETTE_NOTE)
    return "\n".join(lines) + "\n"


def quality_plot(report: dict[str, Any], path: Path) -> bool:
    """PSNR against points with standard-error bars; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FixedLocator, ScalarFormatter
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ticks: set[int] = set(PUBLISHED_SIGGRAPH17)
    for key, by_n in report["results"].items():
        ns = [int(n) for n in by_n]
        ticks.update(ns)
        label = f"net + {PALETTE_K}-colour palette" if key == PALETTE_KEY else key
        ax.errorbar(
            ns,
            [by_n[str(n)]["psnr"] for n in ns],
            yerr=[by_n[str(n)]["psnr_se"] for n in ns],
            marker="o",
            capsize=3,
            linestyle=":" if key == PALETTE_KEY else "-",
            label=label,
        )
    pub_n = list(PUBLISHED_SIGGRAPH17)
    ax.plot(
        pub_n, [PUBLISHED_SIGGRAPH17[n] for n in pub_n], "--", color="0.4", label=PUBLISHED_LABEL
    )
    # symlog keeps 0 points on the axis while 1..100 spread out as on a log scale.
    ax.set_xscale("symlog", linthresh=1, linscale=0.5)
    ax.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.set_xlabel("simulated points (6x6 patches)")
    ax.set_ylabel("PSNR, 8-bit sRGB (dB)")
    meta = report["meta"]
    ax.set_title(f"{meta['dataset']['folder']}: {meta['dataset']['images']} photos, mean ± SE")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


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
            "weights": _weights_info(engines, args.weights),
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


# --------------------------------------------------------------------------- speed


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


def _precision(device: torch.device, fast: bool) -> str:
    from model.device import cpu_has_bf16

    if not fast:
        return "fp32"
    if device.type == "cuda":
        return "fp16"
    return "bf16" if cpu_has_bf16() else "fp32 (fast_math, but no bf16 on this CPU)"


def _peak_rss_mb() -> float:
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
        labels = {"device": device.type, "precision": _precision(device, fast), "threads": threads}
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
        "precision": _precision(device, col.fast_math),
        "total_s": total,
        **stages,
        "png_mb": (workdir / "export.png").stat().st_size / 2**20,
    }


def speed_markdown(report: dict[str, Any]) -> str:
    """The speed report as markdown."""
    m = report["meta"]["machine"]
    lines = [
        f"Speed on {m['processor']} ({m['cpu_count']} CPUs, torch {m['torch']}), "
        f"weights {report['meta']['weights']['id']}.",
        "",
        "| Device | Precision | Threads | Working size | Measure | p50 ms | p95 ms | n |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for dev in report["devices"]:
        for r in dev["latency"] + dev["threads"]:
            lines.append(
                f"| {r['device']} | {r['precision']} | {r['threads']} | {r['working_size']} "
                f"| {r['measure']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['n']} |"
            )
    lines.append("")
    for dev in report["devices"]:
        lines.append(f"- Model load ({dev['name']}): {dev['load_s']:.2f} s")
    if isinstance(report["cuda"], str):
        lines.append(f"- CUDA: {report['cuda']}")
    exp = report["export"]
    if "skipped" in exp:
        lines.append(f"- 24 MP export: skipped ({exp['skipped']})")
    else:
        lines.append(
            f"- {exp['width']}x{exp['height']} export ({exp['device']}, {exp['precision']}): "
            f"{exp['total_s']:.1f} s = load {exp['load_s']:.1f} + prepare {exp['prepare_s']:.1f}"
            f" + predict {exp['predict_s']:.1f} + render {exp['render_s']:.1f}"
            f" + PNG {exp['save_png_s']:.1f}"
        )
    mem = report["memory"]
    line = f"- Peak memory: {mem['peak_rss_mb']:.0f} MB RSS"
    if mem.get("cuda_max_allocated_mb") is not None:
        line += f", {mem['cuda_max_allocated_mb']:.0f} MB CUDA allocated"
    lines.append(line)
    return "\n".join(lines) + "\n"


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
    if args.quick:
        export: dict[str, Any] = {"skipped": "--quick"}
    else:
        with tempfile.TemporaryDirectory(prefix="huebrush-bench-") as tmp:
            export = bench_export(
                torch.device("cuda" if "cuda" in devices else "cpu"), weights, Path(tmp)
            )
    report = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "weights": {"path": str(weights), "id": Colorizer.load(weights).weights_id()},
            "repeats": args.repeats,
            "warmup": args.warmup,
            "hints_per_update": SPEED_HINTS,
            "render_photo": {"width": photo.width, "height": photo.height},
        },
        "devices": results,
        "cuda": torch.cuda.get_device_name(0) if has_cuda else "no CUDA device",
        "export": export,
        "memory": {
            "peak_rss_mb": _peak_rss_mb(),
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


# --------------------------------------------------------------------------- CLI


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
    s.add_argument("--quick", action="store_true", help="skip the 24-megapixel export")
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
    }
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
