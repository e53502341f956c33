"""Variant 5: conditional GAN after pix2pix (Isola et al. 2017) for L -> ab.

The generator is pix2pix's U-Net (4x4 stride-2 convs, LeakyReLU 0.2 down, ReLU and
transposed convs up, batch norm except at the ends, dropout in three inner decoder
stages, skip connections between mirrored stages, tanh out). The PatchGAN discriminator
judges overlapping patches of (L, ab) pairs; it is only needed to train, so weights files
hold the generator alone.
"""

from __future__ import annotations

import torch
from torch import nn

from model.hints.encoding import normalize_l
from model.network.registry import register_arch
from training.variants.common import ArchOutput, ab_head, pad_to_multiple
from training.variants.configs import Pix2PixConfig


@register_arch("pix2pix", config=Pix2PixConfig, training_defaults={"loss": "gan", "lr": 2e-4})
class Pix2PixGenerator(nn.Module):
    """pix2pix U-Net L -> ab; inputs are padded to a multiple of 2**depth and cropped back."""

    def __init__(self, cfg: Pix2PixConfig) -> None:
        super().__init__()
        if cfg.depth < 2:
            raise ValueError(f"depth must be at least 2, got {cfg.depth}")
        self.cfg = cfg
        d, w = cfg.depth, cfg.width
        ch = [min(w * 2**i, 8 * w) for i in range(d)]
        down: list[nn.Module] = [nn.Conv2d(1, ch[0], 4, 2, 1)]
        for i in range(1, d):
            layers: list[nn.Module] = [nn.LeakyReLU(0.2), nn.Conv2d(ch[i - 1], ch[i], 4, 2, 1)]
            if i < d - 1:  # the innermost stage has no norm (its map may be 1x1)
                layers.append(nn.BatchNorm2d(ch[i]))
            down.append(nn.Sequential(*layers))
        self.down = nn.ModuleList(down)
        up: list[nn.Module] = []
        for i in range(d - 1, 0, -1):
            cin = ch[i] if i == d - 1 else 2 * ch[i]
            layers = [
                nn.ReLU(),
                nn.ConvTranspose2d(cin, ch[i - 1], 4, 2, 1),
                nn.BatchNorm2d(ch[i - 1]),
            ]
            if cfg.dropout > 0 and d - 4 <= i < d - 1:
                layers.append(nn.Dropout(cfg.dropout))
            up.append(nn.Sequential(*layers))
        up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * ch[0], 2, 4, 2, 1)))
        self.up = nn.ModuleList(up)

    def forward(
        self, L: torch.Tensor, local: torch.Tensor | None = None, glob: torch.Tensor | None = None
    ) -> ArchOutput:
        """L (B,1,H,W) in 0..100; hints are accepted for a common signature and ignored."""
        h, w = L.shape[-2:]
        x = pad_to_multiple(normalize_l(L), 2**self.cfg.depth)
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        x = self.up[0](skips[-1])
        for k, stage in enumerate(self.up[1:], start=2):
            x = stage(torch.cat([x, skips[-k]], 1))
        return ArchOutput(ab_head(x, self.cfg.ab_scale, h, w))


class PatchDiscriminator(nn.Module):
    """pix2pix's PatchGAN on (L, ab) pairs: one real/fake logit per overlapping patch.

    layers=3 gives the 70x70 receptive field of the paper; width is its first layer (64).
    """

    def __init__(self, width: int = 64, layers: int = 3) -> None:
        super().__init__()
        seq: list[nn.Module] = [nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        cin = width
        for n in range(1, layers + 1):
            cout = width * min(2**n, 8)
            stride = 2 if n < layers else 1
            seq += [
                nn.Conv2d(cin, cout, 4, stride, 1, bias=False),
                nn.BatchNorm2d(cout),
                nn.LeakyReLU(0.2, True),
            ]
            cin = cout
        seq.append(nn.Conv2d(cin, 1, 4, 1, 1))
        self.net = nn.Sequential(*seq)

    def forward(self, L: torch.Tensor, ab: torch.Tensor, ab_scale: float = 110.0) -> torch.Tensor:
        """Patch logits for L (B,1,H,W) in 0..100 and ab (B,2,H,W) in ab units."""
        x = torch.cat([normalize_l(L), ab / ab_scale], 1)
        return self.net(x)
