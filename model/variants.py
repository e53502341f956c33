"""The research variants next to the Huebrush network: build, save and load any of them.

Every network here takes `(L, local, glob)` and returns an object with `.ab` (and `.logits`
where it has a distribution head), so the training loop and the evaluation code drive them
all alike. A weights file names its architecture in the header (`arch`, absent for the
Huebrush net) beside the config JSON, so `load_any` needs nothing but the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from model.arch_configs import ARCHS, DEFAULT_ARCH, ArchConfig, arch_config, config_class
from model.network.weights import (
    WeightsError,
    load_network,
    load_state_checked,
    read_metadata,
    save_weights,
)


def _builders() -> dict[str, Callable[[Any], nn.Module]]:
    # Imported here so that loading one variant does not build the others' modules.
    from model.arch_ae import AutoencoderNet
    from model.arch_class import ClassNet
    from model.arch_fusion import FusionNet
    from model.arch_koala import KoalaNet
    from model.arch_pix2pix import Pix2PixGenerator
    from model.network.unet import ColorNet

    return {
        "huebrush": ColorNet,
        "ae": AutoencoderNet,
        "class": ClassNet,
        "fusion": FusionNet,
        "koala": KoalaNet,
        "pix2pix": Pix2PixGenerator,
    }


def build_network(arch: str, cfg: ArchConfig | None = None) -> nn.Module:
    """A freshly initialised network of the named architecture (default config if None)."""
    cls = config_class(arch)
    cfg = cfg if cfg is not None else cls()
    if not isinstance(cfg, cls):
        raise ValueError(f"architecture {arch!r} needs a {cls.__name__}, got {type(cfg).__name__}")
    return _builders()[arch](cfg)


def arch_of(net: nn.Module) -> str:
    """The architecture name of a built network."""
    return str(getattr(net, "arch", DEFAULT_ARCH))


def load_pretrained(net: nn.Module) -> None:
    """Load the ImageNet weights of any frozen feature extractor (only to start training)."""
    from model.network.unet import ColorNet

    if isinstance(net, ColorNet):
        for enc in (net.semantic, net.backbone):
            if enc is not None:
                enc.load_imagenet()  # type: ignore[operator]
    elif hasattr(net, "load_pretrained"):
        net.load_pretrained()


def save_network(
    net: nn.Module, path: str | Path, half: bool = True, extra: dict[str, str] | None = None
) -> None:
    """Write any variant (or the Huebrush net) with its arch and config in the header."""
    save_weights(net, path, half=half, extra=extra)


def read_arch(path: str | Path) -> str:
    """The architecture a weights file holds ('huebrush' for files without the key)."""
    return read_metadata(path).get("arch", DEFAULT_ARCH)


def load_any(path: str | Path) -> nn.Module:
    """Build whichever network the file describes and load it (float32, eval mode)."""
    p = Path(path)
    if not p.is_file():
        raise WeightsError(f"{p}: weights file not found")
    meta = read_metadata(p)
    arch = meta.get("arch", DEFAULT_ARCH)
    if arch == DEFAULT_ARCH:
        return load_network(p)
    if arch not in ARCHS:
        raise WeightsError(f"{p}: unknown architecture {arch!r}")
    if "config" not in meta:
        raise WeightsError(f"{p}: no network config in the weights file")
    try:
        net = build_network(arch, arch_config(arch, _json(meta["config"])))
    except (ValueError, TypeError) as e:
        raise WeightsError(f"{p}: bad {arch} config ({e})") from e
    load_state_checked(net, p)
    return net.eval()


def _json(text: str) -> dict[str, Any]:
    d = json.loads(text)
    if not isinstance(d, dict):
        raise ValueError("config is not a JSON object")
    return d


def count_parameters(net: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in net.parameters())
    return sum(p.numel() for p in net.parameters() if p.requires_grad), total
