"""Losses: cross-entropy over the 313 bins at 1/4 scale plus a robust ab regression."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from model.bins import soft_encode
from model.network import NetOutput


def distribution_targets(ab: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """Soft-encoded (B, 313, H/f, W/f) targets from true ab (B, 2, H, W)."""
    small = F.avg_pool2d(ab.float(), factor)
    return soft_encode(small.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def colour_loss(
    out: NetOutput,
    ab: torch.Tensor,
    ce_weight: float = 1.0,
    reg_weight: float = 1.0,
    beta: float = 1.0,
    class_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of CE (optionally class-rebalanced) and smooth-L1 on ab (scaled by 1/10)."""
    target = distribution_targets(ab)
    logp = F.log_softmax(out.logits.float(), dim=1)
    ce_map = -(target * logp).sum(1)
    if class_weights is not None:
        # Zhang et al. 2016: weight each pixel by the rebalancing weight of its nearest bin.
        w = class_weights.to(target.device)[target.argmax(1)]
        ce = (ce_map * w).sum() / w.sum()
    else:
        ce = ce_map.mean()
    reg = F.smooth_l1_loss(out.ab.float(), ab.float(), beta=beta) / 10.0
    total = ce_weight * ce + reg_weight * reg
    return total, {"ce": float(ce.detach()), "reg": float(reg.detach()) * 10.0}
