"""Configurations of the research variants that train beside the Huebrush network.

Each architecture is driven by one frozen dataclass. Its JSON goes into the weights file's
metadata (as NetConfig does for ColorNet) next to an `arch` key, so a loader rebuilds the
network from the file alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.network.config import JsonConfig


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
