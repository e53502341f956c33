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
    base_file = run / "baselines.json"
    baselines = json.loads(base_file.read_text()) if base_file.is_file() else None
    card = model_card(cfg, meta, log, step, minutes, card_extra, baselines)
    dest.with_suffix(".md").write_text(card)
    shutil.copyfile(run / "config.json", dest.with_suffix(".config.json"))
    return dest


def _read_log(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


SIGGRAPH17 = {"0": 24.4, "1": 25.4, "5": 27.4, "10": 28.4, "50": 30.4}


def model_card(
    cfg: dict[str, Any],
    meta: dict[str, str],
    log: list[dict[str, Any]],
    step: int,
    minutes: float,
    extra: str,
    baselines: dict[str, dict[str, float]] | None = None,
) -> str:
    """Markdown model card: data, steps, time, throughput and the validation table."""
    val = json.loads(meta.get("val", "{}"))
    ips = sorted(r["img_s"] for r in log if "img_s" in r)
    curve = [r for r in log if r.get("val")]
    cols = list(val)
    lines = [
        "# Huebrush default weights: model card",
        "",
        f"- Network: `{json.dumps(cfg['net'])}` (EfficientNet-Lite0 ImageNet features frozen)",
        f"- Training data: `{Path(cfg['data']).name}/`, {cfg['crop']}x{cfg['crop']} random resized "
        f"crops ({cfg['crop_scale_min']:.0%}-100% of the area) with flips; simulated points and "
        f"global hints (histogram p={cfg['p_hist']}, saturation p={cfg['p_saturation']})",
        f"- Steps: {step} at batch {cfg['batch']} ({step * cfg['batch']:,} crops seen)",
        f"- Wall time: {minutes:.0f} min of training on a 2-core CPU (AVX-512/AMX-BF16, no GPU), "
        f"bf16 autocast {cfg['bf16']}, channels_last {cfg['channels_last']}",
        f"- Throughput: median {ips[len(ips) // 2] if ips else 0:.1f} images/s "
        "(while other work shared the two cores)",
        f"- Loss: CE over 313 bins at 1/4 scale (x{cfg['ce_weight']}) + smooth-L1 on ab "
        f"(x{cfg['reg_weight']}); AdamW lr {cfg['lr']}, warm-up then cosine",
        "",
        f"## Validation ({cfg.get('val_images', 0)} photos of `{Path(cfg['val']).name}/` spread "
        "over the folder, squashed to 256x256; N points = 6x6 patches of mean true ab, "
        "Gaussian around the centre; PSNR in dB on 8-bit sRGB)",
        "",
        "| engine | " + " | ".join(f"{c} pts" for c in cols) + " |",
        "|---|" + "---|" * len(cols),
        "| **Huebrush (these weights)** | " + " | ".join(f"**{val[c]:.2f}**" for c in cols) + " |",
    ]
    for name, res in (baselines or {}).items():
        label = {"gray": "gray (ab = 0)", "levin": "Levin et al. 2004, same points"}.get(name, name)
        lines.append(
            f"| {label} | " + " | ".join(f"{res.get(c, float('nan')):.2f}" for c in cols) + " |"
        )
    lines.append(
        "| SIGGRAPH17 on ImageNet (published, for scale; other photos) | "
        + " | ".join(f"{SIGGRAPH17[c]:.1f}" if c in SIGGRAPH17 else "-" for c in cols)
        + " |"
    )
    if curve:
        lines += ["", "## Validation curve", "", "| step | " + " | ".join(cols) + " |"]
        lines.append("|---|" + "---|" * len(cols))
        for r in curve:
            lines.append(
                f"| {r['step']} | " + " | ".join(f"{r['psnr'].get(c, 0):.2f}" for c in cols) + " |"
            )
    return "\n".join(lines) + "\n" + (extra + "\n" if extra else "")
