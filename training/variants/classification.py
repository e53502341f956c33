"""Variant 2: colourisation as classification with class rebalancing (Zhang et al. 2016).

The VGG-style network of *Colorful Image Colorization*: conv blocks down to 1/8, dilated
blocks there, one transposed conv up to 1/4 and a 1x1 conv to the 313 ab bins. The ab
image is the annealed mean (T = 0.38) of the distribution, upsampled bilinearly. The loss
(soft-encoded, rebalanced cross-entropy) lives in training.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.colour.bins import annealed_mean
from model.hints.encoding import normalize_l
from model.network.registry import register_arch
from training.variants.common import ArchOutput, conv_bn_relu, pad_to_multiple
from training.variants.configs import ClassConfig


def _stage(cin: int, cout: int, n: int, stride_last: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        *[
            conv_bn_relu(
                cin if i == 0 else cout,
                cout,
                stride=stride_last if i == n - 1 else 1,
                dilation=dilation,
            )
            for i in range(n)
        ]
    )


@register_arch(
    "class",
    config=ClassConfig,
    distribution=True,
    training_defaults={"loss": "ce", "rebalance": 1.0},
)
class ClassNet(nn.Module):
    """L -> 313-bin logits at 1/4 scale and their annealed-mean ab; any input size."""

    def __init__(self, cfg: ClassConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        # conv1..conv7 of the paper (64, 128, 256, 512, 512 d2, 512 d2, 512), width-scaled.
        self.features = nn.Sequential(
            _stage(1, w, 2, stride_last=2),
            _stage(w, 2 * w, 2, stride_last=2),
            _stage(2 * w, 4 * w, 3, stride_last=2),
            _stage(4 * w, 8 * w, 3),
            _stage(8 * w, 8 * w, 3, dilation=2),
            _stage(8 * w, 8 * w, 3, dilation=2),
            _stage(8 * w, 8 * w, 3),
        )
        # conv8: up to 1/4, two convs, then the 313-way classifier.
        self.up = nn.Sequential(
            nn.ConvTranspose2d(8 * w, 4 * w, 4, stride=2, padding=1),
            nn.ReLU(inplace=True),
            conv_bn_relu(4 * w, 4 * w),
            conv_bn_relu(4 * w, 4 * w),
        )
        self.classify = nn.Conv2d(4 * w, cfg.n_bins, 1)

    def forward(
        self, L: torch.Tensor, local: torch.Tensor | None = None, glob: torch.Tensor | None = None
    ) -> ArchOutput:
        """L (B,1,H,W) in 0..100; hints are accepted for a common signature and ignored."""
        h, w = L.shape[-2:]
        x = pad_to_multiple(normalize_l(L), 8)
        logits = self.classify(self.up(self.features(x))).float()
        ab = annealed_mean(torch.softmax(logits, 1), self.cfg.anneal_t)
        ab = F.interpolate(ab, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return ArchOutput(ab[..., :h, :w], logits)
