"""Release weights (fp16 safetensors) and the model card beside them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from model.weights import load_network, read_metadata, save_weights
from training.loop import BEST


def export(run_dir: str | Path, dest: str | Path, card_extra: str = "") -> Path:
    """Copy the run's best weights as fp16 to `dest` and write `dest`.md (the model card)."""
    run = Path(run_dir)
    src = run / BEST
    if not src.is_file():
        raise SystemExit(f"{src}: no validated weights in this run yet")
    net = load_network(src)
    meta = read_metadata(src)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((run / "config.json").read_text())
    log = _read_log(run / "log.jsonl")
    step = int(meta.get("step", "0"))
    minutes = max((r.get("elapsed_min", 0.0) for r in log if r.get("step", 0) <= step), default=0.0)
    save_weights(net, dest, half=True, extra={"step": str(step), "val": meta.get("val", "{}")})
    card = model_card(cfg, meta, log, step, minutes, card_extra)
    dest.with_suffix(".md").write_text(card)
    shutil.copyfile(run / "config.json", dest.with_suffix(".config.json"))
    return dest


def _read_log(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def model_card(
    cfg: dict[str, Any],
    meta: dict[str, str],
    log: list[dict[str, Any]],
    step: int,
    minutes: float,
    extra: str,
) -> str:
    val = json.loads(meta.get("val", "{}"))
    ips = [r["img_s"] for r in log if "img_s" in r]
    lines = [
        "# Huebrush default weights: model card",
        "",
        f"- Network: `{json.dumps(cfg['net'])}`",
        f"- Training data: `{Path(cfg['data']).name}/` "
        f"({cfg['crop']}x{cfg['crop']} random resized crops, flips)",
        f"- Steps: {step} at batch {cfg['batch']} ({step * cfg['batch']} crops seen)",
        f"- Wall time: {minutes:.0f} min on a 2-core CPU (bf16 autocast {cfg['bf16']})",
        f"- Throughput: median {sorted(ips)[len(ips) // 2] if ips else 0:.1f} images/s",
        "",
        "## Validation (training-time subset, 256x256, PSNR dB on 8-bit sRGB)",
        "",
        "| points | " + " | ".join(val) + " |",
        "|---|" + "---|" * len(val),
        "| PSNR | " + " | ".join(f"{v:.2f}" for v in val.values()) + " |",
        "",
    ]
    return "\n".join(lines) + (extra + "\n" if extra else "")
