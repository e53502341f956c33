from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from model.hints.document import PaletteColor
from model.hints.encoding import GLOBAL_DIM, encode_global
from model.network.config import NetConfig
from model.network.unet import ColorNet
from model.network.weights import WeightsError, load_network, read_metadata, save_weights
from tests.conftest import TINY, tiny_net


def _inputs(h: int, w: int, b: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    L = torch.rand(b, 1, h, w, generator=g) * 100
    local = torch.zeros(b, 3, h, w)
    local[:, :2, 5:9, 5:9] = 0.3
    local[:, 2, 5:9, 5:9] = 1.0
    return L, local, torch.zeros(b, GLOBAL_DIM)


@pytest.mark.parametrize(("h", "w"), [(32, 32), (64, 96), (96, 64)])
def test_output_shapes(h: int, w: int) -> None:
    net = tiny_net()
    with torch.no_grad():
        out = net(*_inputs(h, w))
    assert out.ab.shape == (2, 2, h, w)
    assert out.logits.shape == (2, 313, h // 4, w // 4)
    assert out.ab.abs().max() <= 110.0


def test_absent_global_hint_changes_nothing() -> None:
    net = tiny_net()
    L, local, glob = _inputs(32, 32)
    noise = glob.clone()
    noise[:, :313] = torch.rand(2, 313)  # a histogram whose flag says "not given"
    noise[:, 314] = 0.7
    with torch.no_grad():
        a, b = net(L, local, glob), net(L, local, noise)
    assert torch.equal(a.ab, b.ab)
    given = encode_global((PaletteColor((40.0, 40.0)),), 0.9).expand(2, -1)
    with torch.no_grad():
        c = net(L, local, given)
    assert not torch.allclose(a.ab, c.ab)


def test_hints_reach_the_output_through_the_prior() -> None:
    net = tiny_net(cfg=NetConfig(width=4, semantic="none", prior=True))
    L, local, glob = _inputs(32, 32)
    with torch.no_grad():
        with_hint = net(L, local, glob).ab
        without = net(L, torch.zeros_like(local), glob).ab
    assert not torch.allclose(with_hint, without)


def test_effnet_variant_builds_and_runs() -> None:
    net = ColorNet(NetConfig(width=4, semantic="effnet")).eval()
    with torch.no_grad():
        out = net(*_inputs(64, 64, 1))
    assert out.ab.shape == (1, 2, 64, 64)
    assert not any(p.requires_grad for p in net.semantic.parameters())


def test_weights_round_trip_fp16(tmp_path: Path) -> None:
    net = tiny_net(3)
    p = tmp_path / "w.safetensors"
    save_weights(net, p, extra={"step": "7"})
    meta = read_metadata(p)
    assert NetConfig.from_json(meta["config"]) == TINY and meta["step"] == "7"
    back = load_network(p)
    x = _inputs(32, 32)
    with torch.no_grad():
        assert torch.allclose(net(*x).ab, back(*x).ab, atol=0.5)


def test_bad_weight_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found"):
        load_network(tmp_path / "none.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00\x01")
    with pytest.raises(WeightsError, match="not a safetensors"):
        load_network(junk)
    pickled = tmp_path / "pickle.safetensors"
    torch.save({"a": torch.zeros(1)}, pickled)
    with pytest.raises(WeightsError):
        load_network(pickled)
    other = tmp_path / "other.safetensors"
    sd = {k: v for k, v in ColorNet(NetConfig(width=8, semantic="none")).state_dict().items()}
    save_file(
        {k: v for k, v in sd.items() if v.is_floating_point()}, other, {"config": TINY.to_json()}
    )
    with pytest.raises(WeightsError, match="shape"):
        load_network(other)


def test_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown"):
        NetConfig.from_dict({"width": 4, "depth": 3})


def test_cached_semantic_bias_gives_the_same_output() -> None:
    torch.manual_seed(0)
    net = ColorNet(NetConfig(width=4, semantic="effnet")).eval()
    L = torch.rand(1, 1, 64, 64) * 100
    local = torch.zeros(1, 3, 64, 64)
    glob = torch.zeros(1, GLOBAL_DIM)
    with torch.inference_mode():
        sem = net.semantic_features(L)
        direct = net(L, local, glob, sem=sem)
        cached = net(L, local, glob, sem_bias=net.semantic_bias(sem))
    assert torch.allclose(direct.ab, cached.ab) and torch.allclose(direct.logits, cached.logits)
