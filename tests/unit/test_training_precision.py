"""Training precision: bf16 where the device has it, fp16 only with loss scaling."""

from __future__ import annotations

import pytest
import torch

import model.device
from model.hints.encoding import GLOBAL_DIM
from model.network.config import NetConfig
from training.config import TrainConfig
from training.loop import build_model, make_scaler, optimiser_step, param_groups, training_dtype
from training.variant_losses import make_criterion


@pytest.mark.filterwarnings("ignore:.*CUDA is not available")
def test_cuda_trains_in_bf16_where_it_can_and_scales_fp16_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cuda = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert training_dtype(cuda, True) == torch.bfloat16
    assert make_scaler(cuda, True) is None
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert training_dtype(cuda, True) == torch.float16
    assert isinstance(make_scaler(cuda, True), torch.amp.GradScaler)
    assert training_dtype(cuda, False) is None and make_scaler(cuda, False) is None


def test_cpu_follows_its_bf16_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = torch.device("cpu")
    monkeypatch.setattr(model.device, "cpu_has_bf16", lambda: True)
    assert training_dtype(cpu, True) == torch.bfloat16
    monkeypatch.setattr(model.device, "cpu_has_bf16", lambda: False)
    assert training_dtype(cpu, True) is None
    assert make_scaler(cpu, True) is None


def _step(scaler: torch.amp.GradScaler | None) -> list[torch.Tensor]:
    cfg = TrainConfig(net=NetConfig(width=4, semantic="none"), crop=32, batch=2)
    torch.manual_seed(0)
    net = build_model(cfg)
    groups = param_groups(net, cfg)
    params = [p for g in groups for p in g["params"]]
    opt = torch.optim.SGD(groups, lr=0.1)  # not Adam: it would hide a wrong gradient scale
    crit = make_criterion(cfg, torch.device("cpu"), None)
    g = torch.Generator().manual_seed(1)
    L = torch.rand(2, 1, 32, 32, generator=g) * 100
    ab = torch.randn(2, 2, 32, 32, generator=g) * 20
    local = torch.zeros(2, 3, 32, 32)
    glob = torch.zeros(2, GLOBAL_DIM)
    before = [p.detach().clone() for p in params]
    optimiser_step(net, crit, opt, params, (L, local, glob, ab), torch.device("cpu"), False, scaler)
    return [p.detach() - b for p, b in zip(params, before, strict=True)]


def test_a_scaled_step_updates_as_an_unscaled_one() -> None:
    # The scaler must unscale before clipping: clipping scaled gradients (norm x 65536)
    # would shrink every update to almost nothing.
    plain = _step(None)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    scaled = _step(scaler)
    assert any(d.abs().max() > 0 for d in plain)
    for a, b in zip(plain, scaled, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-7)
    assert scaler.get_scale() == 2.0**16  # no inf/nan, so the scale stands
