"""The training loop: resumable, logged, validated, optionally distributed (torchrun)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from model.device import autocast_dtype, pick_device
from model.network.registry import arch_of, build_network, get_arch
from model.network.unet import ColorNet
from model.network.weights import load_any, save_weights
from training.config import TrainConfig
from training.data import HintedCrops, colour_photos
from training.ema import WeightAverage
from training.evaluate import evaluate, load_eval_images, net_predictor
from training.lineage import record_start
from training.machine import describe as describe_machine
from training.machine import record as record_machine
from training.variant_losses import Criterion, make_criterion, mixed_weights, optimizer_betas

CKPT = "last.pt"
VAL_SEED = 1234  # the same protocol points for every validation and baseline
BEST = "best.safetensors"
FINAL = "final.safetensors"  # the weights at the last step (what equal-budget runs compare)
# With a weight average FINAL holds the average, and this the raw weights: at a high learning
# rate the average can score far below them (docs/quality.md), and a next stage that
# starts before the decay wants the raw ones.
FINAL_RAW = "final_raw.safetensors"


def _dist_info() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return rank, world


def lr_at(step: int, cfg: TrainConfig, minutes: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to 10% over lr_decay_steps.

    minutes: wall-clock time this run has trained; with cfg.decay_by_time the decay follows
    whichever of steps and minutes (of cfg.max_minutes) is further along.
    """
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    t = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.lr_decay_steps - cfg.warmup_steps))
    if cfg.decay_by_time and cfg.max_minutes > 0:
        t = max(t, min(1.0, minutes / cfg.max_minutes))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def build_model(cfg: TrainConfig) -> torch.nn.Module:
    """A fresh network of cfg.arch (ImageNet features loaded), or cfg.init to fine-tune."""
    if cfg.init:
        net = load_any(cfg.init)
        if arch_of(net) == cfg.arch and _grows_into(net.cfg, cfg.net):
            net = grow(net, cfg)
        if arch_of(net) != cfg.arch or net.cfg != cfg.net:
            raise SystemExit(
                f"{cfg.init}: its network ({arch_of(net)}, {net.cfg}) differs from "
                f"{cfg.arch}, {cfg.net}"
            )
        return net.float()
    net = build_network(cfg.arch, cfg.net)
    load_pretrained(net)
    return net


def load_pretrained(net: nn.Module) -> None:
    """Load the ImageNet weights of any frozen feature extractor (only to start training)."""
    if isinstance(net, ColorNet):
        for enc in (net.semantic, net.backbone):
            if enc is not None:
                enc.load_imagenet()  # type: ignore[operator]
    elif hasattr(net, "load_pretrained"):
        net.load_pretrained()


# Network options that only add modules whose output starts at zero: a release without them
# can be grown into a network with them and computes the same until training moves it.
GROWABLE = {"hint_attn": "hint_attn.", "hint_attn_fine": "hint_attn_fine."}
# Network options without weights (dropout): a release carries over to any value of them.
WEIGHTLESS = ("dropout",)


def _grows_into(have: Any, want: Any) -> bool:
    if type(have) is not type(want) or have == want:
        return False
    if not all(hasattr(have, f) for f in (*GROWABLE, *WEIGHTLESS)):  # a research variant
        return False
    changed = {f for f in GROWABLE if getattr(have, f) != getattr(want, f)}
    carried = {f: getattr(want, f) for f in (*changed, *WEIGHTLESS)}
    return all(getattr(want, f) for f in changed) and replace(have, **carried) == want


def grow(net: torch.nn.Module, cfg: TrainConfig) -> torch.nn.Module:
    """cfg.net's network carrying net's weights; only GROWABLE modules start fresh."""
    grown = build_network(cfg.arch, cfg.net)
    missing, unexpected = grown.load_state_dict(net.state_dict(), strict=False)
    prefixes = tuple(GROWABLE.values())
    stray = [k for k in missing if not k.startswith(prefixes)]
    if unexpected or stray:
        raise SystemExit(f"cannot grow {cfg.init}: unexpected {unexpected}, missing {stray}")
    return grown


def trained_prefixes(cfg: TrainConfig) -> tuple[str, ...]:
    """cfg.train_only as parameter-name prefixes; empty when the whole network learns."""
    return tuple(f"{n.strip()}." for n in cfg.train_only.split(",") if n.strip())


def set_train_mode(net: torch.nn.Module, cfg: TrainConfig) -> None:
    """Training mode, except for the batch norms of modules that cfg.train_only leaves as
    loaded: their running statistics would drift with every batch."""
    net.train()
    prefixes = trained_prefixes(cfg)
    if not prefixes:
        return
    inner = getattr(net, "module", net)  # under DistributedDataParallel
    for name, m in inner.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and not name.startswith(prefixes):
            m.eval()


