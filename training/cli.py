"""`huebrush-train`: train, resume and export the colourisation network."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from model.network.registry import arch_names
from training.config import LOSSES, TrainConfig, apply_overrides


def parse(argv: list[str] | None = None) -> tuple[argparse.Namespace, TrainConfig]:
    ap = argparse.ArgumentParser(
        prog="huebrush-train",
        description="Train the Huebrush network on a folder of colour photos.",
        epilog="Overrides are key=value pairs of the training config, e.g. batch=16 net.width=32. "
        "--arch picks the network (huebrush = the interactive default; the others are the "
        "research variants) with its paper's loss, which --loss may change.",
    )
    ap.add_argument("--data", help="folder of colour photos (searched recursively)")
    ap.add_argument("--val", help="folder of validation photos")
    ap.add_argument("--out", help="run folder (config, checkpoints, log)")
    ap.add_argument("--resume", action="store_true", help="continue from RUNDIR/last.pt")
    ap.add_argument(
        "--export",
        metavar="WEIGHTS",
        help="write the run's best weights (int8 kernels, fp16 rest) here and exit",
    )
    ap.add_argument(
        "--export-from",
        choices=("best", "final", "final_raw"),
        default="best",
        help="which of the run's weights --export writes: the best validated (default), the "
        "last step's, or the last step's raw weights when the run kept a weight average",
    )
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--arch", choices=arch_names(), help="network architecture (default huebrush)")
    ap.add_argument("--loss", choices=LOSSES, help="training loss (default: the arch's own)")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args(argv)
    cfg = TrainConfig()
    if args.out and args.resume and (Path(args.out) / "config.json").is_file():
        cfg = TrainConfig.from_dict(json.loads((Path(args.out) / "config.json").read_text()))
    try:
        arch = [f"arch={args.arch}"] if args.arch else []
        loss = [f"loss={args.loss}"] if args.loss else []
        cfg = apply_overrides(cfg, [*arch, *args.overrides, *loss])
    except ValueError as e:
        ap.error(str(e))
    for key in ("data", "val", "out"):
        if getattr(args, key):
            setattr(cfg, key, getattr(args, key))
    return args, cfg


def main(argv: list[str] | None = None) -> int:
    args, cfg = parse(argv)
    if args.export:
        from training.export import export

        dest = export(cfg.out, args.export, source=args.export_from)
        print(f"wrote {dest} and {dest.with_suffix('.md')}")
        return 0
    if not cfg.data:
        print("huebrush-train: --data is required", file=sys.stderr)
        return 2
    from training.loop import train

    res = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(json.dumps({"step": res["step"], "best": res["best"]}))
    return 0


def run() -> int:
    """The `huebrush-train` command: `main` in a process of its own, which then keeps the
    memory it frees for the next step (training.malloc; not in `main`, which tests call
    in-process)."""
    from training.malloc import keep_freed_memory

    keep_freed_memory()
    return main()


if __name__ == "__main__":
    sys.exit(run())
