"""Training history carried inside the weights, so a fine-tuned release can say how it was made.

Every export appends one stage (steps, time, crop, batch, lr, losses, validation) to the
history found in the weights the run started from (`init=`), and stores the whole list in the
release file's header. The model card is written from that list: no hand-edited history lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model.network.weights import WeightsError, read_metadata
from training.config import TrainConfig
from training.machine import read as read_machines
from training.simulate import MANY_POINTS

LINEAGE = "lineage.json"  # in the run folder: the history of the weights it started from
LOG = "log.jsonl"  # in the run folder: one JSON record per logged step or validation
KEY = "lineage"  # in the weights header
DEFAULT_DECAY = TrainConfig.weight_decay
DEFAULT_BETA = TrainConfig.huber_beta


def history_of(weights: str | Path) -> list[dict[str, Any]]:
    """The stages recorded in a weights file; one placeholder stage when it has none.

    Weights a run wrote (final, best) carry no history, but while they sit in their run
    folder its config, log and lineage say how they were made, so that stage is rebuilt.
    """
    try:
        meta = read_metadata(weights)
    except (OSError, WeightsError):
        meta = {}
    raw = meta.get(KEY)
    if raw:
        try:
            stages = json.loads(raw)
            if isinstance(stages, list) and all(isinstance(s, dict) for s in stages):
                return stages
        except json.JSONDecodeError:
            pass
    run = Path(weights).parent
    if "step" in meta and (run / "config.json").is_file() and (run / LOG).is_file():
        return history(run, run_stage(run, int(meta["step"]), meta.get("val")))
    return [{"name": Path(weights).name, "note": "no recorded history"}]


def run_stage(run: Path, step: int, val_json: str | None) -> dict[str, Any]:
    """The stage a run folder describes, up to `step` (`val_json`: its validation, if known)."""
    cfg = json.loads((run / "config.json").read_text())
    log = read_log(run / LOG)
    vals = [r for r in log if r.get("val") and int(r.get("step", 0)) <= step]
    val = json.loads(val_json) if val_json else (vals[-1]["psnr"] if vals else {})
    entry = stage(cfg, step, wall_minutes(log, step), val, read_machines(run))
    if not val_json and vals and int(vals[-1]["step"]) != step:
        entry["val_step"] = int(vals[-1]["step"])
    return entry


def read_log(path: Path) -> list[dict[str, Any]]:
    """A run's JSONL log (empty when there is none)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wall_minutes(log: list[dict[str, Any]], step: int) -> float:
    """Training minutes up to `step`, summed over resumed segments.

    Each process logs minutes since its own start, so a resume restarts the clock; a segment
    ends where the clock goes back.
    """
    total, last = 0.0, 0.0
    for r in log:
        if "elapsed_min" not in r or r.get("step", 0) > step:
            continue
        t = float(r["elapsed_min"])
        if t < last:
            total += last
        last = t
    return total + last


def record_start(run: Path, init: str) -> None:
    """Keep the starting weights' history in the run (once: resuming must not change it).

    Read at the start because the run may later be exported over those very weights.
    """
    path = run / LINEAGE
    if init and not path.exists():
        path.write_text(json.dumps(history_of(init), indent=1) + "\n")


