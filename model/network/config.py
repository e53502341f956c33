"""Network configurations: stored inside every weights file so loaders need no side files."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self


class JsonConfig:
    """to_json / from_dict / from_json for a config dataclass, rejecting unknown keys.

    Every configuration (the networks', training's) is a dataclass with this mixin; its JSON
    is what weights files and run folders store.
    """

    #: What the config is called in error messages (default: the class name).
    config_label: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown {cls.config_label or cls.__name__} keys: {sorted(unknown)}")
        return cls(**cls.parse_fields(dict(d)))

    @classmethod
    def parse_fields(cls, d: dict[str, Any]) -> dict[str, Any]:
        """The known keys' values turned into the dataclass's field types (as they are here)."""
        return d

    @classmethod
    def from_json(cls, text: str) -> Self:
        d = json.loads(text)
        if not isinstance(d, dict):
            raise ValueError("config is not a JSON object")
        return cls.from_dict(d)


@dataclass(frozen=True)
class NetConfig(JsonConfig):
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
        research variant; needs semantic="none").
    """

    config_label: ClassVar[str] = "network config"

    width: int = 32
    semantic: str = "effnet"
    prior: bool = True
    n_bins: int = 313
    ab_scale: float = 110.0
    hint_attn: bool = False
    hint_attn_fine: bool = False
    dropout: float = 0.0
    encoder: str = "unet"