def param_groups(net: torch.nn.Module, cfg: TrainConfig) -> list[dict[str, Any]]:
    """The optimiser's groups: the network, unfrozen encoder blocks, hint attention (own lrs);
    with cfg.train_only, only the named modules' weights."""
    prefixes = trained_prefixes(cfg)
    if prefixes:
        names = {n.split(".")[0] for n, _ in net.named_parameters()}
        unknown = [p for p in prefixes if p[:-1] not in names]
        if unknown:
            raise SystemExit(f"train_only names no module of the network: {unknown}")
        if cfg.semantic_blocks:
            raise SystemExit("train_only and semantic_blocks exclude each other")
        for n, p in net.named_parameters():
            p.requires_grad_(n.startswith(prefixes))
        return [{"params": [p for p in net.parameters() if p.requires_grad], "lr_scale": 1.0}]
    semantic = getattr(net, "semantic", None)
    tuned = semantic.unfreeze_last(cfg.semantic_blocks) if semantic is not None else []
    # An ImageNet network serving as the encoder learns at semantic_lr too, as a pretrained
    # body does under a fresh head.
    backbone = getattr(net, "backbone", None)
    tuned += list(backbone.parameters()) if backbone is not None else []
    attn = getattr(net, "hint_attn", None)
    fresh = list(attn.parameters()) if attn is not None else []
    ids = {id(p) for p in tuned + fresh}
    rest = [p for p in net.parameters() if p.requires_grad and id(p) not in ids]
    groups: list[dict[str, Any]] = [{"params": rest, "lr_scale": 1.0}]
    if tuned:
        groups.append({"params": tuned, "lr_scale": cfg.semantic_lr})
    if fresh:
        groups.append({"params": fresh, "lr_scale": cfg.attn_lr})
    return groups


def _save_ckpt(
    path: Path,
    net: torch.nn.Module,
    opt: torch.optim.Optimizer,
    state: dict[str, Any],
    criterion: Criterion | None = None,
) -> None:
    tmp = path.with_suffix(".tmp")
    extra = criterion.state_dict() if criterion is not None else {}
    # Only a criterion with state of its own (the GAN's discriminator) adds a key.
    crit = {"criterion": extra} if extra else {}
    torch.save({"model": net.state_dict(), "opt": opt.state_dict(), **state, **crit}, tmp)
    tmp.replace(path)


def _class_weights(
    cfg: TrainConfig, files: list[Path], out: Path, is_main: bool, progress: bool
) -> torch.Tensor | None:
    """The mixed rebalancing weights when cfg.rebalance > 0 (prior kept in the run folder)."""
    if cfg.rebalance <= 0:
        return None
    from training.rebalance import class_weights

    w = class_weights(
        files,
        out,
        cfg.rebalance_sigma,
        cfg.rebalance_lambda,
        reuse=cfg.rebalance_prior,
        save=is_main,
        progress=progress and is_main,
    )
    return mixed_weights(torch.from_numpy(w), cfg.rebalance)


def training_dtype(device: torch.device, enabled: bool) -> torch.dtype | None:
    """Autocast dtype for training steps, or None for fp32.

    bf16 wherever the device runs it natively: it keeps fp32's exponent range, so gradients
    need no loss scaling. Only a CUDA GPU without bf16 (before Ampere) trains in fp16, and
    then with a `GradScaler` (`make_scaler`), since small fp16 gradients flush to zero.
    """
    if not enabled:
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return autocast_dtype(device, True)


def make_scaler(device: torch.device, enabled: bool) -> torch.amp.GradScaler | None:
    """A loss scaler where training runs in fp16, else None."""
    if training_dtype(device, enabled) != torch.float16:
        return None
    return torch.amp.GradScaler(device.type)


