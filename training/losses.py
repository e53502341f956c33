"""Losses: cross-entropy over the 313 bins at 1/4 scale plus a robust ab regression."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from model.colour.bins import soft_encode
from model.colour.colorspace import lab_to_rgb
from model.network.unet import NetOutput

# Per-photo squared sRGB error below this (50 dB) earns nothing more: a photo that is
# already right must not dominate the batch through the logarithm.
PSNR_FLOOR = 1e-5


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


def photo_psnr_loss(pred_ab: torch.Tensor, ab: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """Minus the mean per-photo PSNR (dB) on clipped sRGB, as the validation scores.

    Pixel losses weight every pixel's error alike, so colourful photos drive them; the mean
    of per-photo PSNR divides each photo's share by its own mean error, so muted photos,
    where a little stray colour costs decibels, count as much as colourful ones.
    """
    L = L.float()
    pred = lab_to_rgb(torch.cat([L, pred_ab.float()], 1).permute(0, 2, 3, 1))
    with torch.no_grad():
        true = lab_to_rgb(torch.cat([L, ab.float()], 1).permute(0, 2, 3, 1))
    mse = ((pred - true) ** 2).flatten(1).mean(1)
    return 10.0 * torch.log10(mse + PSNR_FLOOR).mean()


def colour_loss(
    out: NetOutput,
    ab: torch.Tensor,
    ce_weight: float = 1.0,
    reg_weight: float = 1.0,
    beta: float = 1.0,
    class_weights: torch.Tensor | None = None,
    psnr_weight: float = 0.0,
    L: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of CE (optionally class-rebalanced), smooth-L1 on ab (scaled by 1/10)
    and, with psnr_weight (which needs L), minus the per-photo PSNR in dB."""
    ce = rebalanced_ce(out.logits, ab, class_weights)
    reg = F.smooth_l1_loss(out.ab.float(), ab.float(), beta=beta) / 10.0
    total = ce_weight * ce + reg_weight * reg
    parts = {"ce": float(ce.detach()), "reg": float(reg.detach()) * 10.0}
    if psnr_weight:
        if L is None:
            raise ValueError("psnr_weight needs the lightness L")
        neg_psnr = photo_psnr_loss(out.ab, ab, L)
        total = total + psnr_weight * neg_psnr
        parts["psnr"] = -float(neg_psnr.detach())
    return total, parts
