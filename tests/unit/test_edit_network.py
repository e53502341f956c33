"""The per-edit network: the U-Net once per photo, a light decoder per edit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from model.finish import Finish
from model.hints.document import Hints, Point
from model.hints.encoding import encode_hints
from model.inference import Colorizer
from model.network.config import NetConfig
from model.network.edit import EditConfig, EditHead, EditNet, EditNetConfig, guided_upsample
from model.network.unet import ColorNet
from model.network.weights import WeightsError, load_network, save_weights
from model.views import finished_prediction

TINY_EDIT = EditNetConfig(
    width=4, semantic="none", edit=EditConfig(dim=8, blocks=2, heads=2, c7=32, c8=16)
)
POINT = Point(0.3, 0.4, (40.0, -30.0), 5)


def tiny_edit_net(seed: int = 0) -> EditNet:
    torch.manual_seed(seed)
    net = EditNet(TINY_EDIT).eval()
    # The colour output starts at zero (a fresh decoder changes nothing); give it weights.
    torch.nn.init.normal_(net.edit.out_ab.weight, std=0.5)
    return net


def photo(h: int = 64, w: int = 96, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    return np.clip(base + rng.normal(0, 20, (h, w)), 0, 255).astype(np.uint8)


def test_without_hints_the_trunk_answers_unchanged() -> None:
    net = tiny_edit_net()
    unet = ColorNet(NetConfig(width=4, semantic="none")).eval()
    missing = unet.load_state_dict(net.state_dict(), strict=False)
    assert not missing.missing_keys  # the trunk is the U-Net, parameter for parameter
    L = torch.rand(2, 1, 64, 96) * 100
    local, glob = torch.zeros(2, 3, 64, 96), torch.zeros(2, 316)
    with torch.inference_mode():
        mine, theirs = net(L, local, glob), unet(L, local, glob)
    assert torch.equal(mine.ab, theirs.ab)
    assert torch.allclose(mine.logits, theirs.logits)


def test_a_point_changes_its_own_photo_of_a_batch_only() -> None:
    net = tiny_edit_net()
    L = torch.rand(2, 1, 64, 96) * 100
    glob = torch.zeros(2, 316)
    local = torch.zeros(2, 3, 64, 96)
    with torch.inference_mode():
        before = net(L, local, glob)
        local[1] = encode_hints(Hints((POINT,)), 64, 96)[0]
        after = net(L, local, glob)
    assert torch.equal(after.ab[0], before.ab[0])
    assert (after.ab[1] - before.ab[1]).abs().max() > 0.1


def test_config_and_weights_round_trip(tmp_path: Path) -> None:
    net = tiny_edit_net()
    path = tmp_path / "edit.safetensors"
    save_weights(net, path, half=False)
    back = load_network(path)
    assert isinstance(back, EditNet) and back.cfg == TINY_EDIT
    L = torch.rand(1, 1, 64, 64) * 100
    local = encode_hints(Hints((POINT,)), 64, 64)[0][None]
    with torch.inference_mode():
        assert torch.allclose(
            net(L, local, torch.zeros(1, 316)).ab, back(L, local, torch.zeros(1, 316)).ab
        )
    assert EditNetConfig.from_json(TINY_EDIT.to_json()) == TINY_EDIT


def test_guided_upsample_keeps_constants_and_follows_edges() -> None:
    guide_hi = torch.zeros(1, 1, 64, 64)
    guide_hi[..., 32:] = 1.0
    guide_lo = torch.nn.functional.adaptive_avg_pool2d(guide_hi, 16)
    const = torch.full((1, 2, 16, 16), 7.0)
    assert torch.allclose(
        guided_upsample(guide_lo, const, guide_hi, 2, 1e-3),
        torch.full((1, 2, 64, 64), 7.0),
        atol=1e-4,
    )
    # A change that sits on the bright half stays on it, with a sharp edge at full size.
    step = guide_lo.expand(1, 2, 16, 16) * 10.0
    up = guided_upsample(guide_lo, step, guide_hi, 2, 1e-4)
    bilinear = torch.nn.functional.interpolate(step, size=(64, 64), mode="bilinear")
    assert (bilinear[..., 32] - bilinear[..., 31]).max() < 3.0
    assert (up[..., 32] - up[..., 31]).min() > 8.0


def test_colorizer_caches_the_trunk_and_runs_the_decoder_per_edit() -> None:
    col = Colorizer(tiny_edit_net(), device="cpu", working_size=64, fast_math=False)
    prep = col.prepare(photo())
    auto = col.predict(prep, Hints())
    with torch.inference_mode():
        L = prep.L_work
        want = col.net(L, torch.zeros(1, 3, *L.shape[-2:]), torch.zeros(1, 316))
    np.testing.assert_allclose(auto.ab, want.ab[0].permute(1, 2, 0).numpy(), atol=1e-5)
    calls = []
    col.net.trunk = lambda *a, _t=col.net.trunk, **k: calls.append(1) or _t(*a, **k)  # type: ignore[method-assign]
    edited = col.predict(prep, Hints((POINT,)))
    assert not calls  # the edit ran the decoder on the cached photo state alone
    assert np.abs(edited.ab - auto.ab).max() > 0.1
    assert not col.can_refine
    final = finished_prediction(col, prep, Hints((POINT,)), Finish.REFINE)
    assert final is not None  # the refinement falls back to the views


def test_one_edit_of_the_default_network_costs_under_six_gflop() -> None:
    torch.manual_seed(0)
    net = EditNet(EditNetConfig(semantic="none", hint_attn=True)).eval()
    L = torch.rand(1, 1, 256, 256) * 100
    pts = [
        Point(float(x), float(y), (30.0, 10.0), 6)
        for x, y in np.random.default_rng(0).random((10, 2))
    ]
    local, glob = encode_hints(Hints(tuple(pts)), 256, 256)
    with torch.inference_mode():
        state = net.photo_state(L)
        with FlopCounterMode(display=False) as edit:
            net.from_state(state, L, local[None], glob[None])
        with FlopCounterMode(display=False) as whole:
            net.photo_state(L)
    assert edit.get_total_flops() < 6e9
    assert whole.get_total_flops() > 5 * edit.get_total_flops()


def test_a_decoder_file_takes_its_trunk_from_the_file_beside_it(tmp_path: Path) -> None:
    net = tiny_edit_net()
    trunk = tmp_path / "unet.safetensors"
    unet = ColorNet(NetConfig(width=4, semantic="none"))
    unet.load_state_dict(net.state_dict(), strict=False)
    save_weights(unet, trunk, half=False)
    path = tmp_path / "edit.safetensors"
    save_weights(net, path, half=False, trunk=trunk)
    whole = tmp_path / "whole.safetensors"
    save_weights(net, whole, half=False)
    assert path.stat().st_size < whole.stat().st_size / 2
    back = load_network(path)
    for k, v in net.state_dict().items():
        assert torch.equal(back.state_dict()[k], v), k
    # Another trunk beside it, or none, is refused by name rather than mixed in.
    torch.manual_seed(5)
    save_weights(ColorNet(NetConfig(width=4, semantic="none")), trunk, half=False)
    with pytest.raises(WeightsError, match=r"another unet\.safetensors"):
        load_network(path)
    trunk.unlink()
    with pytest.raises(WeightsError, match="needs its trunk"):
        load_network(path)


def test_the_spread_of_a_change_stops_at_edges_and_a_shown_colour_spreads_nothing() -> None:
    guide = torch.zeros(1, 1, 32, 32)
    guide[..., 16:] = 0.9  # a strong edge down the middle (L 0 against 90)
    cells = torch.zeros(1, 5, 32, 32)
    cells[:, 0, 10, 8] = 0.3  # a change of a on the dark side
    cells[:, 4, 10, 8] = 1.0
    out = EditHead.spread(cells, guide, 0.25)
    assert out[0, 0, 10, 12] > 0.25  # carried along its side
    assert out[0, 0, 10, 20].abs() < 0.01 and out[0, 2, 10, 20] < 0.1  # not across the edge
    cells[:, 0] = 0.0  # a hint of the colour already shown: no change to carry
    assert EditHead.spread(cells, guide, 0.25)[:, :2].abs().max() == 0