def optimiser_step(
    model: torch.nn.Module,
    criterion: Criterion,
    opt: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    device: torch.device,
    bf16: bool,
    scaler: torch.amp.GradScaler | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """One training step on (L, local, glob, ab): forward, loss, backward, clipping, update.

    bf16: reduced precision where the device has it (`training_dtype`); pass the
    `make_scaler` scaler along so an fp16 device scales its loss.
    """
    L, local, glob, ab = batch
    dtype = training_dtype(device, bf16)
    ctx = torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext()
    with ctx:
        o = model(L, local, glob)
    loss, parts = criterion(o, ab, L)
    opt.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
    else:
        scaler.scale(loss).backward()
        scaler.unscale_(opt)  # clip the true gradients, not the scaled ones
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        scaler.step(opt)
        scaler.update()
    return loss, parts


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) training as configured; returns the last validation result."""
    rank, world = _dist_info()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + rank)
    device = pick_device("auto")
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        # Every batch has the same shape: let cuDNN time its kernels once and keep the fastest.
        torch.backends.cudnn.benchmark = True
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    is_main = rank == 0
    if is_main:
        cfg.save(out / "config.json")
        record_start(out, cfg.init)
        record_machine(out, describe_machine(device, cfg.threads, world))

    files = colour_photos(cfg.data, out / "train_files.json" if is_main else None)
    if not files:
        raise SystemExit(f"no colour photos found under {cfg.data}")
    sim = {
        "p_geom": cfg.p_points_geom,
        "p_gauss": cfg.p_point_gauss,
        "p_many": cfg.p_points_many,
        "p_hist": cfg.p_hist,
        "p_palette": cfg.p_hist_palette,
        "p_saturation": cfg.p_saturation,
        "p_tone": cfg.p_tone,
        "p_degrade": cfg.p_degrade,
        "p_hue": cfg.p_hue,
    }
    ds = HintedCrops(files, cfg.crop, sim, seed=cfg.seed, scale_min=cfg.crop_scale_min)

    net = build_model(cfg).to(device)
    if cfg.channels_last:
        net = net.to(memory_format=torch.channels_last)
    groups = param_groups(net, cfg)
    params = [p for g in groups for p in g["params"]]
    opt = torch.optim.AdamW(
        groups, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=optimizer_betas(cfg)
    )
    if cfg.loss == "gan" and world > 1:
        raise SystemExit("loss=gan does not support distributed training (one process only)")
    weights = _class_weights(cfg, files, out, is_main, progress)
    criterion = make_criterion(cfg, device, None if weights is None else weights.to(device))
    scaler = make_scaler(device, cfg.bf16)
    step, epoch, best = 0, 0, -1.0
    kept_average: dict[str, Any] | None = None
    if resume and (out / CKPT).is_file():
        ck = torch.load(out / CKPT, map_location=device, weights_only=True)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        if "criterion" in ck:
            criterion.load_state_dict(ck["criterion"])
        elif criterion.state_dict():
            raise SystemExit(f"{out / CKPT}: no {cfg.loss} training state to resume from")
        step, epoch, best = int(ck["step"]), int(ck["epoch"]), float(ck["best"])
        if scaler is not None and "scaler" in ck:
            scaler.load_state_dict(ck["scaler"])
        kept_average = ck.get("ema")
        if is_main:
            print(f"resumed from step {step} (epoch {epoch}, best val {best:.3f} dB)")
    # The main process alone keeps the average: every rank's weights are the same. A run
    # resumed with an average it did not keep until now starts it from its current weights.
    avg = WeightAverage(net, cfg.ema) if cfg.ema and is_main else None
    if avg is not None and kept_average is not None:
        avg.load_state_dict(kept_average)
    model: torch.nn.Module = net
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net)

    val_images = load_eval_images(cfg.val, cfg.val_images) if (cfg.val and is_main) else []
    log = open(out / "log.jsonl", "a") if is_main else None  # noqa: SIM115 (closed in finally)
    t_start = time.time()
    last_val: dict[str, Any] = {}
    bar = tqdm(
        total=cfg.steps, initial=step, disable=not (progress and is_main), dynamic_ncols=True
    )
    seen, t_window = 0, time.time()
    # A kill (SIGTERM) or Ctrl-C ends the current step cleanly and saves a checkpoint.
    stop_requested: list[int] = []
    previous = (
        {
            sig: signal.signal(sig, lambda n, _f: stop_requested.append(n))
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        if threading.current_thread() is threading.main_thread()
        else {}
    )
    start_step = step
    try:
        stop = False
        while step < cfg.steps and not stop:
            ds.epoch = epoch
            per_epoch = len(ds) // (cfg.batch * world)
            if world > 1:
                sampler: Any = DistributedSampler(ds, world, rank, shuffle=True, seed=cfg.seed)
                sampler.set_epoch(epoch)
            else:
                g = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
                perm = torch.randperm(len(ds), generator=g).tolist()
                # Resuming mid-epoch: start after the batches already seen.
                sampler = perm[(step - epoch * per_epoch) * cfg.batch :]
            loader = DataLoader(
                ds,
                batch_size=cfg.batch,
                sampler=sampler,
                num_workers=cfg.workers,
                drop_last=True,
                prefetch_factor=4 if cfg.workers else None,
                pin_memory=device.type == "cuda",
            )
            for batch in loader:
                if step >= cfg.steps:
                    break
                lr = lr_at(step, cfg, (time.time() - t_start) / 60)
                for grp in opt.param_groups:
                    grp["lr"] = lr * grp.get("lr_scale", 1.0)
                criterion.set_lr(lr)
                cl = torch.channels_last if cfg.channels_last else torch.contiguous_format
                L, ab, local, glob = (
                    batch[k].to(device, non_blocking=True) for k in ("L", "ab", "local", "glob")
                )
                L, local = L.contiguous(memory_format=cl), local.contiguous(memory_format=cl)
                set_train_mode(model, cfg)
                loss, parts = optimiser_step(
                    model, criterion, opt, params, (L, local, glob, ab), device, cfg.bf16, scaler
                )
                if avg is not None:
                    avg.update(net)
                step += 1
                seen += L.shape[0] * world
                bar.update(1)
                if is_main and step % cfg.log_every == 0:
                    ips = seen / max(time.time() - t_window, 1e-6)
                    seen, t_window = 0, time.time()
                    rec = {
                        "step": step,
                        "epoch": epoch,
                        "loss": float(loss.detach()),
                        **parts,
                        "lr": lr,
                        "img_s": round(ips, 2),
                        "elapsed_min": round((time.time() - t_start) / 60, 2),
                    }
                    bar.set_postfix(loss=f"{rec['loss']:.3f}", img_s=f"{ips:.1f}")
                    assert log is not None
                    log.write(json.dumps(rec) + "\n")
                    log.flush()
                if is_main and val_images and step % cfg.val_every == 0:
                    last_val, best = _validate_and_keep(
                        net, device, val_images, cfg, step, log, best, avg
                    )
                if is_main and step % cfg.ckpt_every == 0:
                    state = _ckpt_state(step, epoch, best, scaler, avg)
                    _save_ckpt(out / CKPT, net, opt, state, criterion)
                if stop_requested or (
                    cfg.max_minutes and (time.time() - t_start) > cfg.max_minutes * 60
                ):
                    stop = True
                    break
            if step >= (epoch + 1) * per_epoch:
                epoch += 1
        if (
            is_main
            and val_images
            and step > start_step
            and step % cfg.val_every
            and not stop_requested
        ):
            # Stopped by the clock or at a step off the validation grid: score the last weights
            # too, so they can be exported when they are the best. (A kill skips it: it wants
            # out fast.)
            last_val, best = _validate_and_keep(net, device, val_images, cfg, step, log, best, avg)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        bar.close()
        if is_main:
            state = _ckpt_state(step, epoch, best, scaler, avg)
            _save_ckpt(out / CKPT, net, opt, state, criterion)
            if step > 0:
                minutes = f"{(time.time() - t_start) / 60:.2f}"
                extra = {"step": str(step), "loss": cfg.loss, "minutes": minutes}
                save_weights(net if avg is None else avg.net, out / FINAL, extra=extra)
                if avg is not None:
                    save_weights(net, out / FINAL_RAW, extra=extra)
            if log:
                log.close()
        if world > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()
    return {"step": step, "val": last_val, "best": best}


def _ckpt_state(
    step: int,
    epoch: int,
    best: float,
    scaler: torch.amp.GradScaler | None,
    avg: WeightAverage | None = None,
) -> dict[str, Any]:
    state: dict[str, Any] = {"step": step, "epoch": epoch, "best": best}
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    if avg is not None:
        state["ema"] = avg.state_dict()
    return state


def _validate_and_keep(
    net: torch.nn.Module,
    device: torch.device,
    images: list[np.ndarray],
    cfg: TrainConfig,
    step: int,
    log: Any,
    best: float,
    avg: WeightAverage | None = None,
) -> tuple[dict[str, Any], float]:
    """Validate and log; save the weights as the run's best when their mean PSNR beats `best`.

    With a weight average the average is what the run keeps, so "psnr" is its score and
    "psnr_raw" the raw weights'.
    """
    t = time.time()
    # Automatic variants ignore hints: their score is the same at every point count.
    points = cfg.val_points if get_arch(cfg.arch).reads_hints else (0,)

    def score_of(m: torch.nn.Module) -> dict[str, float]:
        was = m.training
        m.eval()
        res = evaluate(net_predictor(m, device, cfg.bf16), images, points, seed=VAL_SEED)
        m.train(was)
        return {str(k): round(v, 3) for k, v in res.items()}

    kept = net if avg is None else avg.net
    rec: dict[str, Any] = {"step": step, "val": True, "psnr": score_of(kept)}
    if avg is not None:
        rec["psnr_raw"] = score_of(net)
    rec["val_s"] = round(time.time() - t, 1)
    log.write(json.dumps(rec) + "\n")
    log.flush()
    line = " ".join(f"{k}:{v:.2f}" for k, v in rec["psnr"].items())
    if avg is not None:
        raw = " ".join(f"{k}:{v:.2f}" for k, v in rec["psnr_raw"].items())
        line = f"(average) {line}  raw {raw}"
    tqdm.write(f"step {step} val PSNR {line}")
    score = float(np.mean(list(rec["psnr"].values())))
    if score > best:
        best = score
        extra = {"step": str(step), "val": json.dumps(rec["psnr"])}
        save_weights(kept, Path(cfg.out) / BEST, extra=extra)
    return rec, best
