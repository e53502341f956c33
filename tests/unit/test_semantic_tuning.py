"""Training part of the ImageNet encoder: only the chosen blocks learn, BN statistics stay."""

from __future__ import annotations

import pytest
import torch

from model.config import NetConfig
from model.network import ColorNet
from training.config import TrainConfig
from training.lineage import stage
from training.loop import param_groups


def _step(net: ColorNet, cfg: TrainConfig) -> dict[str, bool]:
    """One optimiser step on random data; which state entries changed."""
    groups = param_groups(net, cfg)
    opt = torch.optim.AdamW(groups, lr=1e-2)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    L = torch.rand(2, 1, 64, 64, generator=gen) * 100
    local = torch.zeros(2, 3, 64, 64)
    net.train()
    out = net(L, local, torch.zeros(2, 316))
    (out.ab.square().mean() + out.logits.square().mean()).backward()
    opt.step()
    return {k: not torch.equal(v, net.state_dict()[k]) for k, v in before.items()}


def test_the_last_blocks_learn_at_their_own_rate_and_the_rest_stays() -> None:
    torch.manual_seed(0)
    cfg = TrainConfig(net=NetConfig(width=4, semantic="effnet"), semantic_blocks=2)
    net = ColorNet(cfg.net)
    assert [g["lr_scale"] for g in param_groups(net, cfg)] == [1.0, cfg.semantic_lr]
    changed = _step(net, cfg)
    last = len(net.semantic.blocks) - 1
    assert changed[f"semantic.blocks.{last}._project_conv.weight"]
    assert changed["semantic.conv_head.weight"] and changed["semantic.bn1.weight"]
    assert not changed[f"semantic.blocks.{last - 2}._project_conv.weight"]
    assert not changed["semantic.stem.weight"]
    assert not any(v for k, v in changed.items() if k.startswith("semantic.") and "running_" in k)
    assert changed["enc1.0.weight"]  # the U-Net itself still learns


def test_frozen_by_default() -> None:
    torch.manual_seed(0)
    cfg = TrainConfig(net=NetConfig(width=4, semantic="effnet"))
    net = ColorNet(cfg.net)
    assert len(param_groups(net, cfg)) == 1
    changed = _step(net, cfg)
    assert not any(v for k, v in changed.items() if k.startswith("semantic."))


def test_config_and_card_note() -> None:
    with pytest.raises(ValueError, match="EfficientNet"):
        TrainConfig(net=NetConfig(width=4, semantic="none"), semantic_blocks=2)
    cfg = TrainConfig(net=NetConfig(width=4, semantic="effnet"), semantic_blocks=3).to_dict()
    note = stage(cfg, 10, 1.0, {})["note"]
    assert note.startswith("the last 3 EfficientNet blocks")
