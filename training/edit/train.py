"""Train the per-edit decoder on cached trunk features; resumable, logged, validated.

    python -m training.edit.train feat=FEATDIR weights=RELEASE.safetensors val=VALDIR \\
        out=runs/edit1 [key=value ...]

The resolved config is saved as `config.json` in the run folder; a run restarted with the
same `out` resumes from its `ckpt.pt` (the schedule depends on the step alone). The log
(`log.jsonl`) holds the losses every 20 steps and each validation.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from model.network.edit import EditConfig, EditHead, EditNet
from model.network.weights import load_network
from training.edit.config import EditTrainConfig, with_overrides
from training.edit.samples import Features, make_batch
from training.edit.validate import Validator
from training.losses import rebalanced_ce

CKPT = "ckpt.pt"


def head_config(width: int) -> EditConfig:
    """The decoder's config for a trunk of this width (its 1/8 and 1/4 channels)."""
    return EditConfig(c7=8 * width, c8=4 * width)


def learning_rate(cfg: EditTrainConfig, step: int) -> float:
    """Linear warm-up, then a cosine to zero at cfg.steps."""
    warm = min(1.0, (step + 1) / cfg.warmup)
    return cfg.lr * warm * 0.5 * (1 + math.cos(math.pi * min(step / cfg.steps, 1.0)))


def loss_of(
    head: EditHead,
    batch,
    reg_weight: float,  # type: ignore[no-untyped-def]
) -> tuple[torch.Tensor, float, float]:
    with torch.autocast("cpu", dtype=torch.bfloat16):
        pf = head.photo(batch.L, batch.c7, batch.c8, batch.base)
        ab, logits = head(pf, batch.local, batch.glob)
    ce = rebalanced_ce(logits.float(), batch.target)
    reg = F.smooth_l1_loss(ab.float(), batch.target, beta=1.0) / 10.0
    return ce + reg_weight * reg, float(ce.detach()), float(reg.detach()) * 10


def train(cfg: EditTrainConfig) -> EditHead:
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg.save(out / "config.json")
    trunk = load_network(cfg.weights).eval()
    head = EditHead(head_config(trunk.cfg.width))
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step = 0
    ck = out / CKPT
    if ck.exists():
        # Our own checkpoint, written below; it holds optimiser state, hence not weights_only.
        state = torch.load(ck, weights_only=False)
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
    elif cfg.init:
        start = load_network(cfg.init)
        if not isinstance(start, EditNet):
            raise ValueError(f"{cfg.init}: not a per-edit network's weights")
        head.load_state_dict(start.edit.state_dict())
    feat = Features(cfg.feat)
    val = Validator(trunk, cfg.val, cfg.val_limit)
    del trunk
    with open(out / "log.jsonl", "a") as log:
        t0 = time.time()
        while step < cfg.steps:
            rng = np.random.default_rng([cfg.seed, step])
            n_avail = feat.available()
            batch = make_batch(feat, n_avail, cfg.batch, rng, cfg.kind_shares, cfg.crop)
            lr = learning_rate(cfg, step)
            for g in opt.param_groups:
                g["lr"] = lr
            loss, ce, reg = loss_of(head, batch, cfg.reg_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 20 == 0:
                rec = {"step": step, "loss": float(loss.detach()), "ce": ce, "reg": reg, "lr": lr}
                rec |= {"n_avail": n_avail, "min": (time.time() - t0) / 60}
                log.write(json.dumps(rec) + "\n")
                log.flush()
            if step % cfg.ckpt_every == 0 or step == cfg.steps:
                state = {"head": head.state_dict(), "opt": opt.state_dict(), "step": step}
                torch.save(state, ck.with_suffix(".tmp"))
                ck.with_suffix(".tmp").replace(ck)
            if step % cfg.val_every == 0 or step == cfg.steps:
                res = val.run(head) | {"step": step}
                log.write(json.dumps({"val": res}) + "\n")
                log.flush()
                torch.save(head.state_dict(), out / f"head_{step}.pt")
    return head


def main(argv: list[str] | None = None) -> None:
    cfg = with_overrides(EditTrainConfig(), list(sys.argv[1:] if argv is None else argv))
    for key in ("feat", "weights", "val", "out"):
        if not getattr(cfg, key):
            raise SystemExit(f"{key}=... is required")
    train(cfg)


if __name__ == "__main__":
    main()
