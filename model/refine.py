"""Refinement: the network's last layers adapted to one photo's own points.

The points say more about a photo than the network uses in one pass: left out in turn,
each shows how the network's colour there should change. A few Adam steps fit a copy of
the last decoder block and the output layer (18.6k of 9.4M weights at width 32) so that
the colours of left-out points are predicted from the others; the final pass then uses
all points with the adapted layers. Measured in docs/quality.md: +0.09 / +0.15 /
+0.14 dB at 1 / 5 / 10 points on held-out photos, for the steps' time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from model.device import autocast
from model.hints.document import Point
from model.hints.encoding import encode_points, patch_span
from model.network.unet import ColorNet


@dataclass(frozen=True)
class RefineSettings:
    """How a photo's head is fitted; the defaults were picked on training photos."""

    steps: int = 20
    lr: float = 5e-5
    leave_out: float = 0.3  # share of the points left out (to be predicted) per step
    anchor: float = 1e-2  # pull towards the network's own weights
    seed: int = 0


DEFAULT_REFINE = RefineSettings()


def patch_means(ab: torch.Tensor, points: list[Point]) -> torch.Tensor:
    """(len(points), 2): the mean ab of each point's patch in ab (1, 2, h, w)."""
    h, w = ab.shape[-2:]
    out = []
    for p in points:
        y0, y1 = patch_span(p.y, p.size, h)
        x0, x1 = patch_span(p.x, p.size, w)
        out.append(ab[0, :, y0:y1, x0:x1].mean((1, 2)))
    return torch.stack(out)


def refine_head(
    net: ColorNet,
    L: torch.Tensor,
    points: tuple[Point, ...],
    glob: torch.Tensor,
    sem_bias: torch.Tensor | None = None,
    settings: RefineSettings = DEFAULT_REFINE,
    fast: bool = True,
    stop: Callable[[], bool] | None = None,
) -> nn.Module | None:
    """A copy of the network's `dec10` and `out`, fitted to this photo's points.

    L (1,1,h,w) and glob (1,316) on the network's device, as `ColorNet.forward` takes them.
    The trunk runs without gradients (and in bf16/fp16 where `fast`); only the head learns,
    in float32. `stop`, asked before every step, abandons the fit (None is returned): the
    app's worker gives way to the user's next edit.
    """
    head = nn.Module()
    head.dec10 = copy.deepcopy(net.dec10).float()
    head.out = copy.deepcopy(net.out).float()
    params = [p for p in head.parameters()]
    anchor = [p.detach().clone() for p in params]
    for p in params:
        p.requires_grad_(True)
    if not points:
        return head.requires_grad_(False)
    dev = L.device
    rng = np.random.default_rng(settings.seed)
    opt = torch.optim.Adam(params, lr=settings.lr)
    h, w = L.shape[-2:]
    cl = torch.channels_last
    for _ in range(settings.steps):
        if stop is not None and stop():
            return None
        out = rng.random(len(points)) < settings.leave_out
        if not out.any():  # at least one point to predict...
            out[rng.integers(len(points))] = True
        if out.all() and len(points) > 1:  # ...and, where there are two, one to go on
            out[rng.integers(len(points))] = False
        kept = [p for p, o in zip(points, out, strict=True) if not o]
        gone = [p for p, o in zip(points, out, strict=True) if o]
        local = encode_points(kept, h, w)[None].to(dev)
        with torch.no_grad(), autocast(dev, fast):
            x10, prior, _, _ = net.trunk(
                L.contiguous(memory_format=cl), local.contiguous(memory_format=cl), glob,
                sem_bias=sem_bias,
            )  # fmt: skip
        ab = net.head_ab(x10.float(), None if prior is None else prior.float(), head)
        target = torch.tensor([p.ab for p in gone], dtype=torch.float32, device=dev)
        loss = F.smooth_l1_loss(patch_means(ab, gone), target, beta=1.0)
        loss = loss + settings.anchor * sum(
            ((p - a) ** 2).sum() for p, a in zip(params, anchor, strict=True)
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return head.requires_grad_(False).eval()
