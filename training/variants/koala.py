"""Variant 4: transfer learning, Deep Koalarization style (Baldassarre et al. 2017).

An encoder-decoder on L with a frozen ImageNet classifier beside it: the classifier's
pooled embedding of the photo (theirs Inception-ResNet-v2 at 299 px, ours EfficientNet-
Lite0's 1280-d head at 224 px, L repeated to three channels) is replicated at every
position of the encoder's 1/8-scale output, concatenated, and fused by a 1x1 conv.
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
from training.variants.configs import KoalaConfig

HEAD_CHANNELS = 1280  # EfficientNet-Lite0's pooled head


@register_arch("koala", config=KoalaConfig, training_defaults={"loss": "l2"})
class KoalaNet(nn.Module):
    """L -> ab with frozen ImageNet features fused at 1/8 scale; any input size."""

    def __init__(self, cfg: KoalaConfig) -> None:
        super().__init__()
        from model.network.semantic import SemanticEncoder

        self.cfg = cfg
        w = cfg.width
        # Encoder (paper: the low-level stack, then 512, 256), BN added.
        self.encoder = nn.Sequential(
            *low_level_layers(w), conv_bn_relu(8 * w, 8 * w), conv_bn_relu(8 * w, 4 * w)
        )
        self.semantic = SemanticEncoder()
        self.fuse = nn.Sequential(nn.Conv2d(4 * w + HEAD_CHANNELS, 4 * w, 1), nn.ReLU(inplace=True))
        # Decoder (128, up, 64, 64, up, 32, 2 tanh, up).
        self.decoder = nn.Sequential(
            conv_bn_relu(4 * w, 2 * w),
            nn.Upsample(scale_factor=2, mode="nearest"),
            conv_bn_relu(2 * w, w),
            conv_bn_relu(w, w),
            nn.Upsample(scale_factor=2, mode="nearest"),
            conv_bn_relu(w, w // 2),
            nn.Conv2d(w // 2, 2, 3, padding=1),
        )

    def load_pretrained(self) -> None:
        """ImageNet weights for the frozen extractor (only to start training)."""
        self.semantic.load_imagenet()

    def embedding(self, L: torch.Tensor) -> torch.Tensor:
        """(B, 1280, 1, 1) frozen ImageNet embedding of L (0..100)."""
        s = self.cfg.sem_size
        if s:
            L = F.interpolate(
                L.float(), size=(s, s), mode="bilinear", align_corners=False, antialias=True
            )
        with torch.no_grad():
            return self.semantic(L)[2]

    def forward(
        self, L: torch.Tensor, local: torch.Tensor | None = None, glob: torch.Tensor | None = None
    ) -> ArchOutput:
        """L (B,1,H,W) in 0..100; hints are accepted for a common signature and ignored."""
        h, w = L.shape[-2:]
        enc = self.encoder(pad_to_multiple(normalize_l(L), 8))
        emb = self.embedding(L).to(enc.dtype).expand(-1, -1, *enc.shape[-2:])
        x = self.decoder(self.fuse(torch.cat([enc, emb], 1)))
        x = F.interpolate(x.float(), scale_factor=2.0, mode="bilinear", align_corners=False)
        return ArchOutput(ab_head(x, self.cfg.ab_scale, h, w))
