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


def rebalanced_ce(
    logits: torch.Tensor, ab: torch.Tensor, class_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of (B, 313, h, w) logits against soft-encoded targets of ab (B, 2, H, W).

    With class_weights (Zhang et al. 2016) each position counts by the weight of its
    nearest bin; the weights have mean 1 under the prior, so the loss is a plain mean.
    """
    factor = max(1, ab.shape[-1] // logits.shape[-1])
    target = distribution_targets(ab, factor)
    # A network that padded its input returns a slightly larger map: crop it to the target.
    logits = logits[..., : target.shape[-2], : target.shape[-1]]
    ce_map = -(target * F.log_softmax(logits.float(), dim=1)).sum(1)
    if class_weights is None:
        return ce_map.mean()
    w = class_weights.to(target.device, torch.float32)[target.argmax(1)]
    return (ce_map * w).mean()


def colour_loss(
    out: NetOutput,
    ab: torch.Tensor,
    ce_weight: float = 1.0,
    reg_weight: float = 1.0,
    beta: float = 1.0,
    class_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of CE (optionally class-rebalanced) and smooth-L1 on ab (scaled by 1/10)."""
    ce = rebalanced_ce(out.logits, ab, class_weights)
    reg = F.smooth_l1_loss(out.ab.float(), ab.float(), beta=beta) / 10.0
    total = ce_weight * ce + reg_weight * reg
    return total, {"ce": float(ce.detach()), "reg": float(reg.detach()) * 10.0}
