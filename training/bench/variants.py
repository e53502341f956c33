"""`huebrush-bench variants`: every trained variant on the same validation photos.

Each run's weights file is loaded on its own (model.network.weights.load_any reads the
architecture and config from its header) and scored on the same photos, squashed to
256x256 by training.evaluate's loader, exactly as the training validation does: the
network's ab at 256x256 under the true L, converted to 8-bit sRGB. Reported per variant:
PSNR with no hints, the mean absolute ab error, colourfulness (Hasler and Süsstrunk) and,
for networks that take hints, PSNR with the protocol's 10 points (same seed for all).
A contact sheet shows the same photos coloured by every variant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

from model.colour.colorspace import lab_to_rgb, rgb_to_lab
from model.device import pick_device
from model.hints.document import Point
from model.hints.encoding import encode_points
from model.network.registry import arch_of, get_arch
from model.network.weights import file_hash, load_any, read_metadata
from training.evaluate import EVAL_SIZE, Predictor, gray_predictor, load_eval_images, net_predictor
from training.evaluate import points_for as protocol_points
from training.machine import machine_info
from training.metrics import colourfulness, mean_and_se, psnr

HINT_POINTS = 10  # the interactive networks are also scored with this many points
SHEET_PHOTOS = 8
CELL = 128
WEIGHT_NAMES = ("final", "best")
JSON_NAME, MD_NAME, SHEET_NAME = "variants.json", "variants.md", "variants_sheet.png"


def find_weights(path: str | Path, which: str = "final") -> Path:
    """A weights file as given, or the run folder's final (or best) weights."""
    p = Path(path)
    if p.is_file():
        return p
    names = [which, *(n for n in WEIGHT_NAMES if n != which)]
    for name in names:
        if (p / f"{name}.safetensors").is_file():
            return p / f"{name}.safetensors"
    raise FileNotFoundError(f"{p}: no {' or '.join(n + '.safetensors' for n in names)}")


def run_label(weights: Path) -> str:
    """The run folder's name for final/best weights in a run, else the file's stem."""
    return weights.parent.name if weights.stem in WEIGHT_NAMES else weights.stem


def sheet_indices(n: int, k: int = SHEET_PHOTOS) -> list[int]:
    """k photos spread evenly over n (the same ones for every variant)."""
    return sorted({int(i) for i in np.linspace(0, n - 1, min(k, n)).round()}) if n else []


def score(
    predict: Predictor,
    images: Sequence[np.ndarray],
    labs: Sequence[np.ndarray],
    n_points: int,
    seed: int,
    keep: Sequence[int] = (),
    batch: int = 8,
) -> tuple[dict[str, list[float]], dict[int, np.ndarray]]:
    """Per-photo PSNR, ab MAE and colourfulness at n_points, and the kept outputs (uint8)."""
    out: dict[str, list[float]] = {"psnr": [], "ab_mae": [], "colourfulness": []}
    kept: dict[int, np.ndarray] = {}
    for s in range(0, len(images), batch):
        chunk = range(s, min(s + batch, len(images)))
        L = torch.stack([torch.from_numpy(labs[i][..., 0])[None] for i in chunk])
        h, w = L.shape[-2:]
        local = torch.stack(
            [
                encode_points(protocol_points(labs[i][..., 1:], n_points, seed, i), h, w)
                for i in chunk
            ]
        )
        ab = predict(L, local, torch.zeros(len(chunk), 316)).float()
        for j, i in enumerate(chunk):
            pred = ab[j].permute(1, 2, 0).cpu().numpy()
            lab = np.concatenate([labs[i][..., :1], pred], -1)
            rgb = np.clip(np.round(lab_to_rgb(lab) * 255), 0, 255).astype(np.uint8)
            out["psnr"].append(psnr(rgb, images[i]))
            out["ab_mae"].append(float(np.abs(pred - labs[i][..., 1:]).mean()))
            out["colourfulness"].append(colourfulness(rgb))
            if i in keep:
                kept[i] = rgb
    return out, kept


def _summary(per: dict[str, list[float]], suffix: str = "") -> dict[str, float]:
    row: dict[str, float] = {}
    for metric, values in per.items():
        row[f"{metric}{suffix}"], row[f"{metric}{suffix}_se"] = mean_and_se(values)
    return row


