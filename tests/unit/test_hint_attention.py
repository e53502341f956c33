"""Attention from every cell to the hinted cells: what it reads, and growing a release
(training only the grown block, if asked)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from model.network.hint_attention import HintAttention
from model.network.unet import ColorNet
from model.network.weights import load_network, save_weights
from tests.conftest import TINY, tiny_net
from training.config import TrainConfig
from training.lineage import stage
from training.loop import _grows_into, build_model, param_groups, set_train_mode
from training.variants.configs import AEConfig


def _live(channels: int = 8, seed: int = 0) -> HintAttention:
    """A block whose output projection is no longer zero (as after training)."""
    torch.manual_seed(seed)
    block = HintAttention(channels, dim=8, heads=2).eval()
    torch.nn.init.normal_(block.out.weight)
    return block


def _hints(points: list[tuple[int, int]], size: int = 32) -> torch.Tensor:
    """Local hints (1,3,size,size) with a 4x4 patch (one 1/8 cell) at each (row, col) cell."""
    local = torch.zeros(1, 3, size, size)
    for i, (r, c) in enumerate(points):
        local[0, 0, 8 * r : 8 * r + 4, 8 * c : 8 * c + 4] = 0.1 * (i + 1)
        local[0, 1, 8 * r : 8 * r + 4, 8 * c : 8 * c + 4] = -0.2
        local[0, 2, 8 * r : 8 * r + 4, 8 * c : 8 * c + 4] = 1.0
    return local


def test_cells_carry_the_mean_hint_and_its_coverage() -> None:
    cells = HintAttention.hint_cells(_hints([(1, 2)]), (4, 4))
    assert torch.allclose(cells[0, :, 1, 2], torch.tensor([0.1, -0.2, 0.25]))
    assert cells[0, :, 0, 0].abs().sum() == 0  # no hint, no colour


def test_no_hints_or_zero_output_leave_features_alone() -> None:
    x = torch.randn(2, 8, 4, 4)
    assert torch.equal(_live()(x, torch.zeros(2, 3, 32, 32)), x)
    fresh = HintAttention(8, dim=8, heads=2)
    assert torch.equal(fresh(x, _hints([(0, 0)]).expand(2, -1, -1, -1)), x)


def test_a_cell_reads_hinted_cells_only() -> None:
    block, gen = _live(), torch.Generator().manual_seed(1)
    x = torch.randn(1, 8, 4, 4, generator=gen)
    local = _hints([(0, 0), (3, 3)])
    with torch.inference_mode():
        base = block(x, local)[0, :, 2, 1]
        elsewhere = x.clone()
        elsewhere[0, :, 1, 2] += 5.0  # an unhinted cell other than the one we read
        assert torch.allclose(block(elsewhere, local)[0, :, 2, 1], base, atol=1e-6)
        at_hint = x.clone()
        at_hint[0, :, 3, 3] += 5.0  # a hinted cell far away
        assert not torch.allclose(block(at_hint, local)[0, :, 2, 1], base, atol=1e-3)
        recoloured = local.clone()
        recoloured[0, 0][local[0, 2] > 0] = -0.5  # same places, other colours
        assert not torch.allclose(block(x, recoloured)[0, :, 2, 1], base, atol=1e-3)


def test_batching_photos_with_different_hint_counts_changes_nothing() -> None:
    block, gen = _live(), torch.Generator().manual_seed(2)
    x = torch.randn(3, 8, 4, 4, generator=gen)
    locals_ = [_hints([(0, 0)]), _hints([(1, 1), (2, 3), (3, 0)]), torch.zeros(1, 3, 32, 32)]
    with torch.inference_mode():
        batched = block(x, torch.cat(locals_))
        for i, loc in enumerate(locals_):
            alone = block(x[i : i + 1], loc)
            assert torch.allclose(batched[i : i + 1], alone, atol=1e-5)


@pytest.mark.parametrize("block", ["hint_attn", "hint_attn_fine"])
def test_a_release_grows_the_block_and_computes_the_same(tmp_path: Path, block: str) -> None:
    path = tmp_path / "release.safetensors"
    save_weights(tiny_net(3), path)
    release = load_network(path)  # as stored (fp16)
    cfg = TrainConfig(net=replace(TINY, **{block: True}), init=str(path))
    grown = build_model(cfg)
    assert isinstance(grown, ColorNet) and getattr(grown, block) is not None
    gen = torch.Generator().manual_seed(4)
    L = torch.rand(1, 1, 64, 64, generator=gen) * 100
    local = torch.zeros(1, 3, 64, 64)
    local[0, :, 10:14, 20:24] = torch.tensor([0.3, -0.1, 1.0])[:, None, None]
    glob = torch.zeros(1, 316)
    with torch.inference_mode():
        want = release(L, local, glob).ab
        got = grown.eval()(L, local, glob).ab
    assert torch.allclose(got, want, atol=1e-5)


def test_growing_never_drops_a_block() -> None:
    cfg = TrainConfig(net=TINY)
    with_block = ColorNet(replace(TINY, hint_attn=True))
    # The other direction would silently lose trained weights: refused like any mismatch.
    assert not _grows_into(with_block.cfg, cfg.net)
    assert not _grows_into(TINY, replace(TINY, hint_attn=True, width=8))
    assert _grows_into(TINY, replace(TINY, hint_attn=True))
    a = AEConfig()
    assert not _grows_into(a, replace(a, width=a.width * 2))  # variants grow nothing


def test_the_card_notes_the_block() -> None:
    cfg = TrainConfig(net=replace(TINY, hint_attn=True)).to_dict()
    assert "attention" in stage(cfg, 10, 1.0, {})["note"]
    fine = TrainConfig(net=replace(TINY, hint_attn_fine=True), train_only="hint_attn_fine")
    note = stage(fine.to_dict(), 10, 1.0, {})["note"]
    assert "1/4-scale" in note and "only hint_attn_fine trained" in note


def test_train_only_moves_the_named_block_alone() -> None:
    torch.manual_seed(0)
    cfg = TrainConfig(net=replace(TINY, hint_attn_fine=True), train_only="hint_attn_fine")
    net = ColorNet(cfg.net)
    groups = param_groups(net, cfg)
    block = {id(p) for p in net.hint_attn_fine.parameters()}
    assert {id(p) for g in groups for p in g["params"]} == block
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = torch.optim.AdamW(groups, lr=1e-2)
    gen = torch.Generator().manual_seed(6)
    local = torch.zeros(2, 3, 64, 64)
    local[:, :, 8:14, 40:46] = torch.tensor([0.4, 0.2, 1.0])[:, None, None]
    for _ in range(2):
        set_train_mode(net, cfg)
        L = torch.rand(2, 1, 64, 64, generator=gen) * 100
        out = net(L, local, torch.zeros(2, 316))
        opt.zero_grad()
        (out.ab - 20.0).square().mean().backward()
        opt.step()
    after = net.state_dict()
    moved = {k for k in after if not torch.equal(after[k], before[k])}
    # Batch-norm statistics of the kept modules stay as loaded, too.
    assert moved and all(k.startswith("hint_attn_fine.") for k in moved)


def test_train_only_refuses_a_module_the_network_lacks() -> None:
    cfg = TrainConfig(net=TINY, train_only="hint_attn_fine")
    with pytest.raises(SystemExit, match="hint_attn_fine"):
        param_groups(ColorNet(cfg.net), cfg)


def test_the_grown_block_learns_at_its_own_rate() -> None:
    torch.manual_seed(0)
    cfg = TrainConfig(net=replace(TINY, hint_attn=True))
    net = ColorNet(cfg.net).train()
    groups = param_groups(net, cfg)
    assert [g["lr_scale"] for g in groups] == [1.0, cfg.attn_lr]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in net.hint_attn.parameters()}
    opt = torch.optim.AdamW(groups, lr=1e-3)
    L = torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(5)) * 100
    local = torch.zeros(2, 3, 64, 64)
    local[:, :, 8:14, 40:46] = torch.tensor([0.4, 0.2, 1.0])[:, None, None]
    before = net.hint_attn.out.weight.clone()
    out = net(L, local, torch.zeros(2, 316))
    (out.ab - 20.0).square().mean().backward()
    opt.step()
    assert not torch.equal(net.hint_attn.out.weight, before)  # zero start, yet it learns
