"""Variant 3: global and local image priors fused (Iizuka, Simo-Serra and Ishikawa 2016).

*Let there be Color!*: a low-level network shared by two paths. The mid-level path works
at the photo's own size; the global path sees a copy resized to a fixed square (224 in the
paper), reduces it with strided convs and fully connected layers to a 256-d vector, and
the fusion layer concatenates that vector at every mid-level position before a 1x1 conv.
A colourisation network of convs and nearest upsampling returns ab at the input size.
Not included: the paper's scene-classification loss (it needs class labels we lack).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.hints.encoding import normalize_l
from model.network.registry import register_arch
from training.variants.common import (
    ArchOutput,
    ab_head,
    conv_bn_relu,
    low_level_layers,
    pad_to_multiple,
)
from training.variants.configs import FusionConfig


@register_arch("fusion", config=FusionConfig, training_defaults={"loss": "l2"})
class FusionNet(nn.Module):
    """L -> ab with a global vector from a fixed-size copy fused in; any input size."""

    def __init__(self, cfg: FusionConfig) -> None:
        super().__init__()
        if cfg.global_size % 32 or cfg.global_size < 32:
            raise ValueError(f"global_size must be a multiple of 32, got {cfg.global_size}")
        self.cfg = cfg
        w = cfg.width
        self.low = nn.Sequential(*low_level_layers(w))  # shared low-level features, to 1/8
        self.mid = nn.Sequential(conv_bn_relu(8 * w, 8 * w), conv_bn_relu(8 * w, 4 * w))
        # Global features (512 s2, 512, 512 s2, 512, FC 1024, FC 512, FC 256) on 1/32.
        side = cfg.global_size // 32
        self.global_conv = nn.Sequential(
            conv_bn_relu(8 * w, 8 * w, stride=2),
            conv_bn_relu(8 * w, 8 * w),
            conv_bn_relu(8 * w, 8 * w, stride=2),
            conv_bn_relu(8 * w, 8 * w),
        )
        self.global_fc = nn.Sequential(
            nn.Linear(8 * w * side * side, 16 * w),
            nn.ReLU(inplace=True),
            nn.Linear(16 * w, 8 * w),
            nn.ReLU(inplace=True),
            nn.Linear(8 * w, cfg.global_dim),
            nn.ReLU(inplace=True),
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(4 * w + cfg.global_dim, 4 * w, 1), nn.ReLU(inplace=True)
        )
        # Colourisation network (128, up, 64, 64, up, 32, 2), back to 1/2, then to full size.
        self.colour = nn.Sequential(
            conv_bn_relu(4 * w, 2 * w),
            nn.Upsample(scale_factor=2, mode="nearest"),
            conv_bn_relu(2 * w, w),
            conv_bn_relu(w, w),
            nn.Upsample(scale_factor=2, mode="nearest"),
            conv_bn_relu(w, w // 2),
            nn.Conv2d(w // 2, 2, 3, padding=1),
        )

    def global_vector(self, L: torch.Tensor) -> torch.Tensor:
        """(B, global_dim) from the fixed-size copy of L (0..100)."""
        s = self.cfg.global_size
        small = F.interpolate(
            normalize_l(L.float()),
            size=(s, s),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        g = self.global_conv(self.low(small.to(L.dtype)))
        return self.global_fc(g.flatten(1))

    def forward(
        self, L: torch.Tensor, local: torch.Tensor | None = None, glob: torch.Tensor | None = None
    ) -> ArchOutput:
        """L (B,1,H,W) in 0..100; hints are accepted for a common signature and ignored."""
        h, w = L.shape[-2:]
        mid = self.mid(self.low(pad_to_multiple(normalize_l(L), 8)))
        g = self.global_vector(L).to(mid.dtype)
        g = g[:, :, None, None].expand(-1, -1, *mid.shape[-2:])
        x = self.colour(self.fuse(torch.cat([mid, g], 1)))
        x = F.interpolate(x.float(), scale_factor=2.0, mode="bilinear", align_corners=False)
        return ArchOutput(ab_head(x, self.cfg.ab_scale, h, w))
