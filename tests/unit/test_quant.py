from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import model.network.quant as quant
from model.network.config import NetConfig
from model.network.weights import WeightsError, load_network, read_metadata, save_weights
from tests.conftest import tiny_net


def test_quantize_error_is_at_most_half_a_step_per_channel() -> None:
    g = torch.Generator().manual_seed(1)
    # Channels of very different magnitude: one shared scale would flatten the small ones.
    t = (
        torch.randn(6, 4, 3, 3, generator=g)
        * torch.tensor([1e-3, 1e-2, 0.1, 1, 10, 0.0])[:, None, None, None]
    )
    q, scale = quant.quantize(t)
    assert q.dtype == torch.int8 and scale.shape == (6,)
    back = quant.dequantize(q, scale)
    step = scale[:, None, None, None]
    assert torch.all((back - t).abs() <= step / 2 + 1e-12)
    assert torch.isfinite(back).all() and torch.equal(back[5], torch.zeros_like(back[5]))
    # Each channel's largest weight is exact: the scale is set by it.
    assert torch.allclose(back.abs().amax(dim=(1, 2, 3))[:5], t.abs().amax(dim=(1, 2, 3))[:5])


def test_pack_keeps_small_and_1d_tensors_float() -> None:
    sd = {
        "big": torch.randn(32, 16, 3, 3),
        "small": torch.randn(2, 4, 1, 1),
        "bias": torch.randn(32),
        "count": torch.tensor(3),
    }
    packed = quant.pack(sd)
    assert packed["big"].dtype == torch.int8 and "big" + quant.SCALE in packed
    assert all(packed[k] is sd[k] for k in ("small", "bias", "count"))
    back = quant.unpack(packed)
    assert set(back) == set(sd)
    assert torch.allclose(back["big"], sd["big"], atol=float(sd["big"].abs().max()) / 254 + 1e-6)


def test_int8_release_is_smaller_and_colours_like_fp16(tmp_path: Path) -> None:
    net = tiny_net(2, NetConfig(width=16, semantic="none"))
    fp16, int8 = tmp_path / "fp16.safetensors", tmp_path / "int8.safetensors"
    save_weights(net, fp16)
    save_weights(net, int8, int8=True)
    assert int8.stat().st_size < 0.6 * fp16.stat().st_size
    assert read_metadata(int8)["storage"] == "int8-per-channel"
    assert any(v.dtype == torch.int8 for v in load_file(str(int8)).values())
    a, b = load_network(fp16), load_network(int8)
    g = torch.Generator().manual_seed(0)
    L = torch.rand(1, 1, 64, 64, generator=g) * 100
    local = torch.zeros(1, 3, 64, 64)
    local[:, :2, 20:26, 20:26], local[:, 2, 20:26, 20:26] = 0.4, 1.0
    glob = torch.zeros(1, 316)
    with torch.no_grad():
        ab_a, ab_b = a(L, local, glob).ab, b(L, local, glob).ab
    # The network output moves by a small fraction of its own spread, not a colour shift.
    assert (ab_a - ab_b).abs().mean() < 0.02 * ab_a.std() + 1e-3


def test_mismatched_scales_are_a_weights_error(tmp_path: Path) -> None:
    net = tiny_net(0, NetConfig(width=16, semantic="none"))
    p = tmp_path / "w.safetensors"
    save_weights(net, p, int8=True)
    sd = load_file(str(p))
    meta = read_metadata(p)
    key = next(k for k in sd if k.endswith(quant.SCALE))
    sd[key] = sd[key][:-1]
    save_file(sd, str(p), metadata=meta)
    with pytest.raises(WeightsError, match="int8"):
        load_network(p)


def test_keep_float_prefixes_stay_float() -> None:
    sd = {"semantic.conv": torch.randn(32, 16, 3, 3), "enc.conv": torch.randn(32, 16, 3, 3)}
    packed = quant.pack(sd, keep_float=("semantic.",))
    assert packed["semantic.conv"] is sd["semantic.conv"]
    assert packed["enc.conv"].dtype == torch.int8
