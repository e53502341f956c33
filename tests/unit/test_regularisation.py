"""Regularisers: dropout acts only in training and switches on freely; the card names them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from model.network.unet import ColorNet
from model.network.weights import load_network, save_weights
from tests.conftest import TINY, tiny_net
from training.config import TrainConfig
from training.lineage import stage
from training.loop import _grows_into, build_model


def _inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    L = torch.rand(2, 1, 64, 64, generator=gen) * 100
    local = torch.zeros(2, 3, 64, 64)
    local[:, :, 30:34, 8:12] = torch.tensor([0.2, 0.4, 1.0])[:, None, None]
    return L, local, torch.zeros(2, 316)


def test_dropout_acts_in_training_only(tmp_path: Path) -> None:
    path = tmp_path / "release.safetensors"
    save_weights(tiny_net(5), path)
    release = load_network(path)
    cfg = TrainConfig(net=replace(release.cfg, dropout=0.5), init=str(path))
    dropped = build_model(cfg)
    assert isinstance(dropped, ColorNet) and dropped.cfg.dropout == 0.5
    L, local, glob = _inputs()
    with torch.inference_mode():
        want = release(L, local, glob).ab
        assert torch.allclose(dropped.eval()(L, local, glob).ab, want, atol=1e-5)
        dropped.train()
        torch.manual_seed(0)
        first = dropped(L, local, glob).ab
        torch.manual_seed(1)
        second = dropped(L, local, glob).ab
    assert not torch.allclose(first, second, atol=1e-3)  # random channels dropped
    assert not torch.allclose(first, want, atol=1e-3)


def test_dropout_never_changes_the_weights_a_release_needs() -> None:
    assert _grows_into(TINY, replace(TINY, dropout=0.1))
    assert _grows_into(replace(TINY, dropout=0.1), TINY)  # and back, for the release
    assert _grows_into(TINY, replace(TINY, dropout=0.1, hint_attn=True))
    assert not _grows_into(TINY, replace(TINY, dropout=0.1, width=TINY.width * 2))
    assert not _grows_into(replace(TINY, hint_attn=True), replace(TINY, dropout=0.1))


def test_the_card_notes_regularisation() -> None:
    plain = stage(TrainConfig(net=TINY).to_dict(), 10, 1.0, {})
    assert "note" not in plain
    cfg = TrainConfig(net=replace(TINY, dropout=0.1), p_tone=0.5, weight_decay=0.05)
    note = stage(cfg.to_dict(), 10, 1.0, {})["note"]
    assert "dropout 0.1" in note and "50% of crops" in note and "weight decay 0.05" in note
    assert "beta" not in note
    l2ish = stage(TrainConfig(net=TINY, huber_beta=30.0).to_dict(), 10, 1.0, {})["note"]
    assert l2ish == "smooth-L1 with beta 30 ab units"
