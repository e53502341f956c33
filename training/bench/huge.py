"""100-megapixel timing: a synthetic grey photo coloured by `huebrush-colorize` itself.

    python -m training.bench.huge [--height 8400 --width 12000] [--points 5] [--out docs/bench]

The photo (smooth shading, hard edges and grain, seeded) is written as a PNG with a hint file,
then coloured by the CLI in a child process: `python -m training.bench.huge --child ...` runs
model.cli.main unchanged, only with timers around its stages. The child's wall time, CPU time
and peak resident memory (its own rusage, so the generator's memory is not counted) go to
OUT/huge.json, and one line is appended to OUT/huge.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SHAPE = (8400, 12000)  # 100.8 megapixels, 10:7
DEFAULT_POINTS = 5
_STAGES_ENV = "HUEBRUSH_BENCH_STAGES"
_BAND_ROWS = 512


def synthetic_band(rows: slice, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Rows of a deterministic grey 'photo' as uint8: shading, a bright block, edges, grain."""
    y = (np.arange(rows.start, rows.stop, dtype=np.float32) / max(1, height - 1))[:, None]
    x = (np.arange(width, dtype=np.float32) / max(1, width - 1))[None, :]
    img = 0.45 + 0.25 * np.sin(6.0 * x + 2.0 * y) * np.cos(4.0 * y)
    img = img + 0.2 * ((x > 0.3) & (x < 0.6) & (y > 0.2) & (y < 0.7))
    img = img - 0.15 * (np.sin(40.0 * x) > 0.95)  # thin dark stripes: edges for the upsampling
    img = img + rng.normal(0.0, 0.02, img.shape).astype(np.float32)
    return np.clip(img * 255.0, 0, 255).astype(np.uint8)


