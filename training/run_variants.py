"""Train every research variant for the same wall-clock budget, then compare them.

python -m training.run_variants --data ../shared/data/train --val ../shared/data/val --minutes 6

Each variant is trained by `huebrush-train` in its own process, one after the other, on the
same photos with the same crops (128), batch (32), seed, bf16 autocast and channels-last
layout, for `--minutes` of wall-clock training each (TrainConfig.max_minutes; the one-off
data scan and colour prior are done up front and not counted). No validation runs during
training, so the whole budget goes to training, and the bench compares the final weights.
Then `huebrush-bench variants` scores them and docs/variants.md is written from its JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# (run name, arch, loss): the default network first, then the variants in the order.
VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("huebrush", "huebrush", "huebrush"),
    ("huebrush_plain", "huebrush", "huebrush"),
    ("huebrush_noprior", "huebrush", "huebrush"),
    ("huebrush_effenc", "huebrush", "huebrush"),
    ("ae_l2", "ae", "l2"),
    ("ae_l1", "ae", "l1"),
    ("class", "class", "ce"),
    ("fusion", "fusion", "l2"),
    ("koala", "koala", "l2"),
    ("pix2pix", "pix2pix", "gan"),
)
RUN_PREFIX = "var_"
# Ablations of the default: without the ImageNet features (the plain U-Net), and
# without the edge-aware hint spread as input.
EXTRA: dict[str, tuple[str, ...]] = {
    "huebrush_plain": ("net.semantic=none",),
    "huebrush_noprior": ("net.prior=false",),
    "huebrush_effenc": ("net.encoder=effnet", "net.semantic=none"),
}
ABLATION_NOTES = {
    "huebrush_plain": "the default without ImageNet features: a plain U-Net",
    "huebrush_noprior": "the default without the edge-aware hint spread input",
    "huebrush_effenc": "EfficientNet-Lite0 itself as the U-Net's encoder (ImageNet start, "
    "trained at semantic_lr), the hints through a light parallel branch",
}
# The same for every run. A short warm-up, since a budget of minutes is a few hundred steps;
# steps is effectively unlimited so that the clock alone ends each run.
COMMON = (
    "crop=128",
    "batch=32",
    "bf16=true",
    "channels_last=true",
    "seed=0",
    "warmup_steps=50",
    "steps=1000000000",
)

PAPERS = {
    "huebrush": (
        "Zhang et al. 2017 (SIGGRAPH17) + ImageNet features + hint spread",
        "the shipped interactive network (model/network/unet.py), same loss as the release",
    ),
    "ae": (
        "plain regression CNN / autoencoder (the pre-2016 baseline)",
        "strided-conv encoder to 1/8, upsampling decoder, no skips, tanh ab "
        "(training/variants/ae.py)",
    ),
    "class": (
        "Zhang, Isola and Efros 2016, *Colorful Image Colorization*",
        "VGG-style dilated net, 313 bins at 1/4, soft encoding (5 nearest, sigma 5), "
        "rebalancing weights from the training data's smoothed prior mixed with uniform "
        "(lambda 0.5), annealed mean T = 0.38 (training/variants/classification.py)",
    ),
    "fusion": (
        "Iizuka, Simo-Serra and Ishikawa 2016, *Let there be Color!*",
        "shared low-level net, global stream on a 224x224 copy to a 256-d vector, mid-level "
        "stream, fusion by concatenation + 1x1 conv, upsampling colourisation net; no "
        "classification loss (no labels) (training/variants/fusion.py)",
    ),
    "koala": (
        "Baldassarre, Morín and Rodés-Guirao 2017, *Deep Koalarization*",
        "encoder-decoder with frozen EfficientNet-Lite0 (ImageNet) 1280-d embedding of a "
        "224x224 copy fused at 1/8 in place of Inception-ResNet-v2 (training/variants/koala.py)",
    ),
    "pix2pix": (
        "Isola et al. 2017, *pix2pix*",
        "U-Net generator (depth 7), 70x70 PatchGAN on (L, ab), vanilla GAN + 100 x L1, "
        "Adam beta1 0.5, lr 2e-4 (training/variants/pix2pix.py, training/variant_losses.py)",
    ),
}


def train_command(
    name: str, arch: str, loss: str, data: str, run_dir: Path, minutes: float, sets: list[str]
) -> list[str]:
    """The huebrush-train command line of one variant."""
    return [
        sys.executable,
        "-m",
        "training.cli",
        "--arch",
        arch,
        "--loss",
        loss,
        "--data",
        data,
        "--out",
        str(run_dir),
        "--no-progress",
        f"max_minutes={minutes:g}",
        *COMMON,
        *EXTRA.get(name, ()),
        *(
            ["rebalance_prior=" + str(run_dir.parent / "colour_prior.json")]
            if arch == "class"
            else []
        ),
        *sets,
    ]


def prepare_shared(data: str, runs_dir: Path, run_dirs: list[Path], need_prior: bool) -> int:
    """Scan the training photos once (cache copied into every run) and the colour prior."""
    from training.data import colour_photos

    runs_dir.mkdir(parents=True, exist_ok=True)
    cache = runs_dir / "train_files.json"
    files = colour_photos(data, cache)
    for d in run_dirs:
        d.mkdir(parents=True, exist_ok=True)
        if not (d / "train_files.json").is_file():
            shutil.copyfile(cache, d / "train_files.json")
    if need_prior:
        from training.rebalance import class_weights

        class_weights(files, runs_dir, progress=True)  # writes runs_dir/colour_prior.json
    return len(files)


def doc_markdown(report: dict[str, Any], settings: dict[str, Any], table: str) -> str:
    """docs/variants.md: what was run, how, and the bench's table (discussion left to fill)."""
    lines = [
        "# Research colourisation systems as training variants",
        "",
        "Every system below was trained from scratch (ImageNet features where the paper uses "
        "them) for the same wall-clock budget on the same data, then scored on the same "
        "validation photos by `huebrush-bench variants`, which loads each network from its "
        "weights file alone.",
        "",
        "## Variants",
        "",
        "| Run | After | Implemented here |",
        "|---|---|---|",
    ]
    for name, arch, loss in VARIANTS:
        if name in settings["variants"]:
            paper, what = PAPERS[arch]
            what = ABLATION_NOTES.get(name, what)
            lines.append(
                f"| `{RUN_PREFIX}{name}` (arch `{arch}`, loss `{loss}`) | {paper} | {what} |"
            )
    m = report["meta"]
    configs: dict[str, dict[str, Any]] = settings["configs"]
    c = next(iter(configs.values()))  # the settings every run shares (COMMON and --set)
    lrs = ", ".join(f"{name} {cfg['lr']:g}" for name, cfg in configs.items())
    lines += [
        "",
        "## Setup",
        "",
        f"- Budget: {settings['minutes']:g} min of wall-clock training per variant, one after "
        f"another on {m['machine']['processor']} ({m['machine']['cpu_count']} CPUs, torch "
        f"{m['machine']['torch']}); the data scan and colour prior are done once beforehand.",
        f"- Data: {settings['train_photos']} colour photos of `{Path(settings['data']).name}/`; "
        f"{c['crop']}x{c['crop']} random resized crops ({c['crop_scale_min']:.0%}-100% of the "
        f"area) with flips; batch {c['batch']}; seed {c['seed']}.",
        f"- Optimiser: AdamW (beta1 0.5 for the GAN), {c['warmup_steps']} warm-up steps, then "
        f"(effectively) constant lr: {lrs}; bf16 autocast {c['bf16']}, channels-last "
        f"{c['channels_last']}; {c['threads']} torch threads, {c['workers']} loader worker(s).",
        "- No validation during training; the final weights are compared.",
        f"- Settings passed to every run: `{' '.join(settings['common'])}`"
        + (f" plus `{' '.join(settings['sets'])}`" if settings["sets"] else "")
        + ".",
        f"- Run: `{settings['command']}` ({settings['date']}).",
        "",
        "## Results",
        "",
        table.rstrip(),
        "",
        "Mean ± standard error over the photos. Steps = optimiser steps reached in the budget.",
        "",
        f"![The same {len(report['sheet']['photos'])} validation photos per variant]"
        f"(variants/{report['sheet']['file']})",
        "",
        "## Discussion",
        "",
        "_To be written from the numbers above._",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m training.run_variants", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--data", required=True, help="folder of training photos")
    ap.add_argument("--val", required=True, help="folder of validation photos (bench only)")
    ap.add_argument("--minutes", type=float, required=True, help="training budget per variant")
    ap.add_argument("--runs-dir", default="runs/variants", help="default runs/variants")
    ap.add_argument("--docs", default="docs", help="writes DOCS/variants.md, DOCS/variants/")
    ap.add_argument("--only", help="comma-separated run names: " + ",".join(v[0] for v in VARIANTS))
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="extra config for all runs"
    )
    ap.add_argument("--bench-limit", type=int, help="score an evenly spread subset of N photos")
    ap.add_argument("--skip-existing", action="store_true", help="keep runs that have weights")
    ap.add_argument("--dry-run", action="store_true", help="print the commands and stop")
    args = ap.parse_args(argv)

    chosen = [v for v in VARIANTS if not args.only or v[0] in args.only.split(",")]
    if not chosen:
        ap.error(f"--only names none of {','.join(v[0] for v in VARIANTS)}")
    runs_dir = Path(args.runs_dir)
    run_dirs = [runs_dir / f"{RUN_PREFIX}{name}" for name, _, _ in chosen]
    cmds = [
        train_command(name, arch, loss, args.data, d, args.minutes, args.set)
        for (name, arch, loss), d in zip(chosen, run_dirs, strict=True)
    ]
    if args.dry_run:
        for c in cmds:
            print(" ".join(c))
        return 0
    n_photos = prepare_shared(
        args.data, runs_dir, run_dirs, any(arch == "class" for _, arch, _ in chosen)
    )
    status_file = runs_dir / "runner.json"
    status: dict[str, Any] = json.loads(status_file.read_text()) if status_file.is_file() else {}
    for (name, _, _), d, cmd in zip(chosen, run_dirs, cmds, strict=True):
        if args.skip_existing and (d / "final.safetensors").is_file():
            print(f"{name}: kept {d / 'final.safetensors'}")
            continue
        print(f"{name}: training for {args.minutes:g} min -> {d}", flush=True)
        t0 = time.time()
        with open(d / "train.out", "w") as out:
            rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
        status[name] = {"rc": rc, "wall_min": round((time.time() - t0) / 60, 2)}
        print(f"{name}: exit {rc} after {status[name]['wall_min']} min", flush=True)
        status_file.write_text(json.dumps(status, indent=1) + "\n")

    from training.bench.variants import MD_NAME, run

    done = [d for d in run_dirs if (d / "final.safetensors").is_file()]
    missing = [d.name for d in run_dirs if d not in done]
    if missing:
        print(f"no weights from: {', '.join(missing)} (see their train.out)", file=sys.stderr)
    if not done:
        return 1
    bench_out = Path(args.docs) / "variants"
    report = run(done, args.val, bench_out, args.bench_limit)
    settings = {
        "variants": [d.name[len(RUN_PREFIX) :] for d in done],
        "configs": {
            d.name[len(RUN_PREFIX) :]: json.loads((d / "config.json").read_text()) for d in done
        },
        "minutes": args.minutes,
        "data": args.data,
        "train_photos": n_photos,
        "common": list(COMMON),
        "sets": args.set,
        "command": "python -m training.run_variants " + " ".join(argv or sys.argv[1:]),
        "date": datetime.now(UTC).date().isoformat(),
    }
    doc = doc_markdown(report, settings, (bench_out / MD_NAME).read_text())
    (Path(args.docs) / "variants.md").write_text(doc, encoding="utf-8")
    print(f"wrote {Path(args.docs) / 'variants.md'} and {bench_out}/")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
