"""Gray and Levin baselines on a run's validation subset, for the model card.

python -m training.baselines --run runs/main   # writes runs/main/baselines.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from training.config import TrainConfig
from training.evaluate import evaluate, gray_predictor, levin_predictor, load_eval_images
from training.loop import VAL_SEED


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", required=True, help="run folder (its config names the val set)")
    args = ap.parse_args(argv)
    run = Path(args.run)
    cfg = TrainConfig.from_dict(json.loads((run / "config.json").read_text()))
    images = load_eval_images(cfg.val, cfg.val_images)
    out = {}
    for name, fn in (("gray", gray_predictor), ("levin", levin_predictor)):
        t = time.time()
        res = evaluate(fn, images, cfg.val_points, seed=VAL_SEED)
        out[name] = {str(k): round(v, 3) for k, v in res.items()}
        print(name, out[name], f"{time.time() - t:.0f} s", flush=True)
    (run / "baselines.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