def write_synthetic_png(path: Path, height: int, width: int, seed: int = 0) -> None:
    """The grey photo, built in row bands so the generator needs ~1 byte per pixel; a .tif
    path gets a 16-bit grey TIFF (a scanner's, uncompressed) of the same picture."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    gray = np.empty((height, width), np.uint8)
    for r0 in range(0, height, _BAND_ROWS):
        rows = slice(r0, min(height, r0 + _BAND_ROWS))
        gray[rows] = synthetic_band(rows, height, width, rng)
    if path.suffix == ".tif":
        import tifffile

        wide = gray.astype(np.uint16) * np.uint16(257)
        wide += rng.integers(0, 257, wide.shape, dtype=np.uint16)  # below 8 bits: 16-bit data
        tifffile.imwrite(path, wide, photometric="minisblack")
        return
    Image.MAX_IMAGE_PIXELS = None  # our own file; Pillow would warn above ~89 MP
    Image.fromarray(gray, "L").save(path, compress_level=1)


# --------------------------------------------------------------------------- the child


def _timed(stages: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - t0

    return wrapper


def child_main(cli_args: list[str]) -> int:
    """Run huebrush-colorize with timers around its stages; they go to $HUEBRUSH_BENCH_STAGES."""
    import model.cli as cli
    import model.inference as inference

    stages: dict[str, float] = {}
    # Patched where they are looked up, so the CLI's own code runs as shipped.
    cli.load_image = _timed(stages, "load_s", cli.load_image)
    cli.save_image = _timed(stages, "save_s", cli.save_image)
    for name in ("prepare", "predict"):
        setattr(
            inference.Colorizer,
            name,
            _timed(stages, f"{name}_s", getattr(inference.Colorizer, name)),
        )
    # The full-resolution render: edge-aware upsampling and Lab -> sRGB in one pass.
    cli.render_rgb = _timed(stages, "render_s", cli.render_rgb)
    t0 = time.perf_counter()
    status = cli.main(cli_args)
    stages["cli_total_s"] = time.perf_counter() - t0
    Path(os.environ[_STAGES_ENV]).write_text(json.dumps(stages), encoding="utf-8")
    return status


# --------------------------------------------------------------------------- the parent


def _rss_mb(ru_maxrss: int) -> float:
    return ru_maxrss / 2**20 if sys.platform == "darwin" else ru_maxrss / 1024  # B vs KiB


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
        return kib / 2**20
    except (OSError, StopIteration, ValueError):
        return None


def run_cli_child(cli_args: list[str], stages_path: Path) -> dict[str, Any]:
    """The CLI in a child process: wall and CPU seconds, peak RSS, its stages.

    The resource usage is the child's own (wait4 returns what getrusage(RUSAGE_CHILDREN) would
    add for it), so earlier children of this process cannot inflate the peak.
    """
    env = {**os.environ, _STAGES_ENV: str(stages_path)}
    cmd = [sys.executable, "-m", "training.bench.huge", "--child", *cli_args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    _, wait_status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    stages = json.loads(stages_path.read_text()) if stages_path.is_file() else {}
    return {
        "exit_status": proc.returncode,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": _rss_mb(usage.ru_maxrss),
        "stages": stages,
    }


def markdown_row(r: dict[str, Any]) -> str:
    s = r["stages"]
    parts = ("load_s", "prepare_s", "predict_s", "upsample_s", "lab_to_rgb_s", "render_s")
    parts += ("save_s", "save_png_s")  # save_png_s: rows recorded when only PNG was timed
    stage_text = " + ".join(f"{k[:-2]} {s[k]:.1f}" for k in parts if k in s)
    return (
        f"| {r['date'][:10]} | {r['width']}x{r['height']} ({r['megapixels']:.1f} MP"
        f"{', ' + r['input'] if r.get('input') else ''}) "
        f"| {r['points']} | {r['wall_s']:.1f} | {stage_text} | {r['peak_rss_mb']:.0f} "
        f"| {r['machine']['cpu_count']} CPUs, load {r['machine']['load_before']:.1f} |"
    )


MD_HEADER = (
    "100-megapixel export through `huebrush-colorize` (`python -m training.bench.huge`): "
    "wall time of the whole CLI run (start-up included), its stages in seconds, and its peak "
    "resident memory.\n\n"
    "| date | photo | points | wall s | stages s | peak RSS MB | machine |\n"
    "|---|---|---:|---:|---|---:|---|\n"
)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, colour through the CLI in a child, record; returns the report."""
    from model import __version__
    from model.io.paths import default_weights_path
    from model.network.weights import file_hash

    height, width = args.height, args.width
    weights = Path(args.weights).resolve() if args.weights else default_weights_path()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="huebrush-huge-", dir=args.workdir) as tmp:
        work = Path(tmp).resolve()
        src = work / ("huge.tif" if args.tiff16 else "huge.png")
        t0 = time.perf_counter()
        write_synthetic_png(src, height, width, args.seed)
        gen_s = time.perf_counter() - t0
        hints_path = work / "huge.hints.json"
        from training.bench.speed import changing_hints  # the speed bench's seeded points

        changing_hints(1, args.seed, args.points)[0].to_json(hints_path)
        cli_args = [str(src), "-o", str(work / "out"), "--hints", str(hints_path)]
        cli_args += ["--weights", str(weights), "--device", args.device, "--no-progress"]
        load_before = os.getloadavg()[0]
        result = run_cli_child(cli_args, work / "stages.json")
        dest = work / "out" / f"huge_color{src.suffix}"
        if result["exit_status"] != 0 or not dest.is_file():
            raise SystemExit(f"bench.huge: the CLI failed (exit status {result['exit_status']})")
        from PIL import Image

        with Image.open(dest) as im:  # header only: decoding it would be a second benchmark
            out_size, out_mode = im.size, im.mode
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": __version__,
            "height": height,
            "width": width,
            "megapixels": height * width / 1e6,
            "points": args.points,
            "input": "16-bit TIFF" if args.tiff16 else "8-bit PNG",
            "device": args.device,
            # File names only: the report is committed and must not carry machine paths.
            "weights": {"path": weights.name, "id": file_hash(weights)},
            **result,
            "input_png_mb": src.stat().st_size / 2**20,
            "output_png_mb": dest.stat().st_size / 2**20,
            "output": {"width": out_size[0], "height": out_size[1], "mode": out_mode},
            "generate_s": gen_s,
            "machine": {
                "platform": platform.platform(),
                "processor": platform.processor() or platform.machine(),
                "cpu_count": os.cpu_count(),
                "memory_gb": _memory_gb(),
                "load_before": load_before,
                "niceness": os.nice(0),
            },
            "command": "huebrush-colorize "
            + " ".join(
                a.replace(str(work), "TMP").replace(str(weights), weights.name) for a in cli_args
            ),
        }
    (out / "huge.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md = out / "huge.md"
    text = md.read_text(encoding="utf-8") if md.is_file() else MD_HEADER
    md.write_text(text + markdown_row(report) + "\n", encoding="utf-8")
    return report


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m training.bench.huge", description=__doc__)
    ap.add_argument("--height", type=int, default=DEFAULT_SHAPE[0])
    ap.add_argument("--width", type=int, default=DEFAULT_SHAPE[1])
    ap.add_argument("--points", type=int, default=DEFAULT_POINTS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights", help="default: the shipped weights")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    ap.add_argument("--out", default="docs/bench", help="folder for huge.json and huge.md")
    ap.add_argument("--workdir", help="where the photo and output go (default: the temp folder)")
    ap.add_argument(
        "--tiff16", action="store_true", help="a 16-bit grey TIFF in, so a 16-bit TIFF out"
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    args = build_parser().parse_args(argv)
    r = run(args)
    print(markdown_row(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