def stage(
    cfg: dict[str, Any],
    step: int,
    minutes: float,
    val: dict[str, float],
    machines: list[str] | None = None,
) -> dict[str, Any]:
    """This run's entry: what a reader needs to reproduce or judge it."""
    entry = {
        "run": Path(cfg["out"]).name,
        "init": Path(cfg["init"]).name if cfg.get("init") else "",
        "steps": step,
        "batch": cfg["batch"],
        "crop": cfg["crop"],
        "crop_scale_min": cfg["crop_scale_min"],
        "lr": cfg["lr"],
        "lr_decay_steps": cfg["lr_decay_steps"],
        "ce_weight": cfg["ce_weight"],
        "reg_weight": cfg["reg_weight"],
        "minutes": round(minutes, 1),
        "val": val,
    }
    if machines:
        entry["machine"] = " then ".join(machines)
    # The table has no column for the hint mix or these options; a stage using them says so.
    notes = []
    if cfg.get("p_points_many"):
        notes.append(
            f"{cfg['p_points_many']:.0%} of training samples carry "
            f"{MANY_POINTS[0]}-{MANY_POINTS[1]} points "
            "(log-uniform) instead of the geometric count"
        )
    if cfg.get("semantic_blocks"):
        notes.append(
            f"the last {cfg['semantic_blocks']} EfficientNet blocks and its head trained at "
            f"{cfg['semantic_lr']:g} x lr (frozen before)"
        )
    if isinstance(cfg.get("net"), dict) and cfg["net"].get("hint_attn"):
        notes.append("with attention from every 1/8-scale cell to the hinted cells")
    if isinstance(cfg.get("net"), dict) and cfg["net"].get("hint_attn_fine"):
        notes.append("with attention from every 1/4-scale cell to the hinted cells as well")
    if cfg.get("train_only"):
        notes.append(f"only {cfg['train_only']} trained, the rest kept as loaded")
    if isinstance(cfg.get("net"), dict) and cfg["net"].get("dropout"):
        notes.append(f"channel dropout {cfg['net']['dropout']:g} at 1/8 scale")
    if cfg.get("p_tone"):
        notes.append(f"{cfg['p_tone']:.0%} of crops through a random tone curve on L")
    if cfg.get("p_degrade"):
        notes.append(f"{cfg['p_degrade']:.0%} of crops with L made to look like an old print")
    if cfg.get("p_hue"):
        notes.append(f"{cfg['p_hue']:.0%} of well-hinted samples turned to random hues")
    if cfg.get("weight_decay", DEFAULT_DECAY) != DEFAULT_DECAY:
        notes.append(f"weight decay {cfg['weight_decay']:g}")
    if cfg.get("huber_beta", DEFAULT_BETA) != DEFAULT_BETA:
        # Beyond beta ab units the loss is L1; below it quadratic, closer to what PSNR scores.
        notes.append(f"smooth-L1 with beta {cfg['huber_beta']:g} ab units")
    if cfg.get("psnr_weight"):
        notes.append(f"minus the per-photo sRGB PSNR (dB) in the loss, x{cfg['psnr_weight']:g}")
    if notes:
        entry["note"] = "; ".join(notes)
    return entry


def history(run: Path, this: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages before this run (from its lineage file) followed by this run."""
    path = run / LINEAGE
    before = json.loads(path.read_text()) if path.is_file() else []
    return [*before, this]


def history_markdown(stages: list[dict[str, Any]], cols: list[str]) -> list[str]:
    """The card's history table, one row per stage, oldest first."""
    lines = [
        "| stage | from | steps | batch | crop | lr | loss weights CE / L1 | time | "
        + " | ".join(f"{c} pts" for c in cols)
        + " |",
        "|---|---|---|---|---|---|---|---|" + "---|" * len(cols),
    ]
    for i, s in enumerate(stages, 1):
        if "steps" not in s:
            lines.append(f"| {i} | {s.get('name', '?')} (unknown) |")
            continue
        val = s.get("val", {})
        # The stage above names what this one started from better than the file it was
        # loaded from (often a temporary copy).
        prev = stages[i - 2].get("run") if i > 1 else None
        origin = prev or s["init"] or "scratch"
        lines.append(
            f"| {i} ({s['run']}) | {origin} | {s['steps']:,} | {s['batch']} "
            f"| {s['crop']} | {s['lr']:g} | {s['ce_weight']:g} / {s['reg_weight']:g} "
            f"| {s['minutes']:.0f} min | "
            + " | ".join(f"{val[c]:.2f}" if c in val else "-" for c in cols)
            + " |"
        )
    notes = [f"Stage {i}: {s['note']}." for i, s in enumerate(stages, 1) if s.get("note")]
    notes += [
        f"Stage {i}: PSNR at step {s['val_step']:,}, its last validation."
        for i, s in enumerate(stages, 1)
        if s.get("val_step")
    ]
    last = stages[-1].get("machine") if stages else None
    # Only a stage trained elsewhere than the latest needs its machine named.
    notes += [
        f"Stage {i} trained on {s['machine']}."
        for i, s in enumerate(stages, 1)
        if s.get("machine") and s["machine"] != last
    ]
    return lines + (["", *notes] if notes else [])


def totals(stages: list[dict[str, Any]]) -> tuple[int, int, float]:
    """Steps, crops seen and minutes over all recorded stages."""
    steps = sum(int(s.get("steps", 0)) for s in stages)
    crops = sum(int(s.get("steps", 0)) * int(s.get("batch", 0)) for s in stages)
    minutes = sum(float(s.get("minutes", 0.0)) for s in stages)
    return steps, crops, minutes
