"""The network's configuration; stored inside every weights file so loaders need no side files."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class NetConfig:
    """Shape of the colourisation network.

    width: channels of the first U-Net block (SIGGRAPH17 uses 64); later blocks use 2x, 4x, 8x.
    semantic: "effnet" fuses frozen ImageNet EfficientNet-Lite0 features at 1/8 scale; "none".
    prior: feed the edge-aware spread of the hints (model.network.propagate) as extra inputs.
    hint_attn: 1/8-scale cells attend over the hinted cells (model.network.hint_attention).
    hint_attn_fine: 1/4-scale cells do too, after the first decoder block, where cells are
        small enough to tell neighbouring objects apart.
    dropout: channel dropout on the 1/8-scale features while training (0 = off), against
        memorising the training photos; no effect at inference.
    encoder: "unet", the U-Net's own conv encoder; "effnet", EfficientNet-Lite0 (ImageNet
        start, trained) as the encoder with the hints in a light parallel branch (a
        research variant, issue #3; needs semantic="none").
    """

    width: int = 32
    semantic: str = "effnet"
    prior: bool = True
    n_bins: int = 313
    ab_scale: float = 110.0
    hint_attn: bool = False
    hint_attn_fine: bool = False
    dropout: float = 0.0
    encoder: str = "unet"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NetConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown network config keys: {sorted(unknown)}")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> NetConfig:
        return cls.from_dict(json.loads(text))
