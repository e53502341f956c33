"""Configurations of the research variants that train beside the Huebrush network (issue #8).

Each architecture is driven by one frozen dataclass. Its JSON goes into the weights file's
metadata (as NetConfig does for ColorNet) next to an `arch` key, so a loader rebuilds the
network from the file alone. Kept free of torch so that parsing a training config is cheap.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from model.network.config import NetConfig


class JsonConfig:
    """to_json / from_dict / from_json for a dataclass, rejecting unknown keys."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Any:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> Any:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class AEConfig(JsonConfig):
    """Plain regression autoencoder: strided-conv encoder, upsampling decoder, no skips.

    width: channels of the first stage, doubled per stage up to 8x; depth: stride-2 stages.
    """

    width: int = 32
    depth: int = 3
    ab_scale: float = 110.0


@dataclass(frozen=True)
class ClassConfig(JsonConfig):
    """Zhang et al. 2016: VGG-style dilated net, 313-bin distribution at 1/4 scale.

    width: conv1 channels (the paper's 64 halved by default, as for the Huebrush net).
    anneal_t: temperature of the annealed-mean decoding.
    """

    width: int = 32
    n_bins: int = 313
    anneal_t: float = 0.38


@dataclass(frozen=True)
class FusionConfig(JsonConfig):
    """Iizuka et al. 2016: shared low-level features, global and mid-level streams, fusion.

    width: first low-level channels (paper 64); global_size: side of the resized copy the
    global stream sees (paper 224, must be a multiple of 32); global_dim: the global vector.
    """

    width: int = 32
    global_size: int = 224
    global_dim: int = 256
    ab_scale: float = 110.0


@dataclass(frozen=True)
class KoalaConfig(JsonConfig):
    """Baldassarre et al. 2017 (Deep Koalarization) with EfficientNet-Lite0 as the frozen
    feature extractor in place of Inception-ResNet-v2.

    width: first encoder channels (paper 64); sem_size: side of the resized copy the frozen
    network sees (224 is its ImageNet size; 0 = the input's own size).
    """

    width: int = 32
    sem_size: int = 224
    ab_scale: float = 110.0


@dataclass(frozen=True)
class Pix2PixConfig(JsonConfig):
    """Isola et al. 2017 U-Net generator (the PatchGAN discriminator is training-only).

    width: first generator channels (paper 64), up to 8x; depth: stride-2 stages (the paper
    uses 8 at 256x256; inputs are padded to a multiple of 2**depth); dropout: in the three
    decoder stages after the innermost one, during training only.
    """

    width: int = 32
    depth: int = 7
    dropout: float = 0.5
    ab_scale: float = 110.0


ArchConfig = NetConfig | AEConfig | ClassConfig | FusionConfig | KoalaConfig | Pix2PixConfig

ARCH_CONFIGS: dict[str, type] = {
    "huebrush": NetConfig,
    "ae": AEConfig,
    "class": ClassConfig,
    "fusion": FusionConfig,
    "koala": KoalaConfig,
    "pix2pix": Pix2PixConfig,
}
ARCHS = tuple(ARCH_CONFIGS)
DEFAULT_ARCH = "huebrush"
# Only the Huebrush net reads hints; the research variants colour automatically.
INTERACTIVE_ARCHS = frozenset({"huebrush"})
# Archs with a 313-bin distribution head (the CE losses need it).
DISTRIBUTION_ARCHS = frozenset({"huebrush", "class"})


def config_class(arch: str) -> type:
    """The config dataclass of an architecture name."""
    try:
        return ARCH_CONFIGS[arch]
    except KeyError:
        raise ValueError(f"unknown architecture {arch!r} (one of {', '.join(ARCHS)})") from None


def arch_config(arch: str, d: dict[str, Any] | None = None) -> ArchConfig:
    """The architecture's config from a dict (defaults where d is None)."""
    cls = config_class(arch)
    return cls() if d is None else cls.from_dict(d)  # type: ignore[attr-defined, no-any-return]
