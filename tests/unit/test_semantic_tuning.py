"""Training part of the ImageNet encoder: only the chosen blocks learn, BN statistics stay."""

from __future__ import annotations

import pytest
import torch

from model.hints.encoding import normalize_l
from model.network.config import NetConfig
from model.network.propagate import spread_hints
from model.network.unet import ColorNet
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


def test_imagenet_network_as_the_encoder_learns_whole_at_its_rate() -> None:
    """NetConfig.encoder="effnet": EfficientNet-Lite0 is the encoder, trained at semantic_lr,
    its batch-norm statistics kept; the hints still steer the output through their branch."""
    torch.manual_seed(0)
    cfg = TrainConfig(net=NetConfig(width=4, semantic="none", encoder="effnet"))
    net = ColorNet(cfg.net)
    assert not hasattr(net, "enc2")  # the U-Net's own encoder is gone, not unused
    groups = param_groups(net, cfg)
    assert [g["lr_scale"] for g in groups] == [1.0, cfg.semantic_lr]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in net.backbone.parameters()}
    changed = _step(net, cfg)
    assert changed["backbone.stem.weight"] and changed["backbone.blocks.0._depthwise_conv.weight"]
    assert changed["proj4.weight"] and changed["hint4.0.weight"]
    assert not changed["backbone.bn0.running_mean"]  # ImageNet's statistics stay
    assert changed["norm4.running_mean"]  # the new layers' own do not
    # The backbone sees only L: a point reaches the 1/8-scale features through the branch.
    net.eval()
    L = torch.full((1, 1, 64, 64), 50.0)
    empty = torch.zeros(1, 3, 64, 64)
    hinted = empty.clone()
    hinted[0, :, 30:34, 30:34] = torch.tensor([0.5, -0.5, 1.0]).view(3, 1, 1)
    with torch.no_grad():
        x = [torch.cat([normalize_l(L), h, spread_hints(L, h)], 1) for h in (empty, hinted)]
        a, b = net._encode(L, x[0])[3], net._encode(L, x[1])[3]
        assert (a - b).abs().max() > 1e-3
        net.hint4[0].weight.zero_()  # cut the branch at its last conv
        a, b = net._encode(L, x[0])[3], net._encode(L, x[1])[3]
    assert torch.equal(a, b)


def test_imagenet_encoder_starts_from_imagenet_and_excludes_the_fusion() -> None:
    from model.network.semantic import imagenet_state
    from training.loop import load_pretrained

    net = ColorNet(NetConfig(width=4, semantic="none", encoder="effnet"))
    load_pretrained(net)
    ref = imagenet_state()
    assert torch.equal(net.backbone.state_dict()["stem.weight"], ref["stem.weight"])
    with pytest.raises(ValueError, match="semantic"):
        ColorNet(NetConfig(width=4, semantic="effnet", encoder="effnet"))
    with pytest.raises(ValueError, match="encoder"):
        ColorNet(NetConfig(width=4, encoder="resnet"))