def bench_variant(
    weights: Path,
    images: Sequence[np.ndarray],
    labs: Sequence[np.ndarray],
    seed: int,
    device: torch.device,
    fast: bool,
    keep: Sequence[int],
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, list[float]]]:
    """One variant's row, its kept outputs ({'0'|'10': photo -> rgb}) and per-photo PSNR."""
    net = load_any(weights).to(device)
    net = net.to(memory_format=torch.channels_last)
    meta = read_metadata(weights)
    arch = arch_of(net)
    total = sum(p.numel() for p in net.parameters())
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    predict = net_predictor(net, device, fast)
    per0, kept0 = score(predict, images, labs, 0, seed, keep)
    row: dict[str, Any] = {
        "label": run_label(weights),
        "weights": str(weights),
        "weights_id": file_hash(weights),
        "arch": arch,
        "loss": meta.get("loss", ""),
        "step": int(meta["step"]) if meta.get("step", "").isdigit() else None,
        "minutes": float(meta["minutes"]) if "minutes" in meta else None,
        "interactive": get_arch(arch).reads_hints,
        "params_trainable": trainable,
        "params_total": total,
        **_summary(per0),
    }
    kept = {"0": kept0}
    per_image = {"psnr_0": per0["psnr"]}
    if row["interactive"]:
        per10, kept10 = score(predict, images, labs, HINT_POINTS, seed, keep)
        row.update(_summary({"psnr": per10["psnr"]}, f"_{HINT_POINTS}"))
        kept[str(HINT_POINTS)] = kept10
        per_image[f"psnr_{HINT_POINTS}"] = per10["psnr"]
    return row, kept, per_image


# --------------------------------------------------------------------------- outputs


