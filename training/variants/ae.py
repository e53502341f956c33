"""Variant 1: a plain regression CNN (autoencoder) from L to ab, the classic baseline.

A strided-conv encoder to 1/2**depth, an upsampling decoder back, tanh ab. No skip
connections and no hints: everything the decoder knows passes through the bottleneck,
which is what makes plain L2/L1 regression produce the muted, averaged colours the
later papers set out to fix.
"""

from __future__ import annotations

import torch
from torch import nn

from model.hints.encoding import normalize_l
from model.network.registry import register_arch
from training.variants.common import ArchOutput, ab_head, conv_bn_relu, pad_to_multiple
from training.variants.configs import AEConfig


@register_arch("ae", config=AEConfig, training_defaults={"loss": "l2"})
class AutoencoderNet(nn.Module):
    """L -> ab through a bottleneck at 1/2**depth scale; any input size."""

    def __init__(self, cfg: AEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        chans = [min(w * 2**i, 8 * w) for i in range(cfg.depth + 1)]
        enc: list[nn.Module] = [conv_bn_relu(1, chans[0])]
        for i in range(cfg.depth):
            enc += [
                conv_bn_relu(chans[i], chans[i + 1], stride=2),
                conv_bn_relu(chans[i + 1], chans[i + 1]),
            ]
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        for i in range(cfg.depth, 0, -1):
            dec += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                conv_bn_relu(chans[i], chans[i - 1]),
                conv_bn_relu(chans[i - 1], chans[i - 1]),
            ]
        self.decoder = nn.Sequential(*dec)
        self.out = nn.Conv2d(chans[0], 2, 3, padding=1)

    def forward(
        self, L: torch.Tensor, local: torch.Tensor | None = None, glob: torch.Tensor | None = None
    ) -> ArchOutput:
        """L (B,1,H,W) in 0..100; hints are accepted for a common signature and ignored."""
        h, w = L.shape[-2:]
        x = pad_to_multiple(normalize_l(L), 2**self.cfg.depth)
        x = self.out(self.decoder(self.encoder(x)))
        return ArchOutput(ab_head(x, self.cfg.ab_scale, h, w))
