"""`huebrush-train`: train, resume and export the colourisation network."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.config import TrainConfig, apply_overrides


def parse(argv: list[str] | None = None) -> tuple[argparse.Namespace, TrainConfig]:
    ap = argparse.ArgumentParser(
        prog="huebrush-train",
        description="Train the Huebrush network on a folder of colour photos.",
        epilog="Overrides are key=value pairs of the training config, e.g. batch=16 net.width=32.",
    )
    ap.add_argument("--data", help="folder of colour photos (searched recursively)")
    ap.add_argument("--val", help="folder of validation photos")
    ap.add_argument("--out", help="run folder (config, checkpoints, log)")
    ap.add_argument("--resume", action="store_true", help="continue from RUNDIR/last.pt")
    ap.add_argument(
        "--export", metavar="WEIGHTS", help="write the run's best weights (fp16) here and exit"
    )
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args(argv)
    cfg = TrainConfig()
    if args.out and args.resume and (Path(args.out) / "config.json").is_file():
        cfg = TrainConfig.from_dict(json.loads((Path(args.out) / "config.json").read_text()))
    try:
        cfg = apply_overrides(cfg, args.overrides)
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

        dest = export(cfg.out, args.export)
        print(f"wrote {dest} and {dest.with_suffix('.md')}")
        return 0
    if not cfg.data:
        print("huebrush-train: --data is required", file=sys.stderr)
        return 2
    from training.loop import train

    res = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(json.dumps({"step": res["step"], "best": res["best"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