def markdown(report: dict[str, Any]) -> str:
    """The results as a markdown table (variants, then the grey baseline and the truth)."""
    m = report["meta"]
    n = HINT_POINTS
    lines = [
        f"Variants on {m['dataset']['images']} photos from `{m['dataset']['folder']}` "
        f"({m['eval_size']}x{m['eval_size']}, seed {m['seed']}, {m['precision']}).",
        "",
        f"| Variant | Arch | Loss | Steps | Train min | PSNR 0 pts (dB) | ± SE | ab MAE | "
        f"Colourfulness | PSNR {n} pts (dB) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def fmt(v: Any, spec: str) -> str:
        return "–" if v is None else format(v, spec)

    for r in report["variants"]:
        lines.append(
            f"| {r['label']} | {r['arch']} | {r['loss'] or '–'} | {fmt(r['step'], 'd')} "
            f"| {fmt(r['minutes'], '.1f')} | {r['psnr']:.2f} | {r['psnr_se']:.2f} "
            f"| {r['ab_mae']:.2f} | {r['colourfulness']:.1f} | {fmt(r.get(f'psnr_{n}'), '.2f')} |"
        )
    g = report["baselines"]["gray"]
    lines.append(
        f"| grey (ab = 0) | – | – | – | – | {g['psnr']:.2f} | {g['psnr_se']:.2f} "
        f"| {g['ab_mae']:.2f} | {g['colourfulness']:.1f} | – |"
    )
    gt = report["ground_truth"]
    lines.append(f"| ground truth | – | – | – | – | – | – | 0.00 | {gt['colourfulness']:.1f} | – |")
    lines += [
        "",
        f"PSNR on 8-bit sRGB; ab MAE = mean |Δa|, |Δb| over pixels (CIELAB units) with no hints; "
        f"colourfulness after Hasler and Süsstrunk 2003 with no hints. Only networks that read "
        f"hints get a {n}-point score (the others ignore hints).",
    ]
    return "\n".join(lines) + "\n"


def _label_cell(text: str, width: int) -> Image.Image:
    im = Image.new("RGB", (width, 28), (255, 255, 255))
    d = ImageDraw.Draw(im)
    words, line, rows = text.split(), "", []
    for word in words:  # wrap to the cell width, two lines at most
        cand = f"{line} {word}".strip()
        if d.textlength(cand) > width - 4 and line:
            rows.append(line)
            line = word
        else:
            line = cand
    rows.append(line)
    for k, row in enumerate(rows[:2]):
        d.text((2, 2 + 12 * k), row, fill=(0, 0, 0))
    return im


def _cell(rgb: np.ndarray, points: Sequence[Point] = ()) -> Image.Image:
    im = Image.fromarray(rgb).resize((CELL, CELL), Image.LANCZOS)
    d = ImageDraw.Draw(im)
    for p in points:
        x, y = p.x * CELL, p.y * CELL
        fill = tuple(int(v) for v in np.round(lab_to_rgb(np.array([60.0, *p.ab])) * 255))
        d.rectangle([x - 3, y - 3, x + 3, y + 3], fill=fill, outline=(255, 255, 255))
    return im


def contact_sheet(
    images: Sequence[np.ndarray],
    labs: Sequence[np.ndarray],
    columns: list[tuple[str, dict[int, np.ndarray], int]],
    indices: Sequence[int],
    seed: int,
) -> Image.Image:
    """Rows = photos; columns = grey input, each (label, outputs, points) column, truth."""
    heads = ["input (L only)", *(c[0] for c in columns), "ground truth"]
    pad = 4
    sheet = Image.new(
        "RGB", ((CELL + pad) * len(heads), 28 + (CELL + pad) * len(indices)), (255, 255, 255)
    )
    for c, text in enumerate(heads):
        sheet.paste(_label_cell(text, CELL), (c * (CELL + pad), 0))
    for r, i in enumerate(indices):
        L = labs[i][..., :1]
        grey = np.clip(np.round(lab_to_rgb(np.concatenate([L, 0 * L, 0 * L], -1)) * 255), 0, 255)
        cells = [_cell(grey.astype(np.uint8))]
        for _, outs, n in columns:
            pts = protocol_points(labs[i][..., 1:], n, seed, i) if n else []
            cells.append(_cell(outs[i], pts))
        cells.append(_cell(images[i]))
        for c, im in enumerate(cells):
            sheet.paste(im, (c * (CELL + pad), 28 + r * (CELL + pad)))
    return sheet


# --------------------------------------------------------------------------- command


def run(
    runs: Sequence[str | Path],
    data: str | Path,
    out: str | Path,
    limit: int | None = None,
    seed: int = 0,
    which: str = "final",
    device: str = "auto",
    fast: bool = True,
    size: int = EVAL_SIZE,
    progress: bool = True,
) -> dict[str, Any]:
    """Score every run on the photos under `data`; write JSON, markdown and the sheet to out."""
    from tqdm import tqdm

    weights = [find_weights(r, which) for r in runs]
    images = load_eval_images(data, limit, size=size)
    if not images:
        raise FileNotFoundError(f"no photos under {data}")
    labs = [rgb_to_lab(im.astype(np.float32) / 255.0).astype(np.float32) for im in images]
    keep = sheet_indices(len(images))
    dev = pick_device(device)
    rows, per_image, columns = [], {}, []
    for w in tqdm(weights, desc="variants", unit="net", disable=not progress):
        row, kept, per = bench_variant(w, images, labs, seed, dev, fast, keep)
        rows.append(row)
        per_image[row["label"]] = per
        columns.append((f"{row['label']} ({row['arch']})", kept["0"], 0))
        if str(HINT_POINTS) in kept:
            columns.append(
                (f"{row['label']} +{HINT_POINTS} pts", kept[str(HINT_POINTS)], HINT_POINTS)
            )
    gray, _ = score(gray_predictor, images, labs, 0, seed)
    gt_mean, gt_se = mean_and_se([colourfulness(im) for im in images])
    from model.device import cpu_has_bf16

    precision = "fp32"
    if fast:
        precision = (
            "fp16 autocast"
            if dev.type == "cuda"
            else ("bf16 autocast" if cpu_has_bf16() else "fp32")
        )
    report = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "dataset": {"folder": Path(data).resolve().name, "images": len(images), "limit": limit},
            "seed": seed,
            "eval_size": size,
            "hint_points": HINT_POINTS,
            "precision": precision,
            "protocol": (
                "photos squashed to eval_size (training.evaluate.load_eval_images); each network "
                "predicts ab from L at that size, shown under the true L and converted to 8-bit "
                "sRGB; no hints, and for hint-taking networks also the protocol's 10 points "
                "(6x6 patches of mean true ab, Gaussian around the centre, seeded per photo)"
            ),
        },
        "variants": rows,
        "baselines": {"gray": _summary(gray)},
        "ground_truth": {"colourfulness": gt_mean, "colourfulness_se": gt_se},
        "sheet": {"file": SHEET_NAME, "photos": keep},
        "per_image": per_image,
    }
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / JSON_NAME).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (dest / MD_NAME).write_text(markdown(report), encoding="utf-8")
    contact_sheet(images, labs, columns, keep, seed).save(dest / SHEET_NAME, optimize=True)
    return report


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """The `variants` subcommand of huebrush-bench."""
    v = sub.add_parser("variants", help="the research variants on one protocol")
    v.add_argument(
        "--runs", nargs="+", required=True, metavar="RUN", help="run folders or weights files"
    )
    v.add_argument("--data", required=True, metavar="DIR", help="folder of validation photos")
    v.add_argument("--out", default="docs/variants", metavar="DIR", help="default docs/variants")
    v.add_argument("--limit", type=int, metavar="N", help="an evenly spread subset of N photos")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--which", choices=WEIGHT_NAMES, default="final", help="weights in a run")
    v.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    v.add_argument("--fp32", action="store_true", help="no bf16/fp16 autocast")
    v.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    v.add_argument("--size", type=int, default=EVAL_SIZE, help=argparse.SUPPRESS)
    v.add_argument("--no-progress", action="store_true")
    return v


def cmd_variants(args: argparse.Namespace) -> int:
    """Entry point of `huebrush-bench variants`."""
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        report = run(
            args.runs,
            args.data,
            args.out,
            args.limit,
            args.seed,
            args.which,
            args.device,
            not args.fp32,
            args.size,
            not args.no_progress,
        )
    except (FileNotFoundError, ValueError, RuntimeError) as e:  # WeightsError is a ValueError
        print(f"huebrush-bench: {e}", file=sys.stderr)
        return 2
    print(markdown(report), end="")
    return 0
