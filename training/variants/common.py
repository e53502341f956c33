"""Pieces shared by the research-variant networks: their output and small conv helpers."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ArchOutput:
    """What every variant returns, as ColorNet's NetOutput: ab, and logits where it has them."""

    ab: torch.Tensor  # (B, 2, H, W) CIELAB ab, float32
    logits: torch.Tensor | None = None  # (B, 313, H/4, W/4) for distribution networks


def conv_bn_relu(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """3x3 conv, batch norm, ReLU (padding keeps the size at stride 1)."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def low_level_layers(w: int) -> list[nn.Module]:
    """The low-level stack Iizuka et al. and Deep Koalarization share, down to 1/8:
    w s2, 2w, 2w s2, 4w, 4w s2, 8w (the papers: 64, 128, 128, 256, 256, 512)."""
    return [
        conv_bn_relu(1, w, stride=2),
        conv_bn_relu(w, 2 * w),
        conv_bn_relu(2 * w, 2 * w, stride=2),
        conv_bn_relu(2 * w, 4 * w),
        conv_bn_relu(4 * w, 4 * w, stride=2),
        conv_bn_relu(4 * w, 8 * w),
    ]


def pad_to_multiple(x: torch.Tensor, m: int) -> torch.Tensor:
    """Replicate-pad the bottom and right so both sides are multiples of m."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph == 0 and pw == 0:
        return x
    # Replicate rather than reflect: reflect needs the pad to be smaller than the side.
    return F.pad(x, (0, pw, 0, ph), mode="replicate")


def ab_head(x: torch.Tensor, scale: float, h: int, w: int) -> torch.Tensor:
    """Output conv activations (B, 2, h', w') -> ab at (h, w): tanh in float32, cropped."""
    return torch.tanh(x[..., :h, :w].float()) * scale
